import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledger.settings")

app = Celery("ledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Photos picked on a failed form are kept so nothing is lost; abandoned ones go after a day.
    "purge-abandoned-uploads": {
        "task": "campaigns.tasks.purge_abandoned_uploads",
        "schedule": crontab(minute=17, hour="*/6"),
    },
}
