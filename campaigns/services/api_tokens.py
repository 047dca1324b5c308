"""Issuing, finding and revoking the API's tokens (campaigns/models/api.py).

A token reads `ctl_<prefix>_<secret>`: the prefix finds the row, the SHA-256 digest of the
whole token proves it. Only the digest is stored; the token itself exists once, in the answer
to whoever made it.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from security.audit import audit_record

from ..access import scope_for
from ..models import ApiScope, ApiToken, AuditKind, OrgUnit

# The mark at the start of every token (a scanner for leaked keys can look for it), not a secret.
TOKEN_MARK = "ctl"  # nosec B105
# Writing last_used_at on every call would make each read a write; a minute is close enough.
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(ValueError):
    """The token cannot be issued as asked; the message is for the admin."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *,
    name: str,
    owner: User,
    districts: Iterable[OrgUnit],
    scope: str,
    created_by: User | None,
) -> tuple[ApiToken, str]:
    """Issue a token acting as `owner` within `districts` (a part of the owner's reach); return
    the token and its secret, which is never shown again."""
    districts = list(districts)
    if not districts:
        raise TokenRefused(_("请至少选择一个区。"))
    if scope not in ApiScope.values:
        raise TokenRefused(_("权限只能是只读或读写。"))
    reach = scope_for(owner).district_ids
    outside = [d.name for d in districts if d.pk not in reach]
    if outside:
        raise TokenRefused(_("对接账号不在这些区任职：%(names)s。") % {"names": "、".join(outside)})
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip(), owner=owner, scope=scope, prefix=prefix, secret_hash=_digest(raw), created_by=created_by
        )
        token.districts.set(districts)
        for district in districts:
            audit_record(
                AuditKind.API_TOKEN_CREATE,
                user=created_by,
                district=district,
                target=str(token),
                owner=owner.get_username(),
                scope=scope,
            )
    return token, raw


def api_token_revoke(*, token: ApiToken, actor: User | None) -> bool:
    """Revoke a token; False if it was revoked already (nothing is written twice)."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed:
            for district_id in token.districts.values_list("id", flat=True):
                audit_record(AuditKind.API_TOKEN_REVOKE, user=actor, district=district_id, target=str(token))
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def api_token_find(raw: str) -> ApiToken | None:
    """The live token this string is, or None (unknown, forged or revoked)."""
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != TOKEN_MARK or not 1 <= len(parts[1]) <= 16:
        return None
    token = ApiToken.objects.select_related("owner").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(raw)):
        return None
    if not token.owner.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
