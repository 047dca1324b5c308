"""The monthly summary (月度情况专报): figures frozen when generated, and the workbook behind them.

Figures are computed once and stored on the MonthlySummary row; the printable page reads
them from there, so the report an office sent upward never moves when tickets change
later. The 台账明细 sheet streams rows from the database into openpyxl's write-only
workbook on disk, so memory stays flat however many tickets the month holds.
"""

import datetime
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import IO, Any, NotRequired, TypedDict

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from campaigns.models import (
    CLOCK_STATES,
    OPEN_STATES,
    Campaign,
    CampaignStatus,
    MonthlySummary,
    OrgUnit,
    SummaryStatus,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketState,
)
from campaigns.selectors.checklist import checklist_area_scores
from campaigns.selectors.common import Median, day_start, median_days, median_supported, time_to_close
from campaigns.selectors.daily_reports import report_compliance
from campaigns.selectors.kpis import kpi_panel
from campaigns.workdays import calendar_basis
from infra.cells import xlsx_append, xlsx_cell
from infra.dates import month_label
from infra.xlsx_stream import list_sheet, save_with_rows

from .ticket_rows import TICKET_COLUMNS, ticket_header, ticket_rows

PROGRESS_EVERY = 2000
# A write-only worksheet (openpyxl keeps its class private).
Sheet = Any


class Headline(TypedDict):
    found: int
    voided: int
    closed_of_found: int
    open_of_found: int
    overdue_of_found: int
    closure_rate: float | None
    close_outs_in_month: int
    returns_in_month: int
    reopens_in_month: int
    median_days_to_close: float | None
    open_in_district: int
    overdue_in_district: int
    assigned_in_district: int
    on_hold_in_district: int


class KpiRow(TypedDict):
    key: str
    name: str
    formula: str
    value: str  # as shown: "66.7%", "4.0" (working days) or "—"


class ReportRow(TypedDict):
    name: str
    due: int
    on_time: int
    late: int
    missing: int
    rate: float | None


class ScoreRow(TypedDict):
    area: str
    full_score: float
    self_score: float
    at_risk: float
    progress: float
    overdue_tasks: int


class SummaryFigures(TypedDict):
    """What a summary freezes on its row (MonthlySummary.figures), as JSON."""

    district: str
    campaign: str
    month: str  # 2026-11
    generated_at: str
    headline: Headline
    by_category: list[dict[str, Any]]  # area and category, with the counts of TABLE_COLUMNS
    by_street: list[dict[str, Any]]  # name, the counts of TABLE_COLUMNS, returns
    by_unit: list[dict[str, Any]]
    reports: list[ReportRow]
    scores: list[ScoreRow]
    trend: list[list[str | int]]  # [ISO day, found, closed]
    kpis: list[KpiRow]  # the field's KPIs over the month (selectors/kpis.py)
    composite: float | None  # weighted as the campaign decided
    # Which holiday schedule the month's working days were counted on (平均处置时长, 日报);
    # summaries made before it was kept do not say.
    calendar_basis: NotRequired[str]


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following


