from django.utils.functional import SimpleLazyObject

from .access import scope_for
from .models import Role
from .services.workdays import missing_schedule_year


def navigation(request):
    """Navigation flags for base.html, computed only if a template asks for them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def flags():
        scope = scope_for(user)
        return {
            "can_log": any(scope.can_log(d) for d in scope.district_ids),
            "has_units": bool(scope.unit_ids),
            "has_tasks": bool(scope.unit_ids) or any(scope.can_manage(d) for d in scope.district_ids),
            "is_admin": any(scope.has_role(d, {Role.ADMIN}) for d in scope.district_ids),
        }

    def calendar_missing():
        # Asked only by the admins' banner in base.html.
        year = missing_schedule_year()
        return str(year) if year else ""

    def unread():
        return unread_count(user)

    from security.middleware import DUTY_KEY

    session = getattr(request, "session", None)
    duty = session.get(DUTY_KEY, "") if session is not None else ""
    return {
        "nav": SimpleLazyObject(flags),
        "nav_unread": SimpleLazyObject(unread),
        "nav_duty": duty,
        "nav_calendar_missing": SimpleLazyObject(calendar_missing),
    }


def unread_count(user):
    """The bell's count: read with the scope version in one round trip, counted when unknown."""
    from django.core.cache import cache

    from .models import Notification
    from .signals import unread_key

    scope_for(user)
    count = getattr(user, "_ledger_unread", None)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(unread_key(user.pk), count, 3600)
        user._ledger_unread = count
    return count
