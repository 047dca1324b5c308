"""The 问题清单 import pages: upload (or paste) a city's or province's list for a round, preview
each row with what it matches, correct the suggestions, import it whole.

Who: a district's supervisors and admins (their district's rows), a city office's admins (a
city round's rows, each to the district of its street). The rounds pages link here with
?round=<id>; with no round chosen, the page makes the round from a few facts of the letter.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import get_problem_list_import_for_user, problem_list_rounds, require_problem_list_importer
from campaigns.forms.problem_list import ProblemListForm, posted_choices
from campaigns.models import ImportStatus, ProblemListImport, UnitKind
from campaigns.services.problem_list import NONE, problem_list_preview, problem_list_upload, round_from
from campaigns.services.problem_list_read import COLUMNS, template_workbook
from campaigns.workflow.problem_list import problem_list_confirm

from .imports import template_download

HISTORY = 20


def _initial(request, offices):
    """?round= (from a round's page) and ?office= preselect, when they are this person's."""
    initial = {"office": offices[0].pk if offices else None}
    wanted = {str(office.pk): office for office in offices}
    if request.GET.get("office") in wanted:
        initial["office"] = wanted[request.GET["office"]].pk
    round_id = request.GET.get("round", "")
    if round_id.isascii() and round_id.isdigit() and len(round_id) < 18:
        for office in offices:
            if problem_list_rounds(office).filter(pk=int(round_id)).exists():
                initial.update(office=office.pk, inspection_round=int(round_id))
                break
    return initial


@login_required
def problem_list_import(request):
    offices = require_problem_list_importer(request.user)
    status = 200
    if request.method == "POST":
        form = ProblemListForm(request.POST, request.FILES, offices=offices)
        if form.is_valid():
            data = form.cleaned_data
            record, preview = problem_list_upload(
                office=data["office"],
                actor=request.user,
                sheet=form.sheet,
                uploaded=data["file"] or None,
                pasted=data["pasted"],
                photos=data["photos"],
                inspection_round=data["inspection_round"],
                new_round=form.new_round(),
            )
            return _preview_page(request, record, preview, status=200 if preview.is_clean else 400)
        status = 400
    else:
        form = ProblemListForm(offices=offices, initial=_initial(request, offices))
    history = (
        ProblemListImport.objects.filter(office__in=offices)
        .select_related("office", "inspection_round", "uploaded_by")
        .order_by("-uploaded_at", "-id")[:HISTORY]
    )
    return render(
        request,
        "campaigns/problem_list_import.html",
        {"form": form, "history": history, "columns": COLUMNS, "max_rows": settings.IMPORT_MAX_ROWS},
        status=status,
    )


@login_required
@require_GET
def problem_list_template(request):
    require_problem_list_importer(request.user)
    return template_download(template_workbook(), "problem-list-template.xlsx")


@dataclass(frozen=True)
class Select:
    """One of a preview row's selects, ready to render: the row's suggestions first (with why),
    then the rest under 其他; "?" is nothing chosen yet, "0" is none (不交办 …)."""

    name: str
    label: str
    choices: list[tuple[str, str, bool]]
    others: list[tuple[str, str, bool]]
    why: str = ""  # why the chosen option was suggested


SELECTS = (
    # key, aria label, what "none" says (or None), a placeholder when nothing is chosen
    ("point", gettext_lazy("点位"), gettext_lazy("— 不对应点位 —"), False),
    ("street", gettext_lazy("街道"), None, True),
    ("unit", gettext_lazy("责任单位"), gettext_lazy("— 不交办（待交办）—"), True),
    ("item", gettext_lazy("项"), gettext_lazy("— 不对应项 —"), False),
    ("category", gettext_lazy("问题类别"), None, True),
)


def _selects(row):
    selects = {}
    for key, label, none_label, placeholder in SELECTS:
        chosen = row.chosen.get(key)
        # A unit left empty in the list is 待交办 already: nothing to choose.
        waiting = chosen is None and placeholder and (key != "unit" or row.values.get("unit"))
        choices = [("?", _("— 请选择 —"), True)] if waiting else []
        if none_label is not None:
            choices.append((str(NONE), str(none_label), chosen == NONE or (chosen is None and not waiting)))
        for option in row.options.get(key, []):
            text = f"{option.label}（{option.note}）" if option.note else option.label
            choices.append((str(option.pk), text, option.pk == chosen))
        others = [(str(option.pk), option.label, option.pk == chosen) for option in row.others.get(key, [])]
        why = next((option.note for option in row.options.get(key, []) if option.pk == chosen), "")
        selects[key] = Select(f"r{row.number}-{key}", f"{label}（{row.number}）", choices, others, why)
    return selects


def _preview_page(request, record, preview, status=200):
    inspection_round = round_from(record)
    findings = []
    if preview is None and record.status == ImportStatus.DONE:
        findings = record.findings.select_related("ticket", "district", "item", "category").order_by(
            "district__order", "district_id", "serial"
        )
    rows = [(row, _selects(row)) for row in preview.rows] if preview is not None else []
    context = {
        "record": record,
        "preview": preview,
        "rows": rows,
        "assigned": sum(1 for row, _selects in rows if not row.errors and row.cleaned.get("unit") is not None),
        "waiting": sum(1 for row, _selects in rows if not row.errors and row.cleaned.get("unit") is None),
        "inspection_round": inspection_round,
        "is_city": record.office.kind == UnitKind.CITY,
        "findings": findings,
        "none": NONE,
        "confirm_url": reverse("campaigns:problem-list-confirm", args=[record.pk]),
        "again_url": reverse("campaigns:problem-list-import"),
    }
    return render(request, "campaigns/problem_list_preview.html", context, status=status)


@login_required
@require_GET
def problem_list_show(request, import_id):
    record = get_problem_list_import_for_user(request.user, import_id)
    preview = problem_list_preview(record) if record.status == ImportStatus.PREVIEW else None
    return _preview_page(request, record, preview)


@login_required
@require_POST
def problem_list_confirm_view(request, import_id):
    """确认导入, or 重新检查 with the choices made in the preview's selects (action=check)."""
    record = get_problem_list_import_for_user(request.user, import_id)
    show_url = reverse("campaigns:problem-list-show", args=[record.pk])
    if record.status != ImportStatus.PREVIEW:
        messages.error(
            request, _("这份清单已经处理过了（%(status)s），没有再次导入。") % {"status": record.get_status_display()}
        )
        return redirect(show_url)
    choices = posted_choices(request.POST)
    if request.POST.get("action") == "check":
        preview = problem_list_preview(record, choices)
        return _preview_page(request, record, preview, status=200 if preview.is_clean else 400)
    preview = problem_list_confirm(record=record, actor=request.user, choices=choices)
    if not preview.is_clean or record.status != ImportStatus.DONE:
        return _preview_page(request, record, preview, status=409)
    messages.success(
        request,
        _("导入完成：%(n)s 个问题已生成工单，归入“%(round)s”。") % {"n": record.rows_added, "round": record.round_name},
    )
    return redirect(show_url)
