"""The 销号 lifecycle: every change of a ticket's state happens here and nowhere else.

    reported ──assign──▶ rectifying ──submit fix──▶ submitted ──verify──▶ closed
       │                    ▲  ◀────────return──────────┘                 │
       └──void──▶ voided    └───────────────reopen (反弹)─────────────────┘

Each verb opens a transaction, locks the ticket row, checks the transition map and the
rule of the act, saves, and writes one TicketEvent. Views, admin, commands and tasks all
call these verbs; none of them writes a state field itself.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from infra.fragments import district_touch
from security.audit import audit_record

from . import policy
from .access import scope_for
from .models import (
    AuditKind,
    Campaign,
    ChecklistItem,
    InspectionPoint,
    OrgUnit,
    PhotoKind,
    ProblemCategory,
    SubmissionKind,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from .models.ticket import chain_link
from .policy import ALLOWED_TRANSITIONS, ActionForbidden, Transition, TransitionRefused, WorkflowError
from .reference import choices_version, kept
from .services.ledger_numbers import ledger_number_next
from .services.outbox import outbox_add_ticket_event
from .services.submissions import submission_claim, submission_once
from .services.tally import tally_follows

# Where views, forms and templates have always found them.
__all__ = [
    "ALLOWED_TRANSITIONS",
    "ActionForbidden",
    "TicketNotFound",
    "TicketRef",
    "Transition",
    "TransitionRefused",
    "WorkflowError",
    "actions_for",
    "refusal",
    "role_allows",
    "ticket_assign",
    "ticket_close_out",
    "ticket_log",
    "ticket_reopen",
    "ticket_return",
    "ticket_submit_fix",
    "ticket_void",
]


T = TypeVar("T")


class TicketNotFound(WorkflowError):
    """No such ticket among the districts the person may see (the page answers 404)."""


@dataclass(frozen=True)
class TicketRef:
    """A ticket named by its number, within the districts the acting person may see.

    A view hands this to a verb instead of a ticket it read first: the verb's locked read
    finds, scopes and locks the ticket in one query.
    """

    number: str
    district_ids: frozenset[int]


def role_allows(action: str, ticket: Ticket, user: User) -> bool:
    """Whether this person's role could ever do `action` to this ticket, whatever its state."""
    return policy.role_allows(action, ticket, scope_for(user))


def refusal(action: str, ticket: Ticket, user: User) -> WorkflowError | None:
    """Why `user` may not do `action` now, or None if they may."""
    return policy.refusal(action, ticket, scope_for(user), user.pk)


def actions_for(ticket: Ticket, user: User) -> list[str]:
    """The acts this person may do right now: drives the buttons on the ticket page."""
    return policy.actions_for(ticket, scope_for(user), user.pk)


def _check(action: str, ticket: Ticket, user: User) -> None:
    problem = refusal(action, ticket, user)
    if problem is not None:
        raise problem


def _lock(ticket: Ticket | TicketRef) -> Ticket:
    """The ticket's row, locked until the transaction ends.

    Read with it, as `chain_head`, the newest link of the ticket's event chain: the act's
    event hangs on it, so no second read is needed before writing the event.
    """
    head = TicketEvent.objects.filter(ticket_id=OuterRef("pk")).order_by("-id").values("chain_hash")[:1]
    locked = Ticket.objects.select_for_update(of=("self",)).annotate(chain_head=Subquery(head)).order_by()
    if isinstance(ticket, TicketRef):
        found = locked.filter(number=ticket.number, district_id__in=ticket.district_ids).first()
        if found is None:
            raise TicketNotFound(_("没有这张工单，或您无权查看。"))
        return found
    found = locked.filter(pk=ticket.pk).first()
    if found is None:
        raise Ticket.DoesNotExist(f"ticket {ticket.pk} is gone")
    return found


@contextmanager
def _act(
    ticket: Ticket | TicketRef,
    action: str,
    actor: User,
    *,
    on_refusal: Callable[[Ticket, WorkflowError], None] | None = None,
) -> Iterator[Ticket]:
    """One act on one ticket, in one transaction: lock it, check the person may do this now,
    hand it to the verb's body, and keep the rollup (TicketTally) with whatever the body did.

    A refusal rolls the whole act back; `on_refusal(ticket, refusal)` runs after that, so
    whatever it writes is kept.
    """
    locked = None
    try:
        with transaction.atomic():
            locked = _lock(ticket)
            _check(action, locked, actor)
            with tally_follows(locked):
                yield locked
    except (ActionForbidden, TransitionRefused) as refused:
        if on_refusal is not None and locked is not None:
            on_refusal(locked, refused)
        raise


