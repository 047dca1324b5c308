"""The field's KPIs (签收及时率 … 反弹率): each defined once, with the formula shown on the page.

Counted over a period [start, end] for a district, or per street or responsible unit, in a
fixed number of queries whatever the ledger holds (four: tickets, events, and two day
histograms for the mean time to close), each bounded by an indexed date range or the open
states:

- tickets *found* in the period (not voided) are the cohort of 结案率, 延期率, 准确派遣率;
- tickets *closed* (销号) in the period are the cohort of 按期处置率 and 平均处置时长;
- acts *done* in the period (签收, 提交整改, 退回, 核验销号, 反弹) count 签收及时率, 返工率, 反弹率;
- 超期待处置率 is today's snapshot of the tickets on the clock (挂账 is off it).

Per street or unit, a ticket counts where it is now (its current street and unit).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaigns.models import CLOCK_STATES, DEFAULT_KPI_WEIGHTS, OrgUnit, Ticket, TicketAction, TicketEvent, TicketState
from campaigns.workdays import WorkCalendar, YearCalendar, period_calendars

from .common import day_start

ONE_DAY = datetime.timedelta(days=1)
DASH = "—"
# Grouping by the whole district: one bucket under this key.
ALL = 0


@dataclass(frozen=True)
class Kpi:
    key: str
    name: Promise
    formula: Promise
    higher_is_better: bool = True
    # A rate shown as a percentage; otherwise a number of working days.
    is_rate: bool = True


KPIS = (
    Kpi("sign_on_time", _("签收及时率"), _("签收及时率 = 按时签收次数 ÷ 签收次数（期内签收）")),
    Kpi("on_time", _("按期处置率"), _("按期处置率 = 在整改时限当天或之前销号的问题 ÷ 期内销号的问题")),
    Kpi("rework", _("返工率"), _("返工率 = 期内退回次数 ÷ 期内提交整改次数"), higher_is_better=False),
    Kpi("extension", _("延期率"), _("延期率 = 延期过的问题 ÷ 已交办的问题（期内发现）"), higher_is_better=False),
    Kpi(
        "overdue_open",
        _("超期待处置率"),
        _("超期待处置率 = 已过整改时限仍未办结的问题 ÷ 计时中的未办结问题（今天；挂账不计）"),
        higher_is_better=False,
    ),
    Kpi("accurate", _("准确派遣率"), _("准确派遣率 = 未被退单或改派的问题 ÷ 已交办的问题（期内发现）")),
    Kpi("closure", _("结案率"), _("结案率 = 已销号 ÷ 期内发现的问题（不含已撤销）")),
    Kpi(
        "mean_days",
        _("平均处置时长"),
        _("平均处置时长 = 期内销号问题从交办到销号的工作日数之和 ÷ 期内销号的问题"),
        higher_is_better=False,
        is_rate=False,
    ),
    Kpi(
        "relapse",
        _("反弹率"),
        _("反弹率 = 期内反弹（重新打开或复查反弹）的问题 ÷ 期内销号的问题"),
        higher_is_better=False,
    ),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}

# campaign.kpi_weights: key → (KPI, counted as 1 − rate). The default weights are the field's
# usual composite: 日常处置率 (= 结案率) × 30 + 按期处置率 × 20 + (1 − 返工率) × 20
# + (1 − 超期待处置率) × 20 + (1 − 延期率) × 10. Any rate KPI may be weighted.
WEIGHT_TERMS = {kpi.key: (kpi, not kpi.higher_is_better) for kpi in KPIS if kpi.is_rate}


@dataclass
class KpiCounts:
    """The numerators and denominators of every KPI for one district, street or unit."""

    signs: int = 0
    signs_late: int = 0
    closed: int = 0
    closed_on_time: int = 0
    submits: int = 0
    returns: int = 0
    assigned: int = 0
    extended: int = 0
    clock_open: int = 0
    clock_overdue: int = 0
    misdispatched: int = 0
    found: int = 0
    found_closed: int = 0
    days_to_close: int = 0
    closeouts: int = 0
    relapsed: int = 0

    def ratio(self, key: str) -> float | None:
        """The KPI as a fraction (or working days for 平均处置时长); None when nothing is counted."""
        parts = {
            "sign_on_time": (self.signs - self.signs_late, self.signs),
            "on_time": (self.closed_on_time, self.closed),
            "rework": (self.returns, self.submits),
            "extension": (self.extended, self.assigned),
            "overdue_open": (self.clock_overdue, self.clock_open),
            "accurate": (self.assigned - self.misdispatched, self.assigned),
            "closure": (self.found_closed, self.found),
            "mean_days": (self.days_to_close, self.closed),
            "relapse": (self.relapsed, self.closeouts),
        }
        top, bottom = parts[key]
        return top / bottom if bottom else None

    def value(self, key: str) -> float | None:
        """What the page shows: a percentage, or working days, to one decimal."""
        ratio = self.ratio(key)
        if ratio is None:
            return None
        return round(100 * ratio if KPI_BY_KEY[key].is_rate else ratio, 1)

    def display(self, key: str) -> str:
        value = self.value(key)
        if value is None:
            return DASH
        return f"{value}%" if KPI_BY_KEY[key].is_rate else str(value)

    def shown(self) -> list[tuple[Kpi, str]]:
        return [(kpi, self.display(kpi.key)) for kpi in KPIS]

    def composite(self, weights: dict[str, Any] | None = None) -> float | None:
        """Σ weight × term ÷ Σ weight × 100, over the weighted KPIs that have a figure.

        A KPI with nothing to count (a unit with no returns possible because it submitted
        nothing) neither helps nor hurts: its weight drops out and the rest are rescaled, so
        with the default weights (summing to 100) a full set of figures scores exactly
        Σ weight × term.
        """
        total_weight = 0.0
        score = 0.0
        for key, weight in (weights or DEFAULT_KPI_WEIGHTS).items():
            if key not in WEIGHT_TERMS or not weight:
                continue
            kpi, inverted = WEIGHT_TERMS[key]
            ratio = self.ratio(kpi.key)
            if ratio is None:
                continue
            total_weight += float(weight)
            score += float(weight) * (1 - ratio if inverted else ratio)
        return round(100 * score / total_weight, 1) if total_weight else None

    def __add__(self, other: "KpiCounts") -> "KpiCounts":
        return KpiCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass
class KpiPanel:
    """A district's KPIs over a period, ready for a page."""

    start: datetime.date
    end: datetime.date
    counts: KpiCounts
    weights: dict[str, Any]
    rows: list[tuple[Kpi, str]] = field(default_factory=list)
    composite: float | None = None
    counted_at: datetime.datetime = field(default_factory=timezone.now)
    # The holiday schedules the period's working days were counted on, kept with the figures
    # (the panel is cached) so the page names the ones these numbers used.
    calendars: tuple[YearCalendar, ...] = ()

    @property
    def terms(self) -> list[tuple[Promise, Any, bool]]:
        return weight_terms(self.weights)


