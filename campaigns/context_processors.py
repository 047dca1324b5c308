from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from infra.request_memo import memo_get_many, memo_set
from security.middleware import DUTY_KEY

from .access import ROUND_READERS, scope_for
from .models import Notification, Role
from .selectors.rounds import is_inspector_now
from .signals import unread_key
from .workdays import missing_schedule_year

UNREAD_SECONDS = 3600


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for base.html, computed only if a template asks for them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def flags() -> dict[str, Any]:
        scope = scope_for(user)
        shown = {
            "can_log": any(scope.can_log(d) for d in scope.district_ids),
            "has_units": bool(scope.unit_ids),
            "has_tasks": bool(scope.unit_ids) or any(scope.can_manage(d) for d in scope.district_ids),
            "is_admin": any(scope.has_role(d, {Role.ADMIN}) for d in scope.district_ids),
            "reads_rounds": any(scope.has_role(d, ROUND_READERS) for d in scope.district_ids),
            # On the team of a round still open: a cache read (selectors/rounds.py), not a query.
            "inspects": any(scope.can_log(d) for d in scope.district_ids) and is_inspector_now(user),
        }
        # The navigation's markup follows from these flags alone: base.html keeps it per key.
        return shown | {"key": "".join("1" if value else "0" for value in shown.values())}

    def calendar_missing() -> str:
        # Asked only by the admins' banner in base.html.
        year = missing_schedule_year()
        return str(year) if year else ""

    session = getattr(request, "session", None)
    duty = session.get(DUTY_KEY, "") if session is not None else ""
    return {
        "nav": SimpleLazyObject(flags),
        "nav_section": nav_section(request.path),
        "nav_unread": SimpleLazyObject(lambda: unread_count(user)),
        "nav_duty": duty,
        "nav_calendar_missing": SimpleLazyObject(calendar_missing),
    }


# Which entry of the main navigation a page belongs to: some are one address, the others
# every address that contains theirs (the board's, every address under /board/).
EXACT_SECTIONS = {"/tickets/": "list", "/my/": "my", "/reports/": "reports", "/checklist/mine/": "checklist-mine"}
SECTIONS = (
    ("inspect", ("/inspect/",)),
    ("rounds", ("/rounds/",)),
    ("checklist", ("/checklist/", "/scoring/")),
    ("standards", ("/standards/",)),
    ("holidays", ("/holidays/",)),
    ("api-tokens", ("/api-tokens/",)),
    ("security-accounts", ("/security/accounts/",)),
    ("security-audit", ("/security/audit/",)),
)


def nav_section(path: str) -> str:
    """The entry of the main navigation the page at `path` belongs to ("" for none)."""
    if path in EXACT_SECTIONS:
        return EXACT_SECTIONS[path]
    if path.startswith("/board/"):
        return "board"
    return next((section for section, parts in SECTIONS if any(part in path for part in parts)), "")


def unread_count(user: AbstractBaseUser) -> int:
    """The bell's count, kept in the cache until a notification arrives or is read
    (campaigns/signals.py forgets it then)."""
    key = unread_key(user.pk)
    count = memo_get_many([key]).get(key)  # read already with the person's scope, as a rule
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_SECONDS)
        memo_set(key, count)
    return count
