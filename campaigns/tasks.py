"""Celery tasks: load, call a service, return. Business rules live in services/."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .services.notifications import MAX_ATTEMPTS, DeliveryFailed, deliver, deliveries_due
from .services.photos import photos_purge_abandoned
from .services.reminders import reminders_run
from .services.submissions import submissions_purge


@shared_task
def purge_abandoned_uploads():
    return photos_purge_abandoned(timezone.now() - timedelta(days=1))


@shared_task
def make_photo_thumbnail(photo_id):
    from .services.photos import photo_thumbnail_create

    return photo_thumbnail_create(photo_id)


@shared_task
def make_pending_thumbnails():
    from .queue import coalesced_run_started
    from .services.photos import THUMBNAILS_MARKER, photo_thumbnails_pending

    coalesced_run_started(THUMBNAILS_MARKER)
    return photo_thumbnails_pending()


@shared_task
def send_due_reminders():
    ids = reminders_run()
    transaction.on_commit(lambda: _send(ids))
    return len(ids)


def _send(delivery_ids):
    from .queue import enqueue

    for pk in delivery_ids:
        if not enqueue(deliver_one, pk):
            return  # broker gone: the pending deliveries wait for resend_due_deliveries


@shared_task
def drain_outbox():
    from .queue import coalesced_run_started
    from .services.outbox import DRAIN_MARKER, outbox_drain

    coalesced_run_started(DRAIN_MARKER)
    ids = outbox_drain()
    _send(ids)
    return len(ids)


@shared_task
def worker_heartbeat():
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name="worker", defaults={"at": timezone.now()})


@shared_task
def sweep_left_work():
    """What a lost message left undone: photos without thumbnails, summaries never started."""
    from .services.sweeps import sweep_left_work as sweep

    return sweep()


@shared_task
def purge_audit_log():
    from security.audit import audit_purge

    return audit_purge()


@shared_task
def purge_submission_keys():
    """Forms' one-time keys past their keeping time (a form that old is opened afresh first)."""
    return submissions_purge()


@shared_task(
    bind=True,
    autoretry_for=(DeliveryFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS,
)
def deliver_one(self, delivery_id):
    return deliver(delivery_id)


@shared_task
def resend_due_deliveries():
    ids = deliveries_due()
    _send(ids)
    return len(ids)


@shared_task
def generate_monthly_summary(summary_id):
    from .models import MonthlySummary
    from .services.monthly import summary_failed, summary_generate

    try:
        return summary_generate(MonthlySummary.objects.get(pk=summary_id)).pk
    except Exception as exc:
        summary_failed(summary_id, exc)
        raise
