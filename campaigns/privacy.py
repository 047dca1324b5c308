"""Personal information shown only to those whose work needs it (个人信息保护法: 最小必要).

A responsible person's phone number is for the people who chase the fix: the district's
supervisors and admins, and the responsible unit itself. Everyone else — street staff of
other units, leaders reading the board, the security and audit admins — sees it masked.
"""

import re

_DIGITS = re.compile(r"\d")


def mask_phone(value):
    """138****5678 for a mobile number; the last four digits of anything else; never the whole."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = _DIGITS.findall(value)
    if len(digits) == 11 and value.isdigit():
        return f"{value[:3]}****{value[-4:]}"
    if len(digits) <= 4:
        return "****"
    return "****" + "".join(digits[-4:])


def phone_for(scope, district_id, unit_id, phone):
    """The phone as this person may see it."""
    if not phone:
        return ""
    if scope.can_manage(district_id) or (unit_id is not None and unit_id in scope.unit_ids):
        return phone
    return mask_phone(phone)
