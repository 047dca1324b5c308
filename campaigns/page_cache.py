"""A person's whole page, kept while nothing it shows can have changed.

The key carries everything the page depends on: the person, their reach (the scope version,
which any membership, unit or account change moves on), the versions of the districts they
see (every write in a district moves its version on), the bell's unread count, the path with
its query, the language and the day (overdue days count from today). The CSRF token is the
one thing that differs between two requests for the same page: it is cut out before the page
is kept and a fresh one is put in for each answer. A page with a flash message waiting is
rendered, not taken from here, so the message is shown once, as it should be.
"""

import re

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from campaigns.access import scope_for
from campaigns.fragments import cached_fragment

PLACEHOLDER = "ledger-csrf-token-placeholder"
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _flash_waiting(request):
    storage = get_messages(request)
    # Loading the stored messages (unlike iterating them) does not mark them as shown.
    return bool(storage._queued_messages) or bool(storage._loaded_messages)


def person_page(request, name, district_ids, render):
    """The response of `render()` (a 200 HTML response) for this person, from the cache when it can be."""
    from security.middleware import DUTY_KEY

    if request.method != "GET" or _flash_waiting(request):
        return render()
    from campaigns.context_processors import unread_count

    user = request.user
    scope_for(user)  # also reads the scope version and the unread count, in one round trip
    parts = (
        "page-v1",
        name,
        user.pk,
        getattr(user, "_ledger_scope_version", ""),
        unread_count(user),
        request.session.get(DUTY_KEY, ""),
        request.get_full_path(),
        timezone.localdate().isoformat(),
    )
    rendered = {}

    def build():
        response = render()
        rendered["response"] = response
        if response.status_code != 200 or response.streaming:
            raise _NotKept
        return TOKEN.sub(rf"\g<1>{PLACEHOLDER}\g<2>", response.content.decode())

    try:
        html = cached_fragment("person-page", parts, district_ids, build)
    except _NotKept:
        return rendered["response"]
    if "response" in rendered:
        return rendered["response"]  # rendered just now: its own token is already in it
    return HttpResponse(html.replace(PLACEHOLDER, get_token(request)))


class _NotKept(Exception):
    pass
