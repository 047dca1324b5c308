"""The outbox: what a ticket act owes people, written in the act's own transaction.

The act adds one OutboxItem and asks Celery to drain the outbox after commit. If Redis is
down at that moment, the request still succeeds and the item waits; the periodic drain on
beat sends it when the broker is back. Draining takes one item per transaction, so a worker
killed mid-drain leaves every finished item finished and every other item pending; and the
notifications it makes are unique per person and occasion, so a second drain sends nothing
twice.
"""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import NotificationKind, OutboxItem, Role, TicketAction, TicketEvent, TicketState
from campaigns.queue import enqueue_once_on_commit
from campaigns.services.notifications import Message, deliveries_send, notify
from campaigns.services.reminders import district_people, unit_people

log = logging.getLogger(__name__)

TICKET_EVENT = "ticket_event"
MAX_ATTEMPTS = 5
# Set while a drain has been asked for and has not started: acts meanwhile need not ask again.
DRAIN_ASKED_KEY = "outbox:drain-asked"
DRAIN_ASKED_SECONDS = 10

# Which acts tell someone, and under which kind.
TELLING_ACTS: dict[str, str] = {
    TicketAction.LOG: NotificationKind.TICKET_LOGGED,
    TicketAction.ASSIGN: NotificationKind.TICKET_ASSIGNED,
    TicketAction.SUBMIT_FIX: NotificationKind.TICKET_SUBMITTED,
    TicketAction.CLOSE_OUT: NotificationKind.TICKET_CLOSED,
    TicketAction.RETURN: NotificationKind.TICKET_RETURNED,
    TicketAction.REOPEN: NotificationKind.TICKET_REOPENED,
}


def owes_message(event: TicketEvent) -> bool:
    """Whether this event tells anyone (and so owes the outbox a row)."""
    if event.action not in TELLING_ACTS:
        return False
    # Logged straight into 整改中: the assignment that follows tells the unit.
    return not (event.action == TicketAction.LOG and event.to_state != TicketState.REPORTED)


def outbox_add_ticket_event(event: TicketEvent) -> OutboxItem | None:
    """Inside the act's transaction: owe the people this event concerns a message, and ask
    for a drain once the act commits (beat's periodic drain sends it if the broker is down)."""
    if not owes_message(event):
        return None
    item = OutboxItem.objects.create(topic=TICKET_EVENT, ref_id=event.pk)
    enqueue_once_on_commit(drain_outbox, DRAIN_ASKED_KEY, DRAIN_ASKED_SECONDS)
    return item


def ticket_event_message(event: TicketEvent) -> Message:
    ticket = event.ticket
    kind = TELLING_ACTS[event.action]
    link = reverse("campaigns:ticket-detail", args=[ticket.number])
    unit = ticket.responsible_unit
    supervisors = district_people(ticket.district_id, (Role.SUPERVISOR,))
    unit_members = unit_people(unit) if unit else []
    summary = ticket.description[:60]
    deadline = ticket.deadline.isoformat() if ticket.deadline else "—"
    if event.action == TicketAction.LOG:
        title, users, units = _("新问题待交办：%(n)s") % {"n": ticket.number}, supervisors, []
    elif event.action == TicketAction.ASSIGN:
        title = _("交办：%(n)s，请于 %(d)s 前整改") % {"n": ticket.number, "d": deadline}
        users, units = unit_members, [unit.pk] if unit else []
    elif event.action == TicketAction.SUBMIT_FIX:
        title, users, units = _("整改待核验：%(n)s") % {"n": ticket.number}, supervisors, []
    elif event.action == TicketAction.CLOSE_OUT:
        title = _("已核验销号：%(n)s") % {"n": ticket.number}
        users, units = [*unit_members, ticket.reported_by_id], [unit.pk] if unit else []
    elif event.action == TicketAction.RETURN:
        title = _("整改被退回：%(n)s，原因：%(r)s") % {"n": ticket.number, "r": event.note[:60]}
        users, units = unit_members, [unit.pk] if unit else []
    else:
        title = _("问题反弹重开：%(n)s，请于 %(d)s 前整改") % {"n": ticket.number, "d": deadline}
        users, units = unit_members, [unit.pk] if unit else []
    users = [pk for pk in users if pk != event.actor_id]  # nobody is told what they just did
    return Message(
        district_id=ticket.district_id,
        kind=kind,
        occasion=f"ticket-event:{event.pk}",
        title=title[:200],
        body=summary,
        link=link,
        user_ids=users,
        unit_ids=units,
    )


HANDLERS = {TICKET_EVENT: lambda ref_id: notify(ticket_event_message(_event(ref_id)))}


def _event(ref_id: int) -> TicketEvent:
    return TicketEvent.objects.select_related("ticket__responsible_unit").get(pk=ref_id)


def outbox_drain(limit: int = 200) -> list[int]:
    """Work through pending items, one transaction each; return the new deliveries' ids."""
    deliveries: list[int] = []
    tried: list[int] = []
    for _round in range(limit):
        with transaction.atomic():
            item = (
                OutboxItem.objects.select_for_update(skip_locked=True)
                .filter(done_at__isnull=True)
                .exclude(pk__in=tried)  # a failing item waits for the next drain
                .order_by("id")
                .first()
            )
            if item is None:
                break
            tried.append(item.pk)
            item.attempts += 1
            try:
                with transaction.atomic():
                    deliveries.extend(HANDLERS[item.topic](item.ref_id))
            except Exception as exc:  # noqa: BLE001 - recorded on the item; others go on
                log.exception("outbox item %s failed", item)
                item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if item.attempts >= MAX_ATTEMPTS:
                    item.done_at = timezone.now()
            else:
                item.done_at = timezone.now()
                item.last_error = ""
            item.save(update_fields=["attempts", "done_at", "last_error"])
    return deliveries


def outbox_pending_count() -> int:
    return OutboxItem.objects.filter(done_at__isnull=True).count()


@shared_task(name="campaigns.tasks.drain_outbox")
def drain_outbox() -> int:
    """Send what the outbox owes: after acts that owe something, and from beat every minute."""
    cache.delete(DRAIN_ASKED_KEY)  # from here on, an act that commits asks for the next drain
    ids = outbox_drain()
    deliveries_send(ids)
    return len(ids)
