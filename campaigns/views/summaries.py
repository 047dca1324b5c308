"""Monthly summaries (月度情况专报) and the ticket-list export."""

import datetime
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from campaigns.access import MANAGER_ROLES, get_district_for_user, scope_for, visible_tickets
from campaigns.filters import TicketFilter
from campaigns.models import AuditKind, MonthlySummary, Role, SubmissionKind, SummaryStatus
from campaigns.once import (
    SubmissionForm,
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from campaigns.queue import enqueue_on_commit
from campaigns.selectors.kpis import KPI_BY_KEY
from campaigns.services.monthly import (
    HEADLINE_LABELS,
    TABLE_COLUMNS,
    month_bounds,
    parse_month,
    shown_moment,
    summary_request,
)
from campaigns.services.ticket_rows import ticket_columns, ticket_header, ticket_rows
from campaigns.tasks import generate_monthly_summary
from infra.cells import CsvWriter, xlsx_append
from infra.charts import bars_svg, trend_svg
from infra.dates import last_full_month, month_label
from infra.xlsx_stream import list_sheet, save_with_rows
from security.audit import audit_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OVERSEERS = MANAGER_ROLES | {Role.LEADER}
EARLIEST_MONTH = datetime.date(2000, 1, 1)


def _require(user, district_id, roles, message):
    if not scope_for(user).has_role(district_id, roles):
        raise PermissionDenied(message)


@login_required
def summary_list(request, code):
    district = get_district_for_user(request.user, code)
    _require(request.user, district.pk, OVERSEERS, _("月度专报只对督导、管理员和领导开放。"))
    today = timezone.localdate()
    months = []
    month = today.replace(day=1)
    for _i in range(12):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    # The month this one is still filling up is offered, but the last full one is chosen.
    default_month, _last = last_full_month(today)
    return render(
        request,
        "campaigns/summary_list.html",
        {
            "district": district,
            "summaries": MonthlySummary.objects.filter(district=district).select_related("created_by")[:60],
            "months": months,
            "default_month": default_month,
            "is_admin": scope_for(request.user).has_role(district.pk, {Role.ADMIN}),
            "create_form": SubmissionForm(),
        },
    )


@login_required
@require_POST
def summary_create(request, code):
    district = get_district_for_user(request.user, code)
    _require(request.user, district.pk, {Role.ADMIN}, _("只有管理员可以生成月度专报。"))
    form = SubmissionForm(request.POST)
    kind = SubmissionKind.MONTHLY_SUMMARY
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer  # clicked twice: one new version, generated once
    try:
        month = parse_month(request.POST.get("month", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:summaries", code=district.code)
    except OverflowError:  # "99999999999999999999-1": a year too long for a date
        month = None
    if month is None or month < EARLIEST_MONTH:
        messages.error(request, _("月份要写成 YYYY-MM，例如 2026-11。"))
        return redirect("campaigns:summaries", code=district.code)
    if month > timezone.localdate():
        messages.error(request, _("不能生成还没到的月份。"))
        return redirect("campaigns:summaries", code=district.code)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect("campaigns:summaries", code=district.code)
    try:
        summary = create_once(
            request,
            form,
            kind,
            lambda: summary_request(
                district=district, month=month, actor=request.user, language=translation.get_language()
            ),
            lambda made: reverse("campaigns:summary", args=[made.pk]),
        )
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except SubmissionRefused as refused:
        messages.error(request, refused.message)
        return redirect("campaigns:summaries", code=district.code)
    # With the broker down the summary waits as 排队中 and sweep_left_work starts it later.
    enqueue_on_commit(generate_monthly_summary, summary.pk)
    return redirect("campaigns:summary", pk=summary.pk)


def _summary_for(request, pk):
    summary = get_object_or_404(
        MonthlySummary.objects.select_related("district", "created_by"),
        pk=pk,
        district_id__in=scope_for(request.user).district_ids,
    )
    _require(request.user, summary.district_id, OVERSEERS, _("月度专报只对督导、管理员和领导开放。"))
    return summary


def _table(rows, label_key):
    return [(row[label_key], [row[key] for key, _label in TABLE_COLUMNS], row.get("returns")) for row in rows]


def _kpi_rows(rows):
    """The frozen KPI rows, named in the reader's language (their values stay as frozen)."""
    return [
        {**row, "name": KPI_BY_KEY[row["key"]].name, "formula": KPI_BY_KEY[row["key"]].formula}
        if row.get("key") in KPI_BY_KEY
        else row
        for row in rows
    ]


@login_required
def summary_detail(request, pk):
    summary = _summary_for(request, pk)
    figures = summary.figures or {}
    context = {
        "summary": summary,
        "figures": figures,
        "table_columns": [label for _key, label in TABLE_COLUMNS],
        # For the document links: 印发 is the admin's, the 整改报告 covers the month's tickets.
        "is_admin": scope_for(request.user).has_role(summary.district_id, {Role.ADMIN}),
        "month_end": month_bounds(summary.month)[1] - datetime.timedelta(days=1),
    }
    if summary.status == SummaryStatus.DONE:
        headline = figures["headline"]
        trend = [(datetime.date.fromisoformat(day), found, closed) for day, found, closed in figures["trend"]]
        areas = {}
        for row in figures["by_category"]:
            key = row["area__name"]
            areas[key] = areas.get(key, 0) + row["found"]
        context.update(
            {
                "generated_at": shown_moment(figures["generated_at"]),
                "kpis": _kpi_rows(figures.get("kpis") or []),
                "headline": [(label, headline.get(key)) for key, label in HEADLINE_LABELS],
                "trend_chart": trend_svg(
                    trend,
                    width=640,
                    height=160,
                    title=_("本月每日发现与销号"),
                    found_label=_("发现"),
                    closed_label=_("销号"),
                ),
                "area_chart": bars_svg(sorted(areas.items(), key=lambda pair: -pair[1]), title=_("各测评类别问题数")),
                "streets": _table(figures["by_street"], "name"),
                "units": _table(figures["by_unit"], "name"),
            }
        )
    return render(request, "campaigns/summary_detail.html", context)


@login_required
@require_GET
def summary_progress(request, pk):
    summary = _summary_for(request, pk)
    return JsonResponse({"status": summary.status, "progress": summary.progress, "error": summary.error})


@login_required
@require_GET
def summary_download(request, pk):
    summary = _summary_for(request, pk)
    if summary.status != SummaryStatus.DONE or not summary.file:
        raise Http404(_("这份专报还没有生成完。"))
    name = _("%(district)s%(month)s月度情况专报-第%(v)s版.xlsx") % {
        "district": summary.district.name,
        "month": month_label(summary.month),
        "v": summary.version,
    }
    audit_record(AuditKind.DOWNLOAD, request=request, district=summary.district_id, target=name)
    return FileResponse(summary.file.open("rb"), as_attachment=True, filename=name, content_type=XLSX)


@login_required
@require_GET
def ticket_export(request, fmt):
    """The ticket list as filtered on the page, as .xlsx or CSV (UTF-8 with BOM for Excel)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    tickets = visible_tickets(request.user)
    ticket_filter = TicketFilter(request.GET or None, queryset=tickets, user=request.user)
    queryset = ticket_filter.qs
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    scope = scope_for(request.user)
    audit_record(AuditKind.EXPORT, request=request, target=f"tickets.{fmt}", query=request.GET.urlencode()[:500])
    if fmt == "csv":
        writer = CsvWriter()

        def stream():
            yield "\ufeff"
            yield writer.writerow(ticket_header(contacts=True))
            for row in ticket_rows(queryset, scope=scope):
                yield writer.writerow(
                    [
                        value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime.datetime) else value
                        for value in row
                    ]
                )

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.csv"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("台账"))
    for index, (_label, width) in enumerate(ticket_columns(contacts=True)):
        sheet.column_dimensions[chr(65 + index)].width = width
    list_sheet(sheet, columns=len(ticket_columns(contacts=True)))
    xlsx_append(sheet, ticket_header(contacts=True))
    handle = tempfile.TemporaryFile()
    save_with_rows(
        workbook, sheet, ticket_rows(queryset, scope=scope), handle, columns=len(ticket_columns(contacts=True))
    )
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"tickets-{stamp}.xlsx", content_type=XLSX)
