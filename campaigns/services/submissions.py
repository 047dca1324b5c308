"""One form, one object: claiming a form's one-time submission key.

A create form carries a random key (campaigns/once.py puts it there). The key is written
under a unique index in the transaction that makes the object, with what it made and the
page that shows it. The same form sent again finds the key and is answered with the first
object (SubmissionRepeated); a copy sent at the same instant waits on the unique index while
the first transaction runs, then fails, rolls back whole and finds the first one the same way.

A key is its sender's, and its form's: sent by another account or on another form it makes
nothing and shows nothing of the first (SubmissionRefused).
"""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery import shared_task
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import SubmissionKey

# Ours are 32 characters of token_urlsafe; an offline queue may send its own (a UUID, with or
# without dashes), so any long random-looking token is taken.
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Long enough for any retry, offline queue or forgotten tab; the nightly purge drops older keys.
KEEP_DAYS = 30


class SubmissionRepeated(Exception):
    """The form was sent before: `first` says what that first send made and where it is shown."""

    def __init__(self, first: SubmissionKey) -> None:
        super().__init__(first.key)
        self.first = first


class SubmissionRefused(Exception):
    """The key was used by another account or on another form: nothing is made, nothing shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def submission_key_new() -> str:
    return secrets.token_urlsafe(24)


def is_submission_key(value: object) -> bool:
    return isinstance(value, str) and _KEY.fullmatch(value) is not None


def submission_check(key: str, user: User, kind: str) -> None:
    """Raise if `key` was used already: SubmissionRepeated for its own sender on its own form,
    SubmissionRefused for anyone or anything else. Return if it is unused."""
    first = SubmissionKey.objects.filter(key=key).first()
    if first is None:
        return
    if first.user_id != user.pk or first.kind != kind:
        raise SubmissionRefused(_("这张表单的提交编号已被使用，不能再次提交。请重新打开表单填写。"))
    raise SubmissionRepeated(first)


def submission_claim(*, key: str, user: User, kind: str, object_id: int | None = None, url: str = "") -> SubmissionKey:
    """Write `key` in the caller's transaction, which makes the object (what it made and its
    page may be given now or set later with submission_done).

    A key written already raises IntegrityError — at once, or as soon as the transaction that
    wrote it commits. Run the whole transaction inside `submission_once`, which turns that
    into SubmissionRepeated / SubmissionRefused once the transaction has rolled back.
    """
    if not is_submission_key(key):
        raise ValueError("a submission key is 16 to 64 letters, digits, '-' or '_'")
    return SubmissionKey.objects.create(key=key, user=user, kind=kind, object_id=object_id, response_url=url)


def submission_done(claim: SubmissionKey, *, object_id: int, url: str) -> None:
    """Note what the claimed submission made, in the same transaction."""
    claim.object_id, claim.response_url = object_id, url
    claim.save(update_fields=["object_id", "response_url"])


@contextmanager
def submission_once(key: str | None, user: User, kind: str) -> Iterator[None]:
    """Around a transaction that claims `key`: a unique violation on the key (someone sent the
    same form at the same time and won) becomes SubmissionRepeated or SubmissionRefused.

    Put it outside the transaction (`with submission_once(...), transaction.atomic():`), so the
    loser's work is rolled back whole before the winner is looked up.
    """
    try:
        yield
    except IntegrityError:
        if key:
            submission_check(key, user, kind)  # raises when the clash was the key
        raise


def submissions_purge(now: datetime | None = None, keep_days: int = KEEP_DAYS) -> int:
    """Forget keys older than `keep_days`: a form that old is opened afresh before it is sent."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _by_model = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="campaigns.tasks.purge_submission_keys")
def purge_submission_keys() -> int:
    """Forms' one-time keys past their keeping time (a form that old is opened afresh first)."""
    return submissions_purge()
