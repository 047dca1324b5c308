"""The 销号 lifecycle: every change of a ticket's state happens here and nowhere else.

    reported ──assign──▶ rectifying ──submit fix──▶ submitted ──verify──▶ closed
       │                    ▲  ◀────────return──────────┘                 │
       └──void──▶ voided    └───────────────reopen (反弹)─────────────────┘

Each verb opens a transaction, locks the ticket row, checks the transition map and the
rule of the act, saves, and writes one TicketEvent. Views, admin, commands and tasks all
call these verbs; none of them writes a state field itself.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security.audit import audit_record

from .access import MANAGER_ROLES, WORKER_ROLES, scope_for
from .models import (
    AuditKind,
    PhotoKind,
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
from .models.ticket import event_hash
from .prepared import PreparedQuery, prepared_insert, prepared_insert_with, prepared_update
from .queue import after_commit_batch
from .services.ledger_numbers import ledger_number_next
from .services.outbox import outbox_add_ticket_event, outbox_drain_after_commit, outbox_item_for
from .services.submissions import submission_claim, submission_once
from .services.tally import tally_move, tally_snapshot


class WorkflowError(Exception):
    """A refused act. The message is for the person who tried it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class ActionForbidden(WorkflowError):
    """The person may never do this to this ticket (role, four eyes)."""


class TransitionRefused(WorkflowError):
    """The act does not fit the ticket's state or lacks what it needs."""


class TicketNotFound(WorkflowError):
    """No such ticket among the districts the person may see (the page answers 404)."""


@dataclass(frozen=True)
class TicketRef:
    """A ticket named by its number, within the districts the acting person may see.

    A view hands this to a verb instead of a ticket it read first: the verb's locked read
    finds, scopes and locks the ticket in one query.
    """

    number: str
    district_ids: frozenset


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    roles: frozenset
    label: str
    style: str = "secondary"


ALLOWED_TRANSITIONS = {
    TicketAction.ASSIGN: Transition(
        frozenset({TicketState.REPORTED}), TicketState.RECTIFYING, MANAGER_ROLES, gettext_lazy("交办"), "primary"
    ),
    TicketAction.SUBMIT_FIX: Transition(
        frozenset({TicketState.RECTIFYING}), TicketState.SUBMITTED, WORKER_ROLES, gettext_lazy("提交整改"), "primary"
    ),
    TicketAction.CLOSE_OUT: Transition(
        frozenset({TicketState.SUBMITTED}), TicketState.CLOSED, MANAGER_ROLES, gettext_lazy("核验销号"), "primary"
    ),
    TicketAction.RETURN: Transition(
        frozenset({TicketState.SUBMITTED}), TicketState.RECTIFYING, MANAGER_ROLES, gettext_lazy("退回"), "warning"
    ),
    TicketAction.REOPEN: Transition(
        frozenset({TicketState.CLOSED}),
        TicketState.RECTIFYING,
        MANAGER_ROLES,
        gettext_lazy("重新打开（反弹）"),
        "warning",
    ),
    TicketAction.VOID: Transition(
        frozenset({TicketState.REPORTED}), TicketState.VOIDED, MANAGER_ROLES, gettext_lazy("撤销"), "danger"
    ),
}


def role_allows(action, ticket, user):
    """Whether this person's role could ever do `action` to this ticket, whatever its state."""
    scope = scope_for(user)
    transition = ALLOWED_TRANSITIONS[action]
    roles = scope.roles_in(ticket.district_id)
    if not roles & transition.roles:
        return False
    if action == TicketAction.SUBMIT_FIX and not roles & MANAGER_ROLES:
        # Staff submit fixes only for the unit (or street) they belong to.
        return scope.is_responsible_for(ticket.responsible_unit)
    return True


def refusal(action, ticket, user):
    """Why `user` may not do `action` now, or None if they may."""
    transition = ALLOWED_TRANSITIONS[action]
    if not role_allows(action, ticket, user):
        return ActionForbidden(_("您的角色不能对这张工单执行“%(action)s”。") % {"action": transition.label})
    if ticket.state not in transition.sources:
        return TransitionRefused(
            _("工单当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": ticket.get_state_display(), "action": transition.label}
        )
    if action == TicketAction.CLOSE_OUT and ticket.fix_submitted_by_id == user.pk:
        return ActionForbidden(_("提交整改的人不能核验销号自己的整改（双人核验）。"))
    return None


