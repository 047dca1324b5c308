"""Accounts and roles, as the security admin (安全管理员) changes them. Every change is audited.

The three system powers are one field per account (AccountProfile.duty), so no person can
hold two; nobody changes their own powers; a system admin's Django-admin access follows
the duty instead of being granted by hand. A duty and a ledger role are never one account's
(三权分立; the database refuses it too), and a duty holder's password is never shown to the
security admin who sets it: it goes to the holder's own mailbox.
"""

import secrets
import smtplib
import string

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import AccountProfile, AuditKind, Duty, Membership, Role
from security.audit import audit_record
from security.passwords import password_record


class AccountRefused(Exception):
    """A change the rules do not allow; the message says why, in the user's language."""


def profile_of(user: AbstractBaseUser) -> AccountProfile:
    return AccountProfile.objects.filter(user_id=user.pk).first() or AccountProfile(
        user=user, password_changed_at=user.date_joined
    )


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


def _duty_held(user):
    """The account's duty as stored now (not the copy cached on the user object)."""
    return AccountProfile.objects.filter(user=user).values_list("duty", flat=True).first() or ""


def _no_role_for_duty_holder(user):
    duty = _duty_held(user)
    if duty:
        raise AccountRefused(
            _("账号“%(username)s”担任%(duty)s，不能再授予单位角色（三权分立）。如需参与台账工作，请另开一个账号。")
            % {"username": user.get_username(), "duty": Duty(duty).label}
        )


def _no_duty_for_role_holder(user, duty):
    units = list(
        Membership.objects.filter(user=user).order_by("unit__name").values_list("unit__name", flat=True).distinct()
    )
    if units:
        raise AccountRefused(
            _(
                "账号“%(username)s”在%(units)s担任单位角色，不能再担任%(duty)s（三权分立）。"
                "请先收回其全部单位角色，或为系统职责另开一个账号。"
            )
            % {"username": user.get_username(), "units": "、".join(units), "duty": Duty(duty).label}
        )


# --- a duty holder's password goes to the holder's mailbox ---------------------------------


def mail_configured():
    """Can this instance send mail at all? The dummy backend and SMTP without a host cannot."""
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.dummy.EmailBackend":
        return False
    return not (backend == "django.core.mail.backends.smtp.EmailBackend" and not settings.EMAIL_HOST)


def masked_address(email):
    name, _at, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _holder_address(*, actor, user, username, email):
    """The address a duty holder's password may go to, or AccountRefused saying why not."""
    if not email:
        raise AccountRefused(
            _(
                "账号“%(username)s”没有登记电子邮箱。担任系统职责的账号，密码只发送到本人邮箱，"
                "不在页面上显示；请先填写本人的电子邮箱。"
            )
            % {"username": username}
        )
    if not mail_configured():
        raise AccountRefused(
            _(
                "本系统未配置邮件发送，不能为担任系统职责的账号设置密码：密码只能发给本人，不能显示给他人。"
                "请系统管理员先配置邮件（EMAIL_HOST 等）。"
            )
        )
    _not_anothers_address(actor=actor, user=user, email=email)
    return email


def _not_anothers_address(*, actor, user, email):
    others = get_user_model().objects.filter(email__iexact=email, profile__duty__gt="")
    if user is not None:
        others = others.exclude(pk=user.pk)
    other = others.values_list("username", flat=True).first()
    if other is None and actor.pk != getattr(user, "pk", None) and actor.email.lower() == email.lower():
        other = actor.get_username()
    if other is not None:
        raise AccountRefused(
            _("邮箱 %(email)s 也是账号“%(other)s”的邮箱。密码必须发到账号本人的邮箱，请核对后再试。")
            % {"email": email, "other": other}
        )


def _send(subject, body, address):
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise AccountRefused(
            _("邮件没有发出（%(error)s），没有做任何改变。请系统管理员检查邮件设置后再试。")
            % {"error": type(exc).__name__}
        ) from exc


def _address_change_told(*, actor, user, old, new):
    """A duty holder's mailbox is where their passwords go: the old address hears of a change,
    so nobody can quietly point it at a mailbox of their own and then reset the password."""
    if new:
        _not_anothers_address(actor=actor, user=user, email=new)
    if not old or not mail_configured():
        return  # without mail no password is ever sent anywhere; the audit row keeps both
    context = {
        "name": user.first_name or user.get_username(),
        "username": user.get_username(),
        "actor": actor.first_name or actor.get_username(),
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "new": new or _("（空）"),
    }
    body = "\n\n".join(
        [
            _("%(name)s，您好：安全管理员 %(actor)s 于 %(at)s 把您的账号“%(username)s”的电子邮箱改为 %(new)s。")
            % context,
            _("以后的新密码会发到新的邮箱。如果这不是您本人要求的，请立即联系审计管理员。"),
        ]
    )
    _send(_("[创卫台账] 您的账号邮箱已更改"), body, old)


