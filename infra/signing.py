"""Signed HTTP messages: an HMAC-SHA256 of "timestamp.body" under a secret both sides hold.

The same scheme both ways: every message the ledger sends (group robots, generic webhooks,
the 12345 hotline) carries `X-Ledger-Timestamp` and `X-Ledger-Signature: sha256=<hex>`, and
the hotline's pushes into the ledger are checked the same way. The timestamp is inside the
signed text, so a captured message cannot be re-dated; a receiver refuses one older than
its tolerance, and remembers signatures it has seen within it (a replay is the same bytes).
"""

import hashlib
import hmac
import secrets
import time

TIMESTAMP_HEADER = "X-Ledger-Timestamp"
SIGNATURE_HEADER = "X-Ledger-Signature"
SCHEME = "sha256="
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh shared secret: 256 bits, printable, to be shown to the receiver's admin once set."""
    return secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value: sha256= and the hex HMAC of b"<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SCHEME + digest


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers to send with `body` (seconds since the epoch, as an integer string)."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def signature_problem(
    secret: str, timestamp: str, body: bytes, given: str, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> str:
    """Why a signed message is refused ("" when it is good): no headers, a timestamp too far
    from now either way, or a signature that does not match (compared in constant time)."""
    if not timestamp or not given:
        return "missing signature"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "bad timestamp"
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return "stale timestamp"
    if not secret or not hmac.compare_digest(signature(secret, timestamp, body), given.strip()):
        return "bad signature"
    return ""
