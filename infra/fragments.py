"""Cache versions per district, and page fragments rendered once per version.

Every write in a district (a ticket transition, a checklist update, a daily report) moves
that district's version on; a fragment's key carries the versions of the districts it shows,
so a cached fragment is never older than the last write it could reflect, and nothing ever
needs deleting.
"""

import hashlib
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.utils.safestring import SafeString
from django.utils.translation import get_language

FRAGMENT_SECONDS = 300


def version_key(district_id: int) -> str:
    return f"dver:{district_id}"


def district_touch(district_id: int) -> None:
    """A write happened in the district: every fragment that shows it is stale."""
    try:
        cache.incr(version_key(district_id))
    except ValueError:
        # Unknown after a cache flush: start from the clock, never from a number used before.
        cache.set(version_key(district_id), time.time_ns(), None)


def district_versions(district_ids: Iterable[int]) -> str:
    """The districts' versions as one string, for a cache key."""
    keys = [version_key(pk) for pk in sorted(district_ids)]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # First sight (or after a flush): whoever adds first sets the version all share.
            cache.add(key, time.time_ns(), None)
            found[key] = cache.get(key, time.time_ns())
    return ",".join(f"{key}={found[key]}" for key in keys)


def cached_fragment(
    name: str,
    parts: Iterable[object],
    district_ids: Iterable[int],
    render: Callable[[], SafeString],
    timeout: int = FRAGMENT_SECONDS,
) -> SafeString:
    """The fragment `name` for these parts, in the active language, at the districts' current
    versions: from the cache, or `render()`ed now and kept. A rendered template stays a
    SafeString through the cache (pickle keeps the type), so it goes into a page as it is."""
    raw = "|".join(str(part) for part in (*parts, get_language(), district_versions(district_ids)))
    key = f"frag:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout)
    return html
