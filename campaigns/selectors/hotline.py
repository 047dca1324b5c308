"""满意率: how citizens rated the 12345 工单 the district handled, per unit and per street.

满意率 = (满意 + 基本满意) ÷ 已回访 × 100%. Only 工单 with a 回访 result count: a 工单 not yet
visited says nothing either way. A 工单 counts for the unit responsible for its ticket now and
for its ticket's street. One query per table, whatever the ledger holds.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns.models import HotlineOrder, VisitResult

FORMULA = _("满意率 =（满意 + 基本满意）÷ 已回访 × 100%；未回访的工单不计入。")


@dataclass(frozen=True)
class Satisfaction:
    name: str
    orders: int
    visited: int
    satisfied: int
    basically: int
    dissatisfied: int

    @property
    def rate(self) -> float | None:
        """满意率 in percent, one decimal; None before any 回访."""
        if not self.visited:
            return None
        return round((self.satisfied + self.basically) * 100 / self.visited, 1)


COUNTS = {
    "orders": Count("id"),
    "visited": Count("id", filter=~Q(visit_result="")),
    "satisfied": Count("id", filter=Q(visit_result=VisitResult.SATISFIED)),
    "basically": Count("id", filter=Q(visit_result=VisitResult.BASICALLY)),
    "dissatisfied": Count("id", filter=Q(visit_result=VisitResult.DISSATISFIED)),
}


def hotline_orders(district_id: int) -> QuerySet[HotlineOrder]:
    return HotlineOrder.objects.filter(district_id=district_id)


def satisfaction_total(district_id: int) -> Satisfaction:
    row = hotline_orders(district_id).aggregate(**COUNTS)
    return Satisfaction(name=str(_("全区")), **row)


def satisfaction_by(district_id: int, by: str) -> list[Satisfaction]:
    """Per `by`: "unit" (the ticket's responsible unit now) or "street" (the ticket's street)."""
    path = {"unit": "ticket__responsible_unit__name", "street": "ticket__street__name"}[by]
    rows = hotline_orders(district_id).values(path).annotate(**COUNTS).order_by(path)
    return [Satisfaction(name=row[path] or str(_("（未交办）")), **{key: row[key] for key in COUNTS}) for row in rows]
