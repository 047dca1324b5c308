"""Who may do which act to a ticket, decided from values alone.

The lowest floor of the domain: no I/O, and nothing of the project imported, so models may
import the roles and states defined here and every caller can test a rule without a
database. The caller brings the person's reach (a Scope, which campaigns/access.py computes
from their memberships) and the ticket; these functions only read them.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import date, datetime
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
    ASSIGNED = "assigned", _("待签收")
    RECTIFYING = "rectifying", _("整改中")
    SUBMITTED = "submitted", _("待核验")
    ON_HOLD = "on_hold", _("挂账")
    CLOSED = "closed", _("已销号")
    VOIDED = "voided", _("已撤销")


OPEN_STATES = (
    TicketState.REPORTED,
    TicketState.ASSIGNED,
    TicketState.RECTIFYING,
    TicketState.SUBMITTED,
    TicketState.ON_HOLD,
)
# The states whose deadline runs: a 挂账 ticket is open, but outside overdue until its date.
CLOCK_STATES = (TicketState.ASSIGNED, TicketState.RECTIFYING, TicketState.SUBMITTED)


class TicketAction(TextChoices):
    LOG = "log", _("登记问题")
    ASSIGN = "assign", _("交办")
    SIGN = "sign", _("签收")
    DECLINE = "decline", _("退单")
    REASSIGN = "reassign", _("改派")
    REQUEST_EXTENSION = "ext_request", _("申请延期")
    APPROVE_EXTENSION = "ext_approve", _("同意延期")
    REJECT_EXTENSION = "ext_reject", _("驳回延期")
    HOLD = "hold", _("挂账")
    RESUME = "resume", _("恢复整改")
    URGE = "urge", _("催办")
    ESCALATE = "escalate", _("逾期升级")
    SUBMIT_PART = "submit_part", _("提交协办部分")
    WAIVE_PART = "waive_part", _("免除协办部分")
    SUBMIT_FIX = "submit_fix", _("提交整改")
    REVIEW = "review", _("复核")
    CLOSE_OUT = "close_out", _("核验销号")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开（反弹）")
    RECHECK_KEPT = "recheck_kept", _("复查：保持")
    RECHECK_RELAPSED = "recheck_relapse", _("复查：反弹")
    SUPERVISE = "supervise", _("挂牌督办")
    VOID = "void", _("撤销")
    # 重复问题合并: the duplicate is closed (已撤销) with a link to the ticket kept, which
    # records what it took in; neither is counted twice.
    MERGE = "merge", _("合并为重复问题")
    MERGE_IN = "merge_in", _("并入重复问题")


MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
WORKER_ROLES = frozenset({Role.STAFF, Role.SUPERVISOR, Role.ADMIN})


class UnitLike(Protocol):
    """What a rule reads of an org unit."""

    pk: int
    street_id: int | None


@dataclass(frozen=True)
class ReviewLevel:
    """One level of the 销号 chain: who verifies there (a role, or the members of a work group)."""

    label: str | Promise
    roles: frozenset[str] = frozenset({Role.SUPERVISOR, Role.ADMIN})
    work_group_id: int | None = None
    photo_required: bool = False


# Nobody configured a chain: one level, the district's supervisors (创卫办销号).
ONE_LEVEL = (ReviewLevel(label=_("创卫办销号")),)


@dataclass(frozen=True)
class ChainRules:
    """What a campaign decided about its 交办 chain (campaigns.models.Campaign.chain_rules)."""

    max_extensions: int = 2
    review_levels: tuple[ReviewLevel, ...] = ONE_LEVEL


DEFAULT_RULES = ChainRules()


class TicketLike(Protocol):
    """What a rule reads of a ticket (a Ticket, or any object with these attributes)."""

    district_id: int
    street_id: int
    finder_group_id: int | None
    state: str
    fix_submitted_by_id: int | None
    # Set at the first 交办 and kept through a 退单: a 待交办 ticket with it was handed back.
    assigned_at: datetime | None
    # Levels of the 销号 chain passed since the fix was last submitted, and who passed them.
    review_level: int
    reviewed_by: list[int]
    extensions_used: int
    # The deadline a unit asked for, while its 申请延期 waits for an answer.
    extension_requested_until: date | None
    supervised_at: datetime | None

    @property
    def responsible_unit(self) -> UnitLike | None: ...

    @property
    def chain_rules(self) -> ChainRules: ...

    @property
    def co_unit_ids(self) -> frozenset[int]:
        """The 协办单位 of this ticket."""
        ...

    @property
    def parts_outstanding(self) -> frozenset[int]:
        """The 协办单位 whose part is neither submitted nor waived."""
        ...

    @property
    def recheck_due(self) -> bool:
        """A 复查 of this closed ticket is due (today or earlier) and not done."""
        ...


@dataclass(frozen=True)
class Scope:
    """A person's reach: the districts they may see, their roles in each, the units they fix for."""

    district_ids: frozenset[int] = frozenset()
    roles_by_district: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # Units whose tickets this person fixes (责任单位联络员), and streets they cover.
    unit_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    city_ids: frozenset[int] = frozenset()
    # Work groups this person belongs to (a level of the 销号 chain may be a work group).
    work_group_ids: frozenset[int] = frozenset()

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


