"""The task checklist, the scoring sheet, a unit's own tasks, and the Excel round trip."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Q, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    default_district,
    get_campaign_for_user,
    get_checklist_item_for_user,
    require_district_admin,
    scope_for,
)
from campaigns.filters import ChecklistFilter
from campaigns.forms.checklist import ChecklistImportForm, ChecklistUpdateForm
from campaigns.models import (
    OPEN_STATES,
    AssessmentArea,
    AuditKind,
    Campaign,
    CampaignStatus,
    ChecklistEvidence,
    ChecklistImport,
    ChecklistItem,
    Role,
    SubmissionKind,
    Ticket,
)
from campaigns.once import SubmissionRefused, SubmissionRepeated, create_once, submission_answer, submission_repeat
from campaigns.selectors import checklist_area_scores, checklist_items
from campaigns.selectors.scoring import RISK_RULES_TEXT, area_scores, score_total_warning, total_score
from campaigns.services.checklist import checklist_apply_standard, checklist_item_update, checklist_permissions
from campaigns.services.checklist_import import (
    COLUMNS,
    checklist_import_confirm,
    checklist_import_preview,
    checklist_import_upload,
    template_workbook,
)
from campaigns.services.exports import scoring_sheet_workbook
from campaigns.services.xlsx_import import XLSX
from infra.middleware import PHOTO_CACHE_CONTROL
from security.audit import audit_record

from .imports import ImportPages, confirm_page, import_page, show_page, template_download


def _is_admin(user, campaign):
    return scope_for(user).has_role(campaign.district_id, {Role.ADMIN})


@login_required
def checklist_default(request):
    district = default_district(request.user)
    if district is None:
        raise Http404(_("您的账号还没有加入任何区。"))
    campaigns = Campaign.objects.filter(district=district).order_by("-start_date", "-id")
    running = campaigns.filter(status=CampaignStatus.RUNNING).first() or campaigns.first()
    if running is None:
        raise Http404(_("本区还没有活动。"))
    return redirect("campaigns:checklist", campaign_id=running.pk)


def _group_by_unit(items):
    groups = {}
    for item in items:
        groups.setdefault(item.lead_unit, []).append(item)
    ordered = sorted(groups.items(), key=lambda pair: (pair[0] is None, *(_unit_key(pair[0]))))
    return [(unit.name if unit else _("未指定牵头单位"), rows) for unit, rows in ordered]


def _unit_key(unit):
    return (unit.kind, unit.order, unit.pk) if unit else ("", 0, 0)


def _group_by_area(items):
    groups = {}
    for item in items:
        groups.setdefault(item.area, []).append(item)
    return [(f"{area.code} {area.name}", rows) for area, rows in groups.items()]


@login_required
def checklist(request, campaign_id):
    campaign = get_campaign_for_user(request.user, campaign_id)
    today = timezone.localdate()
    item_filter = ChecklistFilter(
        request.GET or None, queryset=ChecklistItem.objects.filter(campaign=campaign), campaign=campaign
    )
    items = checklist_items(campaign, today=today, queryset=item_filter.qs)
    by_unit = request.GET.get("by") == "unit"
    scores, total = checklist_area_scores(campaign, today=today)
    query = request.GET.copy()
    query.pop("by", None)
    return render(
        request,
        "campaigns/checklist.html",
        {
            "campaign": campaign,
            "filter": item_filter,
            "groups": _group_by_unit(items) if by_unit else _group_by_area(items),
            "by_unit": by_unit,
            "item_count": len(items),
            "scores": scores,
            "total": total,
            "filtered": any(value for key, value in request.GET.items() if key != "by"),
            "query": query.urlencode(),
            "is_admin": _is_admin(request.user, campaign),
            "risk_rules": RISK_RULES_TEXT,
            "score_warning": score_total_warning(total.full_score) if total else "",
        },
    )


@login_required
def checklist_mine(request):
    """A unit's own tasks, led or shared, in every running campaign it can see."""
    scope = scope_for(request.user)
    if not scope.unit_ids:
        return render(request, "campaigns/checklist_mine.html", {"items": [], "no_unit": True})
    street_units = Q(lead_unit__street_id__in=scope.street_ids)
    mine = ChecklistItem.objects.filter(
        campaign__status=CampaignStatus.RUNNING, campaign__district_id__in=scope.district_ids
    ).filter(
        Q(lead_unit_id__in=scope.unit_ids)
        | street_units
        | Q(
            pk__in=ChecklistItem.cooperating_units.through.objects.filter(orgunit_id__in=scope.unit_ids).values(
                "checklistitem_id"
            )
        )
    )
    items = checklist_items(None, queryset=mine)
    today = timezone.localdate()
    items.sort(key=lambda item: (item.status == "done", not item.is_overdue, item.deadline or today.max, item.code))
    for item in items:
        item.i_lead = scope.is_responsible_for(item.lead_unit)
    return render(request, "campaigns/checklist_mine.html", {"items": items})


