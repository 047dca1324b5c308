"""Handing work to Celery without making a request depend on the broker.

Whatever a task is asked to do is already in the database (a pending delivery, an outbox
row, a photo without its thumbnail, a summary being generated), so a message that cannot be
published while Redis is down is not lost: the periodic sweeps pick the work up when the
broker is back. A request never fails, or waits long, because the broker is unreachable.

Why not Celery's own `task.delay_on_commit()`: it publishes with the default retry policy
and lets a broker error escape from the commit hook, so with Redis down the request would
wait out the retries and then fail after its transaction had committed.
"""

import logging
from collections.abc import Iterable

from celery import Task
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

BROKER_DOWN = (OperationalError, ConnectionError, OSError)


def enqueue(task: Task, *args, **options) -> bool:
    """Publish `task(*args)` now; return False (and log) if the broker cannot be reached."""
    try:
        task.apply_async(args, retry=False, **options)
    except BROKER_DOWN as exc:
        log.warning("broker unreachable, %s(%s) left to the sweep: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task: Task, *args, **options) -> None:
    """Publish `task(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **options))


def enqueue_once_on_commit(task: Task, asked_key: str, seconds: int) -> None:
    """Ask for `task()` once the current transaction commits, unless it was asked for already
    and has not started yet: for a task that does all the work pending when it starts (it
    deletes `asked_key` first). Publishing costs a request about half a millisecond; a busy
    district's acts would otherwise each ask for the same drain.

    Whatever committed before the task deletes the key is seen by it; whatever commits after
    finds the key gone and asks again. An unanswered ask is forgotten after `seconds`, and one
    the broker refused at once, so the next act asks again.
    """

    def ask() -> None:
        if cache.add(asked_key, 1, seconds) and not enqueue(task):
            cache.delete(asked_key)

    transaction.on_commit(ask)


def enqueue_each(task: Task, ids: Iterable[int]) -> int:
    """Publish `task(pk)` for each id until the broker refuses one; return how many went out.

    The rest are pending rows already, which the sweeps find once the broker is back.
    """
    sent = 0
    for pk in ids:
        if not enqueue(task, pk):
            break
        sent += 1
    return sent