def _mail_password(*, actor, user, password, created):
    """Send the one-time password to its holder; a failure undoes the change (we are in its transaction)."""
    context = {
        "name": user.first_name or user.get_username(),
        "username": user.get_username(),
        "actor": actor.first_name or actor.get_username(),
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "password": password,
    }
    if created:
        subject = _("[创卫台账] 您的账号已开通")
        opening = _("%(name)s，您好：安全管理员 %(actor)s 于 %(at)s 为您开通了账号“%(username)s”。") % context
    else:
        subject = _("[创卫台账] 您的密码已重置")
        opening = _("%(name)s，您好：安全管理员 %(actor)s 于 %(at)s 重置了您的账号“%(username)s”的密码。") % context
    body = "\n\n".join(
        [
            opening,
            _("一次性密码：%(password)s") % context,
            _("请尽快登录，并按提示设置只有您自己知道的新密码；一次性密码只能用于这次登录。"),
            _("如果这不是您本人要求的，请立即联系审计管理员。"),
        ]
    )
    _send(subject, body, user.email)


@transaction.atomic
def account_create(*, actor, username, full_name, email="", duty="", unit=None, role="", phone=""):
    """A new account and its one-time password: (user, password), or (user, None) when the
    password went to the holder's mailbox (an account with a system duty)."""
    User = get_user_model()
    if duty and (unit is not None or role):
        raise AccountRefused(_("系统职责和单位角色不能由同一个账号担任（三权分立），请分别建两个账号。"))
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(_("账号“%(username)s”已存在，每人一个账号，不能重复。") % {"username": username})
    if duty:
        _holder_address(actor=actor, user=None, username=username, email=email)
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
        _mail_password(actor=actor, user=user, password=password, created=True)
        return user, None
    return user, password


@transaction.atomic
def account_update(*, actor, user, full_name, email, is_active, duty):
    profile = profile_of(user)
    old_duty = profile.duty
    if (duty != old_duty or not is_active) and actor.pk == user.pk:
        _not_self(actor, user)
    if duty:
        _no_duty_for_role_holder(user, duty)
    changes = {}
    if user.first_name != full_name:
        changes["profile"] = True
    if user.email != email:
        # Where a duty holder's next password will be mailed: the auditor sees both addresses.
        changes["email"] = [user.email, email]
        if (old_duty or duty) and user.email.lower() != email.lower():
            _address_change_told(actor=actor, user=user, old=user.email, new=email)
    user.first_name, user.email, user.is_active = full_name, email, is_active
    # The Django admin is the system admin's tool; district admins keep their district's part.
    if duty == Duty.SYSTEM:
        user.is_staff = True
    elif old_duty == Duty.SYSTEM or duty:
        user.is_staff = duty == "" and Membership.objects.filter(user=user, role=Role.ADMIN).exists()
    user.save()
    if duty != old_duty:
        AccountProfile.objects.update_or_create(user=user, defaults={"duty": duty})
        audit_record(AuditKind.ROLE_CHANGE, user=actor, target=user.get_username(), duty=[old_duty, duty])
    if changes:
        audit_record(AuditKind.ACCOUNT_CHANGE, user=actor, target=user.get_username(), **changes)
    return user


@transaction.atomic
def account_password_reset(*, actor, user):
    """A new one-time password: returned to show once for an ordinary account; for a duty
    holder mailed to the holder and None returned, so no other duty holder ever sees it."""
    _not_self(actor, user)
    duty = _duty_held(user)
    if duty:
        _holder_address(actor=actor, user=user, username=user.get_username(), email=user.email)
    password = temporary_password()
    user.set_password(password)
    user.save()
    password_record(user, must_change=True)
    if duty:
        audit_record(AuditKind.PASSWORD_RESET, user=actor, target=user.get_username(), mailed_to=user.email)
        _mail_password(actor=actor, user=user, password=password, created=False)
        return None
    audit_record(AuditKind.PASSWORD_RESET, user=actor, target=user.get_username())
    return password


def account_unlock(*, actor, user):
    reset(username=user.get_username())
    audit_record(AuditKind.UNLOCK, user=actor, target=user.get_username())


@transaction.atomic
def account_second_factor_reset(*, actor, user):
    _not_self(actor, user)
    removed, _details = TOTPDevice.objects.filter(user=user).delete()
    audit_record(AuditKind.ROLE_CHANGE, user=actor, target=user.get_username(), second_factor="reset", removed=removed)


@transaction.atomic
def membership_grant(*, actor, user, unit, role, phone=""):
    _not_self(actor, user)
    _no_role_for_duty_holder(user)
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role, defaults={"phone": phone})
    if not created and membership.phone != phone:
        membership.phone = phone
        membership.save(update_fields=["phone"])
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership):
    _not_self(actor, membership.user)
    membership.delete()


def lock_ends_at(username):
    """When a locked account opens again, or None if it is not locked.

    axes adds up the failures of the rows (one per address and browser) within the cool-off
    window; the lock lasts until the row that brought the sum to the limit leaves the window.
    """
    cutoff = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=cutoff)
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    limit = get_failure_limit(None, {})
    total = 0
    for attempt_time, failures in rows:
        total += failures
        if total >= limit:
            return attempt_time + settings.AXES_COOLOFF_TIME
    return None


def is_locked(username):
    return lock_ends_at(username) is not None