def _item_context(request, item, form=None):
    may_update, may_add = checklist_permissions(item, request.user)
    today = timezone.localdate()
    annotated = checklist_items(item.campaign, today=today, queryset=ChecklistItem.objects.filter(pk=item.pk))[0]
    updates = list(item.updates.select_related("actor").order_by("-at", "-id"))
    evidence = {}
    for piece in ChecklistEvidence.objects.filter(item=item).order_by("id"):
        evidence.setdefault(piece.update_id, []).append(piece)
    for update in updates:
        update.evidence_list = evidence.get(update.pk, [])
    # Open problems first: those are what put the points at risk.
    problems = list(
        Ticket.objects.filter(checklist_item=item)
        .for_rows()
        .annotate(is_done=Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)))
        .order_by("is_done", "-reported_at", "-id")[:10]
    )
    if form is None and may_add:
        form = ChecklistUpdateForm(item=item, may_update=may_update)
    return {
        "item": annotated,
        "updates": updates,
        "problems": problems,
        "form": form,
        "may_update": may_update,
        "risk_rules": RISK_RULES_TEXT,
    }


@login_required
def checklist_item(request, pk):
    item = get_checklist_item_for_user(request.user, pk)
    return render(request, "campaigns/checklist_item.html", _item_context(request, item))


@login_required
@require_POST
def checklist_item_update_view(request, pk):
    item = get_checklist_item_for_user(request.user, pk)
    may_update, may_add = checklist_permissions(item, request.user)
    if not may_add:
        raise PermissionDenied(_("您不是这项任务的牵头或配合单位，只能查看。"))
    form = ChecklistUpdateForm(request.POST, request.FILES, item=item, may_update=may_update)
    kind = SubmissionKind.CHECKLIST_UPDATE
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer  # sent twice: one timeline entry, one set of evidence
    if form.is_valid():
        data = form.cleaned_data
        try:
            create_once(
                request,
                form,
                kind,
                lambda: checklist_item_update(
                    item=item,
                    actor=request.user,
                    note=data.get("note", ""),
                    files=data.get("files", []),
                    status=data.get("status") if may_update else None,
                    progress=data.get("progress") if may_update else None,
                    self_score=data.get("self_score") if may_update else None,
                ),
                lambda update: reverse("campaigns:checklist-item", args=[item.pk]),
            )
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            messages.success(request, _("任务 %(code)s 的进展已保存。") % {"code": item.code})
            return redirect("campaigns:checklist-item", pk=item.pk)
    return render(request, "campaigns/checklist_item.html", _item_context(request, item, form), status=400)


def _evidence_for(user, pk):
    piece = get_object_or_404(ChecklistEvidence.objects.select_related("item__campaign"), pk=pk)
    if piece.item.campaign.district_id not in scope_for(user).district_ids:
        raise Http404
    return piece


@login_required
@require_GET
def evidence_download(request, pk):
    piece = _evidence_for(request.user, pk)
    try:
        handle = piece.file.open("rb")
    except OSError:
        raise Http404 from None
    inline = piece.content_type.startswith("image/") or piece.content_type == "application/pdf"
    audit_record(AuditKind.DOWNLOAD, request=request, target=f"evidence {piece.pk}: {piece.original_name}")
    return FileResponse(handle, content_type=piece.content_type, as_attachment=not inline, filename=piece.original_name)


