"""What waits for a person: my tasks."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import MANAGER_ROLES, scope_for
from campaigns.models import (
    ClosingLevel,
    OrgUnit,
    PhotoKind,
    Recheck,
    Ticket,
    TicketCoUnit,
    TicketPhoto,
    TicketState,
    TicketTally,
)
from campaigns.policy import Scope


def _overdue_first(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # Ordering by deadline puts the overdue ones first, and an index serves it as it stands.
    return queryset.order_by("deadline", "reported_at", "id")


@dataclass
class TaskList:
    key: str
    title: str
    tickets: list[Ticket]
    total: int
    list_query: str


MY_TASKS_LIMIT = 30


def _tally(state: str, **filters: Any) -> int:
    return TicketTally.objects.filter(state=state, **filters).aggregate(n=Sum("tickets"))["n"] or 0


def my_tasks(user: User) -> list[TaskList]:
    """What waits for this person, per role: to assign, to fix, to verify — overdue first.

    Each list shows its first thirty; a longer list's total comes from the rollup, not a count.
    """
    scope = scope_for(user)
    managed = [d for d in scope.district_ids if scope.roles_in(d) & MANAGER_ROLES]
    base = Ticket.objects.for_rows()
    lists: list[TaskList] = []

    def add(key: str, title: str, queryset: QuerySet[Ticket], list_query: str, total: Callable[[], int]) -> None:
        rows = list(queryset[: MY_TASKS_LIMIT + 1])
        count = len(rows) if len(rows) <= MY_TASKS_LIMIT else total()
        lists.append(TaskList(key, title, rows[:MY_TASKS_LIMIT], count, list_query))

    if managed:
        add(
            "assign",
            _("待交办"),
            base.filter(district_id__in=managed, state=TicketState.REPORTED).order_by("reported_at", "id"),
            "state=reported&sort=reported_at",
            lambda: _tally(TicketState.REPORTED, district_id__in=managed),
        )
    at_my_level = _my_levels_q(scope, managed)
    if at_my_level is not None:
        waiting = base.filter(at_my_level, state=TicketState.SUBMITTED).exclude(fix_submitted_by=user)
        add("verify", _("待核验销号"), _overdue_first(waiting), "state=submitted&sort=deadline", waiting.count)
        # Nobody verifies one fix twice: a level already passed by this person is someone else's.
        lists[-1].tickets = [ticket for ticket in lists[-1].tickets if user.pk not in ticket.reviewed_by]
    if scope.unit_ids:
        parts_due = TicketCoUnit.objects.filter(unit_id__in=scope.unit_ids, part_submitted_at=None, waived_at=None)
        helping = base.filter(
            pk__in=parts_due.values("ticket_id"), state__in=(TicketState.ASSIGNED, TicketState.RECTIFYING)
        )
        add("help", _("协办"), _overdue_first(helping), "state=rectifying&sort=deadline", helping.count)
    if scope.street_ids or scope.work_group_ids:
        due = Recheck.objects.filter(result="", cancelled=False, due_on__lte=timezone.localdate()).filter(
            Q(street_id__in=scope.street_ids) | Q(ticket__finder_group_id__in=scope.work_group_ids)
        )
        rechecks = base.filter(pk__in=due.values("ticket_id"), state=TicketState.CLOSED).prefetch_related(
            Prefetch(
                "photos",
                queryset=TicketPhoto.objects.filter(kind=PhotoKind.AFTER).order_by("-id"),
                to_attr="after_photos",
            )
        )
        add("recheck", _("待复查"), rechecks.order_by("closed_at", "id"), "state=closed", rechecks.count)
    if scope.unit_ids:

        def fix_total() -> int:
            units = set(scope.unit_ids) | set(
                OrgUnit.objects.filter(street_id__in=scope.street_ids).values_list("id", flat=True)
            )
            return _tally(TicketState.RECTIFYING, unit__in=units) + _tally(TicketState.ASSIGNED, unit__in=units)

        # 待签收 and 整改中 together, overdue first: a unit's list of what it has to do.
        add(
            "fix",
            _("待签收/待整改"),
            _overdue_first(
                base.filter(scope.responsible_q(), state__in=(TicketState.ASSIGNED, TicketState.RECTIFYING))
            ),
            "state=rectifying&mine=on&sort=deadline",
            fix_total,
        )
    return [task for task in lists if task.key not in ("help", "recheck") or task.total]


def _my_levels_q(scope: Scope, managed: list[int]) -> Q | None:
    """The submitted tickets waiting at a 销号 level this person verifies at, or None.

    A campaign without levels is verified by its district's managers in one step.
    """
    levels: dict[int, list[tuple[int | None, str, int | None]]] = {}
    for campaign_id, district_id, role, group_id in (
        ClosingLevel.objects.filter(campaign__district_id__in=scope.district_ids)
        .order_by("campaign_id", "order")
        .values_list("campaign_id", "campaign__district_id", "role", "work_group_id")
    ):
        levels.setdefault(campaign_id, []).append((district_id, role, group_id))
    wanted = Q(district_id__in=managed) & ~Q(campaign_id__in=list(levels)) if managed else Q(pk__in=[])
    found = bool(managed)
    for campaign_id, chain in levels.items():
        for index, (district, level_role, group) in enumerate(chain):
            mine = group in scope.work_group_ids if group is not None else level_role in scope.roles_in(district or 0)
            if mine:
                wanted |= Q(campaign_id=campaign_id, review_level=index)
                found = True
    return wanted if found else None
