from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services.photos import photos_purge_abandoned


@shared_task
def purge_abandoned_uploads():
    return photos_purge_abandoned(timezone.now() - timedelta(days=1))
