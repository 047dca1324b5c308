"""The ticket's own verbs: log, 交办, 签收, 提交整改, 核验销号, 退回, 重新打开, 撤销.

    reported ──交办──▶ assigned ──签收──▶ rectifying ──提交整改──▶ submitted ──销号──▶ closed
       │                (待签收)            ▲  ◀──────────退回──────────┘              │
       └──撤销──▶ voided                    └────────────重新打开 (反弹)──────────────┘

The rest of the 交办 chain (退单/改派, 延期, 挂账, 催办, 协办, 复核, 复查, 挂牌督办) has its own
modules beside this one; every verb goes through core.act and writes one event per act.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from security.audit import audit_record

from ..access import scope_for
from ..models import (
    AuditKind,
    Campaign,
    ChecklistItem,
    InspectionPoint,
    InspectionRound,
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
from ..policy import ActionForbidden, TransitionRefused, WorkflowError, current_level
from ..queue import enqueue_on_commit
from ..reference import choices_version, kept
from ..services.duplicates import find_duplicates
from ..services.ledger_numbers import ledger_number_next
from ..services.submissions import submission_claim, submission_once
from ..services.tally import tally_follows
from ..workdays import add_working_days
from .closing import co_units_set, evidence_reason_required, level_photos, rechecks_plan
from .core import TicketRef, act, claim_photos, record, require, transition


def _validate_assignment(ticket: Ticket, unit: OrgUnit | None, deadline: date | None, today: date) -> None:
    unit = require(unit, _("请选择责任单位。"))
    deadline = require(deadline, _("请填写整改时限。"))
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
    "sign_due_at",
    "signed_at",
]


def sign_due(assigned_at: datetime, campaign: Campaign) -> datetime:
    """The 签收时限: the same time of day, `sign_within_days` working days after the 交办."""
    local = timezone.localtime(assigned_at)
    day = add_working_days(local.date(), campaign.sign_within_days)
    return local + timedelta(days=(day - local.date()).days)


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
    co_unit_names: Sequence[str] = (),
) -> TicketEvent:
    """Hand a reported ticket to its unit: the fields, the state and the event, in one place."""
    ticket.responsible_unit = unit
    ticket.responsible_person = (person or "").strip()
    ticket.responsible_phone = (phone or "").strip()
    ticket.deadline = deadline
    ticket.work_group = work_group
    ticket.assigned_at = at or timezone.now()
    ticket.sign_due_at = sign_due(ticket.assigned_at, ticket.campaign)
    ticket.signed_at = None
    details = _assignment_details(unit, ticket.responsible_person, ticket.responsible_phone, deadline, work_group)
    if co_unit_names:
        details["co_units"] = list(co_unit_names)
    return transition(
        ticket, TicketAction.ASSIGN, actor, fields=ASSIGNMENT_FIELDS, note=note.strip(), details=details, at=at
    )


def apply_sign(ticket: Ticket, actor: User, *, note: str = "", at: datetime | None = None) -> TicketEvent:
    """签收: the unit takes the ticket on; its deadline was running since the 交办 already.

    Also recorded, first, when a unit submits a fix for a ticket it never signed for, and
    when a unit's own staff log a problem straight to their unit.
    """
    ticket.signed_at = at or timezone.now()
    details: dict[str, object] = {}
    if ticket.sign_due_at is not None and ticket.signed_at > ticket.sign_due_at:
        details["late"] = True  # 超时签收: counted against 签收及时率
    return transition(ticket, TicketAction.SIGN, actor, fields=["signed_at"], note=note, details=details, at=at)


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
    inspection_round: InspectionRound | None = None,
    integration: bool = False,
) -> Ticket:
    """Log a problem found on patrol: a new ledger line with a number that is never reused.

    `inspection_round`: the 暗访/督查 round that found it (its source). A problem from a
    round's 问题清单 may come without photos: the round's letter is its evidence.

    `assignment` (unit, person, phone, deadline, work_group) lets staff who already know
    the responsible unit log straight into 整改中. `submission_key` (the log form's one-time
    key) is written with the ticket: the same form sent again raises SubmissionRepeated with
    this ticket instead of logging a second one (campaigns/services/submissions.py).
    `photos` may be a callable that stores them (ticket=, event=) inside the transaction.

    `integration`: logged by an outside system as its own actor (the 12345 hotline): its
    authority was checked at the door (a signed push, an admin's import), and its evidence is
    the system's record (the hotline 工单), not a photo.
    """
    scope = scope_for(actor)
    district = campaign.district
    if not integration and not scope.can_log(district.pk):
        raise ActionForbidden(_("您的角色不能在本区登记问题。"))
    require(description, _("请填写问题描述。"))
    if point is None and not (place or "").strip():
        raise TransitionRefused(_("请选择点位，或写明具体地点。"))
    if point is not None:
        if point.district_id != district.pk:
            raise TransitionRefused(_("点位不属于本区。"))
        street = point.street if point.street_id else street
    street = require(street, _("请选择街道/乡镇。"))
    if street.district_id != district.pk or not street.is_street:
        raise TransitionRefused(_("街道/乡镇不属于本区。"))
    if category.campaign_id != campaign.pk:
        raise TransitionRefused(_("问题类别不属于本活动。"))
    _validate_checklist_item(checklist_item, campaign.pk, category.area_id)
    if not photos and inspection_round is None and not integration:
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
            inspection_round=inspection_round,
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
            event = record(
                ticket, TicketAction.LOG, actor, "", at=reported_at, photos=() if callable(photos) else photos
            )
            if callable(photos):
                # Stored now, on the new ticket and inside this transaction: they commit with it or
                # not at all.
                photos = photos(ticket=ticket, event=event)
                if not photos and inspection_round is None and not integration:
                    raise TransitionRefused(_("请至少拍一张问题照片。"))
            claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.BEFORE, actor=actor)
            if assignment is not None:
                _apply_assignment(ticket, actor, note=_("登记时直接交办"), at=reported_at, **assignment)
                if scope.is_responsible_for(assignment["unit"]):
                    # The unit's own staff logged it to their unit: they have it in hand.
                    apply_sign(ticket, actor, note=_("本单位登记，直接签收"), at=reported_at)
            # Every source logs through here, so every new problem is compared (after commit,
            # so a slow comparison never holds the staffer's phone).
            enqueue_on_commit(find_duplicates, ticket.pk)
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
    co_units: Sequence[OrgUnit] = (),
) -> Ticket:
    """交办: hand the problem to a responsible unit and person with a deadline.

    Triage is also where the problem is tied to the checklist task it puts at risk, and where
    协办单位 (`co_units`) are named beside the lead unit (主办单位).
    """
    with act(ticket, TicketAction.ASSIGN, actor) as ticket:
        _validate_assignment(ticket, unit, deadline, timezone.localdate())
        if work_group is not None and work_group.campaign_id != ticket.campaign_id:
            raise TransitionRefused(_("工作组不属于本活动。"))
        _validate_checklist_item(checklist_item, ticket.campaign_id, ticket.area_id)
        if checklist_item is not None and checklist_item.pk != ticket.checklist_item_id:
            ticket.checklist_item = checklist_item
            ticket.save(update_fields=["checklist_item"])
        ticket.responsible_unit = unit
        co_names = co_units_set(ticket, co_units) if co_units or ticket.co_units_count else []
        _apply_assignment(
            ticket,
            actor,
            unit=unit,
            deadline=deadline,
            person=person,
            phone=phone,
            work_group=work_group,
            note=note,
            co_unit_names=co_names,
        )
    return ticket


def ticket_sign(*, ticket: Ticket | TicketRef, actor: User, note: str = "") -> Ticket:
    """签收: the responsible unit acknowledges the 交办 (or a supervisor records it for them)."""
    with act(ticket, TicketAction.SIGN, actor) as ticket:
        apply_sign(ticket, actor, note=note.strip())
    return ticket


def ticket_submit_fix(*, ticket: Ticket | TicketRef, actor: User, note: str, photos: Sequence[TicketPhoto]) -> Ticket:
    """提交整改: the unit says it is fixed, with a note and at least one after-photo.

    A unit that fixes a ticket it never signed for has signed for it: the 签收 is recorded first.
    """
    with act(ticket, TicketAction.SUBMIT_FIX, actor) as ticket:
        require(note, _("请说明整改情况。"))
        if not photos:
            raise TransitionRefused(_("提交整改至少需要一张整改后照片。"))
        if ticket.state == TicketState.ASSIGNED:
            apply_sign(ticket, actor, note=_("提交整改即签收"))
        ticket.fix_submitted_at = timezone.now()
        ticket.fix_submitted_by = actor
        ticket.review_level = 0
        ticket.reviewed_by = []
        event = transition(
            ticket,
            TicketAction.SUBMIT_FIX,
            actor,
            fields=["fix_submitted_at", "fix_submitted_by", "review_level", "reviewed_by"],
            note=note.strip(),
            photos=photos,
        )
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.AFTER, actor=actor)
    return ticket


def ticket_close_out(
    *, ticket: Ticket | TicketRef, actor: User, note: str = "", photos: Sequence[TicketPhoto] = ()
) -> Ticket:
    """核验销号: the last level of the 销号 chain (by default the supervisors), none of whom
    submitted the fix or passed it at a level below, checks it and strikes the line off; the
    campaign's 复查 are planned from that day.

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

    with act(ticket, TicketAction.CLOSE_OUT, actor, on_refusal=refused) as ticket:
        level = current_level(ticket)
        level_photos(level, photos)
        flags = evidence_reason_required(ticket, note)
        ticket.closed_at = timezone.now()
        ticket.closed_by = actor
        ticket.reviewed_by = [*ticket.reviewed_by, actor.pk]
        closed_on = timezone.localdate(ticket.closed_at)
        offsets = ticket.campaign.recheck_offsets
        ticket.next_recheck_on = closed_on + timedelta(days=min(offsets)) if offsets else None
        details: dict[str, object] = {"evidence_flags": flags} if flags else {}
        if len(ticket.chain_rules.review_levels) > 1:
            details["level"] = str(level.label)
        event = transition(
            ticket,
            TicketAction.CLOSE_OUT,
            actor,
            fields=["closed_at", "closed_by", "reviewed_by", "next_recheck_on"],
            note=note.strip(),
            details=details,
            photos=photos,
        )
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.REVIEW, actor=actor)
        rechecks_plan(ticket, closed_on)
        audit_record(AuditKind.CLOSE_OUT, user=actor, district=ticket.district_id, target=ticket.number)
    return ticket


