"""First render after a change: python bench/first_render.py TICKET_NUMBER (bench/run.py calls it).

A write in a district moves its version on (infra/fragments.py), so the next request for each
of its pages finds no fragment it may use and renders from the database. This touches the
busiest district's version before each GET, times that one GET in this process (production
settings, the bench database and Redis, as run.py's env() sets them), REPEAT times per page,
and prints the medians as a section of RESULTS.md. Target (issue 14's task standards): the board
within 150 ms, every other page within 50 ms.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from campaigns.models import OrgUnit, UnitKind  # noqa: E402
from infra.fragments import district_touch  # noqa: E402

DISTRICT = "CY"
REPEAT = int(os.environ.get("BENCH_FIRST_REPEAT", "5"))
TARGET_MS = {"district board": 150}
DEFAULT_TARGET_MS = 50


def logged_in(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def main() -> None:
    number = sys.argv[1]
    district = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code=DISTRICT)
    supervisor, city = logged_in("bench_cy_supervisor1"), logged_in("bench_city_jl")
    pages = [
        ("district board", supervisor, f"/board/{DISTRICT}/"),
        ("city overview", city, "/city/"),
        ("ticket list, page 1", supervisor, "/tickets/?state=closed"),
        ("ticket list, page 200", supervisor, "/tickets/?state=closed&page=200"),
        ("ticket detail", supervisor, f"/tickets/{number}/"),
        ("my tasks", supervisor, "/my/"),
    ]
    for _name, client, path in pages:
        client.get(path)  # the person's scope and the reference data are warm, as in production
    timings: dict[str, list[float]] = {name: [] for name, _client, _path in pages}
    for _ in range(REPEAT):
        for name, client, path in pages:
            district_touch(district.pk)
            started = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {path} answered {response.status_code}")
    print(
        "First render after a change (`bench/first_render.py`): the busiest district's version is moved on, as any\n"
        "write there does, then one GET of each page renders its fragments from the database; median of "
        f"{REPEAT}, timed\nin one process with production settings (no HTTP).\n\n"
        "| page | first render ms | target ms | met |\n|---|---:|---:|:-:|"
    )
    for name, values in timings.items():
        median, target = statistics.median(values), TARGET_MS.get(name, DEFAULT_TARGET_MS)
        print(f"| {name} | {median:.0f} | {target} | {'yes' if median <= target else '**no**'} |")


if __name__ == "__main__":
    main()
