"""Profile 销号 POSTs as a bench supervisor against the bench database:
python bench/profile_post.py [COUNT]. Each closes a submitted ticket of the busiest district."""

import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, ".")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from campaigns.models import Ticket  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
supervisor = os.environ.get("BENCH_SUPERVISOR", "bench_cy_supervisor1")
client = Client()
client.force_login(get_user_model().objects.get(username=supervisor))
numbers = list(
    Ticket.objects.filter(district__code="CY", state="submitted")
    .exclude(fix_submitted_by__username=supervisor)
    .order_by("-id")
    .values_list("number", flat=True)[: count * 2 + 2]
)


def close(number):
    response = client.post(f"/tickets/{number}/close-out/", {"note": "bench"})
    assert response.status_code == 302, (number, response.status_code)
    client.cookies.pop("messages", None)  # as wrk: the flash message is never read back


close(numbers.pop())
with CaptureQueriesContext(connection) as queries:
    close(numbers.pop())
for query in queries.captured_queries:
    print(f"{query['time']:>6}  {query['sql'][:160]}")
started = time.perf_counter()
for _ in range(count // 2):
    close(numbers.pop())
print(f"销号: {(time.perf_counter() - started) * 1000 / (count // 2):.2f} ms per request")
cProfile.run("for _ in range(count // 2): close(numbers.pop())", "/tmp/post.prof")
pstats.Stats("/tmp/post.prof").sort_stats(os.environ.get("SORT", "tottime")).print_stats(
    int(os.environ.get("TOP", "30"))
)