class Actor(TextChoices):
    """Who does an act, beyond the role: the rule the buttons and the verbs share."""

    MANAGERS = "managers"  # the district's supervisors and admins
    UNIT = "unit"  # the responsible unit's people (managers may act for it where on_behalf)
    CO_UNIT = "co_unit"  # the people of a 协办单位 whose part is still due
    REVIEWER = "reviewer"  # the people of the 销号 chain's current level
    RECHECKER = "rechecker"  # the ticket's finder group, its street's staff, or managers (复查)
    SYSTEM = "system"  # the sweeps only (the escalation ladder): never a button


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    # None: the act leaves the state as it is (催办, 申请延期, 复核 below the last level …).
    target: str | None
    actor: str
    label: Promise
    style: str = "secondary"
    # Managers may do a unit's act for it (a unit that phoned in its 签收).
    on_behalf: bool = True
    # Acts taken elsewhere than the ticket's own buttons (合并 pairs two tickets, from a
    # 疑似重复 suggestion): never listed by actions_for.
    button: bool = True


_S = TicketState
_WORKING = frozenset({_S.ASSIGNED, _S.RECTIFYING})

ALLOWED_TRANSITIONS: dict[str, Transition] = {
    TicketAction.ASSIGN: Transition(frozenset({_S.REPORTED}), _S.ASSIGNED, Actor.MANAGERS, _("交办"), "primary"),
    TicketAction.SIGN: Transition(frozenset({_S.ASSIGNED}), _S.RECTIFYING, Actor.UNIT, _("签收"), "primary"),
    TicketAction.DECLINE: Transition(_WORKING, _S.REPORTED, Actor.UNIT, _("退单"), "warning", on_behalf=False),
    # 改派 also takes a ticket its unit handed back (退单): it goes to the right unit from there.
    TicketAction.REASSIGN: Transition(_WORKING | {_S.REPORTED}, _S.ASSIGNED, Actor.MANAGERS, _("改派"), "warning"),
    TicketAction.REQUEST_EXTENSION: Transition(
        frozenset({_S.RECTIFYING}), None, Actor.UNIT, _("申请延期"), on_behalf=False
    ),
    TicketAction.APPROVE_EXTENSION: Transition(
        frozenset({_S.RECTIFYING}), None, Actor.MANAGERS, _("同意延期"), "primary"
    ),
    TicketAction.REJECT_EXTENSION: Transition(
        frozenset({_S.RECTIFYING}), None, Actor.MANAGERS, _("驳回延期"), "warning"
    ),
    TicketAction.HOLD: Transition(_WORKING, _S.ON_HOLD, Actor.MANAGERS, _("挂账")),
    TicketAction.RESUME: Transition(frozenset({_S.ON_HOLD}), _S.RECTIFYING, Actor.MANAGERS, _("恢复整改")),
    TicketAction.URGE: Transition(_WORKING, None, Actor.MANAGERS, _("催办")),
    TicketAction.ESCALATE: Transition(_WORKING, None, Actor.SYSTEM, _("逾期升级")),
    TicketAction.SUBMIT_PART: Transition(_WORKING, None, Actor.CO_UNIT, _("提交协办部分"), "primary"),
    TicketAction.WAIVE_PART: Transition(_WORKING, None, Actor.MANAGERS, _("免除协办部分")),
    # A unit that fixes a ticket it never signed for has signed by fixing it (the verb records
    # the 签收 first).
    TicketAction.SUBMIT_FIX: Transition(_WORKING, _S.SUBMITTED, Actor.UNIT, _("提交整改"), "primary"),
    TicketAction.REVIEW: Transition(frozenset({_S.SUBMITTED}), None, Actor.REVIEWER, _("复核"), "primary"),
    TicketAction.CLOSE_OUT: Transition(frozenset({_S.SUBMITTED}), _S.CLOSED, Actor.REVIEWER, _("核验销号"), "primary"),
    TicketAction.RETURN: Transition(frozenset({_S.SUBMITTED}), _S.RECTIFYING, Actor.REVIEWER, _("退回"), "warning"),
    TicketAction.REOPEN: Transition(
        frozenset({_S.CLOSED}), _S.RECTIFYING, Actor.MANAGERS, _("重新打开（反弹）"), "warning"
    ),
    TicketAction.RECHECK_KEPT: Transition(frozenset({_S.CLOSED}), None, Actor.RECHECKER, _("复查：保持"), "primary"),
    TicketAction.RECHECK_RELAPSED: Transition(
        frozenset({_S.CLOSED}), _S.RECTIFYING, Actor.RECHECKER, _("复查：反弹"), "warning"
    ),
    TicketAction.SUPERVISE: Transition(
        _WORKING | {_S.REPORTED, _S.SUBMITTED, _S.ON_HOLD}, None, Actor.MANAGERS, _("挂牌督办"), "danger"
    ),
    TicketAction.VOID: Transition(frozenset({_S.REPORTED}), _S.VOIDED, Actor.MANAGERS, _("撤销"), "danger"),
    # Only open tickets merge, at any step of the chain: the duplicate leaves the ledger as 已撤销
    # (so no figure counts it) and the kept ticket stays where it is.
    TicketAction.MERGE: Transition(
        frozenset(OPEN_STATES), _S.VOIDED, Actor.MANAGERS, _("合并为重复问题"), "warning", button=False
    ),
    TicketAction.MERGE_IN: Transition(frozenset(OPEN_STATES), None, Actor.MANAGERS, _("并入重复问题"), button=False),
}


