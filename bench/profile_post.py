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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaigns.models import InspectionPoint, ProblemCategory

settings.ALLOWED_HOSTS = ["*"]
photo = open("bench/var/phone.jpg", "rb").read()
c = Client()
c.force_login(get_user_model().objects.get(username="bench_cy_staff1_1"))
point = InspectionPoint.objects.filter(district__code="CY").first()
category = ProblemCategory.objects.filter(campaign__district__code="CY").first()


def post():
    return c.post(
        "/tickets/new/",
        {
            "point": point.pk,
            "category": category.pk,
            "description": "bench",
            "photos": [SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg")],
        },
    )


post()
t = time.perf_counter()
for _ in range(10):
    r = post()
print("avg ms", (time.perf_counter() - t) * 100, r.status_code)
cProfile.run("post()", "/tmp/post.prof")
pstats.Stats("/tmp/post.prof").sort_stats("cumulative").print_stats(25)
