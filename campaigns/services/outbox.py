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
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import NotificationKind, OutboxItem, Role, Ticket, TicketAction, TicketEvent, TicketState
from campaigns.queue import enqueue_once_on_commit
from campaigns.services.hotline import hotline_deliveries, hotline_owes
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
    TicketAction.DECLINE: NotificationKind.TICKET_DECLINED,
    TicketAction.REASSIGN: NotificationKind.TICKET_REASSIGNED,
    TicketAction.URGE: NotificationKind.TICKET_URGED,
    TicketAction.ESCALATE: NotificationKind.TICKET_ESCALATED,
    TicketAction.REQUEST_EXTENSION: NotificationKind.TICKET_EXTENSION,
    TicketAction.APPROVE_EXTENSION: NotificationKind.TICKET_EXTENSION,
    TicketAction.REJECT_EXTENSION: NotificationKind.TICKET_EXTENSION,
    TicketAction.HOLD: NotificationKind.TICKET_HOLD,
    TicketAction.RESUME: NotificationKind.TICKET_HOLD,
    TicketAction.SUPERVISE: NotificationKind.TICKET_SUPERVISED,
}

# 延期, 挂账 and 挂牌督办: the supervisors hear of a request, the unit of everything else.
CHAIN_TITLES: dict[str, Promise] = {
    TicketAction.REQUEST_EXTENSION: gettext_lazy("申请延期待审批：%(n)s，申请延至 %(u)s"),
    TicketAction.APPROVE_EXTENSION: gettext_lazy("同意延期：%(n)s，新的整改时限 %(d)s"),
    TicketAction.REJECT_EXTENSION: gettext_lazy("驳回延期：%(n)s，仍请于 %(d)s 前整改，原因：%(r)s"),
    TicketAction.HOLD: gettext_lazy("已挂账：%(n)s，计划 %(u)s 恢复整改"),
    TicketAction.RESUME: gettext_lazy("恢复整改：%(n)s，请于 %(d)s 前整改"),
    TicketAction.SUPERVISE: gettext_lazy("挂牌督办：%(n)s，督办时限 %(u)s"),
}


def owes_message(event: TicketEvent) -> bool:
    """Whether this event tells anyone (and so owes the outbox a row): people, or the 12345
    hotline when the ticket is one of its 工单."""
    return tells_people(event) or hotline_owes(event)


def tells_people(event: TicketEvent) -> bool:
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
    if event.action in CHAIN_TITLES:
        until = event.details.get("until") or event.details.get("supervision_deadline") or "—"
        title = str(CHAIN_TITLES[event.action]) % {"n": ticket.number, "u": until, "d": deadline, "r": event.note[:60]}
        if event.action == TicketAction.REQUEST_EXTENSION:
            users, units = supervisors, []
        else:
            users, units = unit_members, [unit.pk] if unit else []
    elif event.action == TicketAction.LOG:
        title, users, units = _("新问题待交办：%(n)s") % {"n": ticket.number}, supervisors, []
    elif event.action == TicketAction.ASSIGN:
        title = _("交办：%(n)s，请于 %(d)s 前整改") % {"n": ticket.number, "d": deadline}
        users, units = unit_members, [unit.pk] if unit else []
    elif event.action == TicketAction.SUBMIT_FIX:
        title, users, units = _("整改待核验：%(n)s") % {"n": ticket.number}, supervisors, []
    elif event.action == TicketAction.CLOSE_OUT:
        title = _("已核验销号：%(n)s") % {"n": ticket.number}
        users, units = [*unit_members, ticket.reported_by_id], [unit.pk] if unit else []
    elif event.action in DISPATCH_ACTS:
        title, users, units = _dispatch_message(event, ticket, supervisors, unit_members)
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


DISPATCH_ACTS = (TicketAction.DECLINE, TicketAction.REASSIGN, TicketAction.URGE, TicketAction.ESCALATE)


def _dispatch_message(
    event: TicketEvent, ticket: Ticket, supervisors: list[int], unit_members: list[int]
) -> tuple[str, list[int], list[int]]:
    """退单 tells the supervisors; 改派 the new unit; 催办 the unit and its head; each step of the
    overdue ladder its own audience (the unit, then its head, then everyone: 黄牌)."""
    unit = ticket.responsible_unit
    units = [unit.pk] if unit else []
    head = [unit.head_id] if unit and unit.head_id else []
    n, deadline = ticket.number, ticket.deadline.isoformat() if ticket.deadline else "—"
    if event.action == TicketAction.DECLINE:
        title = _("退单：%(n)s（%(unit)s），原因：%(r)s，请重新交办") % {
            "n": n,
            "unit": event.details.get("unit", "—"),
            "r": event.note[:60],
        }
        return title, supervisors, []
    if event.action == TicketAction.REASSIGN:
        return _("改派：%(n)s，请签收并于 %(d)s 前整改") % {"n": n, "d": deadline}, unit_members, units
    if event.action == TicketAction.URGE:
        return _("催办：%(n)s，%(note)s") % {"n": n, "note": event.note[:60]}, [*unit_members, *head], units
    step = event.details.get("step", 1)
    if step == 1:
        return _("逾期催办：%(n)s，时限 %(d)s，请尽快整改") % {"n": n, "d": deadline}, unit_members, units
    if step == 2:
        return _("逾期告知单位负责人：%(n)s，时限 %(d)s") % {"n": n, "d": deadline}, head, []
    return _("黄牌：%(n)s 严重逾期，拟通报") % {"n": n}, [*unit_members, *head, *supervisors], units


def ticket_event_send(ref_id: int) -> list[int]:
    event = TicketEvent.objects.select_related("ticket__responsible_unit", "ticket__district").get(pk=ref_id)
    deliveries = hotline_deliveries(event)
    if tells_people(event):
        deliveries.extend(notify(ticket_event_message(event)))
    return deliveries


HANDLERS = {TICKET_EVENT: ticket_event_send}


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
