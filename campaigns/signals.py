"""Cache versions that setup changes bump, so cached scopes and choices never outlive the data."""

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from infra.request_memo import memo_forget, memo_get_many, memo_set

from .models import (
    AssessmentArea,
    Campaign,
    ClosingLevel,
    InspectionPoint,
    Membership,
    Notification,
    OrgUnit,
    ProblemCategory,
    WorkGroup,
)

CHOICES_VERSION_KEY = "choices:version"
SCOPE_VERSION_KEY = "scope:version"


def _version(key: str) -> int:
    version = memo_get_many([key]).get(key)
    if version is None:
        # Unknown (first use, or after a flush): start from the clock, never from a number
        # used before, so no entry kept under an old version can be reached again.
        cache.add(key, time.time_ns(), None)
        version = cache.get(key, time.time_ns())
        memo_set(key, version)
    return version


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, time.time_ns(), None)
    memo_forget(key)  # this request reads the new version from now on


def choices_version() -> int:
    """Moves on with any change to reference data: districts, units, areas, categories,
    work groups and their members, points, campaigns."""
    return _version(CHOICES_VERSION_KEY)


def scope_version() -> int:
    """Moves on with any change to memberships, units or accounts."""
    return _version(SCOPE_VERSION_KEY)


def bump_scope_version(**kwargs: Any) -> None:
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login", "password"}:
        return  # a login or a password change does not change anyone's reach
    _bump(SCOPE_VERSION_KEY)


def unread_key(user_id: int) -> str:
    return f"unread:{user_id}"


def inspector_key(user_id: int) -> str:
    """Whether the person is on the team of a round still open (the nav's 我的检查)."""
    return f"inspector:{user_id}"


def forget_unread(**kwargs: Any) -> None:
    instance = kwargs.get("instance")
    if instance is not None:
        cache.delete(unread_key(instance.recipient_id))
        memo_forget(unread_key(instance.recipient_id))


def bump_choices_version(**kwargs: Any) -> None:
    _bump(CHOICES_VERSION_KEY)


def bump_choices_version_on_members(action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        bump_choices_version()
        # A work group may be a level of the 销号 chain: its members' reach changed too.
        _bump(SCOPE_VERSION_KEY)


def connect() -> None:
    # Who may see what: any change to memberships, units or accounts drops every cached scope.
    for model in (Membership, OrgUnit, get_user_model()):
        post_save.connect(bump_scope_version, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(bump_scope_version, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    post_save.connect(forget_unread, sender=Notification, dispatch_uid="unread-save")

    # Reference data: choice lists, and what requests validate against (campaigns/reference.py).
    for model in (OrgUnit, AssessmentArea, ProblemCategory, WorkGroup, InspectionPoint, Campaign, ClosingLevel):
        post_save.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-save")
        post_delete.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-delete")
    # Who is in which finder group (a logged problem is credited to the reporter's group).
    m2m_changed.connect(
        bump_choices_version_on_members, sender=WorkGroup.members.through, dispatch_uid="choices-group-members"
    )
