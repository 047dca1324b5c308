"""When and where a photo was taken: what the app keeps from its metadata, and the note the
page writes as the photo is picked (the file's time and the phone's position) — the photo's own
EXIF first, the phone's note second (offline, a photo may be sent hours after it was taken)."""

import datetime
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from campaigns.models import CaptureSource

MICRODEGREE = Decimal("0.000001")


@dataclass(frozen=True)
class Capture:
    """What the app keeps from a photo's metadata."""

    taken_at: datetime.datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy: int | None = None  # metres, from the phone's position only


# A photo queued offline may be sent days later, but not after its form's key is forgotten.
DEVICE_TAKEN_MAX_AGE = datetime.timedelta(days=30)
# Phones' clocks drift; a photo "taken" further ahead than this is a wrong clock, not a photo.
DEVICE_CLOCK_SLACK = datetime.timedelta(minutes=10)
DEVICE_ACCURACY_MAX = 100_000  # metres: anything coarser is not a position


def _device_taken_at(value: object, now: datetime.datetime) -> datetime.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    try:
        moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if not now - DEVICE_TAKEN_MAX_AGE <= moment <= now + DEVICE_CLOCK_SLACK:
        return None
    return moment


def _device_place(data: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None, int | None]:
    def number(value: object) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None
        return float(value)

    latitude, longitude, accuracy = number(data.get("lat")), number(data.get("lon")), number(data.get("acc"))
    if latitude is None or longitude is None:
        return None, None, None
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None, None, None
    if accuracy is not None and not 0 <= accuracy <= DEVICE_ACCURACY_MAX:
        return None, None, None
    return (
        Decimal(latitude).quantize(MICRODEGREE),
        Decimal(longitude).quantize(MICRODEGREE),
        None if accuracy is None else math.ceil(accuracy),
    )


def device_capture(value: str, now: datetime.datetime | None = None) -> Capture:
    """What the page noted when a photo was taken: `{"t": ms since 1970, "lat", "lon", "acc"}`
    (the file's time and navigator.geolocation). Anything unreadable or implausible is simply
    unknown: the photo is still taken."""
    try:
        data = json.loads(value[:500])
    except (TypeError, ValueError):
        return Capture()
    if not isinstance(data, dict):
        return Capture()
    latitude, longitude, accuracy = _device_place(data)
    return Capture(
        taken_at=_device_taken_at(data.get("t"), now or timezone.now()),
        latitude=latitude,
        longitude=longitude,
        accuracy=accuracy,
    )


def capture_fields(exif: Capture, device: Capture | None) -> dict[str, Any]:
    """The photo's own EXIF first (the camera wrote it), the phone's note second."""
    device = device or Capture()
    fields: dict[str, Any] = {"taken_at": None, "taken_at_source": "", "location_accuracy": None}
    if exif.taken_at is not None:
        fields.update(taken_at=exif.taken_at, taken_at_source=CaptureSource.EXIF)
    elif device.taken_at is not None:
        fields.update(taken_at=device.taken_at, taken_at_source=CaptureSource.DEVICE)
    if exif.latitude is not None and exif.longitude is not None:
        fields.update(latitude=exif.latitude, longitude=exif.longitude, location_source=CaptureSource.EXIF)
    elif device.latitude is not None and device.longitude is not None:
        fields.update(
            latitude=device.latitude,
            longitude=device.longitude,
            location_source=CaptureSource.DEVICE,
            location_accuracy=device.accuracy,
        )
    else:
        fields.update(latitude=None, longitude=None, location_source="")
    return fields
