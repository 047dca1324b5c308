"""Rendered page fragments cached per district version.

Every write in a district (a ticket transition, a checklist update, a daily report) bumps
that district's version; a fragment's key carries the versions of the districts it shows,
so a cached fragment is never older than the last write it could reflect.
"""

import hashlib
import time

from django.core.cache import cache
from django.utils.translation import get_language

from campaigns.local_cache import local

FRAGMENT_SECONDS = 300


def version_key(district_id):
    return f"dver:{district_id}"


def district_touch(district_id):
    incr_known = getattr(cache, "incr_known", None)
    if incr_known is not None:  # Redis: one round trip
        if incr_known(version_key(district_id)) is None:
            cache.set(version_key(district_id), time.time_ns(), None)
        return
    try:
        cache.incr(version_key(district_id))
    except ValueError:
        # Unknown after a cache flush: start from the clock, never from a number used before.
        cache.set(version_key(district_id), time.time_ns(), None)


def district_versions(district_ids):
    keys = [version_key(pk) for pk in sorted(district_ids)]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        found[key] = time.time_ns()
        cache.add(key, found[key], None)
        found[key] = cache.get(key, found[key])
    return ",".join(f"{key}={found[key]}" for key in keys)


def cached_fragment(name, parts, district_ids, render, timeout=FRAGMENT_SECONDS):
    """The fragment `name` for these parts and districts: from the cache, or rendered now."""
    raw = "|".join(str(part) for part in (*parts, get_language(), district_versions(district_ids)))
    key = f"frag:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"
    html = local.get(key)
    if html is not None:
        return html
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout)
    local.set(key, html, timeout)
    return html