def actions_for(ticket, user):
    """The acts this person may do right now: drives the buttons on the ticket page.

    The same rules as refusal(), without composing the messages nobody will read.
    """
    return [
        action
        for action, transition in ALLOWED_TRANSITIONS.items()
        if ticket.state in transition.sources
        and role_allows(action, ticket, user)
        and not (action == TicketAction.CLOSE_OUT and ticket.fix_submitted_by_id == user.pk)
    ]


def _check(action, ticket, user):
    problem = refusal(action, ticket, user)
    if problem is not None:
        raise problem


def _chain_head():
    # The newest link of the ticket's event chain, read with the row: the next event hangs on it.
    return Subquery(TicketEvent.objects.filter(ticket_id=OuterRef("pk")).order_by("-id").values("chain_hash")[:1])


_LOCKED_BY_ID = PreparedQuery(
    Ticket, lambda pk: Ticket.objects.select_for_update(of=("self",)).filter(pk=pk).annotate(chain_head=_chain_head())
)
_LOCKED_BY_NUMBER = PreparedQuery(
    Ticket,
    lambda number, district_ids: (
        Ticket.objects.select_for_update(of=("self",))
        .filter(number=number, district_id__in=district_ids)
        .annotate(chain_head=_chain_head())
    ),
    lists=("district_ids",),
)


def _lock(ticket):
    """The ticket's row, locked until the transaction ends, with the head of its event chain.

    Every act runs this same lookup, so it is compiled once (campaigns/prepared.py).
    """
    if isinstance(ticket, TicketRef):
        districts = sorted(ticket.district_ids)
        locked = _LOCKED_BY_NUMBER.first(number=ticket.number, district_ids=districts) if districts else None
        if locked is None:
            raise TicketNotFound(_("没有这张工单，或您无权查看。"))
        return locked
    locked = _LOCKED_BY_ID.first(pk=ticket.pk)
    if locked is None:
        raise Ticket.DoesNotExist(f"ticket {ticket.pk} is gone")
    return locked


def _record(ticket, action, actor, from_state, note="", details=None, at=None):
    # Every page that shows the district is stale once this commits (one Redis pipeline with
    # the rest of what the act asks of Redis: campaigns/queue.py).
    after_commit_batch(district=ticket.district_id)
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
    if action == TicketAction.LOG:
        event.chain_hash = event_hash("", event)  # a ticket's first link: nothing to look up before it
    elif hasattr(ticket, "chain_head"):  # read with the locked row (_lock)
        event.chain_hash = event_hash(ticket.chain_head or "", event)
    if event.chain_hash:
        # What TicketEvent.save() adds is done (a new row, its link set). The message it owes
        # goes into the outbox in the same statement.
        owed = outbox_item_for(event)
        if owed is None:
            prepared_insert(event)
        else:
            prepared_insert_with(event, owed, "ref_id")
            outbox_drain_after_commit()
    else:
        event.save()  # without a known head, the event looks its previous link up itself
        outbox_add_ticket_event(event)
    ticket.chain_head = event.chain_hash
    return event


def _claim_photos(photos, *, ticket, event, kind, actor):
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


def _require(value, message):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TransitionRefused(message)


def _validate_assignment(ticket, unit, deadline, today):
    _require(unit, _("请选择责任单位。"))
    _require(deadline, _("请填写整改时限。"))
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
    "state",
    "updated_at",
]


def _apply_assignment(ticket, actor, *, unit, deadline, person="", phone="", work_group=None, note="", at=None):
    """Hand a reported ticket to its unit: the fields, the state and the event, in one place."""
    from_state = ticket.state
    ticket.responsible_unit = unit
    ticket.responsible_person = (person or "").strip()
    ticket.responsible_phone = (phone or "").strip()
    ticket.deadline = deadline
    ticket.work_group = work_group
    ticket.assigned_at = at or timezone.now()
    ticket.state = ALLOWED_TRANSITIONS[TicketAction.ASSIGN].target
    prepared_update(ticket, ASSIGNMENT_FIELDS)
    details = _assignment_details(unit, ticket.responsible_person, ticket.responsible_phone, deadline, work_group)
    return _record(ticket, TicketAction.ASSIGN, actor, from_state, note=note.strip(), details=details, at=at)


