"""迎检模拟: what the assessment would likely score if it came today, from what the ledger knows.

Read in eight queries whatever the size of the district (the standard's 项, the latest rounds,
their checks per 项 and street and per point type, the open tickets per 项 and street, the
checklist's self scores per 项, the streets, and the gates at risk as the board's gate panel
reads them, selectors/gates.py), then computed in Python by FORECAST_RULES_TEXT, which the
panel shows. Kept in the cache for ten minutes like the KPI panel: a forecast moves
with the week, not with each act, and the panel says when it was computed.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import BooleanField, Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    CLOCK_STATES,
    OPEN_STATES,
    STREET_KINDS,
    Campaign,
    CheckResult,
    InspectionRound,
    OrgUnit,
    RoundCheck,
    StandardItem,
    Ticket,
    TicketState,
)

from .gates import GATE_RULES_TEXT, GateRisk, gate_risks
from .scoring import OPEN_PROBLEM_SHARE, OVERDUE_PROBLEM_SHARE

FORECAST_CACHE_SECONDS = 600
POINT_TYPE_ROUNDS = 3  # the weakest point types: over this many latest rounds
WEAKEST_SHOWN = 5
ONE = Decimal(1)
ZERO = Decimal(0)
TENTH = Decimal("0.1")

FORECAST_RULES_TEXT = [
    _(
        "每一项的基础得分率：本区最近一轮检查查过这一项的，按（达标点次 + 不达标但工单已销号的点次）÷ 检查点次"
        "（不适用不计）；没查过的，按关联任务的自评分 ÷ 分值；没有自评分的，按关联任务的进度；"
        "都没有的，按本方面有数据的各项的平均得分率估计（本方面都没有，则按全区的）。"
    ),
    _(
        "预计得分 = 分值 ×（基础得分率 − 10% × 计时内的未办结问题数 − 20% × 逾期问题数），不低于 0；"
        "问题指关联这一项（经检查发现或经任务关联）、且不在上述检查里的未办结工单，与风险分同一口径。"
    ),
    _(
        "方面的预计得分 = 各项预计得分之和；得分率 = 预计得分 ÷ 分值；"
        "数据覆盖 = 有检查或自评数据的项的分值 ÷ 方面分值。"
    ),
    _("街道的预计得分用同一算法：检查结果和问题只取该街道的点位和工单，自评分和进度用全区的。"),
    # 一票否决风险: the board's own rule (selectors/gates.py), word for word.
    *GATE_RULES_TEXT,
    _("标准没有给出各项分值时（如 2021 版国家卫生城市标准），每项按 1 分计：预计得分即预计达标的项数。"),
    _("薄弱点位类型：最近三轮检查中各点位类型的达标率 = 达标 ÷（达标 + 不达标），列出最低的五类。"),
]


def _one_place(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return _one_place(100 * part / whole) if whole > 0 else None


@dataclass
class ForecastRow:
    """A 方面, a street, or the whole: full score, expected score, open problems, gate risks."""

    code: str
    name: str
    key: int = 0  # the 方面's id (0 for a street or the whole)
    full: Decimal = ZERO
    expected: Decimal = ZERO
    assessed: Decimal = ZERO  # the full score of the 项 with data of their own
    open_problems: int = 0
    overdue_problems: int = 0
    gate_risks: int = 0

    @property
    def rate(self) -> Decimal | None:
        return _percent(self.expected, self.full)

    @property
    def coverage(self) -> Decimal | None:
        return _percent(self.assessed, self.full)

    @property
    def expected_shown(self) -> Decimal:
        return _one_place(self.expected)


@dataclass(frozen=True)
class PointTypeRate:
    name: str
    checks: int
    passed: int

    @property
    def rate(self) -> Decimal | None:
        return _percent(Decimal(self.passed), Decimal(self.checks))


@dataclass
class Forecast:
    campaign_id: int
    has_standard: bool
    computed_at: datetime.datetime
    latest_round: str = ""
    rounds: list[str] = field(default_factory=list)
    aspects: list[ForecastRow] = field(default_factory=list)
    total: ForecastRow = field(default_factory=lambda: ForecastRow("", ""))
    streets: list[ForecastRow] = field(default_factory=list)
    gates: list[GateRisk] = field(default_factory=list)
    weakest: list[PointTypeRate] = field(default_factory=list)
    equal_weights: bool = False  # the standard gives no scores: each 项 counts one

    @property
    def vetoed(self) -> bool:
        return bool(self.gates)

    @property
    def has_data(self) -> bool:
        """Any 项 with checks, self scores or progress: without, there is nothing to forecast."""
        return self.total.assessed > 0


@dataclass
class _Checks:
    """The latest round's checks of one 项 (at one street, or everywhere)."""

    passed: int = 0
    fixed: int = 0
    failing: int = 0

    def add(self, other: "_Checks") -> None:
        self.passed += other.passed
        self.fixed += other.fixed
        self.failing += other.failing

    @property
    def rate(self) -> Decimal | None:
        total = self.passed + self.fixed + self.failing
        return Decimal(self.passed + self.fixed) / total if total else None


