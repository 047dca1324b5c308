"""gunicorn for the load test, and what its logs and /proc say afterwards."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_config import BOARD, CITY, CLOSE, LIST, LOG, LOG_FORM, MY, THREADS, TICKET, VAR, WORKERS, bench  # noqa: E402


def free_port():
    wanted = os.environ.get("LOAD_PORT")
    if wanted:
        port = int(wanted)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise SystemExit(f"LOAD_PORT {port} is in use") from None
        return port
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in (8000, bench.PORT):
            return port


def start_server(port, log_path):
    worker_args = ["-w", str(WORKERS)]
    if THREADS > 1:
        worker_args += ["-k", "gthread", "--threads", str(THREADS)]
    log = open(log_path, "w")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen(
        [
            bench.PYTHON,
            "-m",
            "gunicorn",
            "ledger.wsgi:application",
            *worker_args,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "--access-logfile",
            str(VAR / "access.log"),
            "--access-logformat",
            ACCESS_FORMAT,
        ],
        cwd=bench.ROOT,
        env=bench.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server.log = log
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log_path}")
        try:
            urllib.request.urlopen(f"{bench.BASE}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {bench.BASE}; see {log_path}")


def stop_server(server):
    if server is None or server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass
    finally:
        server.log.close()


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


def server_errors(log_path):
    """Errors in gunicorn's log (Django logs every 5xx, with its traceback), grouped by URL and
    exception. Reads Django's JSON lines (the production default), its text format and
    gunicorn's own lines (worker timeouts)."""
    text = Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""
    records, current = [], []
    for line in text.splitlines():
        if re.match(r"\{|\[\d{4}-\d\d-\d\d |\d{4}-\d\d-\d\d \d", line) and current:
            records.append(current)
            current = []
        current.append(line)
    if current:
        records.append(current)
    groups = defaultdict(lambda: {"count": 0, "traceback": ""})
    for record in records:
        first, rest = record[0], "\n".join(record[1:])
        try:
            data = json.loads(first) if first.startswith("{") else None
        except ValueError:
            data = None
        if data is not None:
            if str(data.get("level", "")).upper() not in ("ERROR", "CRITICAL"):
                continue
            message, trace = str(data.get("message", "")), str(data.get("exc_info") or "") + rest
        else:
            if not re.search(r"\b(ERROR|CRITICAL)\b|Internal Server Error", first):
                continue
            message, trace = first, rest
        match = re.search(r"(?:Internal Server Error|Service Unavailable|Bad Gateway): (\S+)", message)
        url = match.group(1) if match else re.sub(r"^\[[^]]+\] \[\d+\] ", "", message)[-200:]
        url = re.sub(r"[A-Z]{2}-\d{6}-\d{4,}", "<number>", re.sub(r"pid:\d+", "pid:…", url))
        lines = [line for line in trace.splitlines() if line.strip()]
        exception = next(
            (line for line in reversed(lines) if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Timeout)\b", line)),
            next((line for line in reversed(lines) if not line.startswith(" ")), ""),
        )
        key = (url, exception[:200] or "(no traceback)")
        groups[key]["count"] += 1
        groups[key]["traceback"] = groups[key]["traceback"] or "\n".join([message, *lines])[-4000:]
    return groups


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


def classify(method, path):
    """The action of a request in gunicorn's access log, as the clients name it."""
    if path == "/tickets/new/":
        return LOG if method == "POST" else LOG_FORM
    if path.endswith("/close-out/"):
        return CLOSE
    if path.startswith("/board/"):
        return BOARD
    if path == "/city/":
        return CITY
    if path == "/tickets/":
        return LIST
    if path == "/my/":
        return MY
    if path.startswith("/tickets/"):
        return TICKET
    return f"{method} {path}"


def server_times(access_path, offset):
    """Milliseconds each action spent inside a gunicorn worker (the access log's %(D)s), from
    `offset` on: the latency the clients saw, less the wait for a free worker."""
    times = defaultdict(list)
    with open(access_path, "rb") as handle:
        handle.seek(offset)
        for line in handle.read().decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[3].isdigit():
                times[classify(parts[0], parts[1])].append(int(parts[3]) / 1000)
    return times


def cpu_seconds(server_pid):
    """CPU seconds used so far by gunicorn's processes, PostgreSQL's, Redis and this script,
    and by the whole machine (busy, all cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = defaultdict(float)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) == server_pid:
            used["gunicorn"] += seconds
        elif name.startswith("postgres"):
            used["postgres"] += seconds
        elif name.startswith("redis-server"):
            used["redis"] += seconds
        elif int(stat.parent.name) == os.getpid():
            used["harness"] += seconds
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    used["machine"] = (sum(values) - values[3] - values[4]) / tick  # all but idle and iowait
    return used
