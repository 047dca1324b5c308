"""照片证据核验 as the verifier reads it: for each after-photo of the fix, whether it repeats an
earlier photo, how far from the point and when it was taken.

The flags inform; they never block a fix. A verifier who passes a flagged fix writes why
(workflow: ticket_close_out, ticket_review).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import PhotoKind, Ticket, TicketPhoto

FLAG_LABELS = {
    "reused": gettext_lazy("疑似重复使用照片"),
    "far": gettext_lazy("拍摄地点离点位过远"),
    "early": gettext_lazy("拍摄时间早于交办"),
}
EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> int:
    """Great-circle distance in metres (haversine; WGS-84 coordinates, as stored)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


@dataclass(frozen=True)
class PhotoCheck:
    """What the verifier is told about one after-photo."""

    photo: TicketPhoto
    reused_of: TicketPhoto | None
    distance: int | None  # metres from the point; None when either place is unknown
    limit: int
    no_place: bool  # the photo carries no location (照片无定位)
    no_point: bool  # the ticket has no point with coordinates to compare with (asked only of a located photo)
    early: bool
    pending: bool  # the photo's fingerprint is still being made

    @property
    def far(self) -> bool:
        return self.distance is not None and self.distance > self.limit

    @property
    def flags(self) -> list[str]:
        return [code for code, on in (("reused", self.reused_of), ("far", self.far), ("early", self.early)) if on]

    @property
    def labels(self) -> list[str]:
        return [str(FLAG_LABELS[code]) for code in self.flags]


def current_after_photos(photos: Sequence[TicketPhoto]) -> list[TicketPhoto]:
    """The after-photos of the latest 提交整改 (an earlier, returned fix is history)."""
    after = [photo for photo in photos if photo.kind == PhotoKind.AFTER]
    if not after:
        return []
    latest = max(photo.event_id or 0 for photo in after)
    return [photo for photo in after if (photo.event_id or 0) == latest]


def photo_checks(ticket: Ticket, photos: Sequence[TicketPhoto]) -> list[PhotoCheck]:
    """The checks of the current after-photos. `photos` are the ticket's, loaded with
    `reused_of` (select_related); the ticket with its point and campaign: no query here."""
    current = current_after_photos(photos)
    # The point is read only when a photo has a place to compare with it.
    point = ticket.point if any(photo.latitude is not None for photo in current) else None
    has_point = point is not None and point.latitude is not None and point.longitude is not None
    limit = ticket.campaign.photo_distance_m
    checks = []
    for photo in current:
        located = photo.latitude is not None and photo.longitude is not None
        distance = None
        if located and has_point:
            distance = distance_m(photo.latitude, photo.longitude, point.latitude, point.longitude)  # type: ignore[union-attr, arg-type]
        checks.append(
            PhotoCheck(
                photo=photo,
                reused_of=photo.reused_of,
                distance=distance,
                limit=limit,
                no_place=not located,
                no_point=not has_point,
                # Assigned: the 交办 (or, logged straight to a unit, the logging) — a fix cannot
                # be photographed before the unit had the problem.
                early=bool(photo.taken_at and ticket.assigned_at and photo.taken_at < ticket.assigned_at),
                pending=not photo.phash or photo.evidence_checked_at is None,
            )
        )
    return checks


def ticket_flags(ticket: Ticket) -> list[str]:
    """The flags of a ticket's current fix (codes, each once): one query."""
    photos = list(
        TicketPhoto.objects.filter(ticket=ticket, kind=PhotoKind.AFTER).select_related("reused_of").order_by("id")
    )
    found: list[str] = []
    for check in photo_checks(ticket, photos):
        found.extend(code for code in check.flags if code not in found)
    return found


def flags_text(codes: Sequence[str]) -> str:
    return _("、").join(str(FLAG_LABELS[code]) for code in codes)