@dataclass
class _Open:
    timely: int = 0
    overdue: int = 0


def _latest_rounds(district_id: int) -> list[tuple[int, str]]:
    """(id, name) of the latest rounds that checked points in the district, newest first."""
    return list(
        InspectionRound.objects.filter(points__district_id=district_id, points__checks__isnull=False)
        .distinct()
        .order_by("-starts_on", "-id")
        .values_list("id", "name")[:POINT_TYPE_ROUNDS]
    )


def _round_checks(district_id: int, round_id: int | None) -> dict[tuple[int, int | None], _Checks]:
    """(项, street) → the latest round's checks; the street is the checked point's."""
    if round_id is None:
        return {}
    failed = Q(result=CheckResult.FAIL)
    fixed = failed & Q(ticket__state=TicketState.CLOSED)
    rows = (
        RoundCheck.objects.filter(round_point__inspection_round_id=round_id, round_point__district_id=district_id)
        .values("item_id", "round_point__point__street_id")
        .annotate(
            passed=Count("id", filter=Q(result=CheckResult.PASS)),
            fixed=Count("id", filter=fixed),
            failed=Count("id", filter=failed),
        )
    )
    return {
        (row["item_id"], row["round_point__point__street_id"]): _Checks(
            row["passed"], row["fixed"], row["failed"] - row["fixed"]
        )
        for row in rows
    }


def _point_types(district_id: int, round_ids: list[int]) -> list[PointTypeRate]:
    rows = (
        RoundCheck.objects.filter(round_point__inspection_round_id__in=round_ids, round_point__district_id=district_id)
        .exclude(result=CheckResult.NOT_APPLICABLE)
        .values("round_point__point__point_type__name")
        .annotate(checks=Count("id"), passed=Count("id", filter=Q(result=CheckResult.PASS)))
    )
    rates = [
        PointTypeRate(row["round_point__point__point_type__name"], row["checks"], row["passed"])
        for row in rows
        if row["checks"]
    ]
    return sorted(rates, key=lambda r: (r.passed / r.checks, -r.checks, r.name))[:WEAKEST_SHOWN]


