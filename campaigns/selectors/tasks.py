"""What waits for a person: my tasks."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import MANAGER_ROLES, scope_for
from campaigns.models import Ticket, TicketState


def _overdue_first(queryset, today):
    rank = Case(When(deadline__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(overdue_rank=rank).order_by("overdue_rank", "deadline", "reported_at", "id")


@dataclass
class TaskList:
    key: str
    title: str
    tickets: list
    total: int
    list_query: str


MY_TASKS_LIMIT = 30


def my_tasks(user):
    """What waits for this person, per role: to assign, to fix, to verify — overdue first."""
    scope = scope_for(user)
    today = timezone.localdate()
    managed = [d for d in scope.district_ids if scope.roles_in(d) & MANAGER_ROLES]
    base = Ticket.objects.for_rows()
    lists = []

    def add(key, title, queryset, list_query):
        rows = list(queryset[: MY_TASKS_LIMIT + 1])
        total = len(rows) if len(rows) <= MY_TASKS_LIMIT else queryset.count()
        lists.append(TaskList(key, title, rows[:MY_TASKS_LIMIT], total, list_query))

    if managed:
        add(
            "assign",
            _("待交办"),
            base.filter(district_id__in=managed, state=TicketState.REPORTED).order_by("reported_at", "id"),
            "state=reported&sort=reported_at",
        )
        add(
            "verify",
            _("待核验销号"),
            _overdue_first(
                base.filter(district_id__in=managed, state=TicketState.SUBMITTED).exclude(fix_submitted_by=user),
                today,
            ),
            "state=submitted&sort=deadline",
        )
    if scope.unit_ids:
        add(
            "fix",
            _("待整改"),
            _overdue_first(base.filter(scope.responsible_q(), state=TicketState.RECTIFYING), today),
            "state=rectifying&mine=on&sort=deadline",
        )
    return lists
