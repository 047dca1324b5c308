"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /api/open311/v2/, for the
city platforms that speak it: a service is a problem category, a service request a ticket.

Logging goes through the same form and verb as the /api/v1 create (and the 登记问题 page):
the photo is required (`media`, a file), and the place is a point (`point_id`, or the
nearest point within 500 m of lat/long) or a street (`street_id`) with `address_string`.
"""

import datetime
import hashlib
import math
from typing import Annotated

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, NinjaAPI, Path, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from campaigns.models import OPEN_STATES, InspectionPoint, ProblemCategory, Ticket

from . import tickets
from .common import (
    ERRORS,
    MAX_ID,
    ApiError,
    Error,
    Id,
    Open311Key,
    TokenAuth,
    TokenThrottle,
    caller,
    install_errors,
    require_write,
)

api = NinjaAPI(
    title="创卫台账 Open311 GeoReport v2",
    version="2",
    description="问题类别作为服务（service），工单作为服务请求（service request）。",
    auth=[TokenAuth(), Open311Key()],
    throttle=TokenThrottle(),
    urls_namespace="open311",
    docs_url=None,
)
install_errors(api)

NEAR_METRES = 500


class Service(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceDefinition(Schema):
    service_code: str
    attributes: list[dict]


class ServiceRequest(Schema):
    service_request_id: str
    status: str = Field(description="open / closed")
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime.datetime
    updated_datetime: datetime.datetime
    expected_datetime: datetime.datetime | None
    address: str
    lat: float | None
    long: float | None
    media_url: str


class Created(Schema):
    service_request_id: str
    service_notice: str
    account_id: str | None


def _categories(request: HttpRequest):
    return ProblemCategory.objects.filter(
        campaign__district_id__in=caller(request).scope.district_ids, is_active=True
    ).select_related("area", "campaign__district")


def _service(category: ProblemCategory) -> dict:
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": f"{category.campaign.district.name} · {category.area.name} · {category.name}",
        "metadata": False,
        "type": "realtime",
        "keywords": category.area.name,
        "group": category.area.name,
    }


@api.get("/services.json", response={200: list[Service], **ERRORS}, summary="服务列表（问题类别）")
def services(request: HttpRequest) -> list[dict]:
    return [_service(c) for c in _categories(request).order_by("campaign_id", "area__order", "order", "id")]


@api.get("/services/{service_code}.json", response={200: ServiceDefinition, **ERRORS}, summary="服务定义")
def service_definition(request: HttpRequest, service_code: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict:
    if not _categories(request).filter(pk=service_code).exists():
        raise Http404(_("没有这个问题类别，或您无权查看。"))
    return {"service_code": str(service_code), "attributes": []}


def _request_row(ticket: Ticket) -> dict:
    point = ticket.point
    closed = ticket.state not in OPEN_STATES
    place = " ".join(x for x in (point.name if point else "", ticket.place) if x)
    expected = None
    if ticket.deadline:
        expected = timezone.make_aware(datetime.datetime.combine(ticket.deadline, datetime.time(18)))
    first = ticket.before_photos[0] if getattr(ticket, "before_photos", None) else None
    return {
        "service_request_id": ticket.number,
        "status": "closed" if closed else "open",
        "status_notes": str(ticket.get_state_display()),
        "service_name": ticket.category.name,
        "service_code": str(ticket.category_id),
        "description": ticket.description,
        "agency_responsible": ticket.responsible_unit.name if ticket.responsible_unit else "",
        "service_notice": "",
        "requested_datetime": ticket.reported_at,
        "updated_datetime": ticket.updated_at,
        "expected_datetime": expected,
        "address": place,
        "lat": float(point.latitude) if point and point.latitude is not None else None,
        "long": float(point.longitude) if point and point.longitude is not None else None,
        "media_url": f"/api/v1/photos/{first.pk}" if first else "",
    }


class RequestQuery(Schema):
    service_request_id: str | None = Field(None, max_length=500, description="逗号分隔的台账编号")
    service_code: int | None = Id(None)
    status: str | None = Field(None, pattern="^(open|closed)$")
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    limit: int = Field(50, ge=1, le=100)

    @field_validator("start_date", "end_date")
    @classmethod
    def within_the_ledger(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        # Year 1 or 9999 would overflow when moved to UTC; the ledger's dates are this century's.
        if value is not None and not 2000 <= value.year <= 2099:
            raise ValueError("2000–2099")
        return value


@api.get("/requests.json", response={200: list[ServiceRequest], **ERRORS}, summary="服务请求（工单）")
def requests_list(request: HttpRequest, query: Query[RequestQuery]) -> list[dict]:
    found = Ticket.objects.visible_to(caller(request).scope)
    if query.service_request_id:
        found = found.filter(number__in=[n.strip() for n in query.service_request_id.split(",")[:50]])
    if query.service_code:
        found = found.filter(category_id=query.service_code)
    if query.status == "open":
        found = found.filter(state__in=OPEN_STATES)
    elif query.status == "closed":
        found = found.exclude(state__in=OPEN_STATES)
    if query.start_date:
        found = found.filter(reported_at__gte=query.start_date)
    if query.end_date:
        found = found.filter(reported_at__lte=query.end_date)
    ids = list(found.order_by("-reported_at", "-id").values_list("id", flat=True)[: query.limit])
    rows = {t.pk: t for t in Ticket.objects.for_rows().filter(pk__in=ids)}
    return [_request_row(rows[pk]) for pk in ids]


@api.get("/requests/{service_request_id}.json", response={200: list[ServiceRequest], **ERRORS}, summary="一个服务请求")
def request_detail(request: HttpRequest, service_request_id: str) -> list[dict]:
    ticket = Ticket.objects.visible_to(caller(request).scope).for_rows().filter(number=service_request_id).first()
    if ticket is None:
        raise Http404(_("没有这张工单，或您无权查看。"))
    return [_request_row(ticket)]


class RequestIn(Schema):
    service_code: int = Id(...)
    description: str = Field(..., max_length=2000)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=200)
    point_id: int | None = Id(None, description="扩展：点位编号")
    street_id: int | None = Id(None, description="扩展：街道/乡镇编号（手写地点时）")
    api_key: str | None = None


def _nearest_point(district_id: int, lat: float, long: float) -> InspectionPoint | None:
    """The nearest active point within NEAR_METRES (an equirectangular distance is plenty at
    this range)."""
    best, best_metres = None, float(NEAR_METRES)
    points = InspectionPoint.objects.filter(
        district_id=district_id, is_active=True, latitude__isnull=False, longitude__isnull=False
    ).only("id", "latitude", "longitude")
    for point in points:
        dy = (float(point.latitude) - lat) * 111_320
        dx = (float(point.longitude) - long) * 111_320 * math.cos(math.radians(lat))
        metres = math.hypot(dx, dy)
        if metres <= best_metres:
            best, best_metres = point, metres
    return best


def _derived_key(token_pk: int, data: RequestIn) -> str:
    """Open311 has no idempotency key: the same request sent again is the same request."""
    parts = (token_pk, data.service_code, data.description, data.lat, data.long, data.address_string, data.point_id)
    raw = "|".join(str(part) for part in parts)
    return "o311-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


@api.post(
    "/requests.json",
    response={201: list[Created], 200: list[Created], 400: Error, 409: Error, **ERRORS},
    summary="提交服务请求（登记问题）",
)
def requests_create(
    request: HttpRequest,
    data: Form[RequestIn],
    media: File[UploadedFile] = None,  # type: ignore[assignment]
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    who = require_write(request)
    category = _categories(request).filter(pk=data.service_code).first()
    if category is None:
        raise ApiError(404, "not_found", _("没有这个问题类别，或您无权查看。"))
    point = None
    if data.point_id:
        point = InspectionPoint.objects.filter(pk=data.point_id, district_id=category.campaign.district_id).first()
    elif data.lat is not None and data.long is not None:
        point = _nearest_point(category.campaign.district_id, data.lat, data.long)
    values = {
        "district": category.campaign.district.code,
        "category": category.pk,
        "description": data.description,
        "point": point.pk if point else None,
        "place": data.address_string,
        "street": data.street_id,
        "submission": idempotency_key or _derived_key(who.token.pk, data),
    }
    if not data.point_id and point is None and not data.street_id:
        raise ApiError(
            400, "place_unknown", _("请给出 point_id，或 500 米内有点位的 lat/long，或 street_id 和 address_string。")
        )
    logged = tickets.log_ticket(request, who, values, MultiValueDict({"photos": [media] if media else []}))
    detail = logged.value
    notice = _("已登记，台账编号 %(number)s。") % {"number": detail["number"]}
    return Status(
        logged.status_code, [{"service_request_id": detail["number"], "service_notice": notice, "account_id": None}]
    )
