"""Middleware the benchmark switches on: how many SQL queries each response cost."""

from django.conf import settings
from django.db import connection


class QueryCountHeaderMiddleware:
    """Adds X-Queries to every response when settings.QUERY_COUNT_HEADER is on (benchmarks only)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.QUERY_COUNT_HEADER

    def __call__(self, request):
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