def _open_tickets(
    campaign: Campaign, round_id: int | None, today: datetime.date
) -> dict[tuple[int, int | None, bool], _Open]:
    """(项, street, found by the latest round's checks) → open tickets linked to the 项."""
    in_round = (
        Case(
            When(round_check__round_point__inspection_round_id=round_id, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if round_id is not None
        else Value(False, output_field=BooleanField())
    )
    rows = (
        Ticket.objects.filter(campaign=campaign, state__in=OPEN_STATES)
        .annotate(linked_item=Coalesce("finding__item_id", "checklist_item__standard_item_id"), in_round=in_round)
        .filter(linked_item__isnull=False)
        .values("linked_item", "street_id", "in_round")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
        )
    )
    return {
        (row["linked_item"], row["street_id"], row["in_round"]): _Open(row["open"] - row["overdue"], row["overdue"])
        for row in rows
    }


def _self_rates(campaign: Campaign) -> dict[int, tuple[Decimal, bool]]:
    """项 → (rate, from self scores) from the campaign's tasks linked to it."""
    rows = (
        campaign.checklist_items.filter(standard_item__isnull=False)
        .values("standard_item_id")
        .annotate(
            full=Sum("full_score"),
            scored_full=Sum("full_score", filter=Q(self_score__isnull=False)),
            scored=Sum("self_score"),
            weighted=Sum(F("full_score") * F("progress")),
        )
    )
    rates: dict[int, tuple[Decimal, bool]] = {}
    for row in rows:
        if row["scored_full"]:
            rates[row["standard_item_id"]] = (min(ONE, Decimal(row["scored"]) / Decimal(row["scored_full"])), True)
        elif row["full"]:
            rates[row["standard_item_id"]] = (Decimal(row["weighted"] or 0) / Decimal(row["full"]) / 100, False)
    return rates


def _expected(score: Decimal, rate: Decimal, opened: _Open) -> Decimal:
    lost = OPEN_PROBLEM_SHARE * opened.timely + OVERDUE_PROBLEM_SHARE * opened.overdue
    return score * max(ZERO, rate - lost)


@dataclass
class _Inputs:
    items: list[StandardItem]
    checks: dict[tuple[int, int | None], _Checks]
    opened: dict[tuple[int, int | None, bool], _Open]
    self_rates: dict[int, tuple[Decimal, bool]]
    # A standard that gives its 项 no scores (the 2021 national one gives none) weighs each as one.
    equal_weights: bool = False
    # The same, by 项: each 项's checks and open tickets are read once per street.
    checks_by_item: dict[int, list[tuple[int | None, _Checks]]] = field(default_factory=dict)
    opened_by_item: dict[int, list[tuple[int | None, bool, _Open]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checks_by_item: defaultdict[int, list[tuple[int | None, _Checks]]] = defaultdict(list)
        for (item, street), checks in self.checks.items():
            checks_by_item[item].append((street, checks))
        opened_by_item: defaultdict[int, list[tuple[int | None, bool, _Open]]] = defaultdict(list)
        for (item, street, from_round), opened in self.opened.items():
            opened_by_item[item].append((street, from_round, opened))
        self.checks_by_item, self.opened_by_item = dict(checks_by_item), dict(opened_by_item)

    def checks_of(self, item_id: int, street_id: int | None) -> _Checks:
        found = _Checks()
        for street, checks in self.checks_by_item.get(item_id, ()):
            if street_id is None or street == street_id:
                found.add(checks)
        return found

    def open_of(self, item_id: int, street_id: int | None, *, in_round: bool | None) -> _Open:
        found = _Open()
        for street, from_round, opened in self.opened_by_item.get(item_id, ()):
            if (street_id is None or street == street_id) and in_round in (None, from_round):
                found.timely += opened.timely
                found.overdue += opened.overdue
        return found

    def rate_of(self, item_id: int, street_id: int | None) -> Decimal | None:
        """The 项's base rate: the latest round's checks (the street's own when it has them),
        then the tasks' self scores, then their progress."""
        rate = self.checks_of(item_id, street_id).rate
        if rate is None and street_id is not None:
            rate = self.checks_of(item_id, None).rate
        if rate is None and item_id in self.self_rates:
            rate = self.self_rates[item_id][0]
        return rate


def _scored(inputs: _Inputs, street_id: int | None) -> tuple[list[ForecastRow], ForecastRow]:
    """Per 方面 and in all, for the district (street_id None) or one street."""
    rows: dict[int, ForecastRow] = {}
    pending: list[tuple[ForecastRow, Decimal, _Open]] = []
    for item in inputs.items:
        aspect = item.article.aspect
        row = rows.setdefault(aspect.pk, ForecastRow(aspect.code, aspect.name, aspect.pk))
        score = ONE if inputs.equal_weights else Decimal(item.score)
        counted = inputs.open_of(item.pk, street_id, in_round=False)
        every = inputs.open_of(item.pk, street_id, in_round=None)
        row.full += score
        row.open_problems += every.timely + every.overdue
        row.overdue_problems += every.overdue
        rate = inputs.rate_of(item.pk, street_id)
        if rate is None:
            pending.append((row, score, counted))
            continue
        row.assessed += score
        row.expected += _expected(score, rate, counted)
    assessed = sum((row.assessed for row in rows.values()), ZERO)
    everywhere = sum((row.expected for row in rows.values()), ZERO) / assessed if assessed else None
    fills = {id(row): row.expected / row.assessed if row.assessed else everywhere for row in rows.values()}
    for row, score, counted in pending:
        fill = fills[id(row)]
        if fill is not None:
            row.expected += _expected(score, fill, counted)
    total = ForecastRow("", str(_("合计")))
    for row in rows.values():
        for name in ("full", "expected", "assessed", "open_problems", "overdue_problems"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return list(rows.values()), total


def forecast_compute(campaign: Campaign, today: datetime.date | None = None) -> Forecast:
    """The campaign's forecast, computed now (eight queries)."""
    today = today or timezone.localdate()
    forecast = Forecast(
        campaign_id=campaign.pk, has_standard=campaign.standard_id is not None, computed_at=timezone.now()
    )
    if campaign.standard_id is None:
        return forecast
    district_id = campaign.district_id
    items = list(
        StandardItem.objects.filter(article__aspect__standard_id=campaign.standard_id)
        .select_related("article__aspect")
        .order_by("article__aspect__order", "article__aspect__code", "article__order", "order", "id")
    )
    rounds = _latest_rounds(district_id)
    latest = rounds[0][0] if rounds else None
    inputs = _Inputs(
        items=items,
        checks=_round_checks(district_id, latest),
        opened=_open_tickets(campaign, latest, today),
        self_rates=_self_rates(campaign),
        equal_weights=not any(item.score > 0 for item in items),
    )
    forecast.equal_weights = inputs.equal_weights
    forecast.rounds = [name for _id, name in rounds]
    forecast.latest_round = forecast.rounds[0] if rounds else ""
    forecast.aspects, forecast.total = _scored(inputs, None)
    streets = OrgUnit.objects.filter(parent_id=district_id, kind__in=STREET_KINDS, is_active=True).order_by(
        "order", "id"
    )
    for street in streets:
        _rows, street_total = _scored(inputs, street.pk)
        street_total.code, street_total.name = "", street.name
        forecast.streets.append(street_total)
    forecast.streets.sort(key=lambda row: (row.rate is None, row.rate or ZERO, row.name))
    forecast.gates = gate_risks(campaign)
    at_risk = Counter(gate.item.article.aspect_id for gate in forecast.gates)
    for row in forecast.aspects:
        row.gate_risks = at_risk[row.key]
    forecast.total.gate_risks = len(forecast.gates)
    forecast.weakest = _point_types(district_id, [pk for pk, _name in rounds])
    return forecast


def board_forecast(campaign: Campaign, today: datetime.date, *, recount: bool = False) -> Forecast:
    """The board's forecast panel, computed at most once in each ten minutes (it may lag the
    board's other figures by as much; the panel says when it was computed). The ten minutes are
    in the key as well as the expiry, so every cache backend and every clock agree on them."""
    window = int(timezone.now().timestamp()) // FORECAST_CACHE_SECONDS
    key = f"board-forecast:v1:{campaign.pk}:{campaign.standard_id}:{today.isoformat()}:{window}"
    forecast = None if recount else cache.get(key)
    if not isinstance(forecast, Forecast):
        forecast = forecast_compute(campaign, today)
        cache.set(key, forecast, FORECAST_CACHE_SECONDS)
    return forecast
