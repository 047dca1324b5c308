"""Inspection points (点位): saving, retiring, and the QR code on every point's sticker.

Points are never deleted: tickets refer to them, and the ledger must still say where a
problem was found years later. A point that is no longer patrolled is deactivated; it
leaves the log form and the sticker sheet, and scanning its sticker says so.
"""

import io
import ipaddress
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import InspectionPoint, OrgUnit
from campaigns.selectors.board import board_invalidate


def duplicate_name_message(name: str, unit: OrgUnit) -> str:
    return _("“%(unit)s”已有名为“%(name)s”的点位。请换一个名称，或在列表里编辑已有的那个。") % {
        "unit": unit.name,
        "name": name,
    }


def _lock_district(district_id: int) -> None:
    # Saves, retirements and imports of one district's points run one at a time, so a name
    # checked free is still free when the row is written (the import takes the same lock).
    OrgUnit.objects.select_for_update().filter(pk=district_id).first()


def point_save(*, point: InspectionPoint) -> InspectionPoint:
    """Create or update a point whose fields a form has checked; the name must be free in its unit."""
    with transaction.atomic():
        # A point's unit always sits in a district (a city has no points).
        _lock_district(cast(int, point.unit.district_id))
        taken = InspectionPoint.objects.filter(unit_id=point.unit_id, name=point.name)
        if point.pk:
            taken = taken.exclude(pk=point.pk)
        if taken.exists():
            raise ValidationError({"name": duplicate_name_message(point.name, point.unit)})
        point.save()
        district_id = point.district_id
        transaction.on_commit(lambda: board_invalidate(district_id))
    return point


def point_set_active(*, point: InspectionPoint, active: bool) -> InspectionPoint:
    """Deactivate (or bring back) a point. Its tickets keep pointing at it either way."""
    with transaction.atomic():
        _lock_district(point.district_id)
        InspectionPoint.objects.filter(pk=point.pk).update(is_active=active)
        point.is_active = active
        district_id = point.district_id
        transaction.on_commit(lambda: board_invalidate(district_id))
    return point


# --- the QR code ---------------------------------------------------------------------------


def qr_site(request: HttpRequest | None = None) -> str:
    """Where QR codes point: SITE_URL, or without it the address the page was asked on."""
    base = settings.SITE_URL.rstrip("/")
    if not base and request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return base


def point_scan_url(point_id: int, request: HttpRequest | None = None) -> str:
    """The short absolute address a point's QR code holds: SITE_URL + /p/<pk>/."""
    return qr_site(request) + reverse("campaigns:point-scan", args=[point_id])


def points_to_this_machine(url: str) -> bool:
    """Whether `url` names the machine it is opened on (127.*, ::1, localhost): a phone that
    scans it reaches itself, not the ledger."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


# QR codes never change for the same address, and making one costs a few milliseconds: a
# sticker sheet of a few hundred points is drawn from memory the second time.
@lru_cache(maxsize=4096)
def qr_svg_inline(url: str) -> str:
    """An <svg> element for a page: scales with CSS (viewBox, no size), one path, no style attribute."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-dark")
    # The sticker's caption names the point; the picture itself says nothing to a screen reader.
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


@lru_cache(maxsize=1024)
def qr_svg_document(url: str) -> bytes:
    """A standalone SVG file (XML declaration, namespace, the full 4-module quiet zone)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=4, xmldecl=True, svgns=True)
    return out.getvalue()
