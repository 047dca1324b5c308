"""Checklist reads: tasks with their open problems and points at risk."""

import datetime

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import OPEN_STATES, Campaign, ChecklistItem, Ticket

from .scoring import AreaScore, area_scores, item_points_at_risk, total_score


def checklist_items(
    campaign: Campaign | None,
    *,
    today: datetime.date | None = None,
    queryset: QuerySet[ChecklistItem] | None = None,
    with_units: bool = True,
) -> list[ChecklistItem]:
    """Tasks with what their rows show — units, open problems, points at risk — in two queries."""
    today = today or timezone.localdate()
    # Correlated counts over the (checklist_item, state) index: only open tickets are read.
    open_tickets = Ticket.objects.filter(checklist_item=OuterRef("pk"), state__in=OPEN_STATES)

    def count_of(queryset: QuerySet[Ticket]) -> Coalesce:
        return Coalesce(
            Subquery(queryset.order_by().values("checklist_item").annotate(n=Count("*")).values("n")[:1]),
            0,
        )

    queryset = queryset if queryset is not None else ChecklistItem.objects.filter(campaign=campaign)
    if with_units:
        queryset = queryset.prefetch_related("cooperating_units")
    items = list(
        queryset.select_related("area", "lead_unit")
        .annotate(
            open_problems=count_of(open_tickets),
            overdue_problems=count_of(open_tickets.filter(deadline__lt=today)),
        )
        .order_by("area__order", "area_id", "order", "id")
    )
    for item in items:
        item.points_at_risk = item_points_at_risk(item, today)
    return items


def checklist_area_scores(
    campaign: Campaign, *, today: datetime.date | None = None
) -> tuple[list[AreaScore], AreaScore]:
    """The score panel: per-area full score, self-score, points at risk, progress, overdue tasks."""
    today = today or timezone.localdate()
    # One query: the areas come with their tasks (an area without tasks has no score to show).
    items = checklist_items(campaign, today=today, with_units=False)
    areas = sorted({item.area for item in items}, key=lambda area: (area.order, area.code))
    scores = area_scores(items, areas, today)
    return scores, total_score(scores)
