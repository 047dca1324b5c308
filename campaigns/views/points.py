"""Inspection points (点位): the district's list, the admin's form and Excel import, QR codes,
the printable sticker sheet, and what scanning a sticker does."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    MANAGER_ROLES,
    get_district_for_user,
    get_point_for_user,
    require_district_admin,
    scope_for,
)
from campaigns.filters import PointFilter
from campaigns.forms.points import PointForm, PointImportForm
from campaigns.models import OPEN_STATES, InspectionPoint, OrgUnit, PointImport, Role, Ticket, UnitKind
from campaigns.services.point_import import (
    COLUMNS,
    point_import_confirm,
    point_import_preview,
    point_import_upload,
    template_workbook,
)
from campaigns.services.points import (
    point_save,
    point_scan_url,
    point_set_active,
    points_to_this_machine,
    qr_site,
    qr_svg_document,
    qr_svg_inline,
)

from .imports import ImportPages, confirm_page, import_page, show_page, template_download

OVERSEERS = MANAGER_ROLES | {Role.LEADER}
POINTS_PER_PAGE = 50
STICKERS_PER_SHEET = 12  # 3 across, 4 down on A4
QR_CACHE_SECONDS = 7 * 24 * 3600


def _district_for_overseer(request, code):
    district = get_district_for_user(request.user, code)
    if not scope_for(request.user).has_role(district.pk, OVERSEERS):
        raise PermissionDenied(_("点位清单只对本区督导、管理员和领导开放。"))
    return district


def _point_for_admin(request, pk):
    point = get_point_for_user(request.user, pk)
    require_district_admin(request.user, point.district_id)
    return point


@login_required
@require_GET
def point_list(request, code):
    district = _district_for_overseer(request, code)
    scope = scope_for(request.user)
    points = InspectionPoint.objects.filter(district=district)
    point_filter = PointFilter(request.GET or None, queryset=points, district=district)
    ordered = point_filter.qs.select_related("unit", "street", "point_type", "responsible_department").order_by(
        "street__order", "street_id", "unit__order", "unit_id", "name", "id"
    )
    page = Paginator(ordered, POINTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # One aggregate for the page's points, not one count per row.
    open_counts = dict(
        Ticket.objects.filter(point_id__in=[point.pk for point in rows], state__in=OPEN_STATES)
        .order_by()
        .values("point_id")
        .annotate(n=Count("id"))
        .values_list("point_id", "n")
    )
    for point in rows:
        point.open_tickets = open_counts.get(point.pk, 0)
    query = request.GET.copy()
    query.pop("page", None)
    filtered = any(value for key, value in query.items() if key in point_filter.filters)
    return render(
        request,
        "campaigns/point_list.html",
        {
            "district": district,
            "filter": point_filter,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            # Without a filter, an empty page means the district has no points at all.
            "filtered": filtered,
            "is_admin": scope.has_role(district.pk, {Role.ADMIN}),
            "can_log": scope.can_log(district.pk),
        },
    )


def _render_form(request, district, form, point=None, status=200):
    context = {"district": district, "form": form, "point": point}
    if point is not None:
        context["scan_url"] = point_scan_url(point.pk, request)
    return render(request, "campaigns/point_form.html", context, status=status)


def _save(form):
    """Save a valid form through the service; on a name taken meanwhile, the form says so."""
    try:
        saved = point_save(point=form.instance)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None
    return saved


@login_required
def point_create(request, code):
    district = get_district_for_user(request.user, code)
    require_district_admin(request.user, district.pk)
    if request.method != "POST":
        return _render_form(request, district, PointForm(district=district))
    form = PointForm(request.POST, district=district)
    if form.is_valid() and (point := _save(form)) is not None:
        messages.success(request, _("点位“%(name)s”已添加。") % {"name": point.name})
        if "add_another" in request.POST:
            return redirect("campaigns:point-create", code=district.code)
        return redirect(f"{reverse('campaigns:points', args=[district.code])}?street={point.street_id}")
    return _render_form(request, district, form, status=400)


@login_required
def point_edit(request, pk):
    point = _point_for_admin(request, pk)
    district = point.district
    if request.method != "POST":
        return _render_form(request, district, PointForm(instance=point, district=district), point)
    form = PointForm(request.POST, instance=point, district=district)
    if form.is_valid() and _save(form) is not None:
        messages.success(request, _("点位“%(name)s”已保存。") % {"name": point.name})
        return redirect(f"{reverse('campaigns:points', args=[district.code])}?street={point.street_id}")
    # A failed save must not show the half-applied instance as the page's title.
    return _render_form(request, district, form, InspectionPoint.objects.get(pk=point.pk), status=400)


def _set_active(request, pk, active):
    point = _point_for_admin(request, pk)
    point_set_active(point=point, active=active)
    if active:
        messages.success(request, _("点位“%(name)s”已重新启用。") % {"name": point.name})
    else:
        messages.success(
            request,
            _("点位“%(name)s”已停用：不再出现在登记表和二维码贴纸里，已有的工单不受影响。") % {"name": point.name},
        )
    return redirect("campaigns:point-edit", pk=point.pk)


@login_required
@require_POST
def point_deactivate(request, pk):
    return _set_active(request, pk, False)


@login_required
@require_POST
def point_activate(request, pk):
    return _set_active(request, pk, True)


# --- QR codes and stickers --------------------------------------------------------------------


@login_required
@require_GET
def point_qr(request, pk):
    point = get_point_for_user(request.user, pk)
    response = HttpResponse(qr_svg_document(point_scan_url(point.pk, request)), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="point-{point.pk}-qr.svg"'
    # The picture never changes for a point; only people of its district may fetch it.
    patch_cache_control(response, private=True, max_age=QR_CACHE_SECONDS)
    return response


def _street_of(district, value):
    """The street or township asked for by ?street=, if it is this district's; otherwise none."""
    if not value or not str(value).isdigit() or len(str(value)) > 18:
        return None
    return OrgUnit.objects.filter(
        pk=int(value), district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP]
    ).first()