def current_level(ticket: TicketLike) -> ReviewLevel:
    """The level of the 销号 chain the submitted fix waits at."""
    levels = ticket.chain_rules.review_levels
    return levels[min(ticket.review_level, len(levels) - 1)]


def is_last_level(ticket: TicketLike) -> bool:
    return ticket.review_level >= len(ticket.chain_rules.review_levels) - 1


def _at_level(level: ReviewLevel, ticket: TicketLike, scope: Scope) -> bool:
    if level.work_group_id is not None:
        return level.work_group_id in scope.work_group_ids
    return scope.has_role(ticket.district_id, level.roles)


def role_allows(action: str, ticket: TicketLike, scope: Scope) -> bool:
    """Whether this reach could ever do `action` to this ticket, whatever its state."""
    transition = ALLOWED_TRANSITIONS[action]
    roles = scope.roles_in(ticket.district_id)
    if not roles & WORKER_ROLES:
        return False  # leaders (领导) read; nobody outside the district acts
    manager = bool(roles & MANAGER_ROLES)
    match transition.actor:
        case Actor.MANAGERS:
            return manager
        case Actor.UNIT:
            return (manager and transition.on_behalf) or scope.is_responsible_for(ticket.responsible_unit)
        case Actor.CO_UNIT:
            return bool(scope.unit_ids & ticket.co_unit_ids)
        case Actor.REVIEWER:
            # Anyone on the chain may be a reviewer; whether it is their level now is data (_blocker).
            return manager or any(_at_level(level, ticket, scope) for level in ticket.chain_rules.review_levels)
        case Actor.RECHECKER:
            return (
                manager
                or ticket.street_id in scope.street_ids
                or (ticket.finder_group_id is not None and ticket.finder_group_id in scope.work_group_ids)
            )
    return False  # SYSTEM


