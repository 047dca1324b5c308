"""测评标准: the standard's 方面 → 条 → 项 and its sample quotas, read by everyone who works a
district, kept by a city office's admin — a 项 edited, the quotas typed in, either imported
from Excel (a standard's 项 always as a new version) and exported again."""

import io
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    can_keep_standard,
    get_standard_for_user,
    get_standard_item_for_keeper,
    require_standard_reader,
)
from campaigns.forms.standards import QuotaImportForm, SampleQuotaForm, StandardImportForm, StandardItemForm
from campaigns.models import AuditKind, Campaign, InspectionRound, PopulationBand
from campaigns.selectors.standards import quota_rows, standard_tree, standards_listed
from campaigns.services import quota_xlsx, standard_xlsx
from campaigns.services.standard import sample_quotas_save, standard_item_save
from campaigns.services.xlsx_import import XLSX
from security.audit import audit_record

from .imports import ImportPages, confirm_page, import_page, preview_page, show_page


@dataclass(frozen=True)
class Owner:
    """What a standard's imports belong to, as the import pages name it."""

    standard: object
    pk: int


def _usage(standard):
    """How many campaigns and rounds, in all districts, were scored on this standard (no names:
    a district's admin reads this page too)."""
    return {
        "campaigns": Campaign.objects.filter(standard=standard).count(),
        "rounds": InspectionRound.objects.filter(standard=standard).count(),
    }


@login_required
@require_GET
def standard_list(request):
    require_standard_reader(request.user)
    return render(
        request,
        "campaigns/standard_list.html",
        {"standards": list(standards_listed()), "can_keep": can_keep_standard(request.user)},
    )


@login_required
@require_GET
def standard_detail(request, pk):
    standard = get_standard_for_user(request.user, pk)
    return render(
        request,
        "campaigns/standard_detail.html",
        {
            "standard": standard,
            "tree": standard_tree(standard),
            "usage": _usage(standard),
            "can_keep": can_keep_standard(request.user),
        },
    )


@login_required
def standard_item_edit(request, pk):
    item = get_standard_item_for_keeper(request.user, pk)
    standard = item.article.aspect.standard
    form = StandardItemForm(request.POST or None, instance=item)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            standard_item_save(item=form.instance, actor=request.user, point_types=form.cleaned_data["point_types"])
            messages.success(request, _("第 %(code)s 项已保存。") % {"code": item.code})
            return redirect(f"{reverse('campaigns:standard', args=[standard.pk])}#item-{item.pk}")
        status = 400
    context = {"item": item, "standard": standard, "form": form, "usage": _usage(standard)}
    return render(request, "campaigns/standard_item_form.html", context, status=status)


def _workbook(request, content, filename, target):
    audit_record(AuditKind.EXPORT, request=request, target=target)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@require_GET
def standard_export(request, pk):
    standard = get_standard_for_user(request.user, pk)
    name = f"{standard.name}-{standard.version}.xlsx"
    return _workbook(request, standard_xlsx.standard_workbook(standard), name, name)


# --- a new version from a workbook -------------------------------------------------------------

STANDARD_IMPORT = ImportPages(
    owner="owner",
    owner_arg="pk",
    records=lambda owner: standard_xlsx.standard_imports(owner.standard),
    form=StandardImportForm,
    columns=standard_xlsx.COLUMNS,
    title=gettext_lazy("从 Excel 导入新版本"),
    steps=(
        gettext_lazy("导出这个标准（也就是模板），在 Excel 里修改：每行一项，写明所在的方面和条。"),
        gettext_lazy(
            "填写新版本的名称和版本号，上传文件。系统逐行检查并与原版本比较，列出每一处问题和改动；有问题时一行也不导入。"
        ),
        gettext_lazy("确认无误后导入：建立一个新的标准版本，原版本和用它的活动、检查轮次都不变。"),
    ),
    upload_template="campaigns/standard_import.html",
    preview_template="campaigns/standard_import_preview.html",
    list_url="campaigns:standard",
    template_url="campaigns:standard-export",
    import_url="campaigns:standard-import",
    show_url="campaigns:standard-import-show",
    confirm_url="campaigns:standard-import-confirm",
)


def _keeper_owner(request, pk):
    standard = get_standard_for_user(request.user, pk, keep=True)
    return Owner(standard, standard.pk)


@login_required
def standard_import(request, pk):
    """The upload form with the history (GET), or the preview of an uploaded file (POST)."""
    owner = _keeper_owner(request, pk)
    standard = owner.standard
    pages = STANDARD_IMPORT
    if request.method == "POST":
        form = StandardImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            record, preview = standard_xlsx.standard_import_upload(
                standard=standard,
                actor=request.user,
                uploaded=data["file"],
                sheet=form.sheet,
                **{key: data[key] for key in ("name", "version", "scope", "issued_by", "source", "make_current")},
            )
            return preview_page(request, pages, owner, record, preview, status=200 if preview.is_clean else 400)
        status = 400
    else:
        form = StandardImportForm(
            initial={"name": standard.name, "scope": standard.scope, "issued_by": standard.issued_by}
        )
        status = 200
    context = {
        "owner": owner,
        "standard": standard,
        "pages": pages,
        "owner_arg": owner.pk,
        "columns": pages.columns,
        "form": form,
        "history": pages.records(owner).select_related("uploaded_by", "created")[:20],
        "max_rows": settings.IMPORT_MAX_ROWS,
        "template_url": reverse(pages.template_url, args=[owner.pk]),
    }
    return render(request, pages.upload_template, context, status=status)


