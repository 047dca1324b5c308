"""Handing work to Celery without making a request depend on the broker.

Whatever a task is asked to do is already in the database (a pending delivery, an outbox
row, a photo without its thumbnail, a summary being generated), so a message that cannot be
published while Redis is down is not lost: the periodic sweeps pick the work up when the
broker is back. A request never fails, or waits long, because the broker is unreachable.
"""

import logging

from asgiref.local import Local
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


# --- what a committed act asks of Redis, in one round trip ----------------------------------
#
# A 销号 commits, then moves its district's version on (every page that shows the district
# is stale) and marks an outbox drain as queued; a logged problem also marks a thumbnail run.
# Each is a Redis command and a round trip of its own, which a synchronous web worker waits
# out. Collected over the transaction, they go in one pipeline after it commits.

# What the transactions of this thread asked for and have not sent yet. Per thread, as
# Django keeps its connections: a thread builds one transaction at a time.
_unsent = Local()


def after_commit_batch(*, district=None, coalesce=None):
    """Within a transaction: on commit, touch `district`'s version and/or queue the coalesced
    run `coalesce` = (task, marker) — together with everything else this transaction asked."""
    from django.conf import settings

    connection = transaction.get_connection()
    if not settings.REDIS_URL or not connection.in_atomic_block:
        # No shared cache (or no transaction): each thing on its own, as before.
        if district is not None:
            from campaigns.selectors.board import board_invalidate

            transaction.on_commit(lambda: board_invalidate(district))
        if coalesce is not None:
            enqueue_coalesced_on_commit(*coalesce)
        return
    # Each request registers an on_commit callback of its own, so Django's bookkeeping of
    # savepoints and rollbacks applies to it; the first one to run sends what all pending
    # requests asked and the rest find nothing left. A request whose transaction rolled back
    # stays pending until the next commit sends it: one needless version step or drain run,
    # never a missed one.
    if not hasattr(_unsent, "requests"):
        _unsent.requests = []
    pending = _unsent.requests
    request = _AfterCommit(district, coalesce, pending)
    pending.append(request)
    transaction.on_commit(request)


class _AfterCommit:
    __slots__ = ("district", "coalesce", "pending")

    def __init__(self, district, coalesce, pending):
        self.district, self.coalesce, self.pending = district, coalesce, pending

    def __call__(self):
        if self not in self.pending:
            return  # sent with an earlier one of the same commit
        requests, self.pending[:] = list(self.pending), []
        _flush(
            {r.district for r in requests if r.district is not None},
            {r.coalesce[1]: r.coalesce[0] for r in requests if r.coalesce is not None},
        )


def _flush(districts, runs):
    from django.core.cache import cache

    from infra.fragments import district_touch, version_key

    districts = sorted(districts)
    results = cache.pipeline_after_commit(
        incr=[version_key(d) for d in districts], set_nx={marker: COALESCE_SECONDS for marker in runs}
    )
    if results is None:  # Redis unreachable: the work waits in the database for beat's sweeps
        return
    versions, marked = results
    for district, value in zip(districts, versions, strict=True):
        if value is None:
            district_touch(district)  # a counter that was not there starts from the clock
    for marker, task in runs.items():
        if marked.get(marker) and not enqueue(task):
            cache.delete(marker)
