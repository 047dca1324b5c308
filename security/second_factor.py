"""The optional second factor (TOTP, 动态口令) and the district rule that can require it."""

import segno
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import Membership, Role, SecondFactorPolicy


def second_factor_required(user):
    """Does a district this person supervises or administers require a second factor?"""
    memberships = Membership.objects.filter(user=user, role__in=(Role.SUPERVISOR, Role.ADMIN)).values_list(
        "role", "unit__district_id", "unit_id"
    )
    by_district = {}
    for role, district_id, unit_id in memberships:
        by_district.setdefault(district_id or unit_id, set()).add(role)
    if not by_district:
        return False
    rules = SecondFactorPolicy.objects.filter(district_id__in=by_district).filter(
        Q(required_for_supervisors=True) | Q(required_for_admins=True)
    )
    for rule in rules:
        roles = by_district[rule.district_id]
        if (rule.required_for_supervisors and Role.SUPERVISOR in roles) or (
            rule.required_for_admins and Role.ADMIN in roles
        ):
            return True
    return False


def second_factor_need(user):
    """'verify' if the person has a second factor, 'setup' if they must get one, else None."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if second_factor_required(user):
        return "setup"
    return None


def totp_device_pending(user):
    """The person's unconfirmed device (made once, so the QR code stays the same on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态口令", confirmed=False)
    return device


def totp_qr_svg(device):
    """The provisioning URI as an inline SVG: drawn on the server, no network, no script."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#1f2937")