def _transition(
    ticket: Ticket,
    action: str,
    actor: User,
    *,
    fields: Sequence[str] = (),
    note: str = "",
    details: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Move the ticket to the act's target state, save it with the `fields` the act changed,
    and record the event."""
    from_state = ticket.state
    ticket.state = ALLOWED_TRANSITIONS[action].target
    ticket.save(update_fields=["state", *fields, "updated_at"])
    return _record(ticket, action, actor, from_state, note=note, details=details, at=at)


def _record(
    ticket: Ticket,
    action: str,
    actor: User,
    from_state: str,
    *,
    note: str = "",
    details: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Write the act's event, chained to the ticket's previous one, and what it owes."""
    event = TicketEvent(
        ticket=ticket,
        action=action,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=ticket.state,
        note=note,
        details=details or {},
    )
    event.chain_hash = chain_link(event, previous=ticket.chain_head)
    event.save()
    ticket.chain_head = event.chain_hash
    outbox_add_ticket_event(event)
    # Every page that shows the district is stale once this commits.
    transaction.on_commit(partial(district_touch, ticket.district_id))
    return event


def _claim_photos(photos: Sequence[TicketPhoto], *, ticket: Ticket, event: TicketEvent, kind: str, actor: User) -> int:
    """Attach photos the actor uploaded and no ticket has claimed yet (those stored on this
    ticket already are its own)."""
    ids = [photo.pk for photo in photos if photo.ticket_id != ticket.pk or photo.event_id != event.pk]
    if not ids:
        return 0
    claimed = TicketPhoto.objects.filter(pk__in=ids, ticket__isnull=True, uploaded_by=actor).update(
        ticket=ticket, event=event, kind=kind
    )
    if claimed != len(ids):
        raise TransitionRefused(_("有照片已失效或不属于您，请重新选择照片。"))
    return claimed


def _require(value: T | None, message: str) -> T:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TransitionRefused(message)
    return value


def _validate_assignment(ticket: Ticket, unit: OrgUnit | None, deadline: date | None, today: date) -> None:
    unit = _require(unit, _("请选择责任单位。"))
    deadline = _require(deadline, _("请填写整改时限。"))
    if unit.district_id != ticket.district_id or unit.kind in (UnitKind.CITY, UnitKind.DISTRICT):
        raise TransitionRefused(_("责任单位必须是本区的街道、社区、村或部门。"))
    if deadline < today:
        raise TransitionRefused(_("整改时限不能早于今天。"))


ASSIGNMENT_FIELDS = [
    "responsible_unit",
    "responsible_person",
    "responsible_phone",
    "deadline",
    "work_group",
    "assigned_at",
]


def _apply_assignment(
    ticket: Ticket,
    actor: User,
    *,
    unit: OrgUnit,
    deadline: date,
    person: str = "",
    phone: str = "",
    work_group: WorkGroup | None = None,
    note: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    """Hand a reported ticket to its unit: the fields, the state and the event, in one place."""
    ticket.responsible_unit = unit
    ticket.responsible_person = (person or "").strip()
    ticket.responsible_phone = (phone or "").strip()
    ticket.deadline = deadline
    ticket.work_group = work_group
    ticket.assigned_at = at or timezone.now()
    details = _assignment_details(unit, ticket.responsible_person, ticket.responsible_phone, deadline, work_group)
    return _transition(
        ticket, TicketAction.ASSIGN, actor, fields=ASSIGNMENT_FIELDS, note=note.strip(), details=details, at=at
    )


def _validate_checklist_item(item: ChecklistItem | None, campaign_id: int, area_id: int) -> None:
    """A problem counts against a task of its own campaign and assessment area."""
    if item is None:
        return
    if item.campaign_id != campaign_id:
        raise TransitionRefused(_("所选任务不属于本活动。"))
    if item.area_id != area_id:
        raise TransitionRefused(_("所选任务不属于这个问题的测评类别。"))


def _assignment_details(
    unit: OrgUnit, person: str, phone: str, deadline: date, work_group: WorkGroup | None
) -> dict[str, object]:
    details: dict[str, object] = {
        "unit": unit.name,
        "unit_id": unit.pk,
        "person": person,
        "deadline": deadline.isoformat(),
    }
    if phone:
        details["phone"] = phone
    if work_group is not None:
        details["work_group"] = work_group.name
    return details


def ticket_log(
    *,
    actor: User,
    campaign: Campaign,
    category: ProblemCategory,
    description: str,
    photos: Sequence[TicketPhoto] | Callable[..., Sequence[TicketPhoto]],
    street: OrgUnit | None = None,
    point: InspectionPoint | None = None,
    place: str = "",
    finder_group: WorkGroup | None = None,
    reported_at: datetime | None = None,
    assignment: dict[str, Any] | None = None,
    checklist_item: ChecklistItem | None = None,
    submission_key: str | None = None,
) -> Ticket:
    """Log a problem found on patrol: a new ledger line with a number that is never reused.

    `assignment` (unit, person, phone, deadline, work_group) lets staff who already know
    the responsible unit log straight into 整改中. `submission_key` (the log form's one-time
    key) is written with the ticket: the same form sent again raises SubmissionRepeated with
    this ticket instead of logging a second one (campaigns/services/submissions.py).
    `photos` may be a callable that stores them (ticket=, event=) inside the transaction.
    """
    scope = scope_for(actor)
    district = campaign.district
    if not scope.can_log(district.pk):
        raise ActionForbidden(_("您的角色不能在本区登记问题。"))
    _require(description, _("请填写问题描述。"))
    if point is None and not (place or "").strip():
        raise TransitionRefused(_("请选择点位，或写明具体地点。"))
    if point is not None:
        if point.district_id != district.pk:
            raise TransitionRefused(_("点位不属于本区。"))
        street = point.street if point.street_id else street
    street = _require(street, _("请选择街道/乡镇。"))
    if street.district_id != district.pk or not street.is_street:
        raise TransitionRefused(_("街道/乡镇不属于本区。"))
    if category.campaign_id != campaign.pk:
        raise TransitionRefused(_("问题类别不属于本活动。"))
    _validate_checklist_item(checklist_item, campaign.pk, category.area_id)
    if not photos:
        raise TransitionRefused(_("请至少拍一张问题照片。"))
    if finder_group is None:
        # Credit the find to the reporter's finder group, so groups can be compared.
        finder_group = _finder_group_of(actor, campaign)
    reported_at = reported_at or timezone.now()
    today = timezone.localdate()
    if assignment is not None:
        probe = Ticket(district=district)
        _validate_assignment(probe, assignment["unit"], assignment["deadline"], today)

    with submission_once(submission_key, actor, SubmissionKind.TICKET_LOG), transaction.atomic():
        ticket = Ticket(
            number=ledger_number_next(district, reported_at),
            district=district,
            campaign=campaign,
            state=TicketState.REPORTED,
            point=point,
            place=(place or "").strip(),
            street=street,
            area_id=category.area_id,
            category=category,
            description=description.strip(),
            reported_by=actor,
            reported_at=reported_at,
            finder_group=finder_group,
            checklist_item=checklist_item,
        )
        with tally_follows(ticket):
            ticket.save(force_insert=True)
            ticket.chain_head = ""  # a new ticket: its first event starts the chain
            if submission_key:
                # Before the photos are stored: a copy of the form sent at the same instant waits
                # here on the unique key until this commits, then fails having stored nothing.
                submission_claim(
                    key=submission_key,
                    user=actor,
                    kind=SubmissionKind.TICKET_LOG,
                    object_id=ticket.pk,
                    url=reverse("campaigns:ticket-detail", args=[ticket.number]),
                )
            event = _record(ticket, TicketAction.LOG, actor, "", at=reported_at)
            if callable(photos):
                # Stored now, on the new ticket and inside this transaction: they commit with it or
                # not at all.
                photos = photos(ticket=ticket, event=event)
                if not photos:
                    raise TransitionRefused(_("请至少拍一张问题照片。"))
            _claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.BEFORE, actor=actor)
            if assignment is not None:
                _apply_assignment(ticket, actor, note=_("登记时直接交办"), at=reported_at, **assignment)
    return ticket


def _finder_group_of(actor: User, campaign: Campaign) -> WorkGroup | None:
    def build() -> tuple[WorkGroup | None]:
        group = WorkGroup.objects.filter(campaign=campaign, kind=WorkGroupKind.FINDER_GROUP, members=actor).first()
        return (group,)  # "in no group" is worth keeping too

    return kept(f"finder-group:{campaign.pk}:{actor.pk}", choices_version(), build)[0]


def ticket_assign(
    *,
    ticket: Ticket | TicketRef,
    actor: User,
    unit: OrgUnit,
    deadline: date,
    person: str = "",
    phone: str = "",
    work_group: WorkGroup | None = None,
    note: str = "",
    checklist_item: ChecklistItem | None = None,
) -> Ticket:
    """交办: hand the problem to a responsible unit and person with a deadline.

    Triage is also where the problem is tied to the checklist task it puts at risk.
    """
    with _act(ticket, TicketAction.ASSIGN, actor) as ticket:
        _validate_assignment(ticket, unit, deadline, timezone.localdate())
        if work_group is not None and work_group.campaign_id != ticket.campaign_id:
            raise TransitionRefused(_("工作组不属于本活动。"))
        _validate_checklist_item(checklist_item, ticket.campaign_id, ticket.area_id)
        if checklist_item is not None and checklist_item.pk != ticket.checklist_item_id:
            ticket.checklist_item = checklist_item
            ticket.save(update_fields=["checklist_item"])
        _apply_assignment(
            ticket, actor, unit=unit, deadline=deadline, person=person, phone=phone, work_group=work_group, note=note
        )
    return ticket


def ticket_submit_fix(*, ticket: Ticket | TicketRef, actor: User, note: str, photos: Sequence[TicketPhoto]) -> Ticket:
    """提交整改: the unit says it is fixed, with a note and at least one after-photo."""
    with _act(ticket, TicketAction.SUBMIT_FIX, actor) as ticket:
        _require(note, _("请说明整改情况。"))
        if not photos:
            raise TransitionRefused(_("提交整改至少需要一张整改后照片。"))
        ticket.fix_submitted_at = timezone.now()
        ticket.fix_submitted_by = actor
        event = _transition(
            ticket, TicketAction.SUBMIT_FIX, actor, fields=["fix_submitted_at", "fix_submitted_by"], note=note.strip()
        )
        _claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.AFTER, actor=actor)
    return ticket


