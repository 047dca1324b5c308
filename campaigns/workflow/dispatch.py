"""退单, 改派 and 催办: getting a ticket to the right unit, and keeping that unit at it.

    assigned/rectifying ──退单 (the unit)──▶ reported   (the district assigns it again)
    assigned/rectifying ──改派 (managers)──▶ assigned at another unit, a new 签收时限
    assigned/rectifying ──催办 (managers)──▶ (no change: the unit and its head are told)

Neither 退单 nor 改派 counts against the unit that had the ticket: the rankings follow the
ticket's current unit, and the events keep who had it before (准确派遣率 reads them).
"""

from collections.abc import Sequence
from datetime import date

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import OrgUnit, Ticket, TicketAction
from ..policy import TransitionRefused
from .closing import co_units_set
from .core import TicketRef, act, require, require_unit_seen, transition
from .tickets import ASSIGNMENT_FIELDS, _validate_assignment, sign_due

# A new unit starts with a clean slate: the ladder's steps and 黄牌 were about the old one.
LADDER_FIELDS = ["escalation_step", "yellow_card_at"]


def _unit_details(unit: OrgUnit | None, prefix: str) -> dict[str, object]:
    if unit is None:
        return {}
    return {f"{prefix}unit": unit.name, f"{prefix}unit_id": unit.pk}


def ticket_decline(
    *, ticket: Ticket | TicketRef, actor: User, reason: str, suggested_unit: OrgUnit | None = None
) -> Ticket:
    """退单: the unit says the ticket is not theirs; it goes back to 待交办 with the assignment
    cleared, and the district's supervisors are told (the outbox) to assign it again."""
    with act(ticket, TicketAction.DECLINE, actor) as ticket:
        require(reason, _("退单必须填写原因。"))
        if suggested_unit is not None and (
            suggested_unit.district_id != ticket.district_id or suggested_unit.pk == ticket.responsible_unit_id
        ):
            raise TransitionRefused(_("建议的责任单位必须是本区的其他单位。"))
        details = _unit_details(ticket.responsible_unit, "") | _unit_details(suggested_unit, "suggested_")
        ticket.responsible_unit = None
        ticket.responsible_person = ""
        ticket.responsible_phone = ""
        ticket.deadline = None
        ticket.work_group = None
        # assigned_at stays: a ticket handed back waits for 改派 (to the right unit), not a first 交办.
        ticket.sign_due_at = None
        ticket.signed_at = None
        ticket.escalation_step = 0
        ticket.yellow_card_at = None
        transition(
            ticket,
            TicketAction.DECLINE,
            actor,
            fields=[*ASSIGNMENT_FIELDS, *LADDER_FIELDS],
            note=reason.strip(),
            details=details,
        )
    return ticket


def ticket_reassign(
    *,
    ticket: Ticket | TicketRef,
    actor: User,
    unit: OrgUnit,
    deadline: date,
    reason: str,
    person: str = "",
    phone: str = "",
    seen_unit: OrgUnit | None = None,
    co_units: Sequence[OrgUnit] | None = None,
) -> Ticket:
    """改派: a supervisor hands the ticket to another unit, which must 签收 it anew — a ticket a
    unit holds, or one a unit handed back (退单). `co_units`, when given, replaces its 协办单位.

    `seen_unit` is the unit the supervisor's page showed: if another 改派 got there first,
    this one is refused rather than silently overriding it."""
    with act(ticket, TicketAction.REASSIGN, actor) as ticket:
        require_unit_seen(ticket, seen_unit)
        require(reason, _("改派必须填写原因。"))
        _validate_assignment(ticket, unit, deadline, timezone.localdate())
        if unit.pk == ticket.responsible_unit_id:
            raise TransitionRefused(_("改派必须换一个责任单位。"))
        details = (
            _unit_details(ticket.responsible_unit, "from_")
            | _unit_details(unit, "to_")
            | {"deadline": deadline.isoformat(), "from_state": ticket.state}
        )
        ticket.responsible_unit = unit
        ticket.responsible_person = (person or "").strip()
        ticket.responsible_phone = (phone or "").strip()
        ticket.deadline = deadline
        ticket.work_group = None  # the 专线 followed the old unit
        ticket.assigned_at = timezone.now()
        ticket.sign_due_at = sign_due(ticket.assigned_at, ticket.campaign)
        ticket.signed_at = None
        ticket.escalation_step = 0
        ticket.yellow_card_at = None
        if co_units is not None:
            if names := co_units_set(ticket, co_units):
                details["co_units"] = names
        elif ticket.co_units_count:
            co_units_set(ticket, [part.unit for part in ticket.co_unit_parts.all() if part.unit_id != unit.pk])
        transition(
            ticket,
            TicketAction.REASSIGN,
            actor,
            fields=[*ASSIGNMENT_FIELDS, *LADDER_FIELDS],
            note=reason.strip(),
            details=details,
        )
    return ticket


def ticket_urge(*, ticket: Ticket | TicketRef, actor: User, note: str) -> Ticket:
    """催办: a supervisor presses the unit; its liaisons and its head are told (the outbox)."""
    with act(ticket, TicketAction.URGE, actor) as ticket:
        require(note, _("请写明催办内容。"))
        transition(
            ticket, TicketAction.URGE, actor, note=note.strip(), details=_unit_details(ticket.responsible_unit, "")
        )
    return ticket
