"""Workbooks people print: written row by row in openpyxl's write-only mode."""

import datetime
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from campaigns.models import AssessmentArea, Campaign, ChecklistItem
from campaigns.selectors.scoring import RISK_RULES_TEXT, area_scores, total_score
from infra.cells import Cell, xlsx_append, xlsx_cell
from infra.xlsx_stream import list_sheet

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

SCORING_COLUMNS = [
    (gettext_lazy("测评类别"), 14),
    (gettext_lazy("任务编号"), 8),
    (gettext_lazy("任务要求"), 48),
    (gettext_lazy("分值"), 7),
    (gettext_lazy("牵头单位"), 13),
    (gettext_lazy("配合单位"), 18),
    (gettext_lazy("完成时限"), 11),
    (gettext_lazy("状态"), 8),
    (gettext_lazy("自评分"), 7),
    (gettext_lazy("风险分"), 7),
]


def _cell(
    sheet: Any,  # a write-only worksheet (openpyxl keeps its class private)
    value: object,
    *,
    bold: bool = False,
    fill: str | None = None,
    align: Alignment = WRAP,
    number_format: str | None = None,
) -> Cell:
    cell = xlsx_cell(sheet, value)
    cell.font = Font(bold=bold, size=10)
    cell.border = BOX
    cell.alignment = align
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if number_format:
        cell.number_format = number_format
    return cell


def scoring_sheet_rows(
    items: Sequence[ChecklistItem], areas: Sequence[AssessmentArea], today: datetime.date
) -> Iterator[tuple[str, Any]]:
    """Yield ("item", item) and ("subtotal", AreaScore) in print order, then ("total", AreaScore)."""
    scores = area_scores(items, areas, today)
    by_area: dict[int, list[ChecklistItem]] = {}
    for item in items:
        by_area.setdefault(item.area_id, []).append(item)
    for score in scores:
        if not score.items or score.area is None:
            continue
        for item in by_area[score.area.pk]:
            yield "item", item
        yield "subtotal", score
    yield "total", total_score(scores)


def scoring_sheet_workbook(
    campaign: Campaign,
    items: Sequence[ChecklistItem],
    areas: Sequence[AssessmentArea],
    today: datetime.date | None = None,
) -> IO[bytes]:
    """The 任务分解及赋分表 as an office prints it (A4 landscape, header repeated on each page).

    Returns a temporary file positioned at the start; the caller streams and closes it.
    """
    today = today or timezone.localdate()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("赋分表"))
    for index, (_label, width) in enumerate(SCORING_COLUMNS, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "3:3"
    rows = list(scoring_sheet_rows(items, areas, today))
    # The title and the export date above the header (row 3); filters over the tasks and subtotals.
    list_sheet(sheet, columns=len(SCORING_COLUMNS), header_row=3, last_row=3 + len(rows))

    title = _("%(district)s %(campaign)s 任务分解及赋分表") % {
        "district": campaign.district.name,
        "campaign": campaign.name,
    }
    xlsx_append(sheet, [_cell(sheet, title, bold=True, align=Alignment(vertical="center"))])
    xlsx_append(sheet, [_("导出日期：%(d)s　风险分按表尾规则计算") % {"d": today.isoformat()}])
    xlsx_append(
        sheet, [_cell(sheet, str(label), bold=True, fill="D9E7E1", align=CENTER) for label, _w in SCORING_COLUMNS]
    )
    for kind, row in rows:
        if kind == "item":
            item = row
            xlsx_append(
                sheet,
                [
                    _cell(sheet, f"{item.area.code} {item.area.name}"),
                    _cell(sheet, item.code),
                    _cell(sheet, item.requirement),
                    _cell(sheet, float(item.full_score), number_format="0.0#"),
                    _cell(sheet, item.lead_unit.name if item.lead_unit else ""),
                    _cell(sheet, "、".join(unit.name for unit in item.cooperating_units.all())),
                    _cell(sheet, item.deadline, number_format="yyyy-mm-dd"),
                    _cell(sheet, item.get_status_display()),
                    _cell(sheet, float(item.self_score) if item.self_score is not None else None, number_format="0.0#"),
                    _cell(sheet, float(item.points_at_risk), number_format="0.0#"),
                ],
            )
        else:
            score = row
            label = _("合计") if kind == "total" else _("%(area)s 小计") % {"area": score.area.name}
            fill = "F2D7A6" if kind == "total" else "EEF2F0"
            xlsx_append(
                sheet,
                [
                    _cell(sheet, label, bold=True, fill=fill),
                    _cell(sheet, "", fill=fill),
                    _cell(
                        sheet,
                        _("%(n)s 项任务，完成 %(done)s 项，进度 %(p)s%%")
                        % {"n": score.items, "done": score.done, "p": score.progress},
                        fill=fill,
                    ),
                    _cell(sheet, float(score.full_score), bold=True, fill=fill, number_format="0.0#"),
                    *[_cell(sheet, "", fill=fill) for _i in range(4)],
                    _cell(sheet, float(score.self_score), bold=True, fill=fill, number_format="0.0#"),
                    _cell(sheet, float(score.at_risk), bold=True, fill=fill, number_format="0.0#"),
                ],
            )
    xlsx_append(sheet, [])
    xlsx_append(sheet, [_("风险分规则：")])
    for rule in RISK_RULES_TEXT:
        xlsx_append(sheet, [str(rule)])
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(handle)
    handle.seek(0)
    return handle