def ticket_close_out(*, ticket: Ticket | TicketRef, actor: User, note: str = "") -> Ticket:
    """核验销号: a supervisor who did not submit the fix checks it and strikes the line off.

    Every attempt is in the security audit log, the refused ones too (written after the
    refused transaction has rolled back, so the refusal itself is never lost).
    """

    def refused(locked: Ticket, problem: WorkflowError) -> None:
        audit_record(
            AuditKind.CLOSE_OUT,
            user=actor,
            district=locked.district_id,
            target=locked.number,
            success=False,
            reason=str(problem),
        )

    with _act(ticket, TicketAction.CLOSE_OUT, actor, on_refusal=refused) as ticket:
        ticket.closed_at = timezone.now()
        ticket.closed_by = actor
        _transition(ticket, TicketAction.CLOSE_OUT, actor, fields=["closed_at", "closed_by"], note=note.strip())
        audit_record(AuditKind.CLOSE_OUT, user=actor, district=ticket.district_id, target=ticket.number)
    return ticket


def ticket_return(*, ticket: Ticket | TicketRef, actor: User, reason: str, deadline: date | None = None) -> Ticket:
    """退回: the fix is not good enough. It counts against the unit even if fixed again the same day."""
    with _act(ticket, TicketAction.RETURN, actor) as ticket:
        _require(reason, _("退回必须填写原因。"))
        if deadline is not None and deadline < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        ticket.return_count += 1
        fields = ["return_count"]
        details: dict[str, object] = {}
        if deadline is not None:
            details["deadline"] = deadline.isoformat()
            if ticket.deadline:
                details["previous_deadline"] = ticket.deadline.isoformat()
            ticket.deadline = deadline
            fields.append("deadline")
        _transition(ticket, TicketAction.RETURN, actor, fields=fields, note=reason.strip(), details=details)
    return ticket


