"""The city overview: every district of the city side by side on the same figures."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from campaigns.access import scope_for
from campaigns.models import (
    OPEN_STATES,
    Campaign,
    CampaignStatus,
    ChecklistItem,
    DailyReport,
    OrgUnit,
    ReportingDuty,
    Ticket,
    TicketState,
    UnitKind,
)

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


@dataclass
class DistrictRow:
    district: OrgUnit
    campaign: Campaign | None
    figures: dict
    closure_rate: float | None
    median_days_to_close: float | None
    at_risk: float | None
    full_score: float | None
    reports_due: int
    reports_in: int
    overdue_light: object
    closure_light: object

    @property
    def report_rate(self):
        return round(100 * self.reports_in / self.reports_due, 1) if self.reports_due else None


def city_overview(user):
    """One row per district the user can see; a fixed number of queries however many districts."""
    from campaigns.services.scoring import item_points_at_risk

    today = timezone.localdate()
    median_since = day_start(today - datetime.timedelta(days=30))
    districts = list(
        OrgUnit.objects.filter(pk__in=scope_for(user).district_ids, kind=UnitKind.DISTRICT).order_by("order", "id")
    )
    ids = [district.pk for district in districts]
    figures = {
        row.pop("district"): row
        for row in Ticket.objects.filter(district_id__in=ids)
        .values("district")
        .annotate(**ticket_figures_q(today, median_since=median_since))
        .order_by()
    }
    medians = {}
    if median_supported():
        for district_id, row in figures.items():
            value = row.pop("median_close", None)
            medians[district_id] = round(value.total_seconds() / 86400, 1) if value is not None else None
    else:
        durations = defaultdict(list)
        for district_id, took in (
            Ticket.objects.filter(district_id__in=ids, state=TicketState.CLOSED, closed_at__gte=median_since)
            .annotate(took=time_to_close())
            .values_list("district_id", "took")
        ):
            durations[district_id].append(took)
        medians = {district_id: median_days(values) for district_id, values in durations.items()}
    campaigns = {}
    for campaign in Campaign.objects.filter(district_id__in=ids, status=CampaignStatus.RUNNING).order_by(
        "district_id", "-start_date"
    ):
        campaigns.setdefault(campaign.district_id, campaign)
    open_q = Q(tickets__state__in=OPEN_STATES)
    risk, full = defaultdict(float), defaultdict(float)
    for item in ChecklistItem.objects.filter(campaign__in=campaigns.values()).annotate(
        district_id=F("campaign__district_id"),
        open_problems=Count("tickets", filter=open_q),
        overdue_problems=Count("tickets", filter=open_q & Q(tickets__deadline__lt=today)),
    ):
        risk[item.district_id] += float(item_points_at_risk(item, today))
        full[item.district_id] += float(item.full_score)
    due, submitted = defaultdict(int), defaultdict(int)
    report_today = DailyReport.objects.filter(duty=OuterRef("pk"), date=today).values("pk")[:1]
    for district_id, reported in (
        ReportingDuty.objects.filter(campaign__in=campaigns.values(), is_active=True, since__lte=today)
        .annotate(district_id=F("campaign__district_id"), reported=Subquery(report_today))
        .values_list("district_id", "reported")
    ):
        due[district_id] += 1
        submitted[district_id] += reported is not None
    empty = {key: 0 for key in ticket_figures_q(today)}
    rows = []
    for district in districts:
        row_figures = figures.get(district.pk, empty)
        campaign = campaigns.get(district.pk)
        rate = closure_rate(row_figures)
        rows.append(
            DistrictRow(
                district=district,
                campaign=campaign,
                figures=row_figures,
                closure_rate=rate,
                median_days_to_close=medians.get(district.pk),
                at_risk=round(risk[district.pk], 1) if district.pk in full else None,
                full_score=round(full[district.pk], 1) if district.pk in full else None,
                reports_due=due[district.pk],
                reports_in=submitted[district.pk],
                overdue_light=overdue_light(campaign, row_figures["overdue"]),
                closure_light=closure_light(campaign, rate),
            )
        )
    return rows
