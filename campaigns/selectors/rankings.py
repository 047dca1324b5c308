"""Rankings for naming (红黑榜 / 通报): streets and units over a period, by a rule shown on the page."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    OPEN_STATES,
    Campaign,
    OrgUnit,
    PhotoKind,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
)

from .common import day_start
from .daily_reports import report_compliance
from .kpis import KpiCounts, kpi_counts

BASES = {
    "score": (_("综合得分"), True),
    "composite": (_("加权综合指数"), True),
    "closure_rate": (_("销号率"), True),
    "overdue": (_("逾期件数"), False),
    "returns": (_("退回次数"), False),
    "compliance": (_("日报按时率"), True),
}
RANKING_RULES = [
    _("统计对象：统计期内发现（不含已撤销）的问题，按所在街道/乡镇和责任单位分别排名；期内没有问题的单位不参加排名。"),
    _("销号率 = 已销号 ÷ 期内发现；逾期件数 = 期内发现、至今仍未办结且已过整改时限的问题。"),
    _("退回次数 = 期内被退回的次数。"),
    _("日报按时率 = 按时报送 ÷ 应报次数（只对需要报日报的单位计算）。"),
    _("综合得分 = 销号率 × 60% + 日报按时率 × 40%（不报日报的单位按销号率计） − 逾期件数 × 2 − 退回次数 × 1。"),
    _("加权综合指数 = Σ 权重 × 指标 ÷ Σ 权重 × 100，权重见表下（本活动设定）；某项指标期内无可计数时不计其权重。"),
    _(
        "疑似重复使用照片 = 期内发现的问题中，整改后照片与本区更早的照片几乎相同"
        "（感知哈希相差不超过 3 位）的件数；只作提示，不计入得分。"
    ),
    _("红榜取排名前 3 位，黑榜取排名后 3 位。"),
]
LIST_SIZE = 3
ONE_DAY = datetime.timedelta(days=1)


@dataclass
class RankRow:
    unit: OrgUnit
    total: int
    closed: int
    overdue: int
    returns: int
    compliance: float | None
    rank: int = 0
    sign_late: int = 0  # 超时未签收 now: shown beside the score, not part of it
    reused_photos: int = 0  # 疑似重复使用照片: shown beside the score, not part of it
    kpis: KpiCounts = field(default_factory=KpiCounts)
    weights: dict[str, Any] | None = None

    @property
    def composite(self) -> float | None:
        return self.kpis.composite(self.weights)

    @property
    def closure_rate(self) -> float:
        return round(100 * self.closed / self.total, 1) if self.total else 0.0

    @property
    def score(self) -> float:
        compliance = self.compliance if self.compliance is not None else self.closure_rate
        return round(self.closure_rate * 0.6 + compliance * 0.4 - self.overdue * 2 - self.returns, 1)

    def value(self, basis: str) -> float | None:
        return getattr(self, basis)


def _rank(rows: list[RankRow], basis: str) -> list[RankRow]:
    _label, higher_is_better = BASES[basis]

    def key(row: RankRow) -> tuple[float, int, int]:
        value = row.value(basis)
        if value is None:
            value = float("-inf") if higher_is_better else float("inf")
        return (-value if higher_is_better else value, row.unit.order, row.unit.pk)

    rows.sort(key=key)
    for index, row in enumerate(rows, start=1):
        row.rank = index
    return rows


def _group(
    tickets: QuerySet[Ticket], events: QuerySet[TicketEvent], field: str, today: datetime.date
) -> tuple[dict[int, dict[str, Any]], dict[int, int]]:
    open_q = Q(state__in=OPEN_STATES)
    counts = {
        row[field]: row
        for row in tickets.values(field).annotate(
            total=Count("id"),
            closed=Count("id", filter=Q(state=TicketState.CLOSED)),
            overdue=Count("id", filter=open_q & Q(deadline__lt=today)),
            sign_late=Count("id", filter=Q(state=TicketState.ASSIGNED, sign_due_at__lt=timezone.now())),
        )
        if row[field] is not None
    }
    returns = dict(events.values_list(f"ticket__{field}").annotate(n=Count("id")).values_list(f"ticket__{field}", "n"))
    for unit_id, reused in _reused_photos(tickets, field).items():
        if unit_id in counts:
            counts[unit_id]["reused_photos"] = reused
    return counts, returns


def _reused_photos(tickets: QuerySet[Ticket], field: str) -> dict[int, int]:
    """Tickets per street or unit with an after-photo found to repeat an earlier photo (read
    from the partial index of flagged photos)."""
    flagged = TicketPhoto.objects.filter(ticket__in=tickets, kind=PhotoKind.AFTER, reused_of__isnull=False)
    rows = flagged.values_list(f"ticket__{field}").annotate(n=Count("ticket", distinct=True))
    return {unit_id: n for unit_id, n in rows.values_list(f"ticket__{field}", "n") if unit_id is not None}


def rankings(
    district: OrgUnit, campaign: Campaign | None, start: datetime.date, end: datetime.date, basis: str = "score"
) -> tuple[list[RankRow], list[RankRow], str]:
    """(streets, units) ranked by `basis` for tickets found in [start, end]."""
    if basis not in BASES:
        basis = "score"
    today = timezone.localdate()
    tickets = Ticket.objects.filter(
        district=district, reported_at__gte=day_start(start), reported_at__lt=day_start(end) + ONE_DAY
    ).exclude(state=TicketState.VOIDED)
    events = TicketEvent.objects.filter(
        action=TicketAction.RETURN,
        ticket__district=district,
        at__gte=day_start(start),
        at__lt=day_start(end) + ONE_DAY,
    )
    compliance: dict[int, float | None] = {}
    if campaign is not None:
        for row in report_compliance(campaign, start, end):
            if row.duty.unit_id and row.due:
                compliance[row.duty.unit_id] = row.rate
    weights = campaign.kpi_weights if campaign is not None else None
    result: list[list[RankRow]] = []
    for group in ("street", "responsible_unit"):
        counts, returns = _group(tickets, events, group, today)
        kpis = kpi_counts(district, start, end, group)
        units = {unit.pk: unit for unit in OrgUnit.objects.filter(pk__in=counts)}
        rows = [
            RankRow(
                unit=units[unit_id],
                total=row["total"],
                closed=row["closed"],
                overdue=row["overdue"],
                returns=returns.get(unit_id, 0),
                compliance=compliance.get(unit_id),
                sign_late=row["sign_late"],
                reused_photos=row.get("reused_photos", 0),
                kpis=kpis.get(unit_id, KpiCounts()),
                weights=weights,
            )
            for unit_id, row in counts.items()
        ]
        result.append(_rank(rows, basis))
    return result[0], result[1], basis


def red_and_black(rows: list[RankRow]) -> tuple[list[RankRow], list[RankRow]]:
    """The best and the worst few; a short ranking never names anyone on both."""
    size = min(LIST_SIZE, len(rows) // 2)
    return rows[:size], list(reversed(rows[-size:])) if size else []
