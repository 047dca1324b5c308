import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")

app = Celery("ledger")
# Configuration, the beat schedule included, is read from Django settings (CELERY_*).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