def _validate_checklist_item(item, campaign_id, area_id):
    """A problem counts against a task of its own campaign and assessment area."""
    if item is None:
        return
    if item.campaign_id != campaign_id:
        raise TransitionRefused(_("所选任务不属于本活动。"))
    if item.area_id != area_id:
        raise TransitionRefused(_("所选任务不属于这个问题的测评类别。"))


def _assignment_details(unit, person, phone, deadline, work_group):
    details = {"unit": unit.name, "unit_id": unit.pk, "person": person, "deadline": deadline.isoformat()}
    if phone:
        details["phone"] = phone
    if work_group is not None:
        details["work_group"] = work_group.name
    return details


def ticket_log(
    *,
    actor,
    campaign,
    category,
    description,
    photos,
    street=None,
    point=None,
    place="",
    finder_group=None,
    reported_at=None,
    assignment=None,
    checklist_item=None,
    submission_key=None,
):
    """Log a problem found on patrol: a new ledger line with a number that is never reused.

    `assignment` (unit, person, phone, deadline, work_group) lets staff who already know
    the responsible unit log straight into 整改中. `submission_key` (the log form's one-time
    key) is written with the ticket: the same form sent again raises SubmissionRepeated with
    this ticket instead of logging a second one (campaigns/services/submissions.py).
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
    _require(street, _("请选择街道/乡镇。"))
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
        prepared_insert(ticket)  # the INSERT every log runs, compiled once
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
        tally_move(None, tally_snapshot(ticket))
    return ticket


def _finder_group_of(actor, campaign):
    from .reference import choices_version_of, kept

    def build():
        group = WorkGroup.objects.filter(campaign=campaign, kind=WorkGroupKind.FINDER_GROUP, members=actor).first()
        return (group,)  # "in no group" is worth keeping too

    return kept(f"finder-group:{campaign.pk}:{actor.pk}", choices_version_of(actor), build)[0]


def ticket_assign(*, ticket, actor, unit, deadline, person="", phone="", work_group=None, note="", checklist_item=None):
    """交办: hand the problem to a responsible unit and person with a deadline.

    Triage is also where the problem is tied to the checklist task it puts at risk.
    """
    with transaction.atomic():
        ticket = _lock(ticket)
        _check(TicketAction.ASSIGN, ticket, actor)
        before = tally_snapshot(ticket)
        _validate_assignment(ticket, unit, deadline, timezone.localdate())
        if work_group is not None and work_group.campaign_id != ticket.campaign_id:
            raise TransitionRefused(_("工作组不属于本活动。"))
        _validate_checklist_item(checklist_item, ticket.campaign_id, ticket.area_id)
        if checklist_item is not None and checklist_item.pk != ticket.checklist_item_id:
            ticket.checklist_item = checklist_item
            prepared_update(ticket, ["checklist_item"])
        _apply_assignment(
            ticket, actor, unit=unit, deadline=deadline, person=person, phone=phone, work_group=work_group, note=note
        )
        tally_move(before, tally_snapshot(ticket))
    return ticket


def ticket_submit_fix(*, ticket, actor, note, photos):
    """提交整改: the unit says it is fixed, with a note and at least one after-photo."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _check(TicketAction.SUBMIT_FIX, ticket, actor)
        before = tally_snapshot(ticket)
        _require(note, _("请说明整改情况。"))
        if not photos:
            raise TransitionRefused(_("提交整改至少需要一张整改后照片。"))
        from_state = ticket.state
        ticket.state = ALLOWED_TRANSITIONS[TicketAction.SUBMIT_FIX].target
        ticket.fix_submitted_at = timezone.now()
        ticket.fix_submitted_by = actor
        prepared_update(ticket, ["state", "fix_submitted_at", "fix_submitted_by", "updated_at"])
        event = _record(ticket, TicketAction.SUBMIT_FIX, actor, from_state, note=note.strip())
        _claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.AFTER, actor=actor)
        tally_move(before, tally_snapshot(ticket))
    return ticket


