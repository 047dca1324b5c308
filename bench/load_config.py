"""The load test's settings (environment LOAD_*), its files and the names of its acts.

Imported first by every part of the load test: it points bench/run.py's setup at this run's
own database, Redis db and folder.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py: env(), manage(), shell(), Session, machine)

USERS = int(os.environ.get("LOAD_USERS", "60"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "180"))
TICKETS = int(os.environ.get("LOAD_TICKETS", "20000"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
THREADS = int(os.environ.get("LOAD_THREADS", "1"))  # > 1: gthread workers
RACE_SHARE = float(os.environ.get("LOAD_RACE_SHARE", "0.1"))  # 销号 handed to two supervisors at once
SEED = int(os.environ.get("LOAD_SEED", "7"))
DB_NAME = os.environ.get("LOAD_DB", "ledger_load")
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
REQUEST_TIMEOUT = 60
THINK = (0.5, 2.0)
# A supervisor closes at most one ticket every 1.25 s or so (think time plus three
# requests); on this 2-core machine under the full load it is nearer one every 7 s. The
# setup gives each this many submitted tickets per second of the run, if the seed has them
# (a supervisor whose district runs out opens their task list instead, counted apart).
CLOSE_PER_SUPERVISOR_SECOND = 0.3
SECTION = "## Load test (issue 7)"

# This run's database, Redis db and files; the rest of bench/run.py's setup is reused as is.
bench.DB_NAME = DB_NAME
bench.DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
bench.REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/6")
bench.VAR = bench.VAR / "load"
VAR = bench.VAR

LOG = "log a problem (POST, ~300 KB JPEG)"
LOG_FORM = "log form (GET tickets/new/)"
CLOSE = "销号 (POST close-out)"
TICKET = "ticket page (GET)"
BOARD = "district board"
CITY = "city overview"
LIST = "ticket list"
MY = "my tasks (no ticket left to close)"
ACTION_ORDER = [LOG_FORM, LOG, CLOSE, TICKET, BOARD, CITY, LIST, MY]