def ticket_return(*, ticket: Ticket | TicketRef, actor: User, reason: str, deadline: date | None = None) -> Ticket:
    """退回: the fix is not good enough. It counts against the unit even if fixed again the same day."""
    with act(ticket, TicketAction.RETURN, actor) as ticket:
        require(reason, _("退回必须填写原因。"))
        if deadline is not None and deadline < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        ticket.return_count += 1
        details: dict[str, object] = {}
        if len(ticket.chain_rules.review_levels) > 1:
            details["level"] = str(current_level(ticket).label)  # which level of the 销号 chain sent it back
        ticket.review_level = 0
        ticket.reviewed_by = []
        fields = ["return_count", "review_level", "reviewed_by"]
        if deadline is not None:
            details["deadline"] = deadline.isoformat()
            if ticket.deadline:
                details["previous_deadline"] = ticket.deadline.isoformat()
            ticket.deadline = deadline
            fields.append("deadline")
        transition(ticket, TicketAction.RETURN, actor, fields=fields, note=reason.strip(), details=details)
    return ticket


def ticket_reopen(*, ticket: Ticket | TicketRef, actor: User, reason: str, deadline: date) -> Ticket:
    """重新打开: the problem came back after 销号 — a recurrence (反弹) on the unit's record."""
    with act(ticket, TicketAction.REOPEN, actor) as ticket:
        apply_reopen(ticket, actor, reason=reason, deadline=deadline)
    return ticket