def parse_month(text: str) -> datetime.date:
    """'2026-11' → date(2026, 11, 1); raises ValueError with a clear message otherwise."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, AttributeError):
        raise ValueError(_("月份要写成 YYYY-MM，例如 2026-11。")) from None


def summary_request(
    *, district: OrgUnit, month: datetime.date, actor: User, language: str = settings.LANGUAGE_CODE
) -> MonthlySummary:
    """A new version for the month, queued; earlier versions stay as they were. `language` is the
    one it was asked for in: the worker writes the workbook in it."""
    with transaction.atomic():
        latest = (
            MonthlySummary.objects.select_for_update()
            .filter(district=district, month=month)
            .aggregate(v=Max("version"))["v"]
        )
        campaign = (
            Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING).order_by("-start_date").first()
        )
        return MonthlySummary.objects.create(
            district=district,
            campaign=campaign,
            month=month,
            version=(latest or 0) + 1,
            created_by=actor,
            language=language,
        )


def _rows(queryset: QuerySet[Ticket], key: str, today: datetime.date) -> dict[Any, dict[str, Any]]:
    open_q = Q(state__in=OPEN_STATES)
    return {
        row[key]: row
        for row in queryset.values(key).annotate(
            found=Count("id"),
            closed=Count("id", filter=Q(state=TicketState.CLOSED)),
            open=Count("id", filter=open_q),
            overdue=Count("id", filter=open_q & Q(deadline__lt=today)),
        )
    }


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def summary_figures(
    district: OrgUnit,
    month: datetime.date,
    campaign: Campaign | None = None,
    now: datetime.datetime | None = None,
) -> SummaryFigures:
    """Every figure of the summary, JSON-ready. Tickets 'of the month' are those found in it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first, following = month_bounds(month)
    start, end = day_start(first), day_start(following)
    all_tickets = Ticket.objects.filter(district=district)
    month_tickets = all_tickets.filter(reported_at__gte=start, reported_at__lt=end)
    real = month_tickets.exclude(state=TicketState.VOIDED)
    events = TicketEvent.objects.filter(ticket__district=district, at__gte=start, at__lt=end)

    counts = real.aggregate(
        found=Count("id"),
        closed=Count("id", filter=Q(state=TicketState.CLOSED)),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
    )
    voided = month_tickets.filter(state=TicketState.VOIDED).count()
    event_counts = dict(
        events.filter(action__in=[TicketAction.CLOSE_OUT, TicketAction.RETURN, TicketAction.REOPEN])
        .values_list("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    closed_in_month = all_tickets.filter(state=TicketState.CLOSED, closed_at__gte=start, closed_at__lt=end)
    if median_supported():
        value = closed_in_month.aggregate(m=Median(time_to_close()))["m"]
        median = round(value.total_seconds() / 86400, 1) if value is not None else None
    else:
        median = median_days(closed_in_month.annotate(took=time_to_close()).values_list("took", flat=True))
    district_now = all_tickets.aggregate(
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
        assigned=Count("id", filter=Q(state=TicketState.ASSIGNED)),
        on_hold=Count("id", filter=Q(state=TicketState.ON_HOLD)),
    )
    headline: Headline = {
        "found": counts["found"],
        "voided": voided,
        "closed_of_found": counts["closed"],
        "open_of_found": counts["open"],
        "overdue_of_found": counts["overdue"],
        "closure_rate": _rate(counts["closed"], counts["found"]),
        "close_outs_in_month": event_counts.get(TicketAction.CLOSE_OUT, 0),
        "returns_in_month": event_counts.get(TicketAction.RETURN, 0),
        "reopens_in_month": event_counts.get(TicketAction.REOPEN, 0),
        "median_days_to_close": median,
        "open_in_district": district_now["open"],
        "overdue_in_district": district_now["overdue"],
        "assigned_in_district": district_now["assigned"],
        "on_hold_in_district": district_now["on_hold"],
    }

    by_category: list[dict[str, Any]] = []
    for row in (
        real.values("area__code", "area__name", "category__name")
        .annotate(
            found=Count("id"),
            closed=Count("id", filter=Q(state=TicketState.CLOSED)),
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            overdue=Count("id", filter=Q(state__in=CLOCK_STATES, deadline__lt=today)),
        )
        .order_by("area__code", "-found", "category__name")
    ):
        row["closure_rate"] = _rate(row["closed"], row["found"])
        by_category.append(row)

    returns_by: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for field in ("street", "responsible_unit"):
        returns_by[field] = dict(
            events.filter(action=TicketAction.RETURN)
            .values_list(f"ticket__{field}__name")
            .annotate(n=Count("id"))
            .values_list(f"ticket__{field}__name", "n")
        )

    def table(key: str) -> list[dict[str, Any]]:
        rows = []
        for name, row in sorted(_rows(real, key, today).items(), key=lambda pair: -pair[1]["found"]):
            if name is None:
                continue
            row.pop(key)
            rows.append(
                {
                    "name": name,
                    **row,
                    "closure_rate": _rate(row["closed"], row["found"]),
                    "returns": returns_by[key.split("__")[0]].get(name, 0),
                }
            )
        return rows

    found_days = dict(
        real.annotate(day=TruncDate("reported_at")).values_list("day").annotate(n=Count("id")).values_list("day", "n")
    )
    closed_days = dict(
        events.filter(action=TicketAction.CLOSE_OUT)
        .annotate(day=TruncDate("at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    trend: list[list[str | int]] = []
    day = first
    while day < following and day <= today:
        trend.append([day.isoformat(), found_days.get(day, 0), closed_days.get(day, 0)])
        day += datetime.timedelta(days=1)

    reports: list[ReportRow] = []
    scores: list[ScoreRow] = []
    if campaign is not None:
        last = min(following - datetime.timedelta(days=1), today)
        for row in report_compliance(campaign, first, last, now=now):
            reports.append(
                {
                    "name": row.duty.name,
                    "due": row.due,
                    "on_time": row.on_time,
                    "late": row.late,
                    "missing": row.missing,
                    "rate": row.rate,
                }
            )
        area_scores, total = checklist_area_scores(campaign, today=today)
        for score in [*area_scores, total] if area_scores else []:
            scores.append(
                {
                    "area": f"{score.area.code} {score.area.name}" if score.area else _("合计"),
                    "full_score": float(score.full_score),
                    "self_score": float(score.self_score),
                    "at_risk": float(score.at_risk),
                    "progress": score.progress,
                    "overdue_tasks": score.overdue_tasks,
                }
            )
    kpis = kpi_panel(
        district, first, following - datetime.timedelta(days=1), campaign.kpi_weights if campaign else None
    )
    return {
        "district": district.name,
        "campaign": campaign.name if campaign else "",
        "month": first.strftime("%Y-%m"),
        "generated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "headline": headline,
        "by_category": by_category,
        "by_street": table("street__name"),
        "by_unit": table("responsible_unit__name"),
        "reports": reports,
        "scores": scores,
        "trend": trend,
        "kpis": [
            {"key": kpi.key, "name": str(kpi.name), "formula": str(kpi.formula), "value": value}
            for kpi, value in kpis.rows
        ],
        "composite": kpis.composite,
        "calendar_basis": calendar_basis(first, following - datetime.timedelta(days=1)),
    }


# Lazy: each reader (and each summary's worker) gets them in their own language.
HEADLINE_LABELS = [
    ("found", gettext_lazy("本月发现问题（件）")),
    ("closed_of_found", gettext_lazy("其中已销号")),
    ("open_of_found", gettext_lazy("其中未办结")),
    ("overdue_of_found", gettext_lazy("其中已逾期")),
    ("closure_rate", gettext_lazy("销号率（%）")),
    ("close_outs_in_month", gettext_lazy("本月销号（含以前月份发现，次）")),
    ("median_days_to_close", gettext_lazy("本月销号问题办结天数（中位）")),
    ("returns_in_month", gettext_lazy("本月退回（次）")),
    ("reopens_in_month", gettext_lazy("本月反弹（次）")),
    ("voided", gettext_lazy("本月撤销（件）")),
    ("open_in_district", gettext_lazy("截至生成时全区未办结（件）")),
    ("overdue_in_district", gettext_lazy("截至生成时全区逾期（件）")),
    ("assigned_in_district", gettext_lazy("截至生成时全区待签收（件）")),
    ("on_hold_in_district", gettext_lazy("截至生成时全区挂账（件）")),
]
TABLE_COLUMNS = [
    ("found", gettext_lazy("发现")),
    ("closed", gettext_lazy("已销号")),
    ("open", gettext_lazy("未办结")),
    ("overdue", gettext_lazy("逾期")),
    ("closure_rate", gettext_lazy("销号率（%）")),
]


def _header(sheet: Sheet, labels: Iterable[object]) -> None:
    cells = []
    for label in labels:
        cell = xlsx_cell(sheet, str(label))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E7E1")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        cells.append(cell)
    xlsx_append(sheet, cells)


def _title(sheet: Sheet, text: str) -> None:
    cell = xlsx_cell(sheet, text)
    cell.font = Font(bold=True, size=14)
    xlsx_append(sheet, [cell])


def write_workbook(
    summary: MonthlySummary,
    figures: Mapping[str, Any],
    handle: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Six sheets; the last one streamed from the database. Returns the number of ticket rows."""
    workbook = Workbook(write_only=True)
    title = _("%(district)s %(month)s 创卫工作情况专报") % {
        "district": figures["district"],
        "month": month_label(summary.month),
    }

    sheet = workbook.create_sheet(_("汇总"))
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 16
    # The title and the version's facts above the figures (rows 1–5), the figures' header on row 6.
    list_sheet(sheet, columns=2, header_row=6, last_row=6 + len(HEADLINE_LABELS))
    _title(sheet, title)
    xlsx_append(sheet, [_("活动"), figures["campaign"]])
    generated = xlsx_cell(sheet, shown_moment(figures["generated_at"]))
    generated.number_format = "yyyy-mm-dd hh:mm"
    xlsx_append(sheet, [_("生成时间"), generated])
    xlsx_append(sheet, [_("版本"), summary.version])
    xlsx_append(sheet, [])
    _header(sheet, [_("指标"), _("数值")])
    for key, label in HEADLINE_LABELS:
        xlsx_append(sheet, [str(label), figures["headline"].get(key)])
    if figures.get("kpis"):
        xlsx_append(sheet, [])
        _header(sheet, [_("考核指标"), _("本月"), _("口径")])
        for row in figures["kpis"]:
            xlsx_append(sheet, [row["name"], row["value"], row["formula"]])
        xlsx_append(sheet, [str(_("加权综合指数")), figures.get("composite")])
        if figures.get("calendar_basis"):
            xlsx_append(sheet, [figures["calendar_basis"]])

    sheet = workbook.create_sheet(_("按类别"))
    for letter, width in zip("ABCDEFGH", (16, 30, 8, 8, 8, 8, 10), strict=False):
        sheet.column_dimensions[letter].width = width
    list_sheet(sheet, columns=2 + len(TABLE_COLUMNS), last_row=1 + len(figures["by_category"]))
    _header(sheet, [_("测评类别"), _("问题类别"), *(label for _k, label in TABLE_COLUMNS)])
    for row in figures["by_category"]:
        xlsx_append(
            sheet,
            [
                f"{row['area__code']} {row['area__name']}",
                row["category__name"],
                *(row[key] for key, _label in TABLE_COLUMNS),
            ],
        )

    for name, key, heading in ((_("按街道"), "by_street", _("街道/乡镇")), (_("按责任单位"), "by_unit", _("责任单位"))):
        sheet = workbook.create_sheet(name)
        sheet.column_dimensions["A"].width = 18
        list_sheet(sheet, columns=2 + len(TABLE_COLUMNS), last_row=1 + len(figures[key]))
        _header(sheet, [heading, *(text for _k, text in TABLE_COLUMNS), _("退回（次）")])
        for row in figures[key]:
            xlsx_append(sheet, [row["name"], *(row[k] for k, _t in TABLE_COLUMNS), row["returns"]])

    sheet = workbook.create_sheet(_("日报情况"))
    sheet.column_dimensions["A"].width = 18
    list_sheet(sheet, columns=6, last_row=1 + len(figures["reports"]))
    _header(sheet, [_("报送单位"), _("应报"), _("按时"), _("迟报"), _("未报"), _("按时率（%）")])
    for row in figures["reports"]:
        xlsx_append(sheet, [row["name"], row["due"], row["on_time"], row["late"], row["missing"], row["rate"]])

    sheet = workbook.create_sheet(_("台账明细"))
    for index, (_label, width) in enumerate(TICKET_COLUMNS):
        sheet.column_dimensions[chr(65 + index)].width = width
    list_sheet(sheet, columns=len(TICKET_COLUMNS))
    _header(sheet, ticket_header())
    first, following = month_bounds(summary.month)
    tickets = Ticket.objects.filter(
        district=summary.district, reported_at__gte=day_start(first), reported_at__lt=day_start(following)
    )
    return save_with_rows(
        workbook,
        sheet,
        ticket_rows(tickets),
        handle,
        columns=len(TICKET_COLUMNS),
        on_row=progress,
        chunk=PROGRESS_EVERY,
    )


def shown_moment(iso: str) -> datetime.datetime:
    """A frozen ISO instant ("2026-12-04T10:17:03+08:00") as the local, naive minute a person
    reads and Excel stores (2026-12-04 10:17)."""
    moment = datetime.datetime.fromisoformat(iso)
    if timezone.is_aware(moment):
        moment = timezone.make_naive(moment)
    return moment.replace(second=0, microsecond=0)


def summary_generate(summary: MonthlySummary) -> MonthlySummary:
    """Compute, freeze and write one version. Safe to call twice: a finished version is left alone.
    Its words (sheet names, labels, KPI names) are in the language it was asked for in."""
    summary = MonthlySummary.objects.select_related("district", "campaign").get(pk=summary.pk)
    with translation.override(summary.language or settings.LANGUAGE_CODE):
        return _generate(summary)


def _generate(summary: MonthlySummary) -> MonthlySummary:
    if summary.status == SummaryStatus.DONE:
        return summary
    first, following = month_bounds(summary.month)
    total = Ticket.objects.filter(
        district=summary.district, reported_at__gte=day_start(first), reported_at__lt=day_start(following)
    ).count()
    claimed = MonthlySummary.objects.filter(
        pk=summary.pk, status__in=(SummaryStatus.QUEUED, SummaryStatus.FAILED)
    ).update(status=SummaryStatus.RUNNING, progress=5, ticket_count=total)
    if not claimed:
        return summary  # another worker is generating it (a re-sent message)
    figures = _jsonable(summary_figures(summary.district, summary.month, summary.campaign))
    MonthlySummary.objects.filter(pk=summary.pk).update(progress=15)

    def progress(written: int) -> None:
        share = 15 + int(80 * written / max(total, 1))
        MonthlySummary.objects.filter(pk=summary.pk).update(progress=min(share, 95))

    descriptor, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(descriptor)
    try:
        with open(path, "wb") as handle:
            write_workbook(summary, figures, handle, progress)
        with open(path, "rb") as saved:
            summary.file.save(f"{summary.month:%Y%m}.xlsx", File(saved), save=False)
    finally:
        os.unlink(path)
    summary.figures = figures
    summary.status = SummaryStatus.DONE
    summary.progress = 100
    summary.ticket_count = total
    summary.finished_at = timezone.now()
    summary.error = ""
    summary.save(update_fields=["file", "figures", "status", "progress", "ticket_count", "finished_at", "error"])
    return summary


def summary_failed(summary_id: int, error: object) -> None:
    MonthlySummary.objects.filter(pk=summary_id).update(status=SummaryStatus.FAILED, error=str(error)[:4000])


def _jsonable(value: object) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@shared_task(name="campaigns.tasks.generate_monthly_summary")
def generate_monthly_summary(summary_id: int) -> int:
    try:
        return summary_generate(MonthlySummary.objects.get(pk=summary_id)).pk
    except Exception as exc:
        summary_failed(summary_id, exc)
        raise
