"""The district map (地图): the page, its scoped GeoJSON, the office's tile settings, and a
point's place taken from a phone standing at it."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaigns.access import get_district_for_admin, get_district_for_user, get_point_for_user, scope_for
from campaigns.access import visible_tickets as visible_tickets_of
from campaigns.filters import TicketFilter
from campaigns.forms.maps import MapSettingsForm, PointLocateForm
from campaigns.models import OrgUnit, Role, TileSource
from campaigns.policy import LOCATION_ACCURACY_LIMIT_M, may_locate_point
from campaigns.selectors.map import HEAT_DAYS, MAP_POINT_CAP, map_features, map_settings_for, tile_layers, tile_origins
from campaigns.services.maps import map_settings_save, point_locate
from infra.csp import allow_images_from

VIEWS = ("open", "heat")


def _map_filter(request: HttpRequest, district: OrgUnit, view: str) -> TicketFilter:
    """The ticket list's filters over this district's tickets; the map starts from the open
    problems, the heat view from the last HEAT_DAYS days' finds."""
    data = request.GET.copy()
    data.pop("view", None)
    if view == "heat":
        if not data.get("found_from") and not data.get("found_to"):
            start = timezone.localdate() - datetime.timedelta(days=HEAT_DAYS - 1)
            data["found_from"] = start.isoformat()
    elif "state" not in data:
        data["state"] = "open"
    tickets = visible_tickets_of(request.user).filter(district=district)
    ticket_filter = TicketFilter(data, queryset=tickets, user=request.user)
    # One district per map, and a map has no order.
    ticket_filter.filters.pop("district", None)
    ticket_filter.filters.pop("sort", None)
    return ticket_filter


def _view_of(request: HttpRequest) -> str:
    view = request.GET.get("view", "open")
    return view if view in VIEWS else "open"


@login_required
@require_GET
def district_map(request: HttpRequest, code: str) -> HttpResponse:
    district = get_district_for_user(request.user, code)
    settings = map_settings_for(district)
    view = _view_of(request)
    query = request.GET.copy()
    query["view"] = view
    layers = tile_layers(settings)
    response = render(
        request,
        "campaigns/map.html",
        {
            "district": district,
            "filter": _map_filter(request, district, view),
            "view": view,
            "settings": settings,
            "map_config": {
                "data": f"{reverse('campaigns:map-data', args=[district.code])}?{query.urlencode()}",
                "layers": [layer.__dict__ for layer in layers],
                "locate": reverse("campaigns:point-locate", args=[0]),
                "tickets": reverse("campaigns:ticket-list"),
                "view": view,
            },
            "has_tiles": bool(layers),
            "heat_days": HEAT_DAYS,
            "cap": MAP_POINT_CAP,
            "open_url": f"?{_switched(request, 'open')}",
            "heat_url": f"?{_switched(request, 'heat')}",
            "is_admin": scope_for(request.user).has_role(district.pk, {Role.ADMIN}),
        },
    )
    return allow_images_from(response, tile_origins(settings))


def _switched(request: HttpRequest, view: str) -> str:
    query = request.GET.copy()
    query["view"] = view
    # The open map's state filter is not the heat view's: each view starts from its own.
    query.pop("state", None)
    return query.urlencode()


@login_required
@require_GET
def district_map_data(request: HttpRequest, code: str) -> JsonResponse:
    district = get_district_for_user(request.user, code)
    ticket_filter = _map_filter(request, district, _view_of(request))
    if not ticket_filter.is_valid():
        return JsonResponse({"errors": ticket_filter.errors.get_json_data()}, status=400)
    data = map_features(
        district,
        ticket_filter.qs,
        settings=map_settings_for(district),
        scope=scope_for(request.user),
        today=timezone.localdate(),
    )
    response = JsonResponse(data)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def map_settings_page(request: HttpRequest, code: str) -> HttpResponse:
    district = get_district_for_admin(request.user, code)
    current = map_settings_for(district)
    form = MapSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        map_settings_save(district=district, actor=request.user, values=form.cleaned_data)
        messages.success(request, _("地图设置已保存。"))
        return redirect("campaigns:setup-map", code=district.code)
    response = render(
        request,
        "campaigns/setup_map.html",
        {"district": district, "form": form, "sources": TileSource},
        status=400 if form.errors else 200,
    )
    return response


@login_required
def point_locate_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A staffer standing at the point sends the phone's position as the point's place."""
    point = get_point_for_user(request.user, pk)
    if not may_locate_point(scope_for(request.user), point):
        raise PermissionDenied(_("只有点位所在街道的工作人员和本区管理员可以设置点位位置。"))
    form = PointLocateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        point_locate(
            point=point,
            actor=request.user,
            latitude=data["latitude"],
            longitude=data["longitude"],
            accuracy=data["accuracy"],
        )
        messages.success(request, _("点位位置已保存（定位精度约 %(accuracy)s 米）。") % {"accuracy": data["accuracy"]})
        return redirect("campaigns:point-locate", pk=point.pk)
    return render(
        request,
        "campaigns/point_locate.html",
        {"point": point, "form": form, "limit": LOCATION_ACCURACY_LIMIT_M},
        status=400 if form.errors else 200,
    )
