"""What a staffer's phone keeps for working without signal: their tasks, the points of their
streets and the categories they log under — only ever their own districts' (the pack is kept
on the device until logout, so it carries no more than the person may see)."""

from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from campaigns.access import scope_for
from campaigns.models import Campaign, CampaignStatus, InspectionPoint, ProblemCategory
from campaigns.selectors.tasks import my_tasks

# Enough for a street's points; a district-wide role gets its districts' first ones by street.
OFFLINE_POINTS_MAX = 2000


def _tasks(user: User) -> list[dict[str, Any]]:
    return [
        {
            "key": task_list.key,
            "title": str(task_list.title),
            "total": task_list.total,
            "tickets": [
                {
                    "number": ticket.number,
                    "url": reverse("campaigns:ticket-detail", args=[ticket.number]),
                    "state": ticket.get_state_display(),
                    "deadline": ticket.deadline.isoformat() if ticket.deadline else None,
                    "place": ticket.place_display,
                }
                for ticket in task_list.tickets
            ],
        }
        for task_list in my_tasks(user)
    ]


def _points(user: User) -> list[dict[str, Any]]:
    scope = scope_for(user)
    points = InspectionPoint.objects.filter(district_id__in=scope.district_ids, is_active=True)
    # A street's staffer needs their own streets' points; others their districts'.
    if scope.street_ids:
        points = points.filter(street_id__in=scope.street_ids)
    rows = points.order_by("street_id", "name").values(
        "id", "name", "address", "street__name", "latitude", "longitude"
    )[:OFFLINE_POINTS_MAX]
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "address": row["address"],
            "street": row["street__name"] or "",
            "lat": None if row["latitude"] is None else float(row["latitude"]),
            "lon": None if row["longitude"] is None else float(row["longitude"]),
        }
        for row in rows
    ]


def _categories(user: User) -> list[dict[str, Any]]:
    scope = scope_for(user)
    loggable = [district_id for district_id in scope.district_ids if scope.can_log(district_id)]
    running = Campaign.objects.filter(district_id__in=loggable, status=CampaignStatus.RUNNING)
    rows = (
        ProblemCategory.objects.filter(campaign__in=running, is_active=True)
        .order_by("campaign_id", "area__order", "area_id", "order", "id")
        .values("id", "name", "area__name", "campaign_id")
    )
    return [
        {"id": row["id"], "name": row["name"], "area": row["area__name"], "campaign": row["campaign_id"]}
        for row in rows
    ]


def offline_pack(user: User) -> dict[str, Any]:
    """The pack, as JSON-ready data; `generated_at` lets the page say how old its copy is."""
    return {
        "generated_at": timezone.now().isoformat(),
        "user": user.pk,
        "tasks": _tasks(user),
        "points": _points(user),
        "categories": _categories(user),
    }
