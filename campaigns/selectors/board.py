"""The district board (作战图).

Counts come from the rollup the workflow keeps (TicketTally); what depends on the date
(overdue, this week, this month, the trend) is read from indexed date ranges. The built
board and its rendered body are cached per district for a minute and dropped by every
write in the district, so the board never lags the ledger.
"""

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Aggregate, Count, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import (
    CLOCK_STATES,
    OPEN_STATES,
    AssessmentArea,
    Campaign,
    CampaignStatus,
    OrgUnit,
    Ticket,
    TicketState,
    TicketTally,
    UnitKind,
)
from infra.fragments import district_touch, district_versions

from .checklist import checklist_area_scores
from .common import (
    Median,
    closure_light,
    closure_rate,
    day_start,
    median_days,
    median_supported,
    month_start,
    overdue_light,
    time_to_close,
    week_start,
)
from .daily_reports import ReportsToday, reports_today_summary
from .kpis import KpiPanel, kpi_panel
from .scoring import AreaScore

BOARD_CACHE_SECONDS = 60
TREND_DAYS = 30
YELLOW_CARDS_SHOWN = 12
# The board's KPI panel: the last 30 days, like the median days to close.
KPI_DAYS = 30
KPI_CACHE_SECONDS = 600


@dataclass
class Row:
    """One street, unit or area on the board."""

    pk: int
    name: str
    kind: str = ""
    order: int = 0
    code: str = ""
    total: int = 0
    open: int = 0
    overdue: int = 0
    sign_late: int = 0  # 超时未签收
    closed: int = 0
    returns: int = 0
    closure_rate: float | None = None
    overdue_light: object = None
    closure_light: object = None


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
    score_total: AreaScore | None = None
    reports: ReportsToday | None = None
    # 黄牌: open tickets the overdue ladder carded, proposed for the 通报.
    yellow_cards: list = field(default_factory=list)
    supervised: list = field(default_factory=list)  # open tickets under 挂牌督办


def _finish(rows: list[Row], campaign: Campaign | None) -> list[Row]:
    for row in rows:
        row.closure_rate = round(100 * row.closed / row.total, 1) if row.total else None
        row.overdue_light = overdue_light(campaign, row.overdue)
        row.closure_light = closure_light(campaign, row.closure_rate)
    return rows


