"""The district board (作战图): one query per panel, cached briefly and dropped on every change."""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import OPEN_STATES, Campaign, CampaignStatus, OrgUnit, Ticket, TicketState, UnitKind

from .checklist import checklist_area_scores
from .common import (
    closure_light,
    closure_rate,
    day_start,
    median_days,
    median_supported,
    overdue_light,
    ticket_figures_q,
    time_to_close,
)

BOARD_CACHE_SECONDS = 60
TREND_DAYS = 30


@dataclass
class Board:
    district: OrgUnit
    campaign: Campaign | None
    figures: dict
    closure_rate: float | None
    median_days_to_close: float | None
    by_state: list
    by_street: list
    by_unit: list
    by_area: list
    trend: list
    newest: list
    today: datetime.date
    computed_at: datetime.datetime
    scores: list = field(default_factory=list)
    score_total: object = None
    reports: object = None


def _unit_rows(queryset, relation, today, campaign):
    """Streets or responsible units with open / overdue / closed counts and their lights."""
    open_q = Q(**{f"{relation}__state__in": OPEN_STATES})
    rows = list(
        queryset.annotate(
            total=Count(relation, filter=~Q(**{f"{relation}__state": TicketState.VOIDED})),
            open=Count(relation, filter=open_q),
            overdue=Count(relation, filter=open_q & Q(**{f"{relation}__deadline__lt": today})),
            closed=Count(relation, filter=Q(**{f"{relation}__state": TicketState.CLOSED})),
            returns=Sum(f"{relation}__return_count", default=0),
        ).order_by("kind", "order", "id")
    )
    for row in rows:
        row.closure_rate = round(100 * row.closed / row.total, 1) if row.total else None
        row.overdue_light = overdue_light(campaign, row.overdue)
        row.closure_light = closure_light(campaign, row.closure_rate)
    return rows


def trend(tickets, today, days=TREND_DAYS):
    """Found and closed per day for the last `days` days, oldest first, in one query per series."""
    first = today - datetime.timedelta(days=days - 1)
    start = day_start(first)
    found = dict(
        tickets.filter(reported_at__gte=start)
        .exclude(state=TicketState.VOIDED)
        .annotate(day=TruncDate("reported_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    closed = dict(
        tickets.filter(state=TicketState.CLOSED, closed_at__gte=start)
        .annotate(day=TruncDate("closed_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        (day, found.get(day, 0), closed.get(day, 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(days))
    ]


def board_build(district):
    today = timezone.localdate()
    median_since = day_start(today - datetime.timedelta(days=30))
    tickets = Ticket.objects.filter(district=district)
    figures = tickets.aggregate(**ticket_figures_q(today, median_since=median_since))
    if median_supported():
        median = figures.pop("median_close")
        median = round(median.total_seconds() / 86400, 1) if median is not None else None
    else:
        median = median_days(
            tickets.filter(state=TicketState.CLOSED, closed_at__gte=median_since)
            .annotate(took=time_to_close())
            .values_list("took", flat=True)
        )
    campaign = (
        Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
        .select_related("report_schedule")
        .order_by("-start_date")
        .first()
    )
    streets = _unit_rows(
        OrgUnit.objects.filter(district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP]),
        "street_tickets",
        today,
        campaign,
    )
    # Who lags comes first: most overdue, then most open.
    units = sorted(
        (
            row
            for row in _unit_rows(
                OrgUnit.objects.filter(district=district).exclude(kind=UnitKind.DISTRICT),
                "responsible_tickets",
                today,
                campaign,
            )
            if row.total
        ),
        key=lambda row: (-row.overdue, -row.open, row.kind, row.order, row.pk),
    )
    open_q = Q(state__in=OPEN_STATES)
    by_area = list(
        tickets.exclude(state=TicketState.VOIDED)
        .values("area_id", "area__code", "area__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=open_q),
            overdue=Count("id", filter=open_q & Q(deadline__lt=today)),
            closed=Count("id", filter=Q(state=TicketState.CLOSED)),
        )
        .order_by("area__order", "area__code")
    )
    newest = list(
        tickets.select_related("street", "category", "point", "responsible_unit").order_by("-reported_at", "-id")[:8]
    )
    scores, score_total = checklist_area_scores(campaign, today=today) if campaign else ([], None)
    from campaigns.services.daily_reports import reports_today_summary

    return Board(
        district=district,
        campaign=campaign,
        figures=figures,
        closure_rate=closure_rate(figures),
        median_days_to_close=median,
        by_state=[(state, label, figures[state]) for state, label in TicketState.choices],
        by_street=streets,
        by_unit=units,
        by_area=by_area,
        trend=trend(tickets, today),
        newest=newest,
        today=today,
        computed_at=timezone.now(),
        scores=scores,
        score_total=score_total,
        reports=reports_today_summary(campaign) if campaign else None,
    )


def board_cache_key(district_id):
    return f"board:v1:{district_id}"


def board_for_district(district, *, fresh=False):
    """The board, from the cache when it is less than a minute old and nothing changed since."""
    key = board_cache_key(district.pk)
    if not fresh:
        board = cache.get(key)
        if board is not None and board.today == timezone.localdate():
            return board
    board = board_build(district)
    cache.set(key, board, BOARD_CACHE_SECONDS)
    return board


def board_invalidate(district_id):
    cache.delete(board_cache_key(district_id))
