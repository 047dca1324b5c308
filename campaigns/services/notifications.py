"""Telling people: in-app notifications, e-mail and group-robot webhooks.

`notify()` records what is to be sent before anything leaves: a Notification per person
and a Delivery per outside channel, each unique per occasion, so a second beat, a retried
task or a second worker finds the row and sends nothing new. Deliveries then go out one by
one in their own Celery task; a failing channel is retried with backoff and never holds up
the others.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    HotlineSettings,
    Notification,
    UnitWebhook,
    WebhookFlavor,
)
from campaigns.queue import enqueue_each
from campaigns.signals import unread_key
from infra.signing import signed_headers

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


@dataclass
class Message:
    district_id: int
    kind: str
    occasion: str
    title: str
    body: str = ""
    link: str = ""
    user_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)


def _absolute(link: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{link}" if link.startswith("/") and base else link


def notify(message: Message) -> list[int]:
    """Record the message for each person and each robot; return the new deliveries' ids.

    People and robots already told on this occasion are skipped; the caller enqueues only
    the returned deliveries, after the transaction commits.
    """
    new_deliveries: list[int] = []
    users = get_user_model().objects.filter(pk__in=set(message.user_ids), is_active=True)
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.create(
                    recipient=user,
                    district_id=message.district_id,
                    kind=message.kind,
                    occasion=message.occasion,
                    title=message.title,
                    body=message.body,
                    link=message.link,
                )
        except IntegrityError:
            continue  # told already: at most once per person and occasion
        if user.email:
            delivery = _delivery(message, DeliveryChannel.EMAIL, f"user:{user.pk}")
            if delivery:
                new_deliveries.append(delivery.pk)
    for webhook in UnitWebhook.objects.filter(unit_id__in=set(message.unit_ids), is_active=True):
        delivery = _delivery(message, DeliveryChannel.WEBHOOK, f"webhook:{webhook.pk}")
        if delivery:
            new_deliveries.append(delivery.pk)
    return new_deliveries


def _delivery(message: Message, channel: str, target: str) -> Delivery | None:
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                district_id=message.district_id,
                channel=channel,
                target=target,
                occasion=message.occasion,
                kind=message.kind,
                title=message.title,
                body=message.body,
                link=message.link,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return None


class DeliveryFailed(Exception):
    """A channel refused or could not be reached; the task retries with backoff."""


def _send_email(delivery: Delivery) -> None:
    user = get_user_model().objects.get(pk=int(delivery.target.split(":")[1]))
    if not user.email:
        return
    body = delivery.body + (f"\n\n{_absolute(delivery.link)}" if delivery.link else "")
    send_mail(f"[创卫台账] {delivery.title}", body, None, [user.email], fail_silently=False)


def webhook_payload(webhook: UnitWebhook, delivery: Delivery) -> dict[str, Any]:
    text = f"### {delivery.title}\n\n{delivery.body}"
    if delivery.link:
        text += f"\n\n[查看详情]({_absolute(delivery.link)})"
    if webhook.flavor == WebhookFlavor.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if webhook.flavor == WebhookFlavor.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": delivery.title, "text": text}}
    return {
        "title": delivery.title,
        "text": delivery.body,
        "link": _absolute(delivery.link),
        "kind": delivery.kind,
        "occasion": delivery.occasion,
    }


def webhook_url(webhook: UnitWebhook) -> str:
    """DingTalk's 加签: timestamp and an HMAC-SHA256 signature as query parameters."""
    if webhook.flavor != WebhookFlavor.DINGTALK or not webhook.secret:
        return webhook.url
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(webhook.secret.encode(), f"{timestamp}\n{webhook.secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in webhook.url else "?"
    return f"{webhook.url}{separator}timestamp={timestamp}&sign={sign}"


def _post(url: str, data: bytes, headers: dict[str, str]) -> bytes:
    """POST `data` as JSON; the answer's first 64 KB. Any refusal or network error is DeliveryFailed."""
    # urlopen would also read file:// and ftp://; a row written past the form's validation must not.
    if not url.lower().startswith(("http://", "https://")):
        raise DeliveryFailed(f"not an http(s) address: {url[:60]}")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json; charset=utf-8", **headers}, method="POST"
    )
    try:
        # nosec B310 # the scheme is checked just above; the address is set by the district admin
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:  # noqa: S310  # nosec B310
            return response.read(65536)
    except OSError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def _send_webhook(delivery: Delivery) -> None:
    """Every robot message is signed (X-Ledger-Timestamp, X-Ledger-Signature) with the robot's
    own secret; DingTalk's 加签, when set, rides in the query string besides."""
    webhook = UnitWebhook.objects.get(pk=int(delivery.target.split(":")[1]))
    data = json.dumps(webhook_payload(webhook, delivery), ensure_ascii=False).encode()
    raw = _post(webhook_url(webhook), data, signed_headers(webhook.signing_secret, data))
    if webhook.flavor in (WebhookFlavor.WECOM, WebhookFlavor.DINGTALK):
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise DeliveryFailed(f"robot answered something that is not JSON: {raw[:200]!r}") from None
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"robot refused: errcode={answer.get('errcode')} {answer.get('errmsg', '')}")


