"""A page's Content-Security-Policy widened for one request, through django-csp's public API.

The project's policy (settings.CONTENT_SECURITY_POLICY) allows images from this site only.
A page that shows map tiles from a server an office configured at run time must also allow
that server; a decorator cannot, since the server is known only per request. django-csp's
middleware leaves a header the view already set alone, so the view sets the whole header,
built by django-csp itself from the project's policy plus the extra sources.
"""

from collections.abc import Iterable

from csp.constants import HEADER
from csp.utils import build_policy
from django.http import HttpResponse


def allow_images_from(response: HttpResponse, sources: Iterable[str]) -> HttpResponse:
    extra = [source for source in sources if source]
    if extra:
        response[HEADER] = build_policy(update={"img-src": extra})
    return response
