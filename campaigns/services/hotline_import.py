"""The hotline's .xlsx export (工单导出): read, checked row by row, previewed; the import is the
workflow's (campaigns/workflow/hotline.py), every row or none.

A row whose 工单号 the ledger knows updates that 工单 (content, 回访结果) and never adds a
ticket; a new one must map to a category and a street, as a push must.
"""

from django.contrib.auth.models import User
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import HotlineImport, HotlineOrder, HotlineSettings, OrgUnit

from .hotline import Mappings, order_data
from .xlsx_import import (
    Check,
    Column,
    ImportPreview,
    Layout,
    SheetRows,
    read_upload,
    record_preview,
    record_upload,
    start_preview,
    start_row,
    template_bytes,
)

COLUMNS = [
    Column("order_no", gettext_lazy("工单号"), True, ("工单编号",), 20),
    Column("called_at", gettext_lazy("来电时间"), True, ("受理时间",), 18, gettext_lazy("如 2026-12-04 09:30")),
    Column("kind", gettext_lazy("诉求类型"), False, ("问题类型",), 16),
    Column("content", gettext_lazy("诉求内容"), True, ("工单内容",), 40),
    Column("street", gettext_lazy("所属街道"), True, ("街道",), 14),
    Column("address", gettext_lazy("地址"), False, ("事发地址",), 24),
    Column("time_limit_days", gettext_lazy("办理时限"), False, (), 10, gettext_lazy("工作日数，如 5")),
    Column("visit_result", gettext_lazy("回访结果"), False, ("满意度",), 10, gettext_lazy("满意、基本满意或不满意")),
]
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("12345工单"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留工单一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有工单行。"),
)


def hotline_read(uploaded: File) -> SheetRows:
    return read_upload(uploaded, LAYOUT)


def hotline_template() -> bytes:
    example = ["12345-20261204-0001", "2026-12-04 09:30", "垃圾清运", "小区门口垃圾堆放多日无人清理", "", "", 5, ""]
    return template_bytes(LAYOUT, [example])


def hotline_import_check(sheet: SheetRows, settings: HotlineSettings) -> ImportPreview:
    """Each row read as a 工单 and checked against the district as it is now; nothing is written."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    mappings = Mappings(settings)
    numbers = [str(raw.get("order_no") or "").strip() for _number, raw in sheet.rows]
    known = {
        order.order_no: order
        for order in HotlineOrder.objects.filter(district_id=settings.district_id, order_no__in=numbers)
    }
    seen: dict[str, int] = {}
    for number, raw in sheet.rows:
        row = start_row(number, raw, LAYOUT)
        data = order_data(raw)
        if data.order_no in seen:
            row.error("order_no", _("工单号与第 %(row)s 行重复。") % {"row": seen[data.order_no]})
        seen.setdefault(data.order_no, number)
        order = known.get(data.order_no)
        if order is None:  # a new 工单 must map; every problem of the row is named at once
            category, street = mappings.check(data)
            if category is not None and street is not None:
                row.note = f"{category.name} · {street.name}"
        for key, message in data.errors.items():
            if key not in row.errors:  # an empty required cell is said once, by start_row
                row.error(key, message)
        row.cleaned["raw"] = dict(raw)
        if not row.errors:
            if order is None:
                row.action = "add"
            else:
                visit_same = not data.visit_result or data.visit_result == order.visit_result
                same = data.content == order.content and visit_same
                row.action = "same" if same else "change"
        preview.rows.append(row)
    return preview


def hotline_import_upload(
    *, district: OrgUnit, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[HotlineImport, ImportPreview]:
    record = HotlineImport(district=district, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(district), sheet=sheet)


def _check(district: OrgUnit) -> Check:
    settings = HotlineSettings.objects.get(district=district)
    return lambda sheet: hotline_import_check(sheet, settings)


def hotline_import_preview(record: HotlineImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record.district))
