"""What every Excel import shares (task checklist, inspection points, units, people).

Offices keep their lists in Excel. An import is one shape everywhere: a template to fill,
an upload that is checked by content and kept, a preview that names every problem by row
and column, and a confirm that writes every row or — if anything is wrong now — none.
Each import supplies its columns (a `Layout`), its row checks, its writes and the words that
are its own (what a too-big file or a stale preview is told); the template, the preview, the
kept file's record and the confirm live here, and reading the workbook (once, within caps)
in xlsx_read.

A row that would undo work already done (a task marked 已完成 reopened, progress lowered, a
point's address wiped) carries a `warning`; the confirm refuses until each such row is ticked.
"""

import datetime
import io
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar, cast

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Field, Model, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from campaigns.models import ImportStatus
from campaigns.models.checklist import ImportRecord
from infra.cells import xlsx_append
from infra.xlsx_stream import list_sheet

from .xlsx_read import (
    EXAMPLE_KEY,
    EXAMPLE_LABEL,
    EXAMPLE_MARK,
    Row,
    SheetRows,
    cell_text,
    examples_skipped,
    normalise_label,
    read_workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 14
    hint: str | Promise = ""


class Layout:
    """One workbook's shape: its columns, the sheet they are on, and what a file that does
    not fit is told (as lazy strings, so each reader gets their own language)."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        sheet_name: str | Promise,
        too_big: str | Promise,
        no_rows: str | Promise,
    ) -> None:
        self.columns = columns
        self.by_key = {column.key: column for column in columns}
        self.sheet_name = sheet_name
        self.too_big = too_big
        self.no_rows = no_rows

    @cached_property
    def label_to_key(self) -> dict[str, str]:
        """Header text → column key, in every language a template may have been downloaded in:
        a template's header is written in its reader's language, and an example marker column
        that went unrecognised would let the example row through."""
        mapping: dict[str, str] = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                mapping[normalise_label(EXAMPLE_LABEL)] = EXAMPLE_KEY
                for column in self.columns:
                    for label in (str(column.label), *column.aliases):
                        mapping.setdefault(normalise_label(label), column.key)
        return mapping


@dataclass
class RowResult:
    number: int
    values: dict[str, Any]
    columns: Sequence[Column] = ()
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str = ""  # "add", "change" or "same"
    note: str = ""  # what "add" means for this row, when it is not obvious
    changes: dict[str, list[str]] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)
    warning: str = ""  # why importing this row undoes work already done: it must be ticked

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def cells(self) -> list[tuple[Column, Any, list[str]]]:
        """(column, shown value, errors) in template order, for the preview table."""
        return [(column, self.values.get(column.key, ""), self.errors.get(column.key, [])) for column in self.columns]

    @property
    def row_errors(self) -> list[str]:
        """Errors of the whole row rather than one cell (reported with the key "_row")."""
        return self.errors.get("_row", [])


@dataclass
class ImportPreview:
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)  # row numbers of the template's example rows, skipped
    confirm_errors: list[str] = field(default_factory=list)  # why a confirm did nothing though the rows are fine
    notices: list[str] = field(default_factory=list)  # worth a look before importing, but not wrong

    @property
    def examples_note(self) -> str:
        return examples_skipped(self.examples) if self.examples else ""

    @property
    def to_tick(self) -> list[RowResult]:
        """Rows that undo work already done: importing them needs a tick each."""
        return [row for row in self.rows if row.warning and not row.errors]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(sum(len(v) for v in row.errors.values()) for row in self.rows)

    @property
    def is_clean(self) -> bool:
        return self.error_count == 0 and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    @property
    def added(self) -> int:
        return self.count("add")

    @property
    def changed(self) -> int:
        return self.count("change")

    @property
    def unchanged(self) -> int:
        return self.count("same")

    @property
    def rows_with_errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def cell_decimal(value: object, strip: str = "") -> Decimal | None:
    """A finite Decimal from a cell, None for an empty one; InvalidOperation for anything else."""
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        number = Decimal(cell_text(value).rstrip(strip))
    # "NaN" and "Infinity" parse as Decimals but cannot be compared or stored.
    if not number.is_finite():
        raise InvalidOperation
    return number


def file_rows(handle: IO[bytes] | File, layout: Layout) -> tuple[list[str | None] | None, list[Row], list[str]]:
    """(header, data rows, file-level errors) of a workbook, read without touching the database."""
    sheet = read_workbook(handle.read(), layout)
    return sheet.header, sheet.rows, sheet.errors


def read_upload(uploaded: File, layout: Layout) -> SheetRows:
    """An uploaded file read for an import: the one parse of it (kept with its record)."""
    uploaded.seek(0)
    try:
        return read_workbook(uploaded.read(), layout)
    finally:
        uploaded.seek(0)


def file_errors(uploaded: File, layout: Layout) -> list[str]:
    """What is wrong with an uploaded file as a whole (not a workbook, no header …), before it is kept."""
    return read_upload(uploaded, layout).errors


def start_preview(sheet: SheetRows) -> ImportPreview:
    """The preview of a read file before its rows are checked: its examples and file errors."""
    return ImportPreview(file_errors=list(sheet.errors), examples=list(sheet.examples))


def start_row(number: int, raw: Mapping[str, Any], layout: Layout) -> RowResult:
    """A preview row with its shown values, and a message for every required cell left empty."""
    row = RowResult(number=number, values={key: cell_text(value) for key, value in raw.items()}, columns=layout.columns)
    for column in layout.columns:
        if column.required and row.values.get(column.key, "") == "":
            row.error(column.key, _("“%(col)s”不能为空。") % {"col": column.label})
    return row


def shown(value: Any) -> str:
    """A value as a preview shows a change: a name for a unit or type, plain decimals, ISO dates."""
    if value is None:
        return ""
    if hasattr(value, "name"):
        return value.name
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _same(before: Any, after: Any) -> bool:
    if before is None or after is None:
        return before is None and after is None
    if isinstance(before, Decimal) or isinstance(after, Decimal):
        return Decimal(before) == Decimal(after)  # 5 and 5.00 are the same score
    return before == after


def note_changes(row: RowResult, instance: Model, keys: Iterable[str], shown: Callable[[Any], str] = shown) -> None:
    """Note on the row, under each field's verbose name, every one of `keys` whose cleaned value
    is not what `instance` has. Keys a row leaves as they are must not be passed."""
    for key in keys:
        before, after = getattr(instance, key), row.cleaned[key]
        if not _same(before, after):
            # Keys name the model's own fields, never a relation's reverse side.
            name = cast(Field, instance._meta.get_field(key)).verbose_name
            row.changes[str(name)] = [shown(before), shown(after)]


# --- the template -------------------------------------------------------------------------


@dataclass(frozen=True)
class GuideSection:
    """A block of the instruction sheet below the column guide, after an empty line.

    `title` is a line above the rows: a sentence, or a list of cells heading a table (None for
    no title). With `drop_down` (a column key), that column of the template offers the first
    cells of `rows` as a drop-down list, read from this sheet — a list too long for Excel's
    255-character literal. It only suggests: other words the import understands stay allowed.
    """

    rows: Sequence[Sequence[object]]
    title: object = None
    drop_down: str = ""


def _guide_line(cells: Iterable[object]) -> list[str]:
    return ["" if value is None else str(value) for value in cells]


def template_bytes(
    layout: Layout,
    examples: Iterable[Sequence[object]] = (),
    guide: Iterable[GuideSection] = (),
    lists: Iterable[tuple[str, Iterable[object]]] = (),
    rows: Iterable[Sequence[object]] = (),
) -> bytes:
    """An empty template: the styled header, example rows, and a sheet that says how to fill it.

    After the layout's columns comes the example marker: `examples` (rows of the layout's
    columns) say 示例 there, are greyed, and are never imported; `rows` (real data, such as
    the units a district already has) leave it empty. It is the last column so that rows
    typed or pasted from column A land under the right headers. `guide` is GuideSections
    listed under the column guide; `lists` are (column key, allowed labels) offered as a
    drop-down in that column.
    """
    workbook = Workbook()
    sheet = cast(Worksheet, workbook.active)  # a new workbook's one worksheet
    sheet.title = str(layout.sheet_name)
    width = len(layout.columns)
    xlsx_append(sheet, [str(column.label) for column in layout.columns] + [str(EXAMPLE_LABEL)])
    letters: dict[str, str] = {}
    for index, column in enumerate(layout.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        # Required columns dark, optional ones light.
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="0B5D4B" if column.required else "D9E7E1")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        letters[column.key] = get_column_letter(index)
    marker = sheet.cell(row=1, column=width + 1)
    marker.font = Font(bold=True, color="666666")
    marker.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.column_dimensions[get_column_letter(width + 1)].width = 10
    example_fill = PatternFill("solid", fgColor="EEEEEE")
    for row in examples:
        xlsx_append(sheet, [*row, *[None] * (width - len(row)), EXAMPLE_MARK])
        for cell in sheet[sheet.max_row]:
            cell.fill = example_fill
            cell.font = Font(italic=True, color="666666")
        sheet.cell(row=sheet.max_row, column=1).comment = Comment(
            _("这是示例行（最后一列标着“%(mark)s”），导入时跳过。") % {"mark": EXAMPLE_MARK}, "ledger"
        )
    for row in rows:
        xlsx_append(sheet, row)
    list_sheet(sheet, columns=width + 1, last_row=sheet.max_row)

    def offer(key: str, formula: str) -> None:
        choice = DataValidation(type="list", formula1=formula, allow_blank=True)
        sheet.add_data_validation(choice)
        choice.add(f"{letters[key]}2:{letters[key]}{settings.IMPORT_MAX_ROWS + 1}")

    for key, labels in lists:
        offer(key, '"' + ",".join(str(label) for label in labels) + '"')

    sheet_guide = workbook.create_sheet(_("填写说明"))
    xlsx_append(sheet_guide, [_("列"), _("是否必填"), _("说明")])
    xlsx_append(
        sheet_guide,
        [
            str(EXAMPLE_LABEL),
            _("不填"),
            _("模板自带的示例行在这一列（最后一列）标着“%(mark)s”，导入时跳过；您填写的行这一列留空。")
            % {"mark": EXAMPLE_MARK},
        ],
    )
    for column in layout.columns:
        xlsx_append(sheet_guide, [str(column.label), _("必填") if column.required else _("选填"), str(column.hint)])
    for section in guide:
        xlsx_append(sheet_guide, [])
        if section.title is not None:
            title = section.title
            xlsx_append(sheet_guide, _guide_line(title if isinstance(title, (list, tuple)) else [title]))
        for row in section.rows:
            xlsx_append(sheet_guide, _guide_line(row))
        if section.drop_down and section.rows:
            last = sheet_guide.max_row
            offer(section.drop_down, f"'{sheet_guide.title}'!$A${last - len(section.rows) + 1}:$A${last}")
    sheet_guide.column_dimensions["A"].width = 28
    sheet_guide.column_dimensions["C"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the kept file and its record ----------------------------------------------------------


# An import's record (ChecklistImport, PointImport …) and what its imports belong to (the
# campaign or district whose row lock_owner() locks).
R = TypeVar("R", bound=ImportRecord)
Owner = TypeVar("Owner")
Check = Callable[[SheetRows], ImportPreview]


def record_upload(
    record: ImportRecord, uploaded: File, layout: Layout, check: Check, sheet: SheetRows | None = None
) -> ImportPreview:
    """Keep the uploaded file and what was read from it on its record; return the preview
    `check(sheet rows)` makes. `sheet` is the upload already read (by the form), else it is read here."""
    if sheet is None:
        sheet = read_upload(uploaded, layout)
    record.original_name = (uploaded.name or "")[:200]
    record.parsed = sheet.to_json()
    record.file.save("import.xlsx", uploaded, save=False)
    record.save()
    return record_preview(record, layout, check)


def record_sheet(record: ImportRecord, layout: Layout) -> SheetRows:
    """The rows read from a kept file: kept with it at upload; a file kept before they were
    is read once now and they are kept from then on."""
    if record.parsed is None:
        with record.file.open("rb") as handle:
            sheet = read_workbook(handle.read(), layout)
        record.parsed = sheet.to_json()
        record.save(update_fields=["parsed"])
        return sheet
    return SheetRows.from_json(record.parsed)


def record_preview(record: ImportRecord, layout: Layout, check: Check) -> ImportPreview:
    """Check the kept rows against the ledger as it is now; note the counts on the record."""
    preview = check(record_sheet(record, layout))
    fields: dict[str, object] = {"rows_total": len(preview.rows), "error_count": preview.error_count}
    if preview.file_errors:
        fields["status"] = ImportStatus.REFUSED
    for key, value in fields.items():
        setattr(record, key, value)
    record.save(update_fields=list(fields))
    return preview


def _close(record: ImportRecord, status: str, **more: object) -> None:
    """The record is handled: its kept rows are not needed any more (the file stays)."""
    record.status = status
    record.parsed = None
    for key, value in more.items():
        setattr(record, key, value)
    record.save(update_fields=["status", "parsed", *more])


def record_confirm(
    *,
    record: R,
    layout: Layout,
    lock_owner: Callable[[], Owner],
    siblings: QuerySet[R],
    changed_message: str | Promise,
    check: Check,
    write: Callable[[R, ImportPreview, Owner, datetime.datetime], None],
    ticked: Collection[int] = frozenset(),
) -> ImportPreview:
    """Import a previewed file: every row, or — if anything is wrong now — none of them.

    Imports for one owner (a campaign, a district) run one at a time: `lock_owner()` locks
    its row. The admin confirmed what the preview showed; if another file of the same owner
    and kind (`siblings`) was imported after this one was previewed, importing it would
    overwrite changes nobody compared, so it is refused with `changed_message` (a sentence with
    %(who)s, %(at)s and %(name)s, its words the import's own) and must be previewed again.
    A row that undoes work done (`RowResult.warning`, as the ledger is now) is imported only
    if its number is in `ticked`; otherwise nothing is, and the file stays ready to confirm.
    `write(record, preview, owner, now)` writes the rows; the counts are noted here once it
    returns. `record` is updated in place.
    """
    with transaction.atomic():
        owner = lock_owner()
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        preview = ImportPreview()
        if locked.status != ImportStatus.PREVIEW:
            # Confirmed twice at once (two tabs, a double click): the first one did the work.
            preview.file_errors = [
                _("这个文件已经处理过了（%(status)s），没有再次导入。") % {"status": locked.get_status_display()}
            ]
        elif newer := (
            siblings.filter(status=ImportStatus.DONE, imported_at__gt=locked.uploaded_at)
            .select_related("uploaded_by")
            .order_by("-imported_at")
            .first()
        ):
            preview.file_errors = [
                str(changed_message)
                % {
                    "who": newer.uploaded_by.get_full_name() or newer.uploaded_by.get_username(),
                    "at": timezone.localtime(newer.imported_at).strftime("%Y-%m-%d %H:%M"),
                    "name": newer.original_name,
                }
            ]
            _close(locked, ImportStatus.REFUSED)
        else:
            preview = record_preview(locked, layout, check)
            unticked = [row.number for row in preview.to_tick if row.number not in ticked]
            if not preview.is_clean:
                _close(locked, ImportStatus.REFUSED)
            elif unticked:
                preview.confirm_errors = [
                    _(
                        "第 %(rows)s 行会覆盖已有的进度或内容（标着“需确认”）。"
                        "请逐行勾选确认后再导入；这次没有导入任何内容。"
                    )
                    % {"rows": "、".join(str(number) for number in unticked)}
                ]
            else:
                now = timezone.now()
                write(locked, preview, owner, now)
                _close(
                    locked,
                    ImportStatus.DONE,
                    imported_at=now,
                    rows_added=preview.count("add"),
                    rows_changed=preview.count("change"),
                    rows_unchanged=preview.count("same"),
                )
    record.refresh_from_db()
    return preview
