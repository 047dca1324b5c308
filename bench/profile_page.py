import sys

sys.path.insert(0, ".")
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")
import django

django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

settings.ALLOWED_HOSTS = ["*"]
user = get_user_model().objects.get(username=sys.argv[1])
c = Client()
c.force_login(user)
for path in sys.argv[2:]:
    c.get(path)
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        r = c.get(path)
        total = time.perf_counter() - t
    print(f"== {path} {r.status_code} {total * 1000:.0f} ms, {len(ctx.captured_queries)} queries")
    for q in ctx.captured_queries:
        if float(q["time"]) > 0.003:
            print(f"   {float(q['time']) * 1000:6.0f} ms  {q['sql'][:120]} … {q['sql'][-200:]}")
