"""What waits for a person: my tasks."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from campaigns.access import MANAGER_ROLES, scope_for
from campaigns.models import OrgUnit, Ticket, TicketState, TicketTally


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
        mine_submitted = Ticket.objects.filter(
            district_id__in=managed, state=TicketState.SUBMITTED, fix_submitted_by=user
        )
        add(
            "verify",
            _("待核验销号"),
            _overdue_first(
                base.filter(district_id__in=managed, state=TicketState.SUBMITTED).exclude(fix_submitted_by=user)
            ),
            "state=submitted&sort=deadline",
            lambda: _tally(TicketState.SUBMITTED, district_id__in=managed) - mine_submitted.count(),
        )
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
    return lists
