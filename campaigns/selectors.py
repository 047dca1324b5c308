"""Reads that aggregate: one query per panel over indexed columns, never a loop of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import MANAGER_ROLES, scope_for
from .models import OPEN_STATES, Campaign, CampaignStatus, OrgUnit, Ticket, TicketState, UnitKind


def week_start(today):
    return today - datetime.timedelta(days=today.weekday())


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def ticket_figures_q(today):
    """The headline counts as filtered aggregates, so a panel is one query."""
    open_q = Q(state__in=OPEN_STATES)
    return {
        "total": Count("id", filter=~Q(state=TicketState.VOIDED)),
        "open": Count("id", filter=open_q),
        "overdue": Count("id", filter=open_q & Q(deadline__lt=today)),
        "closed": Count("id", filter=Q(state=TicketState.CLOSED)),
        "closed_this_week": Count("id", filter=Q(state=TicketState.CLOSED, closed_at__gte=_aware(week_start(today)))),
        "found_this_week": Count("id", filter=Q(reported_at__gte=_aware(week_start(today)))),
        **{state: Count("id", filter=Q(state=state)) for state in TicketState.values},
    }


def closure_rate(figures):
    """Closed share of all real (non-voided) tickets, in percent, or None when there are none."""
    if not figures["total"]:
        return None
    return round(100 * figures["closed"] / figures["total"], 1)


@dataclass
class Board:
    district: OrgUnit
    campaign: Campaign | None
    figures: dict
    closure_rate: float | None
    by_state: list
    by_street: list
    newest: list
    today: datetime.date
    scores: list = None
    score_total: object = None
    reports: object = None


def board_for_district(district):
    today = timezone.localdate()
    tickets = Ticket.objects.filter(district=district)
    figures = tickets.aggregate(**ticket_figures_q(today))
    campaign = (
        Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
        .select_related("report_schedule")
        .order_by("-start_date")
        .first()
    )
    open_q = Q(street_tickets__state__in=OPEN_STATES)
    streets = list(
        OrgUnit.objects.filter(district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP])
        .annotate(
            total=Count("street_tickets", filter=~Q(street_tickets__state=TicketState.VOIDED)),
            open=Count("street_tickets", filter=open_q),
            overdue=Count("street_tickets", filter=open_q & Q(street_tickets__deadline__lt=today)),
            closed=Count("street_tickets", filter=Q(street_tickets__state=TicketState.CLOSED)),
        )
        .order_by("order", "id")
    )
    for street in streets:
        street.closure_rate = round(100 * street.closed / street.total, 1) if street.total else None
    newest = list(tickets.for_rows().order_by("-reported_at", "-id")[:10])
    by_state = [(state, label, figures[state]) for state, label in TicketState.choices]
    scores, score_total = checklist_area_scores(campaign, today=today) if campaign else ([], None)
    from .services.daily_reports import reports_today_summary

    return Board(
        reports=reports_today_summary(campaign) if campaign else None,
        scores=scores,
        score_total=score_total,
        district=district,
        campaign=campaign,
        figures=figures,
        closure_rate=closure_rate(figures),
        by_state=by_state,
        by_street=streets,
        newest=newest,
        today=today,
    )


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


def checklist_items(campaign, *, today=None, queryset=None, with_units=True):
    """Tasks with what their rows show — units, open problems, points at risk — in two queries."""
    from .models import ChecklistItem
    from .services.scoring import item_points_at_risk

    today = today or timezone.localdate()
    open_q = Q(tickets__state__in=OPEN_STATES)
    queryset = queryset if queryset is not None else ChecklistItem.objects.filter(campaign=campaign)
    if with_units:
        queryset = queryset.prefetch_related("cooperating_units")
    items = list(
        queryset.select_related("area", "lead_unit")
        .annotate(
            open_problems=Count("tickets", filter=open_q),
            overdue_problems=Count("tickets", filter=open_q & Q(tickets__deadline__lt=today)),
        )
        .order_by("area__order", "area_id", "order", "id")
    )
    for item in items:
        item.points_at_risk = item_points_at_risk(item, today)
    return items


def checklist_area_scores(campaign, *, today=None):
    """The score panel: per-area full score, self-score, points at risk, progress, overdue tasks."""
    from .services.scoring import area_scores, total_score

    today = today or timezone.localdate()
    # One query: the areas come with their tasks (an area without tasks has no score to show).
    items = checklist_items(campaign, today=today, with_units=False)
    areas = sorted({item.area for item in items}, key=lambda area: (area.order, area.code))
    scores = area_scores(items, areas, today)
    return scores, total_score(scores)
