"""The cache never answers with something older than the database.

A Redis outage is a miss; the Redis cache moves to a new generation after an outage in which
a write (an invalidation) was missed, and after Redis restarts; district versions only move on.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

from infra.fragments import district_touch, district_versions


@pytest.fixture
def ledger_redis():
    if not settings.REDIS_URL:
        if os.environ.get("REQUIRE_CELERY_E2E"):
            pytest.fail("REDIS_URL is needed")
        pytest.skip("needs Redis (CI runs this with REDIS_URL)")
    from infra.cache import GENERATION_KEY, ResilientRedisCache

    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/9"  # a database of its own
    backend = ResilientRedisCache(url, {})
    backend.redis.delete(GENERATION_KEY)
    # No waiting in a test: the generation is checked, and Redis tried again, at every call.
    backend.check_every = backend.pause_after_error = 0
    yield backend
    backend.redis.flushdb()


def redis_goes_away(monkeypatch):
    """Every command Django's RedisCache sends fails, as when Redis stops."""

    def refused(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    for name in ("get", "get_many", "set", "add", "incr", "delete"):
        monkeypatch.setattr(RedisCache, name, refused)
    return monkeypatch.undo


def test_a_write_missed_in_an_outage_moves_the_generation_on(ledger_redis, monkeypatch):
    ledger_redis.set("dver:1", 41)
    assert ledger_redis.get("dver:1") == 41

    # Redis goes away while a 销号 bumps the district version: the bump is lost.
    back = redis_goes_away(monkeypatch)
    ledger_redis.set("dver:1", 42)  # no error: the page is answered from the database
    assert ledger_redis.get("dver:1") is None

    # Back: the first look at Redis moves to a new generation, so the old 41 is out of reach.
    back()
    assert ledger_redis.get("dver:1") is None
    ledger_redis.set("dver:1", 42)
    assert ledger_redis.get("dver:1") == 42


def test_a_redis_restart_moves_the_generation_on(ledger_redis, monkeypatch):
    ledger_redis.set("scope:version", 7)
    assert ledger_redis.get("scope:version") == 7
    real_info = ledger_redis.redis.info
    # As if Redis had restarted from an older snapshot: a new run id, the old entries back.
    monkeypatch.setattr(ledger_redis.redis, "info", lambda *a: {**real_info(*a), "run_id": "another-run"})
    assert ledger_redis.get("scope:version") is None


def test_without_a_missed_write_the_generation_stays(ledger_redis, monkeypatch):
    ledger_redis.set("dver:1", 41)
    back = redis_goes_away(monkeypatch)
    assert ledger_redis.get("dver:1") is None  # a read missed is only a miss
    back()
    assert ledger_redis.get("dver:1") == 41


def test_a_district_version_only_moves_on_and_starts_from_the_clock_after_a_flush():
    first = district_versions([7])
    district_touch(7)
    second = district_versions([7])
    assert second != first
    cache.clear()
    district_touch(7)  # unknown now: started from the clock, larger than any count before
    third = district_versions([7])
    assert int(third.split("=")[1]) > int(second.split("=")[1])


def test_an_entry_an_older_release_wrote_is_a_miss_not_an_error(ledger_redis):
    """After a deploy that moved a module, Redis still holds pickles naming the old path: the
    page that reads one recomputes it instead of answering 500 (found by the bench at 1M)."""
    ledger_redis.set("workcal:v:2027", "written by this release")  # the generation is settled
    ledger_redis.redis.set(ledger_redis.make_and_validate_key("workcal:v:2027"), b"cno_such_module\nYearCalendar\n.")
    assert ledger_redis.get("workcal:v:2027", "fresh") == "fresh"
    assert ledger_redis.get_many(["workcal:v:2027"]) == {}
    ledger_redis.set("workcal:v:2027", "recomputed")
    assert ledger_redis.get("workcal:v:2027") == "recomputed"
