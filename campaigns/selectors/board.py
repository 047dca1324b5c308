"""The district board (作战图): one query per panel."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import OPEN_STATES, Campaign, CampaignStatus, OrgUnit, Ticket, TicketState, UnitKind

from .checklist import checklist_area_scores
from .common import closure_rate, ticket_figures_q


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
    from campaigns.services.daily_reports import reports_today_summary

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
