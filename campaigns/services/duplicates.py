"""疑似重复: after a ticket is logged (from any source: the log page, a round's findings, a
问题清单, later the API and the 12345 hotline; all go through workflow.ticket_log), find the
open tickets it may repeat and keep them as suggestions for the district's supervisors.

The search is one indexed query (ticket_open_category: district, category, open, found since
a day) narrowed in SQL to the same point, the same written place, or a box around the
point's coordinates; only the handful of rows in the box are measured exactly here.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from celery import shared_task
from django.db import transaction
from django.db.models import Q

from campaigns.models import OPEN_STATES, DuplicateBasis, DuplicateSuggestion, Ticket
from infra.fragments import district_touch

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
# A new problem that resembles more open ones than this is shown with the nearest few: the
# supervisor merges one pair at a time anyway.
MAX_SUGGESTIONS = 5


def distance_m(lat1: Decimal | float, lng1: Decimal | float, lat2: Decimal | float, lng2: Decimal | float) -> float:
    """Great-circle distance in metres (haversine): exact enough for tens of metres."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlam = math.radians(float(lng2) - float(lng1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _box(lat: Decimal, lng: Decimal, radius_m: int) -> Q:
    """Points within a latitude/longitude box around (lat, lng) that holds the whole circle."""
    dlat = radius_m / METRES_PER_DEGREE
    dlng = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(float(lat))), 0.01))
    return Q(
        point__latitude__gte=float(lat) - dlat,
        point__latitude__lte=float(lat) + dlat,
        point__longitude__gte=float(lng) - dlng,
        point__longitude__lte=float(lng) + dlng,
    )


@dataclass(frozen=True)
class Match:
    candidate_id: int
    basis: str
    distance: int | None


def _coordinates(ticket: Ticket) -> tuple[Decimal, Decimal] | None:
    point = ticket.point
    if point is None or point.latitude is None or point.longitude is None:
        return None
    return point.latitude, point.longitude


def duplicate_matches(ticket: Ticket) -> list[Match]:
    """Open tickets found before `ticket` that it may repeat, nearest first (none if the
    campaign compares nothing)."""
    campaign = ticket.campaign
    if not campaign.duplicate_days:
        return []
    since = ticket.reported_at - datetime.timedelta(days=campaign.duplicate_days)
    where = Q()
    if ticket.point_id:
        where |= Q(point_id=ticket.point_id)
    if ticket.place:
        where |= Q(place=ticket.place)
    here = _coordinates(ticket)
    if here is not None and campaign.duplicate_radius_m:
        where |= _box(*here, campaign.duplicate_radius_m)
    if not where:
        return []
    rows = (
        Ticket.objects.filter(
            district_id=ticket.district_id,
            category_id=ticket.category_id,
            state__in=OPEN_STATES,
            reported_at__gte=since,
        )
        .filter(Q(reported_at__lt=ticket.reported_at) | Q(reported_at=ticket.reported_at, pk__lt=ticket.pk))
        .filter(where)
        .order_by("-reported_at")
        .values_list("pk", "point_id", "place", "point__latitude", "point__longitude")[:200]
    )
    matches = []
    for pk, point_id, place, lat, lng in rows:
        if ticket.point_id and point_id == ticket.point_id:
            matches.append(Match(pk, DuplicateBasis.SAME_POINT, None))
        elif ticket.place and place == ticket.place:
            matches.append(Match(pk, DuplicateBasis.SAME_PLACE, None))
        elif here is not None and lat is not None and lng is not None:
            metres = distance_m(*here, lat, lng)
            if metres <= campaign.duplicate_radius_m:  # the box's corners are farther than the circle
                matches.append(Match(pk, DuplicateBasis.NEARBY, round(metres)))
    matches.sort(key=lambda match: match.distance or 0)
    return matches[:MAX_SUGGESTIONS]


def duplicates_suggest(ticket_id: int) -> int:
    """Record the suggestions for a newly logged ticket; returns how many are new.

    Safe to run twice (one row per pair, under a unique constraint) and late: a ticket
    merged or closed meanwhile is compared no more.
    """
    ticket = (
        Ticket.objects.select_related("campaign", "point")
        .filter(pk=ticket_id, state__in=OPEN_STATES, merged_into__isnull=True)
        .first()
    )
    if ticket is None:
        return 0
    known = set(DuplicateSuggestion.objects.filter(ticket=ticket).values_list("candidate_id", flat=True))
    matches = [match for match in duplicate_matches(ticket) if match.candidate_id not in known]
    if not matches:
        return 0
    with transaction.atomic():
        # ignore_conflicts: a second run at the same moment wrote the same pairs first.
        DuplicateSuggestion.objects.bulk_create(
            [
                DuplicateSuggestion(
                    district_id=ticket.district_id,
                    ticket=ticket,
                    candidate_id=match.candidate_id,
                    basis=match.basis,
                    distance_m=match.distance,
                )
                for match in matches
            ],
            ignore_conflicts=True,
        )
        # The list and the ticket pages show the mark: they are stale once this commits.
        transaction.on_commit(partial(district_touch, ticket.district_id))
    return len(matches)


@shared_task(name="campaigns.tasks.find_duplicates")
def find_duplicates(ticket_id: int) -> int:
    return duplicates_suggest(ticket_id)
