"""延期, 挂账 and 挂牌督办: the acts that move a ticket's deadline or take it off the clock.

整改中 ──申请延期──▶ (request waits) ──同意延期──▶ 整改中, new deadline, extensions_used + 1
                                    └─驳回延期──▶ 整改中, deadline as it was
待签收/整改中 ──挂账──▶ 挂账 (off the clock) ──恢复整改 (by hand, or on hold_until)──▶ 整改中
any open state ──挂牌督办──▶ same state, a Supervision row (the 督办单)
"""

from collections.abc import Sequence
from datetime import date, timedelta

from celery import shared_task
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    DocumentKind,
    DocumentNumber,
    OrgUnit,
    PhotoKind,
    Supervision,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
)
from ..policy import TransitionRefused
from ..services.documents.numbers import DocumentNumberTaken, document_number_issue
from ..services.system_actor import system_user
from .core import TicketRef, act, claim_photos, require, require_unit_seen, transition


def ticket_request_extension(
    *, ticket: Ticket | TicketRef, actor: User, until: date, reason: str, photos: Sequence[TicketPhoto] = ()
) -> Ticket:
    """申请延期: the unit asks for a later deadline, with its reason (and photos, if it has any)."""
    with act(ticket, TicketAction.REQUEST_EXTENSION, actor) as ticket:
        require(reason, _("申请延期必须说明原因。"))
        until = require(until, _("请填写申请延期至的日期。"))
        floor = ticket.deadline or timezone.localdate()
        if until <= floor:
            raise TransitionRefused(_("申请延期至的日期必须晚于现在的整改时限（%(d)s）。") % {"d": floor.isoformat()})
        ticket.extension_requested_until = until
        details = {"until": until.isoformat()}
        if ticket.deadline:
            details["current_deadline"] = ticket.deadline.isoformat()
        event = transition(
            ticket,
            TicketAction.REQUEST_EXTENSION,
            actor,
            fields=["extension_requested_until"],
            note=reason.strip(),
            details=details,
            photos=photos,
        )
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.EVIDENCE, actor=actor)
    return ticket


def ticket_approve_extension(
    *, ticket: Ticket | TicketRef, actor: User, deadline: date | None = None, note: str = ""
) -> Ticket:
    """同意延期: the deadline the unit asked for, or another the supervisor sets."""
    with act(ticket, TicketAction.APPROVE_EXTENSION, actor) as ticket:
        # Policy refuses when no request waits; require() only satisfies the type checker.
        requested = require(ticket.extension_requested_until, _("没有等待审批的延期申请。"))
        new = deadline or requested
        if new < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        details: dict[str, object] = {"deadline": new.isoformat(), "requested": requested.isoformat()}
        if ticket.deadline:
            details["previous_deadline"] = ticket.deadline.isoformat()
        ticket.deadline = new
        ticket.extensions_used += 1
        ticket.extension_requested_until = None
        transition(
            ticket,
            TicketAction.APPROVE_EXTENSION,
            actor,
            fields=["deadline", "extensions_used", "extension_requested_until"],
            note=note.strip(),
            details=details,
        )
    return ticket


def ticket_reject_extension(*, ticket: Ticket | TicketRef, actor: User, reason: str) -> Ticket:
    """驳回延期: the request is answered no; the deadline stays as it was."""
    with act(ticket, TicketAction.REJECT_EXTENSION, actor) as ticket:
        require(reason, _("驳回延期必须说明原因。"))
        requested = require(ticket.extension_requested_until, _("没有等待审批的延期申请。"))
        details = {"requested": requested.isoformat()}
        ticket.extension_requested_until = None
        transition(
            ticket,
            TicketAction.REJECT_EXTENSION,
            actor,
            fields=["extension_requested_until"],
            note=reason.strip(),
            details=details,
        )
    return ticket


def ticket_hold(
    *,
    ticket: Ticket | TicketRef,
    actor: User,
    until: date,
    reason: str,
    photos: Sequence[TicketPhoto] = (),
    seen_unit: OrgUnit | None = None,
) -> Ticket:
    """挂账: a supervisor approves that this cannot be fixed for now (funds, season, works);
    the ticket leaves the clock until `until`. `seen_unit` as for 改派: a hold approved for
    one unit's ticket is not a hold for the unit it was reassigned to meanwhile."""
    with act(ticket, TicketAction.HOLD, actor) as ticket:
        require_unit_seen(ticket, seen_unit)
        require(reason, _("挂账必须说明原因。"))
        until = require(until, _("请填写计划恢复整改的日期。"))
        today = timezone.localdate()
        if until <= today:
            raise TransitionRefused(_("计划恢复日期必须晚于今天。"))
        details: dict[str, object] = {"until": until.isoformat()}
        if ticket.deadline:
            details["current_deadline"] = ticket.deadline.isoformat()
            # What the unit had left; given back on resume (see _resumed_deadline).
            details["remaining_days"] = max((ticket.deadline - today).days, 0)
        if ticket.extension_requested_until is not None:
            # A request for more time is moot while the clock stands still.
            details["dropped_request"] = ticket.extension_requested_until.isoformat()
            ticket.extension_requested_until = None
        ticket.hold_until = until
        event = transition(
            ticket,
            TicketAction.HOLD,
            actor,
            fields=["hold_until", "extension_requested_until"],
            note=reason.strip(),
            details=details,
            photos=photos,
        )
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.EVIDENCE, actor=actor)
    return ticket


