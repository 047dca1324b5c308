"""Cache reads remembered for the rest of one request: each key is asked of Redis once.

A page asks about its person several times — the access check, the view, the navigation
all want the scope, and the bell wants its count — and each ask was a round trip to Redis
for a value that does not change while one page is rendered. Inside a request
(RequestMemoMiddleware) `memo_get_many` answers the keys it has seen from memory and asks
Redis for the others in one round trip. Whoever writes one of those keys during the
request tells the memo (`memo_set`, `memo_forget`), so the request never reads back less
than it wrote. Outside a request (Celery tasks, commands, shells) nothing is remembered:
every call goes to the cache.
"""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

_ABSENT = object()  # a miss is remembered too: a request asks for a missing key once
_memo: ContextVar[dict[str, Any] | None] = ContextVar("ledger_request_memo", default=None)


def memo_get_many(keys: Iterable[str]) -> dict[str, Any]:
    """As cache.get_many: the keys found, with their values."""
    keys = list(keys)
    memo = _memo.get()
    if memo is None:
        return cache.get_many(keys)
    unseen = [key for key in keys if key not in memo]
    if unseen:
        found = cache.get_many(unseen)
        for key in unseen:
            memo[key] = found.get(key, _ABSENT)
    return {key: memo[key] for key in keys if memo[key] is not _ABSENT}


def memo_set(key: str, value: Any) -> None:
    """The request has just written `value` under `key` to the cache."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def memo_forget(key: str) -> None:
    """The request has just changed or deleted `key` in the cache: read it afresh next time."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


class RequestMemoMiddleware:
    """Gives each request an empty memo and drops it with the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
