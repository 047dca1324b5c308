"""The 12345 hotline's doors: its signed push, the district's 12345 page and the export's import."""

import json
from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import MANAGER_ROLES, get_district_for_user, require_district_admin, scope_for
from campaigns.forms.hotline import HotlineImportForm
from campaigns.models import (
    AuditKind,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    HotlineImport,
    HotlineSettings,
    HotlineSource,
    Role,
    VisitResult,
)
from campaigns.selectors.hotline import FORMULA, hotline_orders, satisfaction_by, satisfaction_total
from campaigns.services.hotline import push_replayed
from campaigns.services.hotline_import import (
    COLUMNS,
    hotline_import_preview,
    hotline_import_upload,
    hotline_template,
)
from campaigns.workflow.hotline import OrderRefused, hotline_import_confirm, hotline_order_receive
from infra.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem
from security.audit import audit_record

from .imports import ImportPages, confirm_page, import_page, show_page, template_download

ORDERS_PER_PAGE = 30


# --- the push: no session, no CSRF token; the signature is the hotline's credential ----------


@csrf_exempt
@require_POST
def hotline_push(request, code):
    """One 工单 as JSON, signed with the district's 推送密钥: 201 new, 200 updated."""
    link = HotlineSettings.objects.filter(district__code=code.upper(), enabled=True).select_related("district").first()
    if link is None:
        return JsonResponse({"error": "no such hotline link"}, status=404)
    given = request.headers.get(SIGNATURE_HEADER, "")
    problem = signature_problem(link.inbound_secret, request.headers.get(TIMESTAMP_HEADER, ""), request.body, given)
    if problem:
        audit_record(
            AuditKind.INTEGRATION, district=link.district_id, target="12345 push", success=False, reason=problem
        )
        return JsonResponse({"error": problem}, status=401)
    if push_replayed(link, given):
        return JsonResponse({"error": "replayed"}, status=409)
    try:
        raw = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    if not isinstance(raw, dict):
        return JsonResponse({"error": "body must be one JSON object"}, status=400)
    try:
        receipt = hotline_order_receive(settings=link, raw=raw, source=HotlineSource.PUSH)
    except OrderRefused as refused:
        return JsonResponse({"errors": refused.errors}, status=422)
    answer = {
        "order_no": receipt.order.order_no,
        "ticket": receipt.order.ticket.number,
        "created": receipt.created,
        "changed": list(receipt.changed),
    }
    return JsonResponse(answer, status=201 if receipt.created else 200)


# --- the district's 12345 page ----------------------------------------------------------------


def _district_for_manager(request, code):
    district = get_district_for_user(request.user, code)
    if not scope_for(request.user).has_role(district.pk, MANAGER_ROLES):
        raise PermissionDenied(_("12345热线工单只对本区督导和管理员开放。"))
    return district


@login_required
@require_GET
def hotline_page(request, code):
    """满意率 per unit and street with its formula, and the district's 工单, filtered and paged."""
    district = _district_for_manager(request, code)
    orders = hotline_orders(district.pk).select_related("ticket__responsible_unit", "ticket__street")
    visit = request.GET.get("visit", "")
    if visit in VisitResult.values:
        orders = orders.filter(visit_result=visit)
    elif visit == "none":
        orders = orders.filter(visit_result="")
    query = request.GET.get("q", "").strip()[:64]
    if query:
        orders = orders.filter(order_no__icontains=query)
    page = Paginator(orders.order_by("-called_at", "-id"), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    link = HotlineSettings.objects.filter(district=district).first()
    failed = Delivery.objects.filter(
        district=district, channel=DeliveryChannel.HOTLINE, status=DeliveryStatus.FAILED
    ).count()
    filters = [f"visit={visit}"] if visit else []
    filters += [f"q={query}"] if query else []
    return render(
        request,
        "campaigns/hotline.html",
        {
            "district": district,
            "link": link,
            "total": satisfaction_total(district.pk),
            "by_unit": satisfaction_by(district.pk, "unit"),
            "by_street": satisfaction_by(district.pk, "street"),
            "formula": FORMULA,
            "page": page,
            "visit": visit,
            "q": query,
            "visits": VisitResult.choices,
            "failed": failed,
            "is_admin": scope_for(request.user).has_role(district.pk, {Role.ADMIN}),
            "query": "&".join(filters),
        },
    )


# --- the export's import ----------------------------------------------------------------------


def _district_for_import(request, code):
    district = get_district_for_user(request.user, code)
    require_district_admin(request.user, district.pk)
    if not HotlineSettings.objects.filter(district=district).exists():
        raise Http404(_("本区还没有设置12345热线对接。"))
    return district


HOTLINE_IMPORT = ImportPages(
    owner="district",
    owner_arg="code",
    records=lambda district: HotlineImport.objects.filter(district=district),
    form=HotlineImportForm,
    columns=tuple(COLUMNS),
    title=gettext_lazy("导入12345热线工单"),
    steps=(
        gettext_lazy(
            "从12345热线平台导出工单（.xlsx），或下载模板按列填写。列名：工单号、来电时间、诉求类型、诉求内容、所属街道、地址、办理时限、回访结果。"
        ),
        gettext_lazy("上传文件。系统先逐行检查诉求类型和所属街道能否对应；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入。已有的工单号只更新诉求内容和回访结果，不会重复登记。"),
    ),
    upload_template="campaigns/hotline_import.html",
    preview_template="campaigns/hotline_import_preview.html",
    list_url="campaigns:hotline",
    template_url="campaigns:hotline-template",
    import_url="campaigns:hotline-import",
    show_url="campaigns:hotline-import-show",
    confirm_url="campaigns:hotline-import-confirm",
    done_message=gettext_lazy("导入完成：新登记 %(a)s 张工单，更新 %(c)s 张，未变 %(s)s 张。"),
)


@login_required
@require_GET
def hotline_template_view(request, code):
    _district_for_import(request, code)
    return template_download(hotline_template(), "hotline-12345-template.xlsx")


@login_required
def hotline_import(request, code):
    district = _district_for_import(request, code)
    return import_page(request, HOTLINE_IMPORT, district, partial(hotline_import_upload, district=district))


@login_required
@require_GET
def hotline_import_show(request, code, import_id):
    district = _district_for_import(request, code)
    return show_page(request, HOTLINE_IMPORT, district, import_id, hotline_import_preview)


@login_required
@require_POST
def hotline_import_confirm_view(request, code, import_id):
    district = _district_for_import(request, code)
    return confirm_page(
        request,
        HOTLINE_IMPORT,
        district,
        import_id,
        lambda record, ticked: hotline_import_confirm(record=record, actor=request.user),
    )
