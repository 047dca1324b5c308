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


# --- one message for many acts ------------------------------------------------------------
#
# A busy district logs and closes many tickets a second; each owes the outbox a drain and
# each photo a thumbnail, but one queued drain (or thumbnail run) serves them all: it works
# through everything pending when it runs. Publishing a Celery message costs a request a few
# milliseconds; a marker in Redis says one is already on its way, and the task removes the
# marker when it starts, so an act after that start queues the next run. Without a shared
# cache (the embedded defaults) every act publishes, as before.

COALESCE_SECONDS = 30  # a lost message holds the marker this long at most; beat sweeps meanwhile


def enqueue_coalesced(task, marker, *args):
    from django.conf import settings
    from django.core.cache import cache

    if settings.REDIS_URL and not cache.add(marker, 1, COALESCE_SECONDS):
        return True  # a run is already queued and will pick this up
    if not enqueue(task, *args):
        cache.delete(marker)
        return False
    return True


def enqueue_coalesced_on_commit(task, marker, *args):
    transaction.on_commit(lambda: enqueue_coalesced(task, marker, *args))


def coalesced_run_started(marker):
    """Called first by the task: acts from now on need a run of their own."""
    from django.core.cache import cache

    cache.delete(marker)
