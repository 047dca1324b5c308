"""The cache backend for Redis that the ledger survives.

Django's Redis cache turns a Redis outage into a 500 on every page. Here an error is a miss
(reads) or a no-op (writes), and after a short pause the next request tries again. Pages then
come from the database, which is always the truth, so logging a problem or a 销号 keeps working.

What a cache must never do after an outage is answer with something older than the
database. Two ways that could happen: a write whose invalidation (a district version bump,
a dropped scope) failed while Redis was unreachable; and a Redis restarted from an older
snapshot. So every key carries a *generation*, kept in Redis and re-read every few seconds
by each process. A process that saw Redis fail bumps the generation when it next reaches
it, and so does any process that finds Redis has restarted (its run id changed): every
entry written before is then out of reach at once.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

GENERATION_KEY = "ledger:cache-generation"


class _ClientKept(RedisCacheClient):
    """Django builds a new redis.Redis around the pool for every operation; building one costs
    more than a round trip on a fast network (it copies ~200 response callbacks). One per
    pool is enough: a client is safe to share between threads, the pool hands out connections."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_kept_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class LedgerRedisCache(RedisCache):
    check_every = 3.0  # seconds between generation checks
    pause_after_error = 2.0  # seconds to answer from nothing before trying Redis again

    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self._class = _ClientKept
        self._lock = threading.Lock()
        self._generation = None
        self._run_id = None
        self._checked_at = 0.0
        self._down_until = 0.0
        self._missed_writes = False

    # --- generation -------------------------------------------------------------------
    def _refresh(self, now):
        client = self._cache.get_client(write=True)
        run_id = client.info("server").get("run_id")
        if client.set(GENERATION_KEY, time.time_ns(), nx=True):
            log.info("cache generation started")
        restarted = self._run_id is not None and run_id != self._run_id
        if self._missed_writes or restarted:
            generation = client.incr(GENERATION_KEY)
            log.warning(
                "cache generation bumped to %s (%s)",
                generation,
                "writes missed during an outage" if self._missed_writes else "Redis restarted",
            )
        else:
            generation = int(client.get(GENERATION_KEY))
        if self._generation is not None and generation != self._generation:
            # Values kept in the process were read under the old generation: drop them too.
            from campaigns.local_cache import local

            local.clear()
        self._generation, self._run_id, self._checked_at = generation, run_id, now
        self._missed_writes = False

    def _ready(self):
        """True when Redis may be used now; refreshes the generation when it is due."""
        now = time.monotonic()
        if now < self._down_until:
            return False
        if now - self._checked_at < self.check_every and self._generation is not None:
            return True
        with self._lock:
            try:
                if now - self._checked_at >= self.check_every or self._generation is None:
                    self._refresh(now)
            except RedisError as exc:
                self._failed(exc)
                return False
        return True

    def _failed(self, exc, write=False):
        if write:
            self._missed_writes = True
        if time.monotonic() >= self._down_until:
            log.warning("Redis cache unreachable, answering from the database: %s", exc)
        self._down_until = time.monotonic() + self.pause_after_error
        self._checked_at = 0.0

    def make_key(self, key, version=None):
        return f"g{self._generation}:{super().make_key(key, version)}"

    # --- reads: an error is a miss ----------------------------------------------------
    def _read(self, method, default, *args, **kwargs):
        if not self._ready():
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc)
            return default

    def get(self, key, default=None, version=None):
        return self._read("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._read("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._read("has_key", False, key, version)

    # --- writes: an error is a no-op, remembered so the generation moves on -----------
    def _write(self, method, default, *args, **kwargs):
        if not self._ready():
            self._missed_writes = True
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc, write=True)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("add", False, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("set_many", [], data, timeout, version)

    def delete(self, key, version=None):
        return self._write("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._write("delete_many", None, keys, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("touch", False, key, timeout, version)

    def incr(self, key, delta=1, version=None):
        if not self._ready():
            self._missed_writes = True
            raise ValueError("cache unavailable")  # callers treat it as an unknown key
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            raise ValueError("cache unavailable") from None

    def incr_known(self, key, version=None):
        """INCR in one round trip, for version counters; None when the key was not there.

        Django's incr() asks EXISTS first (two round trips on every write). A version counter
        starts from the clock (campaigns/fragments.py), so a result of 1 means the key was
        missing: the caller sets it from the clock, which is larger than any count.
        """
        if not self._ready():
            self._missed_writes = True
            return None
        made = self.make_and_validate_key(key, version=version)
        try:
            value = self._cache.get_client(made, write=True).incr(made)
        except RedisError as exc:
            self._failed(exc, write=True)
            return None
        return None if value == 1 else value

    def pipeline_after_commit(self, *, incr=(), set_nx=None):
        """INCR each counter and SET NX EX each marker, in one round trip.

        Returns ([value, or None for a counter that was not there], {marker: set or not}), or
        None when Redis cannot be reached (the missed write moves the generation on later).
        """
        set_nx = set_nx or {}
        if not self._ready():
            self._missed_writes = True
            return None
        made_incr = [self.make_and_validate_key(key) for key in incr]
        made_nx = {marker: self.make_and_validate_key(marker) for marker in set_nx}
        try:
            pipe = self._cache.get_client(None, write=True).pipeline(transaction=False)
            for key in made_incr:
                pipe.incr(key)
            for marker, key in made_nx.items():
                pipe.set(key, self._cache._serializer.dumps(1), ex=set_nx[marker], nx=True)
            replies = pipe.execute()
        except RedisError as exc:
            self._failed(exc, write=True)
            return None
        counters = [None if value == 1 else value for value in replies[: len(made_incr)]]
        marked = {marker: bool(reply) for marker, reply in zip(made_nx, replies[len(made_incr) :], strict=True)}
        return counters, marked

    def clear(self):
        cleared = self._write("clear", False)
        self._generation = None  # the generation key went too: start the next one at once
        return cleared
