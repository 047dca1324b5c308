"""Writes for the district map: the office's tile source, and a point's place taken on site."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campaigns.models import AuditKind, InspectionPoint, MapSettings, OrgUnit
from security.audit import audit_record

SETTINGS_FIELDS = ("source", "tianditu_key", "tile_url", "subdomains", "coordinate_system", "max_zoom", "attribution")


def map_settings_save(*, district: OrgUnit, actor: User, values: dict[str, object]) -> MapSettings:
    """Save what the district admin set; an audit row names the fields that changed (never the
    key itself: the log is read by people who have no business with it)."""
    with transaction.atomic():
        current, _created = MapSettings.objects.select_for_update().get_or_create(district=district)
        changed = [name for name in SETTINGS_FIELDS if getattr(current, name) != values[name]]
        for name in SETTINGS_FIELDS:
            setattr(current, name, values[name])
        current.save()
    if changed:
        audit_record(
            AuditKind.SETTINGS_CHANGE,
            user=actor,
            district=district.pk,
            target="地图设置",
            change="map_settings",
            fields=changed,
            source=current.source,
        )
    return current


def point_locate(
    *, point: InspectionPoint, actor: User, latitude: Decimal, longitude: Decimal, accuracy: int
) -> InspectionPoint:
    """Store the place a phone standing at the point reported (WGS-84, as phones give it).

    The same reading sent again (a double tap, a resend) changes nothing and writes no second
    audit row; a new reading replaces the old, and the audit row keeps where it was before.
    """
    with transaction.atomic():
        locked = InspectionPoint.objects.select_for_update().only("latitude", "longitude").get(pk=point.pk)
        before = (locked.latitude, locked.longitude)
        if before == (latitude, longitude):
            return point
        now = timezone.now()
        InspectionPoint.objects.filter(pk=point.pk).update(
            latitude=latitude, longitude=longitude, location_accuracy=accuracy, located_at=now
        )
        point.latitude, point.longitude, point.location_accuracy, point.located_at = latitude, longitude, accuracy, now
        audit_record(
            AuditKind.SETTINGS_CHANGE,
            user=actor,
            district=point.district_id,
            target=f"点位 {point.name}"[:200],
            change="point_location",
            point=point.pk,
            latitude=str(latitude),
            longitude=str(longitude),
            accuracy_m=accuracy,
            before=[str(v) if v is not None else None for v in before],
        )
    return point
