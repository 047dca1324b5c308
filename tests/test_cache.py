"""The caches never answer with something older than the database.

The process-local cache holds only values whose key carries its own freshness (district or
scope versions); the Redis cache moves to a new generation after an outage in which a write
(an invalidation) was missed, and the process-local values go with it.
"""

import os

import pytest
from django.conf import settings

from campaigns.local_cache import LocalCache, local


def test_local_cache_forgets_the_oldest_and_the_expired():
    small = LocalCache(max_entries=2)
    small.set("a", 1, 60)
    small.set("b", 2, 60)
    assert small.get("a") == 1  # now "b" is the least recently used
    small.set("c", 3, 60)
    assert small.get("b") is None and small.get("a") == 1 and small.get("c") == 3
    small.set("d", 4, 0)
    assert small.get("d") is None


@pytest.fixture
def ledger_redis():
    if not settings.REDIS_URL:
        if os.environ.get("REQUIRE_CELERY_E2E"):
            pytest.fail("REDIS_URL is needed")
        pytest.skip("needs Redis (CI runs this with REDIS_URL)")
    from campaigns.cache import GENERATION_KEY, LedgerRedisCache

    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/9"  # a database of its own
    backend = LedgerRedisCache(url, {})
    client = backend._cache.get_client(write=True)
    client.delete(GENERATION_KEY)
    yield backend
    client.flushdb()


def test_a_write_missed_in_an_outage_moves_the_generation_on(ledger_redis):
    ledger_redis.set("dver:1", 41)
    local.set("frag:board:dver:1=41", "<p>old board</p>", 60)
    assert ledger_redis.get("dver:1") == 41

    # Redis goes away while a 销号 bumps the district version: the bump is lost.
    ledger_redis._failed(ConnectionError("down"), write=True)
    assert ledger_redis.get("dver:1") is None  # answering from the database meanwhile

    # Back: the first look at Redis moves to a new generation, so the old 41 is out of reach.
    ledger_redis._down_until = 0
    ledger_redis._checked_at = 0
    assert ledger_redis.get("dver:1") is None
    assert local.get("frag:board:dver:1=41") is None, "a value kept in the process survived the outage"
    ledger_redis.set("dver:1", 42)
    assert ledger_redis.get("dver:1") == 42


def test_a_redis_restart_moves_the_generation_on(ledger_redis):
    ledger_redis.set("scope:version", 7)
    ledger_redis.get("scope:version")
    local.set("scope:7:1", "scope of user 1", 60)
    ledger_redis._run_id = "another-run"  # as if Redis had restarted from an older snapshot
    ledger_redis._checked_at = 0
    assert ledger_redis.get("scope:version") is None
    assert local.get("scope:7:1") is None


def test_a_version_counter_moves_in_one_round_trip_and_starts_from_the_clock(ledger_redis):
    assert ledger_redis.incr_known("dver:7") is None  # unknown: the caller starts it from the clock
    ledger_redis.set("dver:7", 1_700_000_000_000_000_000)
    assert ledger_redis.incr_known("dver:7") == 1_700_000_000_000_000_001
    calls = []
    client = ledger_redis._cache.get_client(write=True)
    original = client.execute_command

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    client.execute_command = counting
    try:
        ledger_redis.incr_known("dver:7")
    finally:
        client.execute_command = original
    assert calls == ["INCRBY"] or calls == ["INCR"], calls
