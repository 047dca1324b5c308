"""Who may do which act to a ticket, decided from values alone.

The lowest floor of the domain: no I/O, and nothing of the project imported, so models may
import the roles and states defined here and every caller can test a rule without a
database. The caller brings the person's reach (a Scope, which campaigns/access.py computes
from their memberships) and the ticket; these functions only read them.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import Q, TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    STAFF = "staff", _("工作人员")
    SUPERVISOR = "supervisor", _("督导/创卫办")
    ADMIN = "admin", _("管理员")
    LEADER = "leader", _("领导（只读）")


class TicketState(TextChoices):
    REPORTED = "reported", _("待交办")
    RECTIFYING = "rectifying", _("整改中")
    SUBMITTED = "submitted", _("待核验")
    CLOSED = "closed", _("已销号")
    VOIDED = "voided", _("已撤销")


OPEN_STATES = (TicketState.REPORTED, TicketState.RECTIFYING, TicketState.SUBMITTED)


class TicketAction(TextChoices):
    LOG = "log", _("登记问题")
    ASSIGN = "assign", _("交办")
    SUBMIT_FIX = "submit_fix", _("提交整改")
    CLOSE_OUT = "close_out", _("核验销号")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开（反弹）")
    VOID = "void", _("撤销")


MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
WORKER_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR, Role.ADMIN})


class UnitLike(Protocol):
    """What a rule reads of an org unit."""

    pk: int
    street_id: int | None


class TicketLike(Protocol):
    """What a rule reads of a ticket (a Ticket, or any object with these attributes)."""

    district_id: int
    state: str
    fix_submitted_by_id: int | None

    @property
    def responsible_unit(self) -> UnitLike | None: ...


@dataclass(frozen=True)
class Scope:
    """A person's reach: the districts they may see, their roles in each, the units they fix for."""

    district_ids: frozenset[int] = frozenset()
    roles_by_district: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # Units whose tickets this person fixes (责任单位联络员), and streets they cover.
    unit_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    city_ids: frozenset[int] = frozenset()

    def roles_in(self, district_id: int) -> frozenset[str]:
        return self.roles_by_district.get(district_id, frozenset())

    def has_role(self, district_id: int, roles: Set[str]) -> bool:
        return bool(self.roles_in(district_id) & roles)

    def can_manage(self, district_id: int) -> bool:
        return self.has_role(district_id, MANAGER_ROLES)

    def can_log(self, district_id: int) -> bool:
        return self.has_role(district_id, WORKER_ROLES)

    @property
    def is_city_level(self) -> bool:
        return bool(self.city_ids)

    @property
    def is_read_only(self) -> bool:
        return all(roles <= {Role.LEADER} for roles in self.roles_by_district.values())

    def is_responsible_for(self, unit: UnitLike | None) -> bool:
        """A member of the responsible unit, or of the street that unit sits in."""
        if unit is None:
            return False
        return unit.pk in self.unit_ids or (unit.street_id is not None and unit.street_id in self.street_ids)

    def responsible_q(self, prefix: str = "responsible_unit") -> Q:
        return Q(**{f"{prefix}_id__in": self.unit_ids}) | Q(**{f"{prefix}__street_id__in": self.street_ids})


EMPTY_SCOPE = Scope()


class WorkflowError(Exception):
    """A refused act. The message is for the person who tried it."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


class ActionForbidden(WorkflowError):
    """The person may never do this to this ticket (role, four eyes)."""


class TransitionRefused(WorkflowError):
    """The act does not fit the ticket's state or lacks what it needs."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: Promise
    style: str = "secondary"


ALLOWED_TRANSITIONS: dict[str, Transition] = {
    TicketAction.ASSIGN: Transition(
        frozenset({TicketState.REPORTED}), TicketState.RECTIFYING, MANAGER_ROLES, _("交办"), "primary"
    ),
    TicketAction.SUBMIT_FIX: Transition(
        frozenset({TicketState.RECTIFYING}), TicketState.SUBMITTED, WORKER_ROLES, _("提交整改"), "primary"
    ),
    TicketAction.CLOSE_OUT: Transition(
        frozenset({TicketState.SUBMITTED}), TicketState.CLOSED, MANAGER_ROLES, _("核验销号"), "primary"
    ),
    TicketAction.RETURN: Transition(
        frozenset({TicketState.SUBMITTED}), TicketState.RECTIFYING, MANAGER_ROLES, _("退回"), "warning"
    ),
    TicketAction.REOPEN: Transition(
        frozenset({TicketState.CLOSED}), TicketState.RECTIFYING, MANAGER_ROLES, _("重新打开（反弹）"), "warning"
    ),
    TicketAction.VOID: Transition(
        frozenset({TicketState.REPORTED}), TicketState.VOIDED, MANAGER_ROLES, _("撤销"), "danger"
    ),
}


def role_allows(action: str, ticket: TicketLike, scope: Scope) -> bool:
    """Whether this reach could ever do `action` to this ticket, whatever its state."""
    transition = ALLOWED_TRANSITIONS[action]
    roles = scope.roles_in(ticket.district_id)
    if not roles & transition.roles:
        return False
    if action == TicketAction.SUBMIT_FIX and not roles & MANAGER_ROLES:
        # Staff submit fixes only for the unit (or street) they belong to.
        return scope.is_responsible_for(ticket.responsible_unit)
    return True


def _own_fix(action: str, ticket: TicketLike, user_id: int | None) -> bool:
    # Four eyes: whoever submitted the fix may never strike it off themselves.
    return action == TicketAction.CLOSE_OUT and ticket.fix_submitted_by_id == user_id


def refusal(action: str, ticket: TicketLike, scope: Scope, user_id: int | None) -> WorkflowError | None:
    """Why the person (`user_id`, reaching `scope`) may not do `action` now, or None if they may."""
    transition = ALLOWED_TRANSITIONS[action]
    if not role_allows(action, ticket, scope):
        return ActionForbidden(gettext("您的角色不能对这张工单执行“%(action)s”。") % {"action": transition.label})
    if ticket.state not in transition.sources:
        return TransitionRefused(
            gettext("工单当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": TicketState(ticket.state).label, "action": transition.label}
        )
    if _own_fix(action, ticket, user_id):
        return ActionForbidden(gettext("提交整改的人不能核验销号自己的整改（双人核验）。"))
    return None


def actions_for(ticket: TicketLike, scope: Scope, user_id: int | None) -> list[str]:
    """The acts the person may do right now: drives the buttons on the ticket page.

    The same rules as refusal(), without composing the messages nobody will read.
    """
    return [
        action
        for action, transition in ALLOWED_TRANSITIONS.items()
        if ticket.state in transition.sources
        and role_allows(action, ticket, scope)
        and not _own_fix(action, ticket, user_id)
    ]