def _resumed_deadline(ticket: Ticket, today: date) -> date | None:
    """The deadline after a 挂账: today plus the days the unit had left when it was held.

    Not hold_until + the category's default days: a unit held two days before its deadline
    would gain a fresh full term, and one held on the day it was set would lose nothing either
    way. Keeping the remaining days stops the clock exactly, as CLOCK_STATES does for overdue.
    A ticket held when already overdue comes back due today.
    """
    held = (
        TicketEvent.objects.filter(ticket_id=ticket.pk, action=TicketAction.HOLD)
        .order_by("-at", "-id")
        .values_list("details", flat=True)
        .first()
    )
    remaining = (held or {}).get("remaining_days")
    if remaining is None:
        return ticket.deadline
    return today + timedelta(days=int(remaining))


def _apply_resume(ticket: Ticket, actor: User, note: str) -> None:
    today = timezone.localdate()
    details: dict[str, object] = {}
    if ticket.hold_until:
        details["hold_until"] = ticket.hold_until.isoformat()
    new = _resumed_deadline(ticket, today)
    if new is not None and new != ticket.deadline:
        if ticket.deadline:
            details["previous_deadline"] = ticket.deadline.isoformat()
        details["deadline"] = new.isoformat()
        ticket.deadline = new
    ticket.hold_until = None
    transition(ticket, TicketAction.RESUME, actor, fields=["hold_until", "deadline"], note=note, details=details)


def ticket_resume(*, ticket: Ticket | TicketRef, actor: User, note: str = "") -> Ticket:
    """恢复整改: back to 整改中 before the planned date (the obstacle went away)."""
    with act(ticket, TicketAction.RESUME, actor) as ticket:
        _apply_resume(ticket, actor, note.strip())
    return ticket


def holds_resume_due(today: date | None = None) -> list[str]:
    """Resume every 挂账 ticket whose planned date has come; return their numbers.

    Each ticket is its own act (its own lock and transaction): one that someone resumed by hand
    meanwhile is refused by its state and skipped, so a second run resumes nothing twice.
    """
    today = today or timezone.localdate()
    actor = system_user()
    due = Ticket.objects.filter(state=TicketState.ON_HOLD, hold_until__lte=today).order_by("hold_until", "id")
    resumed = []
    for pk in due.values_list("pk", flat=True):
        try:
            with act(Ticket(pk=pk), TicketAction.RESUME, actor, system=True) as ticket:
                _apply_resume(ticket, actor, _("挂账到期，自动恢复整改"))
        except TransitionRefused:
            continue
        resumed.append(ticket.number)
    return resumed


@shared_task(name="campaigns.tasks.resume_due_holds")
def resume_due_holds() -> int:
    """Daily, from beat: 挂账 tickets whose date came are back on the clock."""
    return len(holds_resume_due())


def ticket_supervise(
    *,
    ticket: Ticket | TicketRef,
    actor: User,
    document_number: str,
    supervising_unit: str,
    leader: str,
    deadline: date,
    reason: str = "",
) -> Supervision:
    """挂牌督办: list a chronic or major problem formally; its 督办单 is printed from the page.
    Without a 文号 the district's next one is issued (services/documents/numbers.py)."""
    with act(ticket, TicketAction.SUPERVISE, actor) as ticket:
        require(supervising_unit, _("请填写督办单位。"))
        require(leader, _("请填写责任领导。"))
        deadline = require(deadline, _("请填写督办时限。"))
        if deadline < timezone.localdate():
            raise TransitionRefused(_("督办时限不能早于今天。"))
        district = OrgUnit.objects.get(pk=ticket.district_id)
        try:
            with transaction.atomic():
                issued = document_number_issue(
                    district=district,
                    kind=DocumentKind.SUPERVISION,
                    actor=actor,
                    typed=(document_number or "").strip(),
                )
                number = issued.text
                supervision = Supervision.objects.create(
                    ticket=ticket,
                    district_id=ticket.district_id,
                    document_number=number,
                    supervising_unit=supervising_unit.strip(),
                    leader=leader.strip(),
                    deadline=deadline,
                    reason=reason.strip(),
                    created_by=actor,
                )
                DocumentNumber.objects.filter(pk=issued.pk).update(object_id=supervision.pk)
        except DocumentNumberTaken as taken:
            raise TransitionRefused(str(taken)) from None
        except IntegrityError:
            # Typed by someone else at the same instant.
            raise TransitionRefused(DocumentNumberTaken(document_number).args[0]) from None
        ticket.supervised_at = supervision.created_at
        transition(
            ticket,
            TicketAction.SUPERVISE,
            actor,
            fields=["supervised_at"],
            note=reason.strip(),
            details={
                "document_number": number,
                "supervision_deadline": deadline.isoformat(),
                "leader": leader.strip(),
            },
        )
    return supervision
