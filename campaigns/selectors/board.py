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
from django.db.models import Count, QuerySet, Sum, Value
from django.utils import timezone

from campaigns.models import (
    CLOCK_STATES,
    OPEN_STATES,
    AssessmentArea,
    Campaign,
    CampaignStatus,
    OrgUnit,
    Ticket,
    TicketDay,
    TicketState,
    TicketTally,
    UnitKind,
)
from infra.fragments import district_touch, district_versions

from .checklist import checklist_area_scores
from .common import closure_light, closure_rate, month_start, overdue_light, week_start
from .daily_reports import ReportsToday, reports_today_summary
from .gates import GateRisk, gate_risks
from .kpis import KpiPanel, kpi_panel
from .scoring import AreaScore

BOARD_CACHE_SECONDS = 60
TREND_DAYS = 30
MEDIAN_DAYS = 30  # the median days to close counts the closes of the last 30 days and today
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
    # 必备条件 at risk (一票否决风险): while any is, the score is not shown as a pass.
    gate_risks: list[GateRisk] = field(default_factory=list)
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


def _day_figures(
    district: OrgUnit, today: datetime.date
) -> tuple[list[tuple[datetime.date, int, int]], dict[str, int], float | None]:
    """The 30-day trend, found and closed this week and month, and the median days to close
    over 30 days, from the TicketDay rollup: two small queries whatever the district's size."""
    first = today - datetime.timedelta(days=TREND_DAYS - 1)
    week, month = week_start(today), month_start(today)
    median_since = today - datetime.timedelta(days=MEDIAN_DAYS)
    days = TicketDay.objects.filter(district=district)
    per_day: dict[tuple[datetime.date, str], int] = {
        (day, kind): n
        for day, kind, n in days.filter(day__gte=min(first, week, month))
        .values("day", "kind")
        .annotate(n=Sum("tickets"))
        .values_list("day", "kind", "n")
        .order_by()
    }
    histogram = (
        days.filter(kind=TicketDay.Kind.CLOSED, day__gte=median_since)
        .values("hours")
        .annotate(n=Sum("tickets"))
        .values_list("hours", "n")
        .order_by("hours")
    )
    found, closed = TicketDay.Kind.FOUND, TicketDay.Kind.CLOSED
    trend = [
        (day, per_day.get((day, found), 0), per_day.get((day, closed), 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(TREND_DAYS))
    ]

    def since(start: datetime.date, kind: str) -> int:
        return sum(n for (day, which), n in per_day.items() if which == kind and day >= start)

    figures = {
        "found_this_week": since(week, found),
        "found_this_month": since(month, found),
        "closed_this_week": since(week, closed),
        "closed_this_month": since(month, closed),
    }
    return trend, figures, median_hours_in_days(list(histogram))


def median_hours_in_days(histogram: list[tuple[int, int]]) -> float | None:
    """The median of closes counted by whole hours taken [(hours, closes)], sorted by hours:
    each close taken at the middle of its hour, in days to one decimal."""
    total = sum(n for _hours, n in histogram)
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}  # one middle close, or the two around the middle
    middles: list[float] = []
    seen = 0
    for hours, n in histogram:
        middles += [hours + 0.5 for position in wanted if seen <= position < seen + n]
        seen += n
    return round(sum(middles) / len(middles) / 24, 1)


CHAIN_MARKS = ("sign_late", "yellow_cards", "supervised")


def _open_marks(tickets: QuerySet[Ticket], today: datetime.date, *, by_cell: bool = True) -> list[tuple[Any, ...]]:
    """Per street, unit and area (or, without `by_cell`, for the district as a whole, as the
    city overview asks: no grouping of tens of thousands of rows): overdue, 超时未签收, 黄牌 and
    挂牌督办 — one query of four parts, each read from its own index (the overdue part from the
    index alone).

    The dispatch, escalation and 复查 acts write the fields; the board only counts them.
    """
    cell = ("street_id", "responsible_unit_id", "area_id") if by_cell else ()

    def part(mark: int, marked: QuerySet[Ticket]) -> QuerySet[Any, Any]:
        return marked.annotate(mark=Value(mark)).values("mark", *cell).annotate(n=Count("*")).order_by()

    open_tickets = tickets.filter(state__in=OPEN_STATES)
    overdue, *chain = (
        part(0, tickets.filter(state__in=CLOCK_STATES, deadline__lt=today)),
        part(1, tickets.filter(state=TicketState.ASSIGNED, sign_due_at__lt=timezone.now())),
        part(2, open_tickets.filter(yellow_card_at__isnull=False)),
        part(3, open_tickets.filter(supervised_at__isnull=False)),
    )
    # [street, unit, area, overdue, sign_late, yellow_cards, supervised] per cell.
    cells: dict[tuple[Any, ...], list[int]] = {}
    for mark, *key, n in overdue.union(*chain, all=True).order_by().values_list("mark", *cell, "n"):
        cells.setdefault(tuple(key), [0, 0, 0, 0])[mark] += n
    return [(*key, *counts) for key, counts in cells.items()]


