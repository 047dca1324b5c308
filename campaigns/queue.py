"""Handing work to Celery without making a request depend on the broker.

Whatever a task is asked to do is already in the database (a pending delivery, an outbox
row, a photo without its thumbnail, a summary being generated), so a message that cannot be
published while Redis is down is not lost: the periodic sweeps pick the work up when the
broker is back. A request never fails, or waits long, because the broker is unreachable.
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

BROKER_DOWN = (OperationalError, ConnectionError, OSError)


def enqueue(task, *args, **options):
    """Publish `task(*args)` now; return False (and log) if the broker cannot be reached."""
    try:
        task.apply_async(args, retry=False, **options)
    except BROKER_DOWN as exc:
        log.warning("broker unreachable, %s(%s) left to the sweep: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task, *args, **options):
    transaction.on_commit(lambda: enqueue(task, *args, **options))
