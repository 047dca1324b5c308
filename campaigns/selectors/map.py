"""The district map: its points with their problems counted in SQL, and where its tiles come from.

A district has a few hundred to a few thousand points and may have hundreds of thousands of
tickets, so the map never carries tickets: one GROUP BY counts the filtered tickets per point
(from the ticket_map_open index for the default view), one query reads the placed points,
and each point travels once, with its counts and the colour of its most urgent problem. The
browser clusters the points; past MAP_POINT_CAP points the map says how many it left out.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlsplit

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from campaigns.models import (
    CLOCK_STATES,
    CoordinateSystem,
    InspectionPoint,
    MapSettings,
    OrgUnit,
    TicketState,
    TileSource,
)
from campaigns.models.ticket import TicketQuerySet
from campaigns.policy import Scope, may_locate_point
from infra.geo import wgs84_to_gcj02

# More points than any district keeps; beyond it the browser would slow, so the map says so.
MAP_POINT_CAP = 5000
# The heat view's period when none is asked for.
HEAT_DAYS = 90

# A point's colour is that of its most urgent problem: overdue first, then what waits for the
# office (待交办), then the unit's work in order, then what is finished.
URGENCY = (
    "overdue",
    TicketState.REPORTED,
    TicketState.ASSIGNED,
    TicketState.RECTIFYING,
    TicketState.SUBMITTED,
    TicketState.ON_HOLD,
    TicketState.CLOSED,
    TicketState.VOIDED,
)

TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=%(layer)s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s"
)
TIANDITU_ORIGIN = "https://*.tianditu.gov.cn"


def map_settings_for(district: OrgUnit) -> MapSettings:
    """The district's map settings, or the unsaved default (no tiles) before its admin sets any."""
    return MapSettings.objects.filter(district=district).first() or MapSettings(district=district)


@dataclass(frozen=True)
class TileLayer:
    url: str
    subdomains: str
    max_zoom: int
    attribution: str


def tile_layers(settings: MapSettings) -> list[TileLayer]:
    """The layers the browser draws, bottom first; none when the office set no source."""
    if settings.source == TileSource.TIANDITU and settings.tianditu_key:
        credit = _("天地图 © 国家地理信息公共服务平台")
        return [
            TileLayer(TIANDITU_URL % {"layer": layer, "key": settings.tianditu_key}, "01234567", 18, credit)
            for layer in ("vec", "cva")  # the streets, then their names (注记) over them
        ]
    if settings.source == TileSource.INTRANET and settings.tile_url:
        return [TileLayer(settings.tile_url, settings.subdomains, settings.max_zoom, settings.attribution)]
    return []


def tile_origin(url: str) -> str:
    """The Content-Security-Policy source a tile URL template needs: its scheme and host, with
    a {s} subdomain as a wildcard (CSP allows one only as the leftmost label)."""
    parts = urlsplit(url.replace("{s}", "sub"))
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{s}" in url.split("//", 1)[-1].split("/", 1)[0]:
        host = "*." + host.split(".", 1)[-1] if "." in host else host
    return f"{parts.scheme}://{host}"


def tile_origins(settings: MapSettings) -> list[str]:
    if settings.source == TileSource.TIANDITU and settings.tianditu_key:
        return [TIANDITU_ORIGIN]
    return sorted({tile_origin(layer.url) for layer in tile_layers(settings)})


def point_counts(tickets: TicketQuerySet, today: datetime.date) -> dict[int | None, dict[str, int]]:
    """Per point (None: tickets logged without one): the tickets, the overdue, each state's."""
    states = {state.value: Count("id", filter=Q(state=state)) for state in TicketState}
    rows = (
        tickets.order_by()
        .values("point_id")
        .annotate(
            tickets=Count("id"),
            overdue=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
            **states,
        )
    )
    return {row.pop("point_id"): row for row in rows}


def _mark(counts: Mapping[str, int] | None) -> str:
    if not counts:
        return "none"
    return next((str(key) for key in URGENCY if counts.get(str(key))), "none")


def map_features(
    district: OrgUnit, tickets: TicketQuerySet, *, settings: MapSettings, scope: Scope, today: datetime.date
) -> dict[str, Any]:
    """The district's placed points as GeoJSON, in the tile source's coordinate system, each
    with the count of `tickets` (already filtered and scoped) found at it."""
    counts = point_counts(tickets, today)
    points = list(
        InspectionPoint.objects.filter(
            district=district, is_active=True, latitude__isnull=False, longitude__isnull=False
        )
        .order_by("street_id", "id")
        .values_list("id", "name", "street__name", "unit_id", "street_id", "latitude", "longitude")[: MAP_POINT_CAP + 1]
    )
    capped = len(points) > MAP_POINT_CAP
    gcj = settings.draws_in == CoordinateSystem.GCJ02
    features = []
    placed = 0
    for pk, name, street, unit_id, street_id, lat, lng in points[:MAP_POINT_CAP]:
        found = counts.get(pk)
        placed += found["tickets"] if found else 0
        # Both are set: the query keeps only placed points.
        y, x = float(cast(Decimal, lat)), float(cast(Decimal, lng))
        if gcj:
            y, x = wgs84_to_gcj02(y, x)
        located = _Located(district_id=district.pk, street_id=street_id, unit_id=unit_id)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                "properties": {
                    "id": pk,
                    "name": name,
                    "street": street or "",
                    "tickets": found["tickets"] if found else 0,
                    "overdue": found["overdue"] if found else 0,
                    "mark": _mark(found),
                    "can_locate": may_locate_point(scope, located),
                },
            }
        )
    total = sum(row["tickets"] for row in counts.values())
    return {
        "type": "FeatureCollection",
        "features": features,
        "summary": {"tickets": total, "placed": placed, "unplaced": total - placed, "capped": capped},
    }


@dataclass
class _Located:
    """A point as the locating rule reads it, without loading the model."""

    district_id: int
    street_id: int | None
    unit_id: int