def board_kpis(
    district: OrgUnit, campaign: Campaign | None, today: datetime.date, *, recount: bool = False
) -> KpiPanel:
    """The district's KPIs over the last 30 days, weighted as its running campaign decided.

    Kept out of the cached Board (the city page reads every district's board and shows no
    KPIs), and not recomputed at every write in the district as the board is: thirty days'
    rates barely move in ten minutes, and at a busy district's size they are the board's
    slowest reads (a second or more). Beat recounts them every five minutes (recount=True,
    `count_board_kpis`), so a board finds them ready; the panel says when it was counted.
    """
    start = today - datetime.timedelta(days=KPI_DAYS - 1)
    weights = campaign.kpi_weights if campaign else None
    weighed = hashlib.sha256(json.dumps(weights, sort_keys=True).encode()).hexdigest()[:16]
    key = f"board-kpis:{district.pk}:{today.isoformat()}:{weighed}"
    panel = None if recount else cache.get(key)
    # Ten minutes by the ledger's clock, not only by the entry's lifetime in Redis (which keeps
    # its own clock): a panel counted longer ago is counted again.
    kept_for = datetime.timedelta(seconds=KPI_CACHE_SECONDS)
    if not isinstance(panel, KpiPanel) or timezone.now() - panel.counted_at >= kept_for:
        panel = kpi_panel(district, start, today, weights)
        cache.set(key, panel, KPI_CACHE_SECONDS)
    return panel


def count_board_kpis() -> int:
    """Recount the KPI panel of every district with a running campaign; the number counted."""
    today = timezone.localdate()
    counted = 0
    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT, is_active=True):
        campaign = running_campaign(district)
        if campaign is not None:
            board_kpis(district, campaign, today, recount=True)
            counted += 1
    return counted


def running_campaign(district: OrgUnit) -> Campaign | None:
    return (
        Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING)
        .select_related("report_schedule")
        .order_by("-start_date")
        .first()
    )


def board_build(district: OrgUnit, *, rows: bool = True) -> Board:
    """The board; with rows=False only its headline (figures, median, trend, scores, reports),
    which is what the city overview shows of each district: no per-street, unit or area rows
    and no lists of tickets."""
    today = timezone.localdate()
    tickets = Ticket.objects.filter(district=district)
    campaign = running_campaign(district)
    units = (
        {
            unit.pk: unit
            for unit in OrgUnit.objects.filter(district=district)
            .exclude(kind=UnitKind.DISTRICT)
            .only("id", "name", "kind", "order", "district_id", "street_id")
        }
        if rows
        else {}
    )
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
    areas = {area.pk: area for area in AssessmentArea.objects.filter(campaign__district=district)} if rows else {}

    def cell_rows(street_id: int | None, unit_id: int | None, area_id: int | None) -> list[Row]:
        if not rows:
            return []
        found = [streets[street_id]] if street_id in streets else []
        unit = units.get(unit_id) if unit_id else None
        if unit is not None:
            found.append(by_unit.setdefault(unit.pk, Row(unit.pk, unit.name, unit.kind, unit.order)))
        area = areas.get(area_id) if area_id else None
        if area is not None:
            found.append(by_area.setdefault(area.pk, Row(area.pk, area.name, order=area.order, code=area.code)))
        return found

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
    for *place, count, sign_late, yellow_cards, supervised in _open_marks(tickets, today, by_cell=rows):
        figures["overdue"] += count
        marks = dict(zip(CHAIN_MARKS, (sign_late, yellow_cards, supervised), strict=True))
        for name, marked in marks.items():
            figures[name] += marked
        for row in cell_rows(*place) if place else ():
            row.overdue += count
            row.sign_late += marks["sign_late"]
    figures["open"] = sum(figures[state] for state in OPEN_STATES)
    figures["closed"] = figures[TicketState.CLOSED]
    figures["total"] = sum(figures[state] for state in TicketState.values) - figures[TicketState.VOIDED]
    trend, period, median = _day_figures(district, today)
    figures.update(period)
    shown = dict(figures)
    newest = (
        list(
            tickets.select_related("street", "category", "point", "responsible_unit").order_by("-reported_at", "-id")[
                :8
            ]
        )
        if rows
        else []
    )
    yellow_cards = []
    if rows and figures["yellow_cards"]:
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
        trend=trend,
        newest=newest,
        today=today,
        computed_at=timezone.now(),
        scores=scores,
        score_total=score_total,
        gate_risks=gate_risks(campaign) if rows and campaign else [],
        reports=reports_today_summary(campaign) if campaign else None,
        yellow_cards=yellow_cards,
        # Read only when the one counting query found any, as the 黄牌 list.
        supervised=list(
            tickets.filter(state__in=OPEN_STATES, supervised_at__isnull=False)
            .select_related("supervision", "responsible_unit")
            .order_by("supervised_at", "id")[:10]
        )
        if rows and figures["supervised"]
        else [],
    )


def board_cache_key(district_id: int, *, rows: bool = True) -> str:
    # Carries the district's version: a write moves it on, so nothing needs deleting.
    return f"board:v6:{'' if rows else 'headline:'}{district_versions([district_id])}"


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


def board_headlines(districts: list[OrgUnit]) -> list[Board]:
    """What the city overview shows of each district: its board's headline, from one cache read
    for them all. A whole board already built serves; a district whose version moved on has
    only its headline built (no rows, no lists of tickets) and kept on its own."""
    today = timezone.localdate()
    keys = {
        district.pk: (board_cache_key(district.pk), board_cache_key(district.pk, rows=False)) for district in districts
    }
    cached = cache.get_many([key for pair in keys.values() for key in pair])
    headlines = []
    for district in districts:
        found = [cached[key] for key in keys[district.pk] if key in cached]
        board = next((board for board in found if board.today == today), None)
        if board is None:
            board = board_build(district, rows=False)
            cache.set(keys[district.pk][1], board, BOARD_CACHE_SECONDS)
        headlines.append(board)
    return headlines


def board_invalidate(district_id: int) -> None:
    """A write happened in the district: its board and every fragment that shows it are stale."""
    district_touch(district_id)
