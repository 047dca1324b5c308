"""The end of the 交办 chain: 复核 up the 销号 levels, 协办 parts, and 复查 after 销号.

    submitted ──复核 (level 1 … n-1)──▶ submitted ──核验销号 (level n)──▶ closed ──复查：保持──▶ closed
                                                                          └──复查：反弹──▶ rectifying

A 协办单位 submits its part (or a supervisor waives it) before the 主办单位 may submit the fix.
"""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import scope_for
from ..models import (
    OrgUnit,
    PhotoKind,
    Recheck,
    RecheckResult,
    Ticket,
    TicketAction,
    TicketCoUnit,
    TicketEvent,
    TicketPhoto,
    UnitKind,
)
from ..policy import ReviewLevel, TransitionRefused, current_level
from ..selectors.evidence import flags_text, ticket_flags
from ..services.supervision import supervision_propose
from .core import TicketRef, act, claim_photos, require, transition


def level_photos(level: ReviewLevel, photos: Sequence[TicketPhoto]) -> None:
    """A level that verifies on site wants its own photo (现场核验照片)."""
    if level.photo_required and not photos:
        raise TransitionRefused(_("“%(level)s”须上传现场核验照片。") % {"level": level.label})


def evidence_reason_required(ticket: Ticket, note: str) -> list[str]:
    """The flags of the fix being passed; passing a flagged fix needs the verifier's reason
    (the flags never block it on their own)."""
    flags = ticket_flags(ticket)
    if flags and not note.strip():
        raise TransitionRefused(
            _("整改照片存在疑点（%(flags)s），通过核验须在意见中写明理由。") % {"flags": flags_text(flags)}
        )
    return flags


def ticket_review(
    *, ticket: Ticket | TicketRef, actor: User, note: str = "", photos: Sequence[TicketPhoto] = ()
) -> Ticket:
    """复核: one level of the 销号 chain below the last passes the fix up to the next."""
    with act(ticket, TicketAction.REVIEW, actor) as ticket:
        level = current_level(ticket)
        level_photos(level, photos)
        flags = evidence_reason_required(ticket, note)
        ticket.review_level += 1
        ticket.reviewed_by = [*ticket.reviewed_by, actor.pk]
        details: dict[str, object] = {"level": str(level.label), "level_number": ticket.review_level}
        if flags:
            details["evidence_flags"] = flags
        event = transition(
            ticket,
            TicketAction.REVIEW,
            actor,
            fields=["review_level", "reviewed_by"],
            note=note.strip(),
            details=details,
            photos=photos,
        )
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.REVIEW, actor=actor)
    return ticket


def rechecks_plan(ticket: Ticket, closed_on: date) -> list[Recheck]:
    """The 复查 a 销号 schedules: one per offset of the campaign (days after the close)."""
    return Recheck.objects.bulk_create(
        Recheck(
            ticket=ticket,
            district_id=ticket.district_id,
            street_id=ticket.street_id,
            days_after=days,
            due_on=closed_on + timedelta(days=days),
        )
        for days in sorted(set(ticket.campaign.recheck_offsets))
    )


def co_units_set(ticket: Ticket, units: Iterable[OrgUnit]) -> list[str]:
    """The 协办单位 of a ticket being 交办'd: the district's units other than the lead; their
    names go into the 交办 event."""
    chosen = {unit.pk: unit for unit in units}
    if ticket.responsible_unit_id is not None:
        chosen.pop(ticket.responsible_unit_id, None)  # the 主办单位 is never its own 协办
    for unit in chosen.values():
        if unit.district_id != ticket.district_id or unit.kind in (UnitKind.CITY, UnitKind.DISTRICT):
            raise TransitionRefused(_("协办单位必须是本区的街道、社区、村或部门。"))
    # A ticket 交办'd again (after a 退单) starts its parts afresh.
    TicketCoUnit.objects.filter(ticket=ticket).delete()
    TicketCoUnit.objects.bulk_create(TicketCoUnit(ticket=ticket, unit=unit) for unit in chosen.values())
    ticket.co_units_count = len(chosen)
    ticket.save(update_fields=["co_units_count"])
    if hasattr(ticket, "_prefetched_objects_cache"):
        ticket._prefetched_objects_cache.pop("co_unit_parts", None)
    return [unit.name for unit in chosen.values()]


def ticket_submit_part(
    *, ticket: Ticket | TicketRef, actor: User, note: str, photos: Sequence[TicketPhoto], unit: OrgUnit | None = None
) -> Ticket:
    """提交协办部分: a 协办单位 says its share is done, with a note and photos."""
    with act(ticket, TicketAction.SUBMIT_PART, actor) as ticket:
        require(note, _("请说明协办情况。"))
        if not photos:
            raise TransitionRefused(_("提交协办部分至少需要一张照片。"))
        part = _own_part(ticket, actor, unit)
        event = transition(
            ticket, TicketAction.SUBMIT_PART, actor, note=note.strip(), details={"unit": part.unit.name}, photos=photos
        )
        part.part_note = note.strip()
        part.part_event = event
        part.part_submitted_at = event.at
        part.part_submitted_by = actor
        part.save(update_fields=["part_note", "part_event", "part_submitted_at", "part_submitted_by"])
        claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.PART, actor=actor)
    return ticket


