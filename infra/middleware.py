"""Request ids for logs, no-store on downloads, the language a person chose, and the query
count the benchmark reads."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from infra.request_log import current_request

GetResponse = Callable[[HttpRequest], HttpResponse]


class QueryCountHeaderMiddleware:
    """Adds X-Queries to every response when settings.QUERY_COUNT_HEADER is on (benchmarks only)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.enabled = settings.QUERY_COUNT_HEADER

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Queries"] = str(count[0])
        return response


# --- Files stay off shared office PCs ----------------------------------------------------

PHOTO_CACHE_CONTROL = "private, max-age=300"


class DownloadCacheMiddleware:
    """Every file the ledger hands out (exports, summaries, sheets, one-time passwords,
    evidence) is sent `Cache-Control: no-store`: on a shared office PC the browser's cache
    would keep a copy for the next person. A view that chose its own lifetime (photos: a
    few private minutes) keeps it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Content-Disposition") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


# --- Request ids and structured logs ---------------------------------------------------

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane one from the proxy), log with it, return it.

    The id is shown on error pages, so a person can quote it and support finds every log
    line and audit row of that request.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


# --- The interface language --------------------------------------------------------------


class ChosenLanguageMiddleware:
    """The language a person chose (the language cookie: set by the switcher, and at login from
    their account), else settings.LANGUAGE_CODE, 简体中文 — never the browser's Accept-Language.

    Django's LocaleMiddleware follows Accept-Language; an office PC or a phone bought abroad
    would then show English to someone who never asked for it, and a page would read
    differently on two machines of the same person.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # A view may switch it (the switcher answers in the new language).
        response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Cookie",))
        return response