def ticket_close_out(*, ticket, actor, note=""):
    """核验销号: a supervisor who did not submit the fix checks it and strikes the line off.

    Every attempt is in the security audit log, the refused ones too (written after the
    refused transaction has rolled back, so the refusal itself is never lost).
    """
    try:
        with transaction.atomic():
            ticket = _lock(ticket)
            _check(TicketAction.CLOSE_OUT, ticket, actor)
            before = tally_snapshot(ticket)
            from_state = ticket.state
            ticket.state = ALLOWED_TRANSITIONS[TicketAction.CLOSE_OUT].target
            ticket.closed_at = timezone.now()
            ticket.closed_by = actor
            prepared_update(ticket, ["state", "closed_at", "closed_by", "updated_at"])
            _record(ticket, TicketAction.CLOSE_OUT, actor, from_state, note=note.strip())
            tally_move(before, tally_snapshot(ticket))
            audit_record(AuditKind.CLOSE_OUT, user=actor, district=ticket.district_id, target=ticket.number)
    except (ActionForbidden, TransitionRefused) as refused:
        audit_record(
            AuditKind.CLOSE_OUT,
            user=actor,
            district=ticket.district_id,
            target=ticket.number,
            success=False,
            reason=str(refused),
        )
        raise
    return ticket


def ticket_return(*, ticket, actor, reason, deadline=None):
    """退回: the fix is not good enough. It counts against the unit even if fixed again the same day."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _check(TicketAction.RETURN, ticket, actor)
        before = tally_snapshot(ticket)
        _require(reason, _("退回必须填写原因。"))
        if deadline is not None and deadline < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        from_state = ticket.state
        ticket.state = ALLOWED_TRANSITIONS[TicketAction.RETURN].target
        ticket.return_count += 1
        fields = ["state", "return_count", "updated_at"]
        details = {}
        if deadline is not None:
            details["deadline"] = deadline.isoformat()
            if ticket.deadline:
                details["previous_deadline"] = ticket.deadline.isoformat()
            ticket.deadline = deadline
            fields.append("deadline")
        prepared_update(ticket, fields)
        _record(ticket, TicketAction.RETURN, actor, from_state, note=reason.strip(), details=details)
        tally_move(before, tally_snapshot(ticket))
    return ticket


def ticket_reopen(*, ticket, actor, reason, deadline):
    """重新打开: the problem came back after 销号 — a recurrence (反弹) on the unit's record."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _check(TicketAction.REOPEN, ticket, actor)
        before = tally_snapshot(ticket)
        _require(reason, _("重新打开必须填写原因。"))
        _require(deadline, _("请填写新的整改时限。"))
        if deadline < timezone.localdate():
            raise TransitionRefused(_("整改时限不能早于今天。"))
        from_state = ticket.state
        details = {"deadline": deadline.isoformat()}
        if ticket.closed_at:
            details["previous_closed_at"] = timezone.localtime(ticket.closed_at).isoformat()
        ticket.state = ALLOWED_TRANSITIONS[TicketAction.REOPEN].target
        ticket.reopen_count += 1
        ticket.deadline = deadline
        ticket.closed_at = None
        ticket.closed_by = None
        prepared_update(ticket, ["state", "reopen_count", "deadline", "closed_at", "closed_by", "updated_at"])
        _record(ticket, TicketAction.REOPEN, actor, from_state, note=reason.strip(), details=details)
        tally_move(before, tally_snapshot(ticket))
    return ticket


def ticket_void(*, ticket, actor, reason):
    """撤销: not a real problem, or a duplicate. Nothing is deleted; the line stays, voided."""
    with transaction.atomic():
        ticket = _lock(ticket)
        _check(TicketAction.VOID, ticket, actor)
        before = tally_snapshot(ticket)
        _require(reason, _("撤销必须填写原因。"))
        from_state = ticket.state
        ticket.state = ALLOWED_TRANSITIONS[TicketAction.VOID].target
        prepared_update(ticket, ["state", "updated_at"])
        _record(ticket, TicketAction.VOID, actor, from_state, note=reason.strip())
        tally_move(before, tally_snapshot(ticket))
    return ticket
