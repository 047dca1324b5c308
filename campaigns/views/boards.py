"""The district board (作战图), its wall mode, the city overview, and the pages people land on."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import (
    MANAGER_ROLES,
    PAPERWORK_READERS,
    default_district,
    get_district_for_user,
    scope_for,
    visible_districts,
)
from campaigns.models import OrgUnit, Role
from campaigns.reference import choices_version, running_campaign
from campaigns.selectors import Board, board_for_district, city_overview, my_tasks
from campaigns.selectors.board import BOARD_CACHE_SECONDS, board_kpis
from campaigns.selectors.common import month_start, week_start
from campaigns.selectors.forecast import FORECAST_RULES_TEXT, Forecast, board_forecast
from campaigns.selectors.gates import GATE_RULES_TEXT
from campaigns.selectors.kpis import KpiPanel
from campaigns.selectors.scoring import RISK_RULES_TEXT
from infra.charts import trend_svg
from infra.fragments import cached_fragment

WALL_REFRESH_SECONDS = 120
# The wall shows one screen of panels at a time and turns to the next every so many seconds;
# `?every=N` sets it for one screen (an office that reads slowly, a test that cannot wait).
WALL_PAGE_SECONDS = 20
WALL_PAGE_SECONDS_RANGE = (2, 600)


def _wall_page_seconds(value: str | None) -> int:
    if not value or not value.isdigit() or len(value) > 4:
        return WALL_PAGE_SECONDS
    low, high = WALL_PAGE_SECONDS_RANGE
    return min(max(int(value), low), high)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.district_ids:
        return render(request, "campaigns/no_district.html", status=200)
    roles = set().union(*scope.roles_by_district.values())
    if scope.is_city_level:
        return redirect("campaigns:city")
    if roles & (MANAGER_ROLES | {Role.LEADER}):
        return redirect("campaigns:board-default")
    return redirect("campaigns:my-tasks")


@login_required
def board_default(request: HttpRequest) -> HttpResponse:
    district = default_district(request.user)
    if district is None:
        raise Http404(_("您的账号还没有加入任何区。"))
    return redirect("campaigns:board", code=district.code)


def _board_page_context(board: Board, kpis: KpiPanel | None = None, forecast: Forecast | None = None) -> dict[str, Any]:
    return {
        "board": board,
        "kpis": kpis,
        "forecast": forecast,
        "forecast_rules": FORECAST_RULES_TEXT,
        "risk_rules": RISK_RULES_TEXT,
        "gate_rules": GATE_RULES_TEXT,
        "trend_chart": trend_svg(
            board.trend, title=_("近 30 天每日发现与销号"), found_label=_("发现"), closed_label=_("销号")
        ),
        "week_start": week_start(board.today),
        "month_start": month_start(board.today),
    }


def _board_and_kpis(district: OrgUnit) -> tuple[Board, KpiPanel, Forecast | None]:
    board = board_for_district(district)
    # 迎检模拟 lags up to ten minutes, like the KPIs (selectors/forecast.py).
    forecast = board_forecast(board.campaign, board.today) if board.campaign else None
    return board, board_kpis(district, board.campaign, board.today), forecast


@login_required
def board(request: HttpRequest, code: str) -> HttpResponse:
    district = get_district_for_user(request.user, code)
    scope = scope_for(request.user)
    # The board is the same for everyone in the district: rendered once per write there.
    page = cached_fragment(
        "board",
        ("board-v2", district.pk),
        [district.pk],
        lambda: render_to_string("partials/board_page.html", _board_page_context(*_board_and_kpis(district))),
        timeout=BOARD_CACHE_SECONDS,
    )
    return render(
        request,
        "campaigns/board.html",
        {
            "district": district,
            "board_page": page,
            "districts": visible_districts(request.user) if scope.is_city_level else None,
            # Outside the cached board: only those who may open these pages see the links.
            "points_link": scope.has_role(district.pk, MANAGER_ROLES | {Role.LEADER}),
            "can_set_up": scope.has_role(district.pk, {Role.ADMIN}),
            "duplicates_link": scope.can_manage(district.pk),
            "hotline_link": scope.has_role(district.pk, MANAGER_ROLES),
            # The 迎检资料 binder and its .zip: the office and its leaders (access.get_binder_campaign_for_user).
            "binder_campaign": (
                running_campaign(district, choices_version())
                if scope.has_role(district.pk, PAPERWORK_READERS)
                else None
            ),
        },
    )


@login_required
def board_wall(request: HttpRequest, code: str) -> HttpResponse:
    district = get_district_for_user(request.user, code)
    context = _board_page_context(board_for_district(district))
    context["refresh_seconds"] = WALL_REFRESH_SECONDS
    context["page_seconds"] = _wall_page_seconds(request.GET.get("every"))
    return render(request, "campaigns/board_wall.html", context)


@login_required
def city(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if len(scope.district_ids) < 2:
        raise PermissionDenied(_("全市对比只对市级账号开放。"))
    body = cached_fragment(
        "city",
        ("city-v2",),
        scope.district_ids,
        lambda: render_to_string("partials/city_body.html", {"rows": city_overview(request.user)}),
    )
    return render(request, "campaigns/city.html", {"body": body})


@login_required
def ping(request: HttpRequest) -> HttpResponse:
    """The lightest logged-in page: keeps a session alive, and is the benchmark's ceiling."""
    return render(request, "campaigns/ping.html")


@login_required
def my_tasks_page(request: HttpRequest) -> HttpResponse:
    # The lists are this person's: kept per person, reach and day (overdue counts from today)
    # until the next write in one of their districts.
    scope = scope_for(request.user)
    reach = (
        sorted((district, sorted(roles)) for district, roles in scope.roles_by_district.items()),
        sorted(scope.unit_ids),
        sorted(scope.street_ids),
        sorted(scope.work_group_ids),  # a 销号 level or a finder group brings its own lists
    )
    body = cached_fragment(
        "my-tasks",
        [request.user.pk, reach, timezone.localdate()],
        scope.district_ids,
        # render_to_string gives a SafeString already.
        lambda: render_to_string(
            "partials/my_tasks_body.html", {"task_lists": my_tasks(request.user)}, request=request
        ),
    )
    return render(request, "campaigns/my_tasks.html", {"body": body})
