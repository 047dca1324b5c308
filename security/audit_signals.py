"""Audit rows for acts that happen inside Django and its libraries: logins, roles, settings."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from campaigns.models import (
    AuditKind,
    Campaign,
    Membership,
    ReportingDuty,
    ReportSchedule,
    SecondFactorPolicy,
    UnitWebhook,
)
from security.audit import audit_record, lockout_burst_check
from security.middleware import session_start

# Account fields whose change is a change of power, not of a name.
POWER_FIELDS = ("is_active", "is_staff", "is_superuser")


# The backends that sign a person in through the identity service (统一身份认证).
SSO_BACKENDS = {"security.sso_backends.OIDCBackend": "oidc", "security.sso_backends.CASBackend": "cas"}


def on_login(sender, request, user, **kwargs):
    session_start(request, user)
    # login() names the backend that let the person in: the auditor sees which door it was.
    sso = SSO_BACKENDS.get(getattr(user, "backend", ""))
    audit_record(AuditKind.LOGIN, request=request, user=user, **({"sso": sso} if sso else {}))


def on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    idle = getattr(request, "_ledger_idle_logout", False)
    audit_record(AuditKind.IDLE_LOGOUT if idle else AuditKind.LOGOUT, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    if "username" not in (credentials or {}):
        return  # a single sign-on refusal: security.sso audited it, with its reason
    username = (credentials or {}).get("username", "") or ""
    user = get_user_model().objects.filter(username=username).first() if username else None
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        AuditKind.LOGIN_FAILED,
        request=request,
        user=user,
        username=username,
        success=False,
        reason="locked" if locked else "credentials",
    )


def on_locked_out(sender, request, username, ip_address, **kwargs):
    user = get_user_model().objects.filter(username=username).first() if username else None
    audit_record(AuditKind.LOCKOUT, request=request, user=user, username=username or "", success=False)
    lockout_burst_check()


def _membership_target(membership):
    return f"{membership.user} · {membership.unit} · {membership.get_role_display()}"


def on_membership_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    audit_record(
        AuditKind.ROLE_CHANGE,
        target=_membership_target(instance),
        district=instance.unit.district_id or instance.unit_id,
        change="granted" if created else "changed",
        account=instance.user.get_username(),
        role=instance.role,
    )


def on_membership_deleted(sender, instance, **kwargs):
    audit_record(
        AuditKind.ROLE_CHANGE,
        target=_membership_target(instance),
        district=instance.unit.district_id or instance.unit_id,
        change="revoked",
        account=instance.user.get_username(),
        role=instance.role,
    )


def on_user_pre_save(
    sender: type[AbstractBaseUser], instance: AbstractBaseUser, raw: bool = False, **kwargs: Any
) -> None:
    """A change of power is recorded as the account is saved, in the same transaction: the
    stored row is compared with the one about to be written (nothing is kept on the user)."""
    if raw or instance.pk is None or not _touches_powers(kwargs):
        return
    before = sender.objects.filter(pk=instance.pk).values(*POWER_FIELDS).first()
    if not before:
        return
    changed = {
        name: [before[name], getattr(instance, name)]
        for name in POWER_FIELDS
        if before[name] != getattr(instance, name)
    }
    if changed:
        audit_record(AuditKind.ROLE_CHANGE, target=instance.get_username(), account=instance.get_username(), **changed)


def _touches_powers(kwargs):
    fields = kwargs.get("update_fields")
    return fields is None or bool(set(fields) & set(POWER_FIELDS))


def on_user_saved(
    sender: type[AbstractBaseUser], instance: AbstractBaseUser, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and created:
        audit_record(AuditKind.ACCOUNT_CREATE, target=instance.get_username(), account=instance.get_username())


def on_user_m2m(sender, instance, action, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    relation = "groups" if sender is get_user_model().groups.through else "permissions"
    audit_record(
        AuditKind.ROLE_CHANGE,
        target=str(instance),
        change=f"{relation}:{action[5:]}",
        ids=sorted(pk_set or []),
    )


def on_settings_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    district = getattr(instance, "district_id", None)
    if district is None and getattr(instance, "campaign_id", None):
        district = instance.campaign.district_id
    if district is None and getattr(instance, "unit_id", None):
        district = instance.unit.district_id or instance.unit_id
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        target=f"{sender._meta.verbose_name}: {instance}",
        district=district,
        change="created" if created else "changed",
        model=sender._meta.label_lower,
        pk=instance.pk,
    )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    user_logged_out.connect(on_logout, dispatch_uid="audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit-lockout")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid="audit-membership-save")
    post_delete.connect(on_membership_deleted, sender=Membership, dispatch_uid="audit-membership-delete")
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="audit-user-pre")
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid="audit-user-save")
    m2m_changed.connect(on_user_m2m, sender=user_model.groups.through, dispatch_uid="audit-user-groups")
    m2m_changed.connect(on_user_m2m, sender=user_model.user_permissions.through, dispatch_uid="audit-user-perms")
    for model in (Campaign, ReportSchedule, ReportingDuty, UnitWebhook, SecondFactorPolicy):
        post_save.connect(on_settings_saved, sender=model, dispatch_uid=f"audit-settings-{model.__name__}")
