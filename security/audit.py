"""The security audit log: one row per security-relevant act, written where the act happens.

Logins, logouts and lockouts come from Django's and axes' signals; role, account and
settings changes from model signals; exports, downloads and 销号 from the code that does
them. The request being served (kept by RequestIdMiddleware) supplies who, from where, and
the request id, so a signal handler far from the view still records them.
"""

import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import AuditEvent, AuditKind, Duty, NotificationKind
from campaigns.services.notifications import Message, notify
from infra.request_log import current_request

# The logger keeps the name it had before the module moved: log collectors (SIEM) match on it.
log = logging.getLogger("campaigns.audit")


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the hop a trusted proxy recorded before it."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_record(kind, *, request=None, user=None, username="", district=None, target="", success=True, **details):
    """Write one audit row. Never lets a failure to audit pass silently, never breaks the act."""
    request = request or current_request.get()
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    if user is not None and not getattr(user, "pk", None):
        user = None
    event = AuditEvent(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        district_id=district if isinstance(district, int) or district is None else district.pk,
        target=str(target)[:200],
        ip=client_ip(request),
        success=success,
        details=details,
        request_id=getattr(request, "request_id", "")[:40] if request is not None else "",
    )
    event.save()  # append-only: a new row each time
    # The same act in the log stream too, for whoever collects logs centrally (SIEM).
    log.log(
        logging.INFO if success else logging.WARNING,
        "audit %s user=%s target=%s ip=%s success=%s",
        kind,
        event.username,
        event.target,
        event.ip,
        success,
    )
    return event


def audit_purge(now=None):
    """Drop rows older than the retention period (never less than 180 days); return how many."""
    keep = max(180, settings.AUDIT_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=keep)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_auditevent WHERE at < %s", [cutoff])
        return cursor.rowcount


def lockout_burst_check(now=None):
    """When several accounts are locked within a short window, tell the security admins once."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.LOCKOUT_ALERT_MINUTES)
    recent = AuditEvent.objects.filter(kind=AuditKind.LOCKOUT, at__gte=now - window)
    count = recent.count()
    if count < settings.LOCKOUT_ALERT_COUNT:
        return []
    admins = list(
        get_user_model().objects.filter(profile__duty=Duty.SECURITY, is_active=True).values_list("pk", flat=True)
    )
    if not admins:
        log.error("lockout burst (%s in %s) and no security admin to tell", count, window)
        return []
    # One alert per window: the occasion is the window the burst fell in.
    bucket = int(now.timestamp() // window.total_seconds())
    names = sorted(set(recent.values_list("username", flat=True)))
    with transaction.atomic():
        return notify(
            Message(
                district_id=None,
                kind=NotificationKind.SECURITY_ALERT,
                occasion=f"lockout-burst:{bucket}",
                title=_("%(minutes)s 分钟内 %(count)s 次账号锁定，请核查")
                % {"minutes": settings.LOCKOUT_ALERT_MINUTES, "count": count},
                body=_("被锁定的账号：%(names)s") % {"names": "、".join(names)},
                link="/security/audit/?kind=lockout",
                user_ids=admins,
            )
        )
