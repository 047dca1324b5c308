from .access import scope_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    from .models import Notification

    return {
        "nav_unread": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
        "nav_reports": any(scope.roles_in(d) for d in scope.district_ids),
        "nav_can_log": any(scope.can_log(d) for d in scope.district_ids),
        "nav_has_units": bool(scope.unit_ids),
        "nav_has_tasks": bool(scope.unit_ids) or any(scope.can_manage(d) for d in scope.district_ids),
    }
