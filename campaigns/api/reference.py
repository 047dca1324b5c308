"""/api/v1/points, units, categories, daily-reports and board: read-only, from the same
querysets and selectors as the pages, within the token's districts."""

import datetime

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view

from campaigns.models import DailyReport, InspectionPoint, OrgUnit, ProblemCategory, UnitKind
from campaigns.selectors.board import board_for_district

from .common import ERRORS, PageParams, caller, conditional, page_of, private
from .schemas import BoardOut, CategoryPage, DailyReportPage, PointPage, UnitPage

router = Router(tags=["reference"])


class DistrictParam(Schema):
    district: str | None = Field(None, max_length=16, description="只看这个区（区代码）")


def _district_ids(request: HttpRequest, district: str | None) -> list[int]:
    """The token's districts, or the one asked for among them (another is simply empty)."""
    ids = sorted(caller(request).scope.district_ids)
    if not district:
        return ids
    return list(OrgUnit.objects.filter(pk__in=ids, code=district.upper()).values_list("id", flat=True))


def _page(rows: list, count: int, following: int | None) -> dict:
    return {"count": count, "next_offset": following, "results": rows}


@router.get("/points", response={200: PointPage, 304: None, **ERRORS}, summary="点位")
@decorate_view(private, conditional)
def points(request: HttpRequest, where: Query[DistrictParam], paging: Query[PageParams]) -> dict:
    queryset = (
        InspectionPoint.objects.filter(district_id__in=_district_ids(request, where.district))
        .select_related("district", "street", "point_type")
        .order_by("district_id", "id")
    )
    found, count, following = page_of(queryset, paging)
    rows = [
        {
            "id": p.pk,
            "name": p.name,
            "district": p.district.code,
            "street": {"id": p.street.pk, "name": p.street.name} if p.street else None,
            "point_type": p.point_type.name,
            "address": p.address,
            "latitude": float(p.latitude) if p.latitude is not None else None,
            "longitude": float(p.longitude) if p.longitude is not None else None,
            "is_active": p.is_active,
        }
        for p in found
    ]
    return _page(rows, count, following)


@router.get("/units", response={200: UnitPage, 304: None, **ERRORS}, summary="单位（街道、社区、村、部门）")
@decorate_view(private, conditional)
def units(request: HttpRequest, where: Query[DistrictParam], paging: Query[PageParams]) -> dict:
    queryset = (
        OrgUnit.objects.filter(district_id__in=_district_ids(request, where.district), is_active=True)
        .exclude(kind=UnitKind.DISTRICT)
        .select_related("district")
        .order_by("district_id", "kind", "order", "id")
    )
    found, count, following = page_of(queryset, paging)
    rows = [
        {
            "id": u.pk,
            "name": u.name,
            "kind": u.kind,
            "district": u.district.code if u.district else None,
            "street_id": u.street_id,
        }
        for u in found
    ]
    return _page(rows, count, following)


@router.get("/categories", response={200: CategoryPage, 304: None, **ERRORS}, summary="问题类别")
@decorate_view(private, conditional)
def categories(request: HttpRequest, where: Query[DistrictParam], paging: Query[PageParams]) -> dict:
    queryset = (
        ProblemCategory.objects.filter(campaign__district_id__in=_district_ids(request, where.district), is_active=True)
        .select_related("area", "campaign__district")
        .order_by("campaign_id", "area__order", "order", "id")
    )
    found, count, following = page_of(queryset, paging)
    rows = [
        {
            "id": c.pk,
            "name": c.name,
            "district": c.campaign.district.code,
            "campaign_id": c.campaign_id,
            "area": {"id": c.area.pk, "name": c.area.name},
            "default_deadline_days": c.default_deadline_days,
        }
        for c in found
    ]
    return _page(rows, count, following)


class ReportParams(DistrictParam):
    date_from: datetime.date | None = Field(None, ge=datetime.date(2000, 1, 1), le=datetime.date(2099, 12, 31))
    date_to: datetime.date | None = Field(None, ge=datetime.date(2000, 1, 1), le=datetime.date(2099, 12, 31))


@router.get("/daily-reports", response={200: DailyReportPage, 304: None, **ERRORS}, summary="日报")
@decorate_view(private, conditional)
def daily_reports(request: HttpRequest, where: Query[ReportParams], paging: Query[PageParams]) -> dict:
    queryset = DailyReport.objects.filter(
        duty__campaign__district_id__in=_district_ids(request, where.district)
    ).select_related("duty__campaign__district", "duty__unit", "duty__work_group")
    if where.date_from:
        queryset = queryset.filter(date__gte=where.date_from)
    if where.date_to:
        queryset = queryset.filter(date__lte=where.date_to)
    found, count, following = page_of(queryset.order_by("-date", "duty_id"), paging)
    rows = [
        {
            "id": r.pk,
            "date": r.date,
            "district": r.duty.campaign.district.code,
            "reporter": (r.duty.unit or r.duty.work_group).name,
            "nothing_found": r.nothing_found,
            "points_visited": r.points_visited,
            "problems_found": r.problems_found,
            "problems_fixed": r.problems_fixed,
            "notes": r.notes,
            "submitted_at": r.submitted_at,
            "is_late": r.is_late,
        }
        for r in found
    ]
    return _page(rows, count, following)


def _rows(rows: list) -> list[dict]:
    return [
        {
            "id": r.pk,
            "name": r.name,
            "total": r.total,
            "open": r.open,
            "overdue": r.overdue,
            "closed": r.closed,
            "closure_rate": r.closure_rate,
        }
        for r in rows
    ]


@router.get("/board/{code}", response={200: BoardOut, 304: None, **ERRORS}, summary="作战图数字")
@decorate_view(private, conditional)
def board(request: HttpRequest, code: str) -> dict:
    district = OrgUnit.objects.filter(
        kind=UnitKind.DISTRICT, code=code.upper(), pk__in=caller(request).scope.district_ids
    ).first()
    if district is None:
        raise Http404(_("没有这个区，或您无权查看。"))
    built = board_for_district(district)
    return {
        "district": district.code,
        "today": built.today,
        "computed_at": built.computed_at,
        "figures": {k: int(v) for k, v in built.figures.items() if isinstance(v, int | float)},
        "closure_rate": built.closure_rate,
        "median_days_to_close": built.median_days_to_close,
        "by_street": _rows(built.by_street),
        "by_unit": _rows(built.by_unit),
        "by_area": _rows(built.by_area),
    }
