"""Celery tasks: load, call a service, return. Business rules live in services/.

Most tasks sit beside the service they run (their names stay `campaigns.tasks.<name>`, which
beat's schedule and queued messages use); this module imports them, so that Celery's
autodiscovery of `campaigns.tasks` registers every one, and keeps the tasks that belong to no
service of their own.
"""

from celery import shared_task
from django.utils import timezone

from security.audit import audit_purge

from .models import Heartbeat
from .selectors.board import count_board_kpis as count_kpis
from .services.duplicates import find_duplicates
from .services.monthly import generate_monthly_summary
from .services.notifications import deliver_one, resend_due_deliveries
from .services.outbox import drain_outbox
from .services.photos import make_photo_thumbnail, purge_abandoned_uploads
from .services.rectification_reports import generate_rectification_report
from .services.reminders import send_due_reminders
from .services.submissions import purge_submission_keys
from .services.sweeps import sweep_left_work as sweep

__all__ = [
    "count_board_kpis",
    "deliver_one",
    "drain_outbox",
    "find_duplicates",
    "generate_monthly_summary",
    "generate_rectification_report",
    "make_photo_thumbnail",
    "purge_abandoned_uploads",
    "purge_audit_log",
    "purge_submission_keys",
    "resend_due_deliveries",
    "send_due_reminders",
    "sweep_left_work",
    "worker_heartbeat",
]


@shared_task
def worker_heartbeat() -> None:
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": timezone.now()})


@shared_task
def sweep_left_work() -> dict:
    """What a lost message left undone: photos without thumbnails, summaries never started."""
    return sweep()


@shared_task
def purge_audit_log() -> int:
    return audit_purge()


@shared_task
def count_board_kpis() -> int:
    """Every running district's KPI panel counted ahead of the boards that show it."""
    return count_kpis()