def weight_terms(weights: dict[str, Any] | None) -> list[tuple[Promise, Any, bool]]:
    """(KPI name, weight, counted as 1 − rate) for the legend, in the order the campaign set."""
    return [
        (WEIGHT_TERMS[key][0].name, weight, WEIGHT_TERMS[key][1])
        for key, weight in (weights or DEFAULT_KPI_WEIGHTS).items()
        if key in WEIGHT_TERMS and weight
    ]


def _grouped(rows: QuerySet[Any], group: str | None, aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per group, or the whole set's single row (values() with no field would group by pk)."""
    if group is None:
        return [rows.aggregate(**aggregates)]
    return list(rows.values(group).annotate(**aggregates).order_by())


def _period(column: str, start: datetime.date, end: datetime.date) -> Q:
    return Q(**{f"{column}__gte": day_start(start), f"{column}__lt": day_start(end) + ONE_DAY})


def _ticket_figures(
    tickets: QuerySet[Ticket], group: str | None, start: datetime.date, end: datetime.date, today: datetime.date
) -> list[dict[str, Any]]:
    found = _period("reported_at", start, end) & ~Q(state=TicketState.VOIDED)
    closed = _period("closed_at", start, end) & Q(state=TicketState.CLOSED)
    assigned = found & Q(assigned_at__isnull=False)
    clock = Q(state__in=CLOCK_STATES)
    handed_back = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), action__in=[TicketAction.DECLINE, TicketAction.REASSIGN]
    )
    return _grouped(
        tickets.filter(found | closed | clock).annotate(closed_day=TruncDate("closed_at")),
        group,
        {
            "found": Count("id", filter=found),
            "found_closed": Count("id", filter=found & Q(state=TicketState.CLOSED)),
            "assigned": Count("id", filter=assigned),
            "extended": Count("id", filter=assigned & Q(extensions_used__gt=0)),
            "misdispatched": Count("id", filter=assigned & Q(Exists(handed_back))),
            "closed": Count("id", filter=closed),
            "closed_on_time": Count("id", filter=closed & Q(closed_day__lte=F("deadline"))),
            "clock_open": Count("id", filter=clock),
            "clock_overdue": Count("id", filter=clock & Q(deadline__lt=today)),
        },
    )