def apply_reopen(
    ticket: Ticket, actor: User, *, reason: str, deadline: date, details: dict[str, object] | None = None
) -> TicketEvent:
    """The reopen itself, on a ticket locked for the act (ticket_reopen, and a 复查 round's 反弹)."""
    require(reason, _("重新打开必须填写原因。"))
    require(deadline, _("请填写新的整改时限。"))
    if deadline < timezone.localdate():
        raise TransitionRefused(_("整改时限不能早于今天。"))
    details = {**(details or {}), "deadline": deadline.isoformat()}
    if ticket.closed_at:
        details["previous_closed_at"] = timezone.localtime(ticket.closed_at).isoformat()
    ticket.reopen_count += 1
    ticket.deadline = deadline
    ticket.closed_at = None
    ticket.closed_by = None
    ticket.escalation_step = 0
    ticket.rechecks.filter(result="", cancelled=False).update(cancelled=True)  # that 销号 is undone
    ticket.next_recheck_on = None
    return transition(
        ticket,
        TicketAction.REOPEN,
        actor,
        fields=["reopen_count", "deadline", "closed_at", "closed_by", "escalation_step", "next_recheck_on"],
        note=reason.strip(),
        details=details,
    )


def ticket_void(*, ticket: Ticket | TicketRef, actor: User, reason: str) -> Ticket:
    """撤销: not a real problem, or a duplicate. Nothing is deleted; the line stays, voided."""
    with act(ticket, TicketAction.VOID, actor) as ticket:
        require(reason, _("撤销必须填写原因。"))
        transition(ticket, TicketAction.VOID, actor, note=reason.strip())
    return ticket