def _own_part(ticket: Ticket, actor: User, unit: OrgUnit | None) -> TicketCoUnit:
    parts = TicketCoUnit.objects.select_related("unit").filter(
        ticket=ticket, unit_id__in=scope_for(actor).unit_ids, part_submitted_at=None, waived_at=None
    )
    if unit is not None:
        parts = parts.filter(unit=unit)
    part = parts.order_by("id").first()
    if part is None:
        raise TransitionRefused(_("您单位的协办部分已提交或已免除。"))
    return part


def ticket_waive_part(*, ticket: Ticket | TicketRef, actor: User, unit: OrgUnit, reason: str) -> Ticket:
    """免除协办部分: a supervisor decides a 协办单位's share is not needed after all."""
    with act(ticket, TicketAction.WAIVE_PART, actor) as ticket:
        require(reason, _("免除协办部分必须填写原因。"))
        part = (
            TicketCoUnit.objects.select_related("unit")
            .filter(ticket=ticket, unit=unit, part_submitted_at=None, waived_at=None)
            .first()
        )
        if part is None:
            raise TransitionRefused(_("这个协办单位没有待提交的协办部分。"))
        event = transition(
            ticket, TicketAction.WAIVE_PART, actor, note=reason.strip(), details={"unit": part.unit.name}
        )
        part.waived_at = event.at
        part.waived_by = actor
        part.save(update_fields=["waived_at", "waived_by"])
    return ticket


def _relapses_at_point(ticket: Ticket, since: date) -> int:
    """反弹 of any ticket at the ticket's point since `since` (this one included)."""
    return TicketEvent.objects.filter(
        ticket__point_id=ticket.point_id,
        action=TicketAction.RECHECK_RELAPSED,
        at__date__gte=since,
    ).count()


def ticket_recheck(
    *, ticket: Ticket | TicketRef, actor: User, kept: bool, note: str = "", photos: Sequence[TicketPhoto] = ()
) -> Ticket:
    """复查: back at the point some days after 销号 — 保持, or 反弹 (back to 整改中 with a new deadline)."""
    action = TicketAction.RECHECK_KEPT if kept else TicketAction.RECHECK_RELAPSED
    with act(ticket, action, actor) as ticket:
        today = timezone.localdate()
        due = ticket.rechecks.filter(result="", cancelled=False, due_on__lte=today).order_by("due_on", "id").first()
        if due is None:
            raise TransitionRefused(_("这张工单没有到期的复查。"))
        details: dict[str, object] = {"days_after": due.days_after}
        fields: list[str] = ["next_recheck_on"]
        if kept:
            ticket.next_recheck_on = (
                ticket.rechecks.filter(result="", cancelled=False)
                .exclude(pk=due.pk)
                .order_by("due_on")
                .values_list("due_on", flat=True)
                .first()
            )
        else:
            ticket.next_recheck_on = None
            require(note, _("反弹必须说明情况。"))
            if not photos:
                raise TransitionRefused(_("复查反弹须上传现场照片。"))
            days = ticket.category.default_deadline_days if ticket.category_id else settings.DEFAULT_DEADLINE_DAYS
            ticket.deadline = today + timedelta(days=days)
            ticket.reopen_count += 1
            ticket.closed_at = None
            ticket.closed_by = None
            ticket.escalation_step = 0
            fields += ["deadline", "reopen_count", "closed_at", "closed_by", "escalation_step"]
            details["deadline"] = ticket.deadline.isoformat()
            if ticket.point_id is not None:
                since = today - timedelta(days=ticket.campaign.relapse_window_days)
                relapses = _relapses_at_point(ticket, since) + 1  # this one is not written yet
                if relapses >= ticket.campaign.relapse_limit:
                    details["propose_supervision"] = True
                    details["relapses"] = relapses
        event = transition(ticket, action, actor, fields=fields, note=note.strip(), details=details)
        due.result = RecheckResult.KEPT if kept else RecheckResult.RELAPSED
        due.done_at = event.at
        due.done_by = actor
        due.event = event
        due.save(update_fields=["result", "done_at", "done_by", "event"])
        if not kept:
            # The 销号 these were planned for is undone: the next 销号 plans its own.
            ticket.rechecks.filter(result="", cancelled=False).update(cancelled=True)
        if photos:
            claim_photos(photos, ticket=ticket, event=event, kind=PhotoKind.RECHECK, actor=actor)
        if details.get("propose_supervision"):
            supervision_propose(ticket, _("点位反弹 %(c)s 次，提议挂牌督办") % {"c": int(str(details["relapses"]))})
    return ticket


__all__ = [
    "co_units_set",
    "evidence_reason_required",
    "level_photos",
    "rechecks_plan",
    "ticket_recheck",
    "ticket_review",
    "ticket_submit_part",
    "ticket_waive_part",
]