def _send_hotline(delivery: Delivery) -> None:
    """The hotline's event (its JSON kept in the delivery's body), signed with the district's
    回传签名密钥; any 2xx answer is taken as received."""
    link = HotlineSettings.objects.get(pk=int(delivery.target.split(":")[1]))
    if not link.enabled or not link.outbound_url:
        raise DeliveryFailed("12345 回传未启用或没有回传地址")
    data = delivery.body.encode()
    _post(link.outbound_url, data, signed_headers(link.outbound_secret, data))


SENDERS: dict[str, Callable[[Delivery], None]] = {
    DeliveryChannel.EMAIL: _send_email,
    DeliveryChannel.WEBHOOK: _send_webhook,
    DeliveryChannel.HOTLINE: _send_hotline,
}


def retry_delay(attempts: int) -> timedelta:
    """Backoff: 1, 2, 4, 8, 16 minutes …"""
    return timedelta(minutes=2 ** max(0, attempts - 1))


def deliver(delivery_id: int) -> str:
    """Send one delivery unless it was sent already; record the outcome either way.

    The row lock keeps two workers from sending the same delivery at once. Returns the
    delivery's status; raises DeliveryFailed when it should be tried again later.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        if delivery is None:
            return "busy"
        if delivery.status == DeliveryStatus.SENT:
            return DeliveryStatus.SENT
        delivery.attempts += 1
        try:
            SENDERS[delivery.channel](delivery)
        except Exception as exc:  # noqa: BLE001 - any channel error is recorded and retried
            delivery.last_error = str(exc)[:2000]
            final = delivery.attempts >= MAX_ATTEMPTS
            delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
            delivery.next_attempt_at = None if final else timezone.now() + retry_delay(delivery.attempts)
            delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
            if final:
                return DeliveryStatus.FAILED
            failed = DeliveryFailed(delivery.last_error)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            delivery.next_attempt_at = None
            delivery.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
            return DeliveryStatus.SENT
    raise failed


def deliveries_due(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Deliveries whose retry time has come, for the sweeper (a lost task message is not a lost reminder)."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    marked = unread.update(read_at=timezone.now())
    cache.delete(unread_key(user.pk))
    return marked


@shared_task(
    bind=True,
    name="campaigns.tasks.deliver_one",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS,
)
def deliver_one(self: Task, delivery_id: int) -> str:
    return deliver(delivery_id)


def deliveries_send(delivery_ids: Iterable[int]) -> None:
    """One task per delivery, so a failing channel never holds up the others. With the broker
    down the rest stay pending for resend_due_deliveries."""
    enqueue_each(deliver_one, delivery_ids)


@shared_task(name="campaigns.tasks.resend_due_deliveries")
def resend_due_deliveries() -> int:
    """Deliveries whose retry time came but whose task message was lost (a broker restart)."""
    ids = deliveries_due()
    deliveries_send(ids)
    return len(ids)
