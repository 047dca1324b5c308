"""The request being served, for log lines and audit rows written far from the view.

Imported by the logging configuration before Django's apps load, so it imports nothing
from them.
"""

import contextvars
import logging

current_request = contextvars.ContextVar("ledger_request", default=None)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record ("-" outside a request)."""

    def filter(self, record):
        request = current_request.get()
        record.request_id = getattr(request, "request_id", "-") if request is not None else "-"
        return True
