"""Cache versions that setup changes bump, so cached choices never outlive the data."""

import time

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

CHOICES_VERSION_KEY = "choices:version"
SCOPE_VERSION_KEY = "scope:version"


def choices_version():
    version = cache.get(CHOICES_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(CHOICES_VERSION_KEY, version, None)
    return version


def scope_version():
    version = cache.get(SCOPE_VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(SCOPE_VERSION_KEY, version, None)
        version = cache.get(SCOPE_VERSION_KEY, version)
    return version


def bump_scope_version(**kwargs):
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login", "password"}:
        return  # a login or a password change does not change anyone's reach
    try:
        cache.incr(SCOPE_VERSION_KEY)
    except ValueError:
        cache.set(SCOPE_VERSION_KEY, time.time_ns(), None)


def unread_key(user_id):
    return f"unread:{user_id}"


def forget_unread(**kwargs):
    instance = kwargs.get("instance")
    if instance is not None:
        cache.delete(unread_key(instance.recipient_id))


def bump_choices_version(**kwargs):
    try:
        cache.incr(CHOICES_VERSION_KEY)
    except ValueError:
        cache.set(CHOICES_VERSION_KEY, 2, None)


def bump_choices_version_on_members(action, **kwargs):
    if action.startswith("post_"):
        bump_choices_version()


def connect():
    from django.contrib.auth import get_user_model

    from .models import (
        AssessmentArea,
        Campaign,
        InspectionPoint,
        Membership,
        Notification,
        OrgUnit,
        ProblemCategory,
        WorkGroup,
    )

    # Who may see what: any change to memberships, units or accounts drops every cached scope.
    for model in (Membership, OrgUnit, get_user_model()):
        post_save.connect(bump_scope_version, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(bump_scope_version, sender=model, dispatch_uid=f"scope-{model.__name__}-delete")
    post_save.connect(forget_unread, sender=Notification, dispatch_uid="unread-save")

    # Reference data: choice lists, and what requests validate against (campaigns/reference.py).
    for model in (OrgUnit, AssessmentArea, ProblemCategory, WorkGroup, InspectionPoint, Campaign):
        post_save.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-save")
        post_delete.connect(bump_choices_version, sender=model, dispatch_uid=f"choices-{model.__name__}-delete")
    # Who is in which finder group (a logged problem is credited to the reporter's group).
    m2m_changed.connect(
        bump_choices_version_on_members, sender=WorkGroup.members.through, dispatch_uid="choices-group-members"
    )