@login_required
@require_GET
def point_stickers(request, code):
    district = get_district_for_user(request.user, code)
    require_district_admin(request.user, district.pk)
    streets = list(
        OrgUnit.objects.filter(district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP]).order_by("order", "id")
    )
    street = _street_of(district, request.GET.get("street"))
    points = InspectionPoint.objects.filter(district=district, is_active=True).select_related("unit", "street")
    if street is not None:
        points = points.filter(street=street)
    points = list(points.order_by("street__order", "street_id", "unit__order", "unit_id", "name", "id"))
    for point in points:
        # segno's SVG has presentation attributes only (no style=), so the policy allows it inline.
        point.qr = mark_safe(qr_svg_inline(point_scan_url(point.pk, request)))  # noqa: S308  # nosec B308, B703 # generated by segno from our own URL
    sheets = [points[i : i + STICKERS_PER_SHEET] for i in range(0, len(points), STICKERS_PER_SHEET)]
    site = qr_site(request)
    return render(
        request,
        "campaigns/point_stickers.html",
        {
            "district": district,
            "streets": streets,
            "street": street,
            "sheets": sheets,
            "count": len(points),
            "qr_site": site,
            "qr_site_is_local": points_to_this_machine(site),
        },
    )


# --- scanning a sticker -----------------------------------------------------------------------


@login_required
def point_scan(request, pk):
    """Where a sticker's QR code leads: straight to the log form with the point chosen."""
    point = get_point_for_user(request.user, pk)
    if not scope_for(request.user).can_log(point.district_id):
        raise PermissionDenied(_("您的角色只能查看，不能登记问题。扫码登记问题请使用网格员、督导或管理员的账号。"))
    if not point.is_active:
        return render(request, "campaigns/point_retired.html", {"point": point}, status=410)
    return redirect(f"{reverse('campaigns:ticket-log')}?point={point.pk}")


# --- the Excel import -------------------------------------------------------------------------


def _district_for_admin(request, code):
    district = get_district_for_user(request.user, code)
    require_district_admin(request.user, district.pk)
    return district


POINT_IMPORT = ImportPages(
    owner="district",
    owner_arg="code",
    records=lambda district: PointImport.objects.filter(district=district),
    form=PointImportForm,
    columns=COLUMNS,
    title=gettext_lazy("从 Excel 导入点位"),
    steps=(
        gettext_lazy(
            "下载模板，按列填写（第一行是列名；最后一列标着“示例”的示例行不会导入）。“填写说明”一页列出了本区可填的单位、部门和点位类型。"
        ),
        gettext_lazy("上传填好的 .xlsx 文件。系统先逐行检查，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入。同一所在单位里同名的点位会更新，不会重复添加。"),
    ),
    upload_template="campaigns/point_import.html",
    preview_template="campaigns/point_import_preview.html",
    list_url="campaigns:points",
    template_url="campaigns:point-template",
    import_url="campaigns:point-import",
    show_url="campaigns:point-import-show",
    confirm_url="campaigns:point-import-confirm",
    done_message=gettext_lazy("导入完成：新增 %(a)s 个点位，更新 %(c)s 个，未变 %(s)s 个。"),
)


@login_required
@require_GET
def point_template(request, code):
    district = _district_for_admin(request, code)
    return template_download(template_workbook(district), "points-template.xlsx")


@login_required
def point_import(request, code):
    district = _district_for_admin(request, code)
    return import_page(request, POINT_IMPORT, district, partial(point_import_upload, district=district))


@login_required
@require_POST
def point_import_confirm_view(request, code, import_id):
    district = _district_for_admin(request, code)
    return confirm_page(
        request,
        POINT_IMPORT,
        district,
        import_id,
        lambda record, ticked: point_import_confirm(record=record, ticked=ticked),
    )


@login_required
@require_GET
def point_import_show(request, code, import_id):
    district = _district_for_admin(request, code)
    return show_page(request, POINT_IMPORT, district, import_id, point_import_preview)
