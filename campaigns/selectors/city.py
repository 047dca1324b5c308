"""The city overview: every district of the city side by side, from each district's board."""

from dataclasses import dataclass
from typing import Any

from campaigns.access import AnyUser, scope_for
from campaigns.models import Campaign, OrgUnit, UnitKind

from .board import board_headlines
from .common import Light, closure_light, overdue_light


@dataclass
class DistrictRow:
    district: OrgUnit
    campaign: Campaign | None
    figures: dict[str, Any]
    closure_rate: float | None
    median_days_to_close: float | None
    at_risk: float | None
    full_score: float | None
    reports_due: int
    reports_in: int
    overdue_light: Light | None
    closure_light: Light | None

    @property
    def report_rate(self) -> float | None:
        return round(100 * self.reports_in / self.reports_due, 1) if self.reports_due else None


def city_overview(user: AnyUser) -> list[DistrictRow]:
    """One row per district the user can see, each from that district's (cached) board headline."""
    rows: list[DistrictRow] = []
    districts = list(
        OrgUnit.objects.filter(pk__in=scope_for(user).district_ids, kind=UnitKind.DISTRICT).order_by("order", "id")
    )
    for district, board in zip(districts, board_headlines(districts), strict=True):
        reports = board.reports
        total = board.score_total
        rows.append(
            DistrictRow(
                district=district,
                campaign=board.campaign,
                figures=board.figures,
                closure_rate=board.closure_rate,
                median_days_to_close=board.median_days_to_close,
                at_risk=round(float(total.at_risk), 1) if total and total.items else None,
                full_score=round(float(total.full_score), 1) if total and total.items else None,
                reports_due=reports.total if reports else 0,
                reports_in=(reports.on_time + reports.late) if reports else 0,
                overdue_light=overdue_light(board.campaign, board.figures["overdue"]),
                closure_light=closure_light(board.campaign, board.closure_rate),
            )
        )
    return rows