def _blocker(action: str, ticket: TicketLike, scope: Scope, user_id: int | None) -> WorkflowError | None:
    """What the ticket's own data forbids now, beyond role and state (four eyes, counts …)."""
    match action:
        case TicketAction.ASSIGN if ticket.assigned_at is not None:
            return TransitionRefused(gettext("这张工单已被责任单位退单，请用“改派”交给正确的单位。"))
        case TicketAction.REASSIGN if ticket.state == _S.REPORTED and ticket.assigned_at is None:
            return TransitionRefused(gettext("这张工单还没有交办，请用“交办”。"))
        case TicketAction.REVIEW | TicketAction.CLOSE_OUT | TicketAction.RETURN:
            if action != TicketAction.RETURN and ticket.fix_submitted_by_id == user_id:
                # Four eyes: whoever submitted the fix may never pass it themselves.
                return ActionForbidden(gettext("提交整改的人不能核验销号自己的整改（双人核验）。"))
            if action != TicketAction.RETURN and user_id in ticket.reviewed_by:
                return ActionForbidden(gettext("您已在上一级复核过这次整改，同一人不能核验两次。"))
            last = is_last_level(ticket)
            if action == TicketAction.REVIEW and last:
                return TransitionRefused(gettext("这是最后一级，请直接核验销号。"))
            if action == TicketAction.CLOSE_OUT and not last:
                return TransitionRefused(
                    gettext("还需“%(level)s”复核，之后才能销号。") % {"level": current_level(ticket).label}
                )
            if not _at_level(current_level(ticket), ticket, scope):
                return TransitionRefused(
                    gettext("这张工单正等待“%(level)s”，不在您的核验层级。") % {"level": current_level(ticket).label}
                )
        case TicketAction.REQUEST_EXTENSION:
            if ticket.extension_requested_until is not None:
                return TransitionRefused(gettext("已有一份延期申请在等待审批。"))
            if ticket.extensions_used >= ticket.chain_rules.max_extensions:
                return TransitionRefused(
                    gettext("这张工单已延期 %(count)s 次，达到上限。") % {"count": ticket.extensions_used}
                )
        case TicketAction.APPROVE_EXTENSION | TicketAction.REJECT_EXTENSION:
            if ticket.extension_requested_until is None:
                return TransitionRefused(gettext("没有等待审批的延期申请。"))
            # The campaign may have lowered its limit while a request waited: refuse beyond it,
            # rejecting stays possible.
            if action == TicketAction.APPROVE_EXTENSION and ticket.extensions_used >= ticket.chain_rules.max_extensions:
                return TransitionRefused(
                    gettext("这张工单已延期 %(count)s 次，达到上限。") % {"count": ticket.extensions_used}
                )
        case TicketAction.SUBMIT_PART:
            if not scope.unit_ids & ticket.parts_outstanding:
                return TransitionRefused(gettext("您单位的协办部分已提交或已免除。"))
        case TicketAction.WAIVE_PART:
            if not ticket.parts_outstanding:
                return TransitionRefused(gettext("没有待提交的协办部分。"))
        case TicketAction.SUBMIT_FIX:
            if ticket.parts_outstanding:
                return TransitionRefused(gettext("还有协办单位的部分未提交；提交后或督导免除后才能提交整改。"))
        case TicketAction.RECHECK_KEPT | TicketAction.RECHECK_RELAPSED:
            if not ticket.recheck_due:
                return TransitionRefused(gettext("这张工单没有到期的复查。"))
        case TicketAction.SUPERVISE:
            if ticket.supervised_at is not None:
                return TransitionRefused(gettext("这张工单已挂牌督办。"))
    return None


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
    return _blocker(action, ticket, scope, user_id)


def actions_for(ticket: TicketLike, scope: Scope, user_id: int | None) -> list[str]:
    """The acts the person may do right now: drives the buttons on the ticket page."""
    return [
        action
        for action, transition in ALLOWED_TRANSITIONS.items()
        if ticket.state in transition.sources
        and transition.actor != Actor.SYSTEM
        and transition.button
        and role_allows(action, ticket, scope)
        and _blocker(action, ticket, scope, user_id) is None
    ]


# --- a point's place, taken from a phone standing at it ---------------------------------------

# A phone that knows its place no better than this cannot tell a market's east gate from the
# next street's; its reading is refused rather than stored.
LOCATION_ACCURACY_LIMIT_M = 100


class PointLike(Protocol):
    """What the locating rule reads of an inspection point."""

    district_id: int
    street_id: int | None
    unit_id: int


def may_locate_point(scope: Scope, point: PointLike) -> bool:
    """The staff of the point's street (or of the community it sits in) stand at it on their
    rounds; the district's admins keep every point. Supervisors and leaders do not move points."""
    if scope.has_role(point.district_id, {Role.ADMIN}):
        return True
    if not scope.has_role(point.district_id, {Role.STAFF}):
        return False
    return point.unit_id in scope.unit_ids or (point.street_id is not None and point.street_id in scope.street_ids)
