import sys

sys.path.insert(0, ".")
import cProfile
import os
import pstats
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")
import django

django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from campaigns.models import Ticket

settings.ALLOWED_HOSTS = ["*"]
c = Client()
c.force_login(get_user_model().objects.get(username="bench_cy_supervisor1"))
numbers = iter(
    Ticket.objects.filter(district__code="CY", state="submitted")
    .exclude(fix_submitted_by__username="bench_cy_supervisor1")
    .order_by("-id")
    .values_list("number", flat=True)[:30]
)


def post():
    return c.post(f"/tickets/{next(numbers)}/close-out/", {"note": "bench"})


post()
t = time.perf_counter()
for _ in range(10):
    r = post()
print("avg ms", (time.perf_counter() - t) * 100, r.status_code)
cProfile.run("post()", "/tmp/close.prof")
pstats.Stats("/tmp/close.prof").sort_stats("cumulative").print_stats(30)
