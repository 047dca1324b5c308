"""The checklist workbook: a template to fill, a preview of every problem, an all-or-nothing import.

Offices keep their 任务分解及赋分表 in Excel. The template's columns are COLUMNS; a file is
read fully and checked row by row and column by column before anything is written, and
importing again updates tasks by their code instead of adding them twice.
"""

import datetime
import re
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils.datetime import from_excel

from campaigns.models import (
    AssessmentArea,
    Campaign,
    ChecklistImport,
    ChecklistItem,
    ChecklistStatus,
    ChecklistUpdate,
    ChecklistUpdateKind,
    OrgUnit,
    UnitKind,
)
from campaigns.selectors.board import board_invalidate
from campaigns.selectors.scoring import score_total_warning
from campaigns.services.standard import campaign_link_tasks
from campaigns.services.xlsx_import import (
    Check,
    Column,
    GuideSection,
    ImportPreview,
    Layout,
    RowResult,
    SheetRows,
    cell_decimal,
    cell_text,
    note_changes,
    read_upload,
    read_workbook,
    record_confirm,
    record_preview,
    record_upload,
    shown,
    start_preview,
    start_row,
    template_bytes,
)

COLUMNS = [
    Column(
        "area",
        gettext_lazy("测评类别"),
        True,
        ("类别", "模块", "测评模块"),
        18,
        gettext_lazy("填编号或名称，如 3 或 市容环境卫生"),
    ),
    Column("code", gettext_lazy("任务编号"), True, ("编号", "序号"), 10),
    Column("requirement", gettext_lazy("任务要求"), True, ("任务", "任务内容", "工作要求"), 50),
    Column("full_score", gettext_lazy("分值"), True, ("满分", "赋分"), 8),
    Column("lead_unit", gettext_lazy("牵头单位"), False, ("责任单位",), 16),
    Column("cooperating_units", gettext_lazy("配合单位"), False, (), 24, gettext_lazy("多个单位用顿号或逗号分隔")),
    Column("responsible_person", gettext_lazy("责任人"), False, (), 10),
    Column("deadline", gettext_lazy("完成时限"), False, ("时限", "完成时间"), 12, gettext_lazy("日期，如 2026-12-31")),
    Column("status", gettext_lazy("状态"), False, (), 10, gettext_lazy("未开始、推进中、已完成、有风险")),
    Column("progress", gettext_lazy("进度（%）"), False, ("进度", "进度%", "完成进度"), 10, gettext_lazy("0 到 100")),
    Column("self_score", gettext_lazy("自评分"), False, ("自评",), 8),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("任务清单"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留任务清单一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有任务行。"),
)
UNIT_SEPARATORS = re.compile(r"[、,，;；/\s]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
SCORE_LIMIT = Decimal("10000")
DEADLINE_YEARS = (2000, 2099)
CENTS = Decimal("0.01")


def _units(campaign: Campaign) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(district_id=campaign.district_id, is_active=True).exclude(kind=UnitKind.DISTRICT)


def template_workbook(campaign: Campaign) -> bytes:
    """The empty template with one example row (marked 示例, never imported), and a sheet
    that says how to fill it."""
    areas = list(AssessmentArea.objects.filter(campaign=campaign).order_by("order", "code"))
    units = list(_units(campaign).order_by("kind", "order", "id"))
    example_area = areas[0] if areas else None
    example_units = [unit.name for unit in units[:3]]
    example = [
        f"{example_area.code} {example_area.name}" if example_area else "3 市容环境卫生",
        f"{example_area.code}.1" if example_area else "3.1",
        _("主次干道路面平整，垃圾收集容器配齐"),
        5,
        example_units[0] if example_units else "",
        "、".join(example_units[1:3]),
        _("张三"),
        (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        str(ChecklistStatus.NOT_STARTED.label),
        0,
        None,
    ]
    return template_bytes(
        LAYOUT,
        [example],
        guide=[
            GuideSection([[f"{area.code} {area.name}"] for area in areas], title=_("本活动的测评类别（编号 名称）")),
            GuideSection([[unit.name, unit.get_kind_display()] for unit in units], title=_("本区可填写的单位名称")),
        ],
        lists=[("status", ChecklistStatus.labels)],
    )


def _decimal(value: object) -> Decimal | None:
    return cell_decimal(value, strip="%％分")


def _date(value: object) -> datetime.date | None:
    day = _any_date(value)
    # "0001-01-01" parses, but a deadline no one can have meant only breaks date arithmetic later.
    if day is not None and not DEADLINE_YEARS[0] <= day.year <= DEADLINE_YEARS[1]:
        raise ValueError(day)
    return day


def _any_date(value: object) -> datetime.date | None:
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return from_excel(value).date()
    text = cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def checklist_read(uploaded: File) -> SheetRows:
    """An uploaded checklist read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)


def checklist_preview(handle: IO[bytes] | File, campaign: Campaign) -> ImportPreview:
    """Read and check a workbook without writing anything."""
    return checklist_check(read_workbook(handle.read(), LAYOUT), campaign)


def checklist_check(sheet: SheetRows, campaign: Campaign) -> ImportPreview:
    """Check the rows read from a workbook against the campaign as it is now; nothing is written."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    data = sheet.rows

    areas = list(AssessmentArea.objects.filter(campaign=campaign))
    area_by_code = {area.code: area for area in areas}
    area_by_name = {area.name: area for area in areas}
    units = {unit.name: unit for unit in _units(campaign)}
    existing = {
        item.code: item
        for item in ChecklistItem.objects.filter(campaign=campaign)
        .select_related("area", "lead_unit")
        .prefetch_related("cooperating_units")
    }
    status_by_label = {str(label): value for value, label in ChecklistStatus.choices}
    seen_codes: dict[str, int] = {}

    for number, raw in data:
        row = start_row(number, raw, LAYOUT)
        clean = row.cleaned

        area_text = row.values.get("area", "")
        if area_text:
            code = area_text.split()[0]
            area = (
                area_by_code.get(code)
                or area_by_name.get(area_text)
                or area_by_name.get(" ".join(area_text.split()[1:]))
            )
            if area is None:
                row.error("area", _("测评类别“%(v)s”不存在，请按“填写说明”中的编号或名称填写。") % {"v": area_text})
            clean["area"] = area

        code = row.values.get("code", "")
        if code:
            if code in seen_codes:
                row.error(
                    "code", _("任务编号“%(code)s”与第 %(row)s 行重复。") % {"code": code, "row": seen_codes[code]}
                )
            else:
                seen_codes[code] = number
            if len(code) > 32:
                row.error("code", _("任务编号太长（最多 32 个字符）。"))
            clean["code"] = code
        clean["requirement"] = row.values.get("requirement", "")

        for key in ("full_score", "self_score"):
            text = row.values.get(key, "")
            try:
                value = _decimal(raw.get(key))
            except (InvalidOperation, ValueError):
                row.error(key, _("“%(col)s”不是数字：“%(v)s”。") % {"col": COLUMN_BY_KEY[key].label, "v": text})
                continue
            if value is not None and value < 0:
                row.error(key, _("“%(col)s”不能为负数。") % {"col": COLUMN_BY_KEY[key].label})
            # 9999.995 rounds to 10000.00, which no longer fits the column (6 digits, 2 decimals).
            elif value is not None and (value >= SCORE_LIMIT or value.quantize(CENTS) >= SCORE_LIMIT):
                row.error(key, _("“%(col)s”太大。") % {"col": COLUMN_BY_KEY[key].label})
            else:
                clean[key] = value.quantize(CENTS) if value is not None else None
        if clean.get("self_score") is not None and clean.get("full_score") is not None:
            if clean["self_score"] > clean["full_score"]:
                row.error(
                    "self_score",
                    _("自评分 %(s)s 超过分值 %(f)s。") % {"s": clean["self_score"], "f": clean["full_score"]},
                )

        lead = row.values.get("lead_unit", "")
        if lead:
            if lead not in units:
                row.error("lead_unit", _("本区没有单位“%(v)s”。") % {"v": lead})
            clean["lead_unit"] = units.get(lead)
        else:
            clean["lead_unit"] = None
        cooperating = []
        for name in [n for n in UNIT_SEPARATORS.split(row.values.get("cooperating_units", "")) if n]:
            if name not in units:
                row.error("cooperating_units", _("本区没有单位“%(v)s”。") % {"v": name})
            else:
                cooperating.append(units[name])
        clean["cooperating_units"] = cooperating
        clean["responsible_person"] = row.values.get("responsible_person", "")[:50]

        try:
            clean["deadline"] = _date(raw.get("deadline"))
        except (ValueError, OverflowError):
            row.error("deadline", _("日期看不懂：“%(v)s”。请写成 2026-12-31。") % {"v": row.values.get("deadline", "")})
        if clean.get("deadline") and isinstance(raw.get("deadline"), datetime.datetime):
            row.values["deadline"] = clean["deadline"].isoformat()

        status_text = row.values.get("status", "")
        if status_text:
            if status_text not in status_by_label:
                row.error("status", _("状态只能是：%(v)s。") % {"v": "、".join(status_by_label)})
            clean["status"] = status_by_label.get(status_text)
        progress_text = row.values.get("progress", "")
        if progress_text:
            try:
                progress = _decimal(raw.get("progress"))
                if isinstance(raw.get("progress"), float) and progress is not None and 0 < progress < 1:
                    progress *= 100  # a cell formatted as a percentage holds 0.6 for 60%
                if progress is None or progress < 0 or progress > 100 or progress != progress.to_integral_value():
                    raise ValueError
                clean["progress"] = int(progress)
            except (InvalidOperation, ValueError):
                row.error("progress", _("进度应是 0 到 100 的整数：“%(v)s”。") % {"v": progress_text})

        if not row.errors:
            _classify(row, existing.get(code))
        preview.rows.append(row)
    if warning := score_total_warning(_total_after(preview, existing)):
        preview.notices.append(warning)
    return preview


def _total_after(preview: ImportPreview, existing: Mapping[str, ChecklistItem]) -> Decimal:
    """The checklist's full scores added up as they would be after this import: the file's tasks
    with their new scores, and the tasks it does not mention as they are."""
    in_file = {row.cleaned.get("code") for row in preview.rows}
    kept = sum((item.full_score for code, item in existing.items() if code not in in_file), Decimal(0))
    return kept + sum((row.cleaned.get("full_score") or Decimal(0) for row in preview.rows), Decimal(0))


TRACKED = [
    "area",
    "requirement",
    "full_score",
    "lead_unit",
    "responsible_person",
    "deadline",
    "status",
    "progress",
    "self_score",
]


def _shown(value: Any) -> str:
    if isinstance(value, str) and value in ChecklistStatus.values:
        return str(ChecklistStatus(value).label)
    return shown(value)


def _keeps(key: str, clean: Mapping[str, Any]) -> bool:
    # An empty status/progress cell keeps what the task already has.
    return key not in clean or (key in ("status", "progress") and clean[key] is None)


def _classify(row: RowResult, item: ChecklistItem | None) -> None:
    clean = row.cleaned
    if item is None:
        row.action = "add"
        return
    note_changes(row, item, [key for key in TRACKED if not _keeps(key, clean)], shown=_shown)
    old_units = sorted(unit.name for unit in item.cooperating_units.all())
    new_units = sorted(unit.name for unit in clean["cooperating_units"])
    if old_units != new_units:
        row.changes[str(_("配合单位"))] = ["、".join(old_units), "、".join(new_units)]
    row.action = "change" if row.changes else "same"
    row.warning = _undoes(item, clean)


def _undoes(item: ChecklistItem, clean: Mapping[str, Any]) -> str:
    """Why importing this row would undo work reported on the task, or "".

    A file is often an old copy or a template: reopening a task reported done, or lowering a
    reported progress, is what nobody means by accident, so the admin ticks it row by row.
    """
    status, progress = clean.get("status"), clean.get("progress")
    lowers = progress is not None and progress < item.progress
    if item.status == ChecklistStatus.DONE and ((status is not None and status != item.status) or lowers):
        return _("将覆盖已完成任务")
    if lowers:
        return _("将降低进度（%(old)s%% → %(new)s%%）") % {"old": item.progress, "new": progress}
    return ""


def checklist_import_upload(
    *, campaign: Campaign, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[ChecklistImport, ImportPreview]:
    """Keep the uploaded file and return (import record, preview); nothing is imported yet.
    `sheet` is the file already read (by the upload form), so it is parsed once."""
    record = ChecklistImport(campaign=campaign, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)


def _check(record: ChecklistImport) -> Check:
    return lambda sheet: checklist_check(sheet, record.campaign)


def checklist_import_confirm(
    *, record: ChecklistImport, actor: User, ticked: Collection[int] = frozenset()
) -> ImportPreview:
    """Import a previewed file: every row, or — if anything is wrong now — none of them.

    Imports of one campaign run one at a time (the campaign row is locked); a file previewed
    before another one was imported must be previewed again (see record_confirm).
    """
    return record_confirm(
        record=record,
        lock_owner=lambda: Campaign.objects.select_for_update().get(pk=record.campaign_id),
        siblings=ChecklistImport.objects.filter(campaign_id=record.campaign_id),
        changed_message=_(
            "在您预览之后，%(who)s 于 %(at)s 导入了“%(name)s”，任务清单已变化。为免覆盖，请重新上传预览后再导入。"
        ),
        layout=LAYOUT,
        check=_check(record),
        write=lambda locked, preview, campaign, now: _import_rows(locked, preview, campaign, actor, now),
        ticked=ticked,
    )


def _import_rows(
    record: ChecklistImport, preview: ImportPreview, campaign: Campaign, actor: User, now: datetime.datetime
) -> None:
    existing = {item.code: item for item in ChecklistItem.objects.select_for_update().filter(campaign=campaign)}
    next_order = max((item.order for item in existing.values()), default=0)
    for row in preview.rows:
        clean = row.cleaned
        if row.action == "same":
            continue
        item = existing.get(clean["code"])
        if item is None:
            next_order += 1
            item = ChecklistItem(campaign=campaign, code=clean["code"], order=next_order)
        for key in TRACKED:
            if not _keeps(key, clean):
                setattr(item, key, clean[key])
        item.save()
        item.cooperating_units.set(clean["cooperating_units"])
        ChecklistUpdate.objects.create(
            item=item,
            kind=ChecklistUpdateKind.IMPORT,
            actor=actor,
            at=now,
            note=_("从“%(name)s”导入") % {"name": record.original_name},
            changes=row.changes,
        )
    campaign_link_tasks(campaign)  # a task coded like the standard's 条 or 项 is linked to its 项
    district_id = campaign.district_id
    transaction.on_commit(lambda: board_invalidate(district_id))


def checklist_import_preview(record: ChecklistImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record))