def trend(
    tickets: QuerySet[Ticket], today: datetime.date, days: int = TREND_DAYS
) -> list[tuple[datetime.date, int, int]]:
    """Found and closed per day for the last `days` days, oldest first."""
    first = today - datetime.timedelta(days=days - 1)
    start = day_start(first)
    # Both histograms in one round trip: a tag column says which one a row belongs to.
    found_days = (
        tickets.filter(reported_at__gte=start)
        .exclude(state=TicketState.VOIDED)
        .annotate(day=TruncDate("reported_at"), which=Value(0))
        .values("which", "day")
        .annotate(n=Count("id"))
        .values_list("which", "day", "n")
        .order_by()
    )
    closed_days = (
        tickets.filter(state=TicketState.CLOSED, closed_at__gte=start)
        .annotate(day=TruncDate("closed_at"), which=Value(1))
        .values("which", "day")
        .annotate(n=Count("id"))
        .values_list("which", "day", "n")
        .order_by()
    )
    found: dict[datetime.date, int] = {}
    closed: dict[datetime.date, int] = {}
    # The union unordered too: Django 6 would order it by the model's default ordering.
    for which, day, n in found_days.union(closed_days, all=True).order_by():
        (closed if which else found)[day] = n
    return [
        (day, found.get(day, 0), closed.get(day, 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(days))
    ]


def _period_figures(tickets: QuerySet[Ticket], today: datetime.date) -> tuple[dict[str, int], float | None]:
    """Found and closed this week and month, and the median days to close over 30 days: one query."""
    week, month = day_start(week_start(today)), day_start(month_start(today))
    median_since = day_start(today - datetime.timedelta(days=30))
    since = min(week, month, median_since)
    closed = Q(state=TicketState.CLOSED)
    real = ~Q(state=TicketState.VOIDED)
    aggregates: dict[str, Aggregate] = {
        "found_this_week": Count("id", filter=real & Q(reported_at__gte=week)),
        "found_this_month": Count("id", filter=real & Q(reported_at__gte=month)),
        "closed_this_week": Count("id", filter=closed & Q(closed_at__gte=week)),
        "closed_this_month": Count("id", filter=closed & Q(closed_at__gte=month)),
    }
    if median_supported():
        aggregates["median"] = Median(time_to_close(), filter=closed & Q(closed_at__gte=median_since))
    recent = tickets.filter(Q(reported_at__gte=since) | Q(closed_at__gte=since))
    figures = recent.aggregate(**aggregates)
    if median_supported():
        value = figures.pop("median")
        median = round(value.total_seconds() / 86400, 1) if value is not None else None
    else:
        median = median_days(
            tickets.filter(closed, closed_at__gte=median_since)
            .annotate(took=time_to_close())
            .values_list("took", flat=True)
        )
    return figures, median


CHAIN_MARKS = ("sign_late", "yellow_cards", "supervised")


def _open_marks(tickets: QuerySet[Ticket], today: datetime.date) -> list[tuple[Any, ...]]:
    """Per street, unit and area: overdue, then 超时未签收, 黄牌 and 挂牌督办 — one query over the open states.

    The dispatch, escalation and 复查 acts write the fields; the board only counts them.
    """
    marked = (
        Q(state__in=CLOCK_STATES, deadline__lt=today)
        | Q(state=TicketState.ASSIGNED, sign_due_at__lt=timezone.now())
        | Q(yellow_card_at__isnull=False)
        | Q(supervised_at__isnull=False)
    )
    return list(
        tickets.filter(marked, state__in=OPEN_STATES)
        .values("street_id", "responsible_unit_id", "area_id")
        .annotate(
            n=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
            sign_late=Count("id", filter=Q(state=TicketState.ASSIGNED, sign_due_at__lt=timezone.now())),
            yellow_cards=Count("id", filter=Q(yellow_card_at__isnull=False)),
            supervised=Count("id", filter=Q(supervised_at__isnull=False)),
        )
        .values_list("street_id", "responsible_unit_id", "area_id", "n", *CHAIN_MARKS)
        .order_by()
    )


def board_kpis(district: OrgUnit, campaign: Campaign | None, today: datetime.date) -> KpiPanel:
    """The district's KPIs over the last 30 days, weighted as its running campaign decided.

    Kept out of the cached Board (the city page reads every district's board and shows no
    KPIs), and not recomputed at every write in the district as the board is: thirty days'
    rates barely move in ten minutes, and at a busy district's size they are the board's
    slowest reads. The panel says when it was counted.
    """
    start = today - datetime.timedelta(days=KPI_DAYS - 1)
    weights = campaign.kpi_weights if campaign else None
    weighed = hashlib.sha256(json.dumps(weights, sort_keys=True).encode()).hexdigest()[:16]
    key = f"board-kpis:{district.pk}:{today.isoformat()}:{weighed}"
    panel = cache.get(key)
    if not isinstance(panel, KpiPanel):
        panel = kpi_panel(district, start, today, weights)
        cache.set(key, panel, KPI_CACHE_SECONDS)
    return panel


def board_build(district: OrgUnit) -> Board:
    today = timezone.localdate()
    tickets = Ticket.objects.filter(district=district)
    campaign = (
        Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
        .select_related("report_schedule")
        .order_by("-start_date")
        .first()
    )
    units = {
        unit.pk: unit
        for unit in OrgUnit.objects.filter(district=district)
        .exclude(kind=UnitKind.DISTRICT)
        .only("id", "name", "kind", "order", "district_id", "street_id")
    }
    streets = {
        pk: Row(pk, unit.name, unit.kind, unit.order)
        for pk, unit in units.items()
        if unit.kind in (UnitKind.STREET, UnitKind.TOWNSHIP)
    }
    by_unit: dict[int, Row] = {}
    by_area: dict[int, Row] = {}
    figures: defaultdict[str, int] = defaultdict(
        int,
        {state: 0 for state in TicketState.values}
        | {"overdue": 0, "returns": 0, "reopens": 0}
        | dict.fromkeys(CHAIN_MARKS, 0),
    )
    areas = {area.pk: area for area in AssessmentArea.objects.filter(campaign__district=district)}

    def cell_rows(street_id: int | None, unit_id: int | None, area_id: int | None) -> list[Row]:
        rows = [streets[street_id]] if street_id in streets else []
        unit = units.get(unit_id) if unit_id else None
        if unit is not None:
            rows.append(by_unit.setdefault(unit.pk, Row(unit.pk, unit.name, unit.kind, unit.order)))
        area = areas.get(area_id) if area_id else None
        if area is not None:
            rows.append(by_area.setdefault(area.pk, Row(area.pk, area.name, order=area.order, code=area.code)))
        return rows

    for street_id, unit_id, area_id, state, count, returns, reopens in TicketTally.objects.filter(
        district=district
    ).values_list("street_id", "unit", "area_id", "state", "tickets", "returns", "reopens"):
        figures[state] += count
        figures["returns"] += returns
        figures["reopens"] += reopens
        for row in cell_rows(street_id, unit_id, area_id):
            row.returns += returns
            if state != TicketState.VOIDED:
                row.total += count
            if state in OPEN_STATES:
                row.open += count
            elif state == TicketState.CLOSED:
                row.closed += count
    for street_id, unit_id, area_id, count, *chain in _open_marks(tickets, today):
        figures["overdue"] += count
        marks = dict(zip(CHAIN_MARKS, chain, strict=True))
        for name, marked in marks.items():
            figures[name] += marked
        for row in cell_rows(street_id, unit_id, area_id):
            row.overdue += count
            row.sign_late += marks["sign_late"]
    figures["open"] = sum(figures[state] for state in OPEN_STATES)
    figures["closed"] = figures[TicketState.CLOSED]
    figures["total"] = sum(figures[state] for state in TicketState.values) - figures[TicketState.VOIDED]
    period, median = _period_figures(tickets, today)
    figures.update(period)
    shown = dict(figures)
    newest = list(
        tickets.select_related("street", "category", "point", "responsible_unit").order_by("-reported_at", "-id")[:8]
    )
    yellow_cards = []
    if figures["yellow_cards"]:
        yellow_cards = list(
            tickets.filter(state__in=OPEN_STATES, yellow_card_at__isnull=False)
            .select_related("category", "responsible_unit")
            .order_by("yellow_card_at", "id")[:YELLOW_CARDS_SHOWN]
        )
    scores, score_total = checklist_area_scores(campaign, today=today) if campaign else ([], None)

    return Board(
        district=district,
        campaign=campaign,
        figures=shown,
        closure_rate=closure_rate(shown),
        median_days_to_close=median,
        by_state=[(state, label, shown[state]) for state, label in TicketState.choices],
        by_street=_finish(sorted(streets.values(), key=lambda row: (row.order, row.pk)), campaign),
        # Who lags comes first: most overdue, then most open.
        by_unit=_finish(
            sorted(
                (row for row in by_unit.values() if row.total),
                key=lambda row: (-row.overdue, -row.open, row.kind, row.order, row.pk),
            ),
            campaign,
        ),
        by_area=_finish(
            sorted((row for row in by_area.values() if row.total), key=lambda row: (row.order, row.code)), campaign
        ),
        trend=trend(tickets, today),
        newest=newest,
        today=today,
        computed_at=timezone.now(),
        scores=scores,
        score_total=score_total,
        reports=reports_today_summary(campaign) if campaign else None,
        yellow_cards=yellow_cards,
        # Read only when the one counting query found any, as the 黄牌 list.
        supervised=list(
            tickets.filter(state__in=OPEN_STATES, supervised_at__isnull=False)
            .select_related("supervision", "responsible_unit")
            .order_by("supervised_at", "id")[:10]
        )
        if figures["supervised"]
        else [],
    )


def board_cache_key(district_id: int) -> str:
    # Carries the district's version: a write moves it on, so nothing needs deleting.
    return f"board:v4:{district_versions([district_id])}"


def board_for_district(district: OrgUnit, *, fresh: bool = False) -> Board:
    """The board, from the cache when it is less than a minute old and nothing changed since."""
    key = board_cache_key(district.pk)
    if not fresh:
        board = cache.get(key)
        if board is not None and board.today == timezone.localdate():
            return board
    board = board_build(district)
    cache.set(key, board, BOARD_CACHE_SECONDS)
    return board


def board_invalidate(district_id: int) -> None:
    """A write happened in the district: its board and every fragment that shows it are stale."""
    district_touch(district_id)