@login_required
@require_GET
def standard_import_show(request, pk, import_id):
    owner = _keeper_owner(request, pk)
    return show_page(request, STANDARD_IMPORT, owner, import_id, standard_xlsx.standard_import_preview)


@login_required
@require_POST
def standard_import_confirm(request, pk, import_id):
    owner = _keeper_owner(request, pk)

    def done(record):
        messages.success(
            request,
            _("已建立新版本“%(standard)s”，共 %(n)s 项。") % {"standard": record.created, "n": record.rows_total},
        )
        return redirect("campaigns:standard", pk=record.created_id)

    return confirm_page(
        request,
        STANDARD_IMPORT,
        owner,
        import_id,
        lambda record, ticked: standard_xlsx.standard_import_confirm(record=record, actor=request.user, ticked=ticked),
        done=done,
    )


# --- sample quotas --------------------------------------------------------------------------


def _quota_page(request, standard, form=None, status=200):
    rows, totals = quota_rows(standard)
    keep = can_keep_standard(request.user)
    if keep and form is None:
        form = SampleQuotaForm(rows=rows)
    context = {
        "standard": standard,
        "rows": rows,
        "totals": totals,
        "bands": PopulationBand.choices,
        "form": form if keep else None,
        "can_keep": keep,
    }
    return render(request, "campaigns/sample_quotas.html", context, status=status)


@login_required
@require_GET
def sample_quotas(request, pk):
    return _quota_page(request, get_standard_for_user(request.user, pk))


@login_required
@require_POST
def sample_quotas_save_view(request, pk):
    """Save the table as typed (all of it or nothing); a refusal shows it again, kept."""
    standard = get_standard_for_user(request.user, pk, keep=True)
    rows, _totals = quota_rows(standard)
    form = SampleQuotaForm(request.POST, rows=rows)
    if not form.is_valid():
        return _quota_page(request, standard, form, status=400)
    counts = sample_quotas_save(standard=standard, actor=request.user, lines=form.lines())
    messages.success(
        request,
        _("抽样数量已保存：新增 %(a)s 项，修改 %(c)s 项，删除 %(r)s 项。")
        % {"a": counts.added, "c": counts.changed, "r": counts.removed},
    )
    return redirect("campaigns:sample-quotas", pk=standard.pk)


@login_required
@require_GET
def sample_quotas_export(request, pk):
    standard = get_standard_for_user(request.user, pk)
    name = f"{standard.name}-{standard.version}-抽样数量.xlsx"
    return _workbook(request, quota_xlsx.quota_workbook(standard), name, name)


QUOTA_IMPORT = ImportPages(
    owner="owner",
    owner_arg="pk",
    records=lambda owner: quota_xlsx.quota_imports(owner.standard),
    form=QuotaImportForm,
    columns=quota_xlsx.COLUMNS,
    title=gettext_lazy("从 Excel 导入抽样数量"),
    steps=(
        gettext_lazy("下载现有的抽样数量（也就是模板），每行一个点位类型，每列一档城市人口规模。"),
        gettext_lazy("上传改好的 .xlsx 文件。系统先逐行检查，列出每一处问题；有问题时一行也不导入。"),
        gettext_lazy("确认无误后导入。文件中没有列出的点位类型保持不变。"),
    ),
    upload_template="campaigns/quota_import.html",
    preview_template="campaigns/quota_import_preview.html",
    list_url="campaigns:sample-quotas",
    template_url="campaigns:sample-quotas-export",
    import_url="campaigns:sample-quotas-import",
    show_url="campaigns:sample-quotas-import-show",
    confirm_url="campaigns:sample-quotas-import-confirm",
    done_message=gettext_lazy("导入完成：新增 %(a)s 个点位类型，更新 %(c)s 个，未变 %(s)s 个。"),
)


@login_required
def sample_quotas_import(request, pk):
    owner = _keeper_owner(request, pk)
    upload = partial(quota_xlsx.quota_import_upload, standard=owner.standard)
    return import_page(request, QUOTA_IMPORT, owner, upload)


@login_required
@require_GET
def sample_quotas_import_show(request, pk, import_id):
    owner = _keeper_owner(request, pk)
    return show_page(request, QUOTA_IMPORT, owner, import_id, quota_xlsx.quota_import_preview)


@login_required
@require_POST
def sample_quotas_import_confirm(request, pk, import_id):
    owner = _keeper_owner(request, pk)
    return confirm_page(
        request,
        QUOTA_IMPORT,
        owner,
        import_id,
        lambda record, ticked: quota_xlsx.quota_import_confirm(record=record, actor=request.user, ticked=ticked),
    )
