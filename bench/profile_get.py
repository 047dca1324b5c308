"""Profile one page as a logged-in user against the bench database: python bench/profile_get.py USER PATH."""

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
from django.test import Client  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
client = Client()
client.force_login(get_user_model().objects.get(username=sys.argv[1]))
path = sys.argv[2]
client.get(path)
started = time.perf_counter()
for _ in range(20):
    client.get(path)
print(f"{path}: {(time.perf_counter() - started) * 50:.1f} ms per request")
cProfile.run("for _ in range(20): client.get(path)", "/tmp/get.prof")
pstats.Stats("/tmp/get.prof").sort_stats(os.environ.get("SORT", "tottime")).print_stats(
    int(os.environ.get("TOP", "25"))
)
