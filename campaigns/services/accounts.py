"""Accounts and roles, as the security admin (安全管理员) changes them. Every change is audited.

The three system powers are one field per account (AccountProfile.duty), so no person can
hold two; nobody changes their own powers; a system admin's Django-admin access follows
the duty instead of being granted by hand.
"""

import secrets
import string

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.audit import audit_record
from campaigns.models import AccountProfile, AuditKind, Duty, Membership, Role
from campaigns.passwords import password_record


class AccountRefused(Exception):
    """A change the rules do not allow; the message says why, in the user's language."""


def profile_of(user):
    profile = getattr(user, "_ledger_profile", None)
    if profile is None:
        profile = AccountProfile.objects.filter(user_id=user.pk).first() or AccountProfile(
            user=user, password_changed_at=user.date_joined
        )
        user._ledger_profile = profile
    return profile


def duty_of(user):
    if user is None or not user.is_authenticated:
        return ""
    return profile_of(user).duty


def temporary_password():
    """Twelve characters from every class, for the person to replace at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(10))
        password = f"{core}{secrets.choice('@#%+=')}{secrets.choice(string.digits)}"
        if any(c.islower() for c in password) and any(c.isupper() for c in password):
            return password


def _not_self(actor, user):
    if actor.pk == user.pk:
        raise AccountRefused(_("不能修改自己的账号权限，请由另一位安全管理员操作。"))


@transaction.atomic
def account_create(*, actor, username, full_name, email="", duty="", unit=None, role="", phone=""):
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(_("账号“%(username)s”已存在，每人一个账号，不能重复。") % {"username": username})
    password = temporary_password()
    user = User(username=username, first_name=full_name, email=email, is_staff=duty == Duty.SYSTEM)
    user.set_password(password)
    user.save()
    password_record(user, must_change=True)
    AccountProfile.objects.filter(user=user).update(duty=duty)
    if unit is not None and role:
        Membership.objects.create(user=user, unit=unit, role=role, phone=phone)
    if duty:
        audit_record(AuditKind.ROLE_CHANGE, user=actor, target=username, account=username, duty=[None, duty])
    return user, password


@transaction.atomic
def account_update(*, actor, user, full_name, email, is_active, duty):
    profile = profile_of(user)
    old_duty = profile.duty
    if (duty != old_duty or not is_active) and actor.pk == user.pk:
        _not_self(actor, user)
    changes = {}
    if user.first_name != full_name or user.email != email:
        changes["profile"] = True
    user.first_name, user.email, user.is_active = full_name, email, is_active
    # The Django admin is the system admin's tool; district admins keep their district's part.
    if duty == Duty.SYSTEM:
        user.is_staff = True
    elif old_duty == Duty.SYSTEM or duty:
        user.is_staff = duty == "" and Membership.objects.filter(user=user, role=Role.ADMIN).exists()
    user.save()
    if duty != old_duty:
        AccountProfile.objects.update_or_create(user=user, defaults={"duty": duty})
        user._ledger_profile = None
        audit_record(AuditKind.ROLE_CHANGE, user=actor, target=user.get_username(), duty=[old_duty, duty])
    if changes:
        audit_record(AuditKind.ACCOUNT_CHANGE, user=actor, target=user.get_username(), **changes)
    return user


@transaction.atomic
def account_password_reset(*, actor, user):
    _not_self(actor, user)
    password = temporary_password()
    user.set_password(password)
    user.save()
    password_record(user, must_change=True)
    audit_record(AuditKind.PASSWORD_RESET, user=actor, target=user.get_username())
    return password


def account_unlock(*, actor, user):
    from axes.utils import reset

    reset(username=user.get_username())
    audit_record(AuditKind.UNLOCK, user=actor, target=user.get_username())


@transaction.atomic
def account_second_factor_reset(*, actor, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _not_self(actor, user)
    removed, _details = TOTPDevice.objects.filter(user=user).delete()
    audit_record(AuditKind.ROLE_CHANGE, user=actor, target=user.get_username(), second_factor="reset", removed=removed)


@transaction.atomic
def membership_grant(*, actor, user, unit, role, phone=""):
    _not_self(actor, user)
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role, defaults={"phone": phone})
    if not created and membership.phone != phone:
        membership.phone = phone
        membership.save(update_fields=["phone"])
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership):
    _not_self(actor, membership.user)
    membership.delete()


def is_locked(username):
    from axes.helpers import get_failure_limit
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    cutoff = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(username=username, attempt_time__gte=cutoff).values_list(
        "failures_since_start", flat=True
    )
    return any(count >= get_failure_limit(None, {}) for count in failures)
