"""Cache versions per district, and page fragments rendered once per version.

Every write in a district (a ticket transition, a checklist update, a daily report) moves
that district's version on; a fragment is kept with the versions of the districts it shows
and served only while they are still current, so a cached fragment is never older than the
last write it could reflect, and nothing ever needs deleting.
"""

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.translation import get_language

FRAGMENT_SECONDS = 300

T = TypeVar("T")


def version_key(district_id: int) -> str:
    return f"dver:{district_id}"


def district_touch(district_id: int) -> None:
    """A write happened in the district: every fragment that shows it is stale."""
    try:
        cache.incr(version_key(district_id))
    except ValueError:
        # Unknown after a cache flush: start from the clock, never from a number used before.
        cache.set(version_key(district_id), time.time_ns(), None)


def _versions(keys: list[str], found: Mapping[str, Any]) -> str:
    """The versions under `keys` as one string, from what a read `found` (first sight adds them)."""
    versions = dict(found)
    for key in keys:
        if key not in versions:
            # First sight (or after a flush): whoever adds first sets the version all share.
            cache.add(key, time.time_ns(), None)
            versions[key] = cache.get(key, time.time_ns())
    return ",".join(f"{key}={versions[key]}" for key in keys)


def district_versions(district_ids: Iterable[int]) -> str:
    """The districts' versions as one string."""
    keys = [version_key(pk) for pk in sorted(district_ids)]
    return _versions(keys, cache.get_many(keys))


def cached_fragment(
    name: str,
    parts: Iterable[object],
    district_ids: Iterable[int],
    render: Callable[[], T],
    timeout: int = FRAGMENT_SECONDS,
) -> T:
    """The fragment `name` for these parts, in the active language, at the districts' current
    versions: from the cache, or `render()`ed now and kept. A rendered template stays a
    SafeString through the cache (pickle keeps the type), so it goes into a page as it is.

    The entry is kept with the versions it was rendered at, so the versions and the entry
    come in one round trip to Redis."""
    keys = [version_key(pk) for pk in sorted(district_ids)]
    raw = "|".join(str(part) for part in (*parts, get_language(), *keys))
    key = f"frag:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"
    found = cache.get_many([*keys, key])
    kept = found.pop(key, None)
    versions = _versions(keys, found)
    if kept is not None and kept[0] == versions:
        return kept[1]
    fragment = render()
    cache.set(key, (versions, fragment), timeout)
    return fragment
