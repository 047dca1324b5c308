"""Single sign-on (统一身份认证): which ledger account an identity of the identity service is.

Only a mapping row (SsoLink, made by a security or district admin) or, when SSO_MATCH_USERNAME
is on, an account of the same username lets an identity in. Nothing here creates an account
or grants a role; every refusal is an audit row and a reason the refusal page explains.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from campaigns.models import AuditKind, Duty, SsoLink, SsoProvider
from security.accounts import AccountRefused, duty_of, is_locked
from security.audit import audit_record

# Why the last single sign-on of this browser was refused, for the refusal page to say.
REFUSAL_KEY = "ledger_sso_refused"
UNMAPPED = "unmapped"
INACTIVE = "inactive"
LOCKED = "locked"
INVALID_TICKET = "invalid_ticket"
# The duties that keep their password login when SSO_ONLY is on.
LOCAL_LOGIN_DUTIES = frozenset({Duty.SECURITY, Duty.AUDIT})


def sso_account(request: HttpRequest, *, provider: str, subject: str, username: str = "") -> AbstractBaseUser | None:
    """The account this identity signs in as, or None (refused, audited, reason kept for the page)."""
    link = (
        SsoLink.objects.select_related("user").filter(provider=provider, subject=subject).first() if subject else None
    )
    user = link.user if link is not None else None
    if user is None and settings.SSO_MATCH_USERNAME and username:
        user = get_user_model().objects.filter(username=username).first()
    if user is None:
        reason = UNMAPPED
    elif not user.is_active:
        reason = INACTIVE
    elif is_locked(user.get_username()):
        reason = LOCKED
    else:
        request.session.pop(REFUSAL_KEY, None)
        return user
    sso_refuse(request, provider=provider, subject=subject, reason=reason, user=user, username=username)
    return None


def sso_refuse(
    request: HttpRequest,
    *,
    provider: str,
    subject: str,
    reason: str,
    user: AbstractBaseUser | None = None,
    username: str = "",
) -> None:
    """One audit row per refused sign-on, and the reason kept for the refusal page."""
    request.session[REFUSAL_KEY] = reason
    audit_record(
        AuditKind.SSO_REFUSED,
        request=request,
        user=user,
        username=user.get_username() if user is not None else username,
        target=f"{provider}:{subject}",
        success=False,
        reason=reason,
        provider=provider,
        subject=subject,
    )


def may_use_password(user: AbstractBaseUser | None) -> bool:
    """Under SSO_ONLY only the security and audit admins sign in with a password."""
    return not settings.SSO_ONLY or duty_of(user) in LOCAL_LOGIN_DUTIES


@transaction.atomic
def sso_link_create(*, actor: AbstractBaseUser, provider: str, subject: str, user: AbstractBaseUser) -> SsoLink:
    """Tie an identity to an existing account; an identity belongs to one account only."""
    subject = subject.strip()
    if provider not in SsoProvider.values or not subject:
        raise AccountRefused(_("请选择认证方式并填写统一身份认证账号。"))
    taken = SsoLink.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if taken is not None:
        raise AccountRefused(
            _("统一身份认证账号“%(subject)s”已关联本系统账号“%(username)s”，一个身份只能关联一个账号。")
            % {"subject": subject, "username": taken.user.get_username()}
        )
    link = SsoLink.objects.create(provider=provider, subject=subject, user=user, created_by=actor)
    audit_record(
        AuditKind.SSO_LINK,
        user=actor,
        target=user.get_username(),
        change="linked",
        provider=provider,
        subject=subject,
        account=user.get_username(),
    )
    return link


@transaction.atomic
def sso_link_remove(*, actor: AbstractBaseUser, link: SsoLink) -> None:
    audit_record(
        AuditKind.SSO_LINK,
        user=actor,
        target=link.user.get_username(),
        change="unlinked",
        provider=link.provider,
        subject=link.subject,
        account=link.user.get_username(),
    )
    link.delete()