@login_required
@require_GET
def evidence_thumb(request, pk):
    piece = _evidence_for(request.user, pk)
    if not piece.thumbnail:
        raise Http404
    response = FileResponse(piece.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = PHOTO_CACHE_CONTROL
    return response


@login_required
def scoring_sheet(request, campaign_id, area_code=None):
    campaign = get_campaign_for_user(request.user, campaign_id)
    today = timezone.localdate()
    areas = list(AssessmentArea.objects.filter(campaign=campaign).order_by("order", "code"))
    area = None
    queryset = ChecklistItem.objects.filter(campaign=campaign)
    if area_code is not None:
        area = next((a for a in areas if a.code == area_code), None)
        if area is None:
            raise Http404(_("没有这个测评类别。"))
        queryset = queryset.filter(area=area)
    items = checklist_items(campaign, today=today, queryset=queryset)
    scores = [score for score in area_scores(items, [area] if area else areas, today) if score.items or area]
    return render(
        request,
        "campaigns/scoring_sheet.html",
        {
            "campaign": campaign,
            "areas": areas,
            "area": area,
            "items": items,
            "scores": scores,
            "total": total_score(scores),
            "risk_rules": RISK_RULES_TEXT,
            "today": today,
        },
    )


@login_required
@require_GET
def scoring_export(request, campaign_id):
    campaign = get_campaign_for_user(request.user, campaign_id)
    today = timezone.localdate()
    items = checklist_items(campaign, today=today)
    areas = AssessmentArea.objects.filter(campaign=campaign).order_by("order", "code")
    handle = scoring_sheet_workbook(campaign, items, areas, today)
    name = _("%(district)s任务分解及赋分表-%(date)s.xlsx") % {
        "district": campaign.district.name,
        "date": today.isoformat(),
    }
    audit_record(AuditKind.EXPORT, request=request, district=campaign.district_id, target=name)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


def _campaign_for_admin(request, campaign_id):
    campaign = get_campaign_for_user(request.user, campaign_id)
    require_district_admin(request.user, campaign.district_id)
    return campaign


@login_required
@require_GET
def checklist_template(request, campaign_id):
    campaign = _campaign_for_admin(request, campaign_id)
    return template_download(template_workbook(campaign), "checklist-template.xlsx")


CHECKLIST_IMPORT = ImportPages(
    owner="campaign",
    owner_arg="pk",
    records=lambda campaign: ChecklistImport.objects.filter(campaign=campaign),
    form=ChecklistImportForm,
    columns=COLUMNS,
    title=gettext_lazy("从 Excel 导入任务清单"),
    steps=(
        gettext_lazy("下载模板，按列填写（第一行是列名；最后一列标着“示例”的示例行不会导入）。"),
        gettext_lazy("上传填好的 .xlsx 文件。系统先逐行检查，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入。任务编号已存在的会更新，不会重复添加。"),
    ),
    upload_template="campaigns/checklist_import.html",
    preview_template="campaigns/checklist_import_preview.html",
    list_url="campaigns:checklist",
    template_url="campaigns:checklist-template",
    import_url="campaigns:checklist-import",
    show_url="campaigns:checklist-import-show",
    confirm_url="campaigns:checklist-import-confirm",
    done_message=gettext_lazy("导入完成：新增 %(a)s 项，更新 %(c)s 项，未变 %(s)s 项。"),
)


@login_required
def checklist_import(request, campaign_id):
    campaign = _campaign_for_admin(request, campaign_id)
    return import_page(request, CHECKLIST_IMPORT, campaign, partial(checklist_import_upload, campaign=campaign))


@login_required
@require_POST
def checklist_import_confirm_view(request, campaign_id, import_id):
    campaign = _campaign_for_admin(request, campaign_id)
    return confirm_page(
        request,
        CHECKLIST_IMPORT,
        campaign,
        import_id,
        lambda record, ticked: checklist_import_confirm(record=record, actor=request.user, ticked=ticked),
    )


@login_required
def checklist_import_show(request, campaign_id, import_id):
    campaign = _campaign_for_admin(request, campaign_id)
    return show_page(request, CHECKLIST_IMPORT, campaign, import_id, checklist_import_preview)


@login_required
@require_POST
def checklist_apply_standard_view(request, campaign_id):
    campaign = _campaign_for_admin(request, campaign_id)
    created = checklist_apply_standard(campaign=campaign, actor=request.user)
    messages.success(request, _("已按国家卫生城市标准生成 %(n)s 项任务。") % {"n": created})
    return redirect("campaigns:checklist", campaign_id=campaign.pk)
