"""The district board (作战图) and the pages people land on."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campaigns.access import MANAGER_ROLES, default_district, get_district_for_user, scope_for, visible_districts
from campaigns.models import Role
from campaigns.selectors import board_for_district, my_tasks
from campaigns.services.scoring import RISK_RULES_TEXT


@login_required
def home(request):
    scope = scope_for(request.user)
    if not scope.district_ids:
        return render(request, "campaigns/no_district.html", status=200)
    roles = set().union(*scope.roles_by_district.values())
    if roles & (MANAGER_ROLES | {Role.LEADER}):
        return redirect("campaigns:board-default")
    return redirect("campaigns:my-tasks")


@login_required
def board_default(request):
    district = default_district(request.user)
    if district is None:
        raise Http404(_("您的账号还没有加入任何区。"))
    return redirect("campaigns:board", code=district.code)


@login_required
def board(request, code):
    district = get_district_for_user(request.user, code)
    return render(
        request,
        "campaigns/board.html",
        {
            "board": board_for_district(district),
            "districts": visible_districts(request.user) if scope_for(request.user).is_city_level else None,
            "risk_rules": RISK_RULES_TEXT,
        },
    )


@login_required
def my_tasks_page(request):
    return render(request, "campaigns/my_tasks.html", {"task_lists": my_tasks(request.user)})
