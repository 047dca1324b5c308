"""What every API door shares: the token check, the rate limit, the one shape of errors, the
ETag and the page of a list."""

import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import APIKeyQuery, HttpBearer
from ninja.throttling import BaseThrottle

from campaigns.access.tokens import token_scope
from campaigns.models import ApiToken
from campaigns.policy import ActionForbidden, Scope, WorkflowError
from campaigns.services.api_tokens import api_token_find


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: the token, the reach it gives and the account it acts as."""

    token: ApiToken
    scope: Scope
    user: User

    def __str__(self) -> str:  # the rate limit's key
        return f"token:{self.token.pk}"


def caller_for(raw: str | None) -> Caller | None:
    token = api_token_find(raw or "")
    if token is None:
        return None
    return Caller(token=token, scope=token_scope(token), user=token.owner)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ctl_…`."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        return caller_for(token)


class Open311Key(APIKeyQuery):
    """Open311 clients send the key as `api_key` (GeoReport v2), in the query or, on a POST, in
    the form body; the same token."""

    param_name = "api_key"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.GET.get(self.param_name) or request.POST.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        return caller_for(key)


def caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined]


class Error(Schema):
    """Every refusal has this shape: a sentence for a person and a code for a program."""

    detail: str = Field(description="中文说明")
    code: str = Field(description="机器可读的错误代码")


class ApiError(HttpError):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(status, detail)
        self.code = code


def require_write(request: HttpRequest) -> Caller:
    who = caller(request)
    if not who.token.can_write:
        raise ApiError(403, "read_only_token", _("只读令牌不能写入。"))
    return who


# Every operation may answer these besides its own success.
ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


def _error(api: NinjaAPI, request: HttpRequest, status: int, code: str, detail: object) -> HttpResponse:
    return api.create_response(request, {"detail": str(detail), "code": code}, status=status)


def install_errors(api: NinjaAPI) -> None:
    """Map every refusal onto Error, in the language of the pages."""

    def on(exc_class: type[Exception], status: int, code: str, fallback: Any, *, own: bool = True) -> None:
        # `own`: the exception's message is already a sentence for a person (the access layer's
        # and the verbs' are); otherwise, or when it is empty, the fallback.
        def handler(request: HttpRequest, exc: Exception) -> HttpResponse:
            text = (getattr(exc, "message", None) or str(exc)) if own else ""
            return _error(api, request, status, code, text or fallback())

        api.add_exception_handler(exc_class, handler)

    on(AuthenticationError, 401, "unauthenticated", lambda: _("缺少有效的接口令牌，或令牌已吊销。"), own=False)
    on(Http404, 404, "not_found", lambda: _("没有这个对象，或您的令牌无权查看。"))
    on(PermissionDenied, 403, "forbidden", lambda: _("令牌对接账号的角色不能做这件事。"))
    on(WorkflowError, 409, "refused", lambda: _("这件事现在不能做。"))
    on(ActionForbidden, 403, "forbidden", lambda: _("令牌对接账号的角色不能做这件事。"))
    on(Throttled, 429, "throttled", lambda: _("请求太频繁，请稍后再试。"), own=False)

    def invalid(request: HttpRequest, exc: Exception) -> HttpResponse:
        errors = getattr(exc, "errors", [])
        where = "；".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in errors[:5]
            if isinstance(e, dict)
        )
        return _error(api, request, 422, "invalid", _("请求参数不正确：%(where)s") % {"where": where or "-"})

    api.add_exception_handler(ValidationError, invalid)

    def http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        status, message = getattr(exc, "status_code", 400), getattr(exc, "message", str(exc))
        return _error(api, request, status, getattr(exc, "code", "error"), message)

    api.add_exception_handler(HttpError, http_error)


class TokenThrottle(BaseThrottle):
    """A fixed window per token: API_RATE_PER_MINUTE calls each minute. The count lives in the
    shared cache (Redis in production), so every web worker counts the same calls."""

    WINDOW = 60

    def allow_request(self, request: HttpRequest) -> bool:
        who = getattr(request, "auth", None)
        if who is None:
            return True
        now = time.time()
        window = int(now // self.WINDOW)
        self._wait = (window + 1) * self.WINDOW - now
        key = f"api-rate:{who}:{window}"
        cache.add(key, 0, self.WINDOW + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between add and incr: count this call as the first
            cache.set(key, 1, self.WINDOW + 5)
            used = 1
        return used <= settings.API_RATE_PER_MINUTE

    def wait(self) -> float | None:
        return max(1, math.ceil(getattr(self, "_wait", self.WINDOW)))


# ETags on reads: the body's digest; If-None-Match with it is answered 304 and no body. Public
# Django machinery (the middleware, as a decorator on the API's read views only).
conditional = decorator_from_middleware(ConditionalGetMiddleware)


def private(view: Any) -> Any:
    """What one token reads is its own: never kept by a shared cache."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Authorization"
        return response

    return wrapped


# Ids are 64-bit: a longer number is no id, and must not reach the database.
MAX_ID = 2**63 - 1


def Id(default: Any = ..., **kwargs: Any) -> Any:  # noqa: N802 (reads like the Field it is)
    return Field(default, ge=1, le=MAX_ID, **kwargs)


class PageParams(Schema):
    limit: int = Field(settings.API_PAGE_DEFAULT, ge=1, le=settings.API_PAGE_MAX, description="每页条数")
    offset: int = Field(0, ge=0, le=1_000_000, description="跳过的条数")


def page_of(queryset: QuerySet, params: PageParams) -> tuple[list, int, int | None]:
    """A page of ids (cheap at any depth), its count, and the next offset or None."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    following = params.offset + params.limit
    return rows, count, following if following < count else None
