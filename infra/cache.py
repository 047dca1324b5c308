"""Django's Redis cache, made one the application survives.

Django's RedisCache turns a Redis outage into a 500 on every page. Here an error is a miss
(reads) or a no-op (writes), and after a short pause the next request tries again. Pages then
come from the database, which is always the truth.

What a cache must never do after an outage is answer with something older than the
database. Two ways that could happen: a write whose invalidation (a version bump) failed
while Redis was unreachable; and a Redis restarted from an older snapshot. So every key
carries a *generation*, kept in Redis and re-read every few seconds by each process. A
process that missed a write bumps the generation when it next reaches Redis, and so does any
process that finds Redis has restarted (its run id changed): every entry written before is
then out of reach at once.

Only public APIs: RedisCache's own methods (through super()) for the entries, and a redis-py
client of our own for the generation, the server's run id and one pipeline.
"""

import logging
import pickle  # nosec B403 - only its exception type: Django's RedisCache unpickles our own entries
import re
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# An entry pickled by an older release names a class that moved or changed (a deploy that
# renamed a module): it is a miss, recomputed and written again, never a 500.
UNREADABLE = (pickle.UnpicklingError, ImportError, AttributeError, EOFError, TypeError, ValueError)

GENERATION_KEY = "cache-generation"


class ResilientRedisCache(RedisCache):
    """RedisCache whose errors are misses, whose keys carry the generation."""

    check_every = 3.0  # seconds between generation checks
    pause_after_error = 2.0  # seconds to answer from nothing before trying Redis again

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        # A stopped Redis refuses at once; an unreachable host must not hold a request long.
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        servers = re.split("[;,]", server) if isinstance(server, str) else list(server)
        # The first server is the one RedisCache writes to: the generation lives there.
        self.redis = redis.Redis.from_url(
            servers[0],
            socket_connect_timeout=options["socket_connect_timeout"],
            socket_timeout=options["socket_timeout"],
        )
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._run_id: str | None = None
        self._checked_at = 0.0
        self._down_until = 0.0
        self._missed_writes = False

    # --- generation -------------------------------------------------------------------
    def _refresh(self, now: float) -> None:
        run_id = self.redis.info("server").get("run_id")
        if self.redis.set(GENERATION_KEY, time.time_ns(), nx=True):
            log.info("cache generation started")
        restarted = self._run_id is not None and run_id != self._run_id
        if self._missed_writes or restarted:
            generation = self.redis.incr(GENERATION_KEY)
            log.warning(
                "cache generation bumped to %s (%s)",
                generation,
                "writes missed during an outage" if self._missed_writes else "Redis restarted",
            )
        else:
            generation = int(self.redis.get(GENERATION_KEY))
        self._generation, self._run_id, self._checked_at = generation, run_id, now
        self._missed_writes = False

    def _ready(self) -> bool:
        """True when Redis may be used now; refreshes the generation when it is due."""
        now = time.monotonic()
        if now < self._down_until:
            return False
        if self._generation is not None and now - self._checked_at < self.check_every:
            return True
        with self._lock:
            try:
                if self._generation is None or now - self._checked_at >= self.check_every:
                    self._refresh(now)
            except RedisError as exc:
                self._failed(exc)
                return False
        return True

    def _failed(self, exc: Exception, *, write: bool = False) -> None:
        if write:
            self._missed_writes = True
        if time.monotonic() >= self._down_until:
            log.warning("Redis cache unreachable, answering from the database: %s", exc)
        self._down_until = time.monotonic() + self.pause_after_error
        self._checked_at = 0.0

    def make_key(self, key: str, version: int | None = None) -> str:
        return f"g{self._generation}:{super().make_key(key, version)}"

    # --- reads: an error is a miss ----------------------------------------------------
    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        if not self._ready():
            return default
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._failed(exc)
            return default
        except UNREADABLE as exc:
            log.warning("cache entry %s no longer reads (%s): a miss", key, exc)
            return default

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        if not self._ready():
            return {}
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._failed(exc)
            return {}
        except UNREADABLE as exc:
            log.warning("a cache entry no longer reads (%s): all misses", exc)
            return {}

    def has_key(self, key: str, version: int | None = None) -> bool:
        if not self._ready():
            return False
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            self._failed(exc)
            return False

    # --- writes: an error is a no-op, remembered so the generation moves on -----------
    def _writable(self) -> bool:
        if self._ready():
            return True
        self._missed_writes = True
        return False

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        if self._writable():
            try:
                super().set(key, value, timeout, version)
            except RedisError as exc:
                self._failed(exc, write=True)

    def add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        if not self._writable():
            return False
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            return False

    def set_many(
        self, data: Mapping[str, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[str]:
        if not self._writable():
            return list(data)
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            return list(data)

    def touch(self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        if not self._writable():
            return False
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            return False

    def delete(self, key: str, version: int | None = None) -> bool:
        if not self._writable():
            return False
        try:
            return super().delete(key, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            return False

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        if self._writable():
            try:
                super().delete_many(keys, version)
            except RedisError as exc:
                self._failed(exc, write=True)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """As RedisCache.incr; an unreachable Redis raises ValueError, as an unknown key does."""
        if not self._writable():
            raise ValueError("cache unavailable")
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._failed(exc, write=True)
            raise ValueError("cache unavailable") from None

    def clear(self) -> bool:
        cleared = False
        if self._writable():
            try:
                cleared = super().clear()
            except RedisError as exc:
                self._failed(exc, write=True)
        self._generation = None  # the generation key went too: start the next one at once
        return cleared