def _event_figures(
    district: OrgUnit, group: str | None, start: datetime.date, end: datetime.date
) -> list[dict[str, Any]]:
    relapse = [TicketAction.REOPEN, TicketAction.RECHECK_RELAPSED]
    counted = [TicketAction.SIGN, TicketAction.SUBMIT_FIX, TicketAction.RETURN, TicketAction.CLOSE_OUT, *relapse]
    sign = Q(action=TicketAction.SIGN)
    return _grouped(
        TicketEvent.objects.filter(_period("at", start, end), ticket__district=district, action__in=counted),
        f"ticket__{group}" if group else None,
        {
            "signs": Count("id", filter=sign),
            "signs_late": Count("id", filter=sign & Q(details__late=True)),
            "submits": Count("id", filter=Q(action=TicketAction.SUBMIT_FIX)),
            "returns": Count("id", filter=Q(action=TicketAction.RETURN)),
            "closeouts": Count("ticket", distinct=True, filter=Q(action=TicketAction.CLOSE_OUT)),
            "relapsed": Count("ticket", distinct=True, filter=Q(action__in=relapse)),
        },
    )


def _days_to_close(
    tickets: QuerySet[Ticket], group: str | None, start: datetime.date, end: datetime.date
) -> dict[int, int]:
    """Σ working days from 交办 to 销号 per group, from two day histograms, not one row per ticket.

    working_days_between(a, b) = W(b) − W(a) for W(d) = working days from a fixed origin to d,
    so the sum over tickets is Σ W(closed day) − Σ W(assigned day): a few hundred distinct
    days, however many tickets were closed.
    """
    closed = tickets.filter(_period("closed_at", start, end), state=TicketState.CLOSED, assigned_at__isnull=False)
    keys = [group] if group else []
    # Both histograms in one round trip; `sign` tags the rows: +W(closed day), −W(assigned day).
    closed_days, assigned_days = (
        closed.annotate(day=TruncDate(column), sign=Value(sign))
        .values(*keys, "sign", "day")
        .annotate(n=Count("id"))
        .values_list(*keys, "sign", "day", "n")
        .order_by()
        for column, sign in (("closed_at", 1), ("assigned_at", -1))
    )
    # The union unordered too: Django 6 would order it by the model's default ordering.
    rows = list(closed_days.union(assigned_days, all=True).order_by())
    days = [row[-2] for row in rows]
    if not days:
        return {}
    calendar = WorkCalendar()
    origin = min(days)
    index = {day: calendar.working_days_between(origin, day) for day in set(days)}
    totals: defaultdict[int, int] = defaultdict(int)
    for row in rows:
        key = row[0] if group else ALL
        if key is not None:
            totals[key] += row[-3] * index[row[-2]] * row[-1]
    return dict(totals)


def kpi_counts(
    district: OrgUnit, start: datetime.date, end: datetime.date, group: str | None = None
) -> dict[int, KpiCounts]:
    """KPI counts over [start, end]: {street or unit id: counts}, or {ALL: counts} for the district.

    `group` is "street" or "responsible_unit"; tickets without one are left out of that grouping.
    """
    today = timezone.localdate()
    tickets = Ticket.objects.filter(district=district)
    result: defaultdict[int, KpiCounts] = defaultdict(KpiCounts)
    event_key = f"ticket__{group}" if group else None
    for rows, key in (
        (_ticket_figures(tickets, group, start, end, today), group),
        (_event_figures(district, group, start, end), event_key),
    ):
        for row in rows:
            pk = row.pop(key) if key else ALL
            if pk is None:
                continue
            counts = result[pk]
            for name, value in row.items():
                setattr(counts, name, value)
    for pk, days in _days_to_close(tickets, group, start, end).items():
        result[pk].days_to_close = days
    return dict(result)


def kpi_panel(
    district: OrgUnit, start: datetime.date, end: datetime.date, weights: dict[str, Any] | None = None
) -> KpiPanel:
    counts = kpi_counts(district, start, end).get(ALL, KpiCounts())
    weights = weights or dict(DEFAULT_KPI_WEIGHTS)
    return KpiPanel(
        start=start,
        end=end,
        counts=counts,
        weights=weights,
        rows=counts.shown(),
        composite=counts.composite(weights),
        calendars=period_calendars(start, end),
    )