def ticket_reopen(*, ticket: Ticket | TicketRef, actor: User, reason: str, deadline: date) -> Ticket:
    """重新打开: the problem came back after 销号 — a recurrence (反弹) on the unit's record."""
    with _act(ticket, TicketAction.REOPEN, actor) as ticket:
        _require(reason, _("重新打开必须填写原因。"))
        _require(deadline, _("请填写新的整改时限。"))
        if deadline < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        details = {"deadline": deadline.isoformat()}
        if ticket.closed_at:
            details["previous_closed_at"] = timezone.localtime(ticket.closed_at).isoformat()
        ticket.reopen_count += 1
        ticket.deadline = deadline
        ticket.closed_at = None
        ticket.closed_by = None
        _transition(
            ticket,
            TicketAction.REOPEN,
            actor,
            fields=["reopen_count", "deadline", "closed_at", "closed_by"],
            note=reason.strip(),
            details=details,
        )
    return ticket


def ticket_void(*, ticket: Ticket | TicketRef, actor: User, reason: str) -> Ticket:
    """撤销: not a real problem, or a duplicate. Nothing is deleted; the line stays, voided."""
    with _act(ticket, TicketAction.VOID, actor) as ticket:
        _require(reason, _("撤销必须填写原因。"))
        _transition(ticket, TicketAction.VOID, actor, note=reason.strip())
    return ticket
