"""What every Excel import shares (task checklist, inspection points, units, people).

Offices keep their lists in Excel. An import is one shape everywhere: a template to fill,
an upload that is checked by content and kept, a preview that names every problem by row
and column, and a confirm that writes every row or — if anything is wrong now — none.
Each import supplies its columns (a `Layout`), its row checks, its writes and the words that
are its own (what a too-big file or a stale preview is told); reading the workbook safely,
the template, the preview, the kept file's record and the confirm live here.
"""

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from campaigns.models import ImportStatus

from .cells import xlsx_append

# A workbook that inflates past this when unzipped is refused before it is parsed.
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
# No template is wider than a dozen columns; nobody's header is wider than this.
MAX_COLUMNS = 64
# A title row or two above the header is allowed; the header is looked for this far down.
HEADER_SEARCH_ROWS = 5
# A row is the header when at least this many of its cells name a column.
HEADER_MIN_LABELS = 3
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple = ()
    width: int = 14
    hint: str = ""


def normalise_label(text):
    return re.sub(r"[\s（）()%％*＊]", "", str(text or ""))


class Layout:
    """One workbook's shape: its columns, the sheet they are on, and what a file that does
    not fit is told (as lazy strings, so each reader gets their own language)."""

    def __init__(self, columns, *, sheet_name, too_big, no_rows):
        self.columns = columns
        self.by_key = {column.key: column for column in columns}
        self.sheet_name = sheet_name
        self.too_big = too_big
        self.no_rows = no_rows
        self.label_to_key = {}
        for column in columns:
            for label in (str(column.label), *column.aliases):
                self.label_to_key[normalise_label(label)] = column.key


@dataclass
class RowResult:
    number: int
    values: dict
    columns: tuple = ()
    errors: dict = field(default_factory=dict)
    action: str = ""  # "add", "change" or "same"
    note: str = ""  # what "add" means for this row, when it is not obvious
    changes: dict = field(default_factory=dict)
    cleaned: dict = field(default_factory=dict)

    def error(self, key, message):
        self.errors.setdefault(key, []).append(message)

    @property
    def cells(self):
        """(column, shown value, errors) in template order, for the preview table."""
        return [(column, self.values.get(column.key, ""), self.errors.get(column.key, [])) for column in self.columns]

    @property
    def row_errors(self):
        """Errors of the whole row rather than one cell (reported with the key "_row")."""
        return self.errors.get("_row", [])


@dataclass
class ImportPreview:
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)

    @property
    def error_count(self):
        return len(self.file_errors) + sum(sum(len(v) for v in row.errors.values()) for row in self.rows)

    @property
    def is_clean(self):
        return self.error_count == 0 and bool(self.rows)

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    @property
    def added(self):
        return self.count("add")

    @property
    def changed(self):
        return self.count("change")

    @property
    def unchanged(self):
        return self.count("same")

    @property
    def rows_with_errors(self):
        return sum(1 for row in self.rows if row.errors)


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_decimal(value, strip=""):
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


def not_excel():
    return _("这不是有效的 Excel 文件（.xlsx）。如果是 .xls 或 WPS 格式，请在 Excel/WPS 中“另存为 .xlsx”后再上传。")


def _open_sheet(handle, layout):
    """The layout's sheet of an .xlsx workbook (or its first), or a list of file-level errors."""
    data = handle.read()
    if len(data) > settings.IMPORT_MAX_BYTES:
        return None, [str(layout.too_big)]
    if not data:
        return None, [_("上传的是空文件。")]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return None, [_("文件解压后过大，无法读取。")]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None, [not_excel()]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        name = str(layout.sheet_name)
        sheet = workbook[name] if name in workbook.sheetnames else workbook.worksheets[0]
    except Exception:  # openpyxl raises many kinds for a broken workbook (or one without a sheet); all mean the same
        return None, [not_excel()]
    return sheet, []


def _read_rows(sheet, layout):
    """Find the header (a title row above it is allowed) and return (header keys, [(row number, {key: raw})]).

    Read-only openpyxl pads every row to the sheet's claimed width and fills the gaps between
    rows, so a few-kilobyte file with one cell at XFD1048576 would be billions of empty cells:
    only the first MAX_COLUMNS columns are read, and reading stops once there are more data
    rows than may be imported.
    """
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header, header_row = None, 0
    for number, row in enumerate(rows, start=1):
        keys = [layout.label_to_key.get(normalise_label(cell)) for cell in row]
        if sum(1 for key in keys if key) >= HEADER_MIN_LABELS:
            header, header_row = keys, number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        return None, []
    data = []
    for number, row in enumerate(rows, start=header_row + 1):
        values = {key: row[index] for index, key in enumerate(header) if key and index < len(row)}
        if all(cell_text(value) == "" for value in values.values()):
            continue
        data.append((number, values))
        if len(data) > settings.IMPORT_MAX_ROWS:
            break
    return header, data


def file_rows(handle, layout):
    """(header, data rows, file-level errors) of a workbook, read without touching the database."""
    sheet, errors = _open_sheet(handle, layout)
    if errors:
        return None, [], errors
    try:
        header, data = _read_rows(sheet, layout)
    except Exception:  # read-only openpyxl parses cells lazily: a broken cell fails here, not on opening
        return None, [], [not_excel()]
    columns = layout.columns
    if header is None:
        return (
            None,
            [],
            [_("没有找到表头。第一行应是列名：%(cols)s。") % {"cols": "、".join(str(c.label) for c in columns)}],
        )
    missing = [str(column.label) for column in columns if column.required and column.key not in header]
    if missing:
        return None, [], [_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)}]
    if not data:
        return None, [], [str(layout.no_rows)]
    if len(data) > settings.IMPORT_MAX_ROWS:
        return None, [], [_("一次最多导入 %(n)s 行。") % {"n": settings.IMPORT_MAX_ROWS}]
    return header, data, []


def file_errors(uploaded, layout):
    """What is wrong with an uploaded file as a whole (not a workbook, no header …), before it is kept."""
    uploaded.seek(0)
    try:
        return file_rows(uploaded, layout)[2]
    finally:
        uploaded.seek(0)


def start_row(number, raw, layout):
    """A preview row with its shown values, and a message for every required cell left empty."""
    row = RowResult(number=number, values={key: cell_text(value) for key, value in raw.items()}, columns=layout.columns)
    for column in layout.columns:
        if column.required and row.values.get(column.key, "") == "":
            row.error(column.key, _("“%(col)s”不能为空。") % {"col": column.label})
    return row


def shown(value):
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


def _same(before, after):
    if before is None or after is None:
        return before is None and after is None
    if isinstance(before, Decimal) or isinstance(after, Decimal):
        return Decimal(before) == Decimal(after)  # 5 and 5.00 are the same score
    return before == after


def note_changes(row, instance, keys, shown=shown):
    """Note on the row, under each field's verbose name, every one of `keys` whose cleaned value
    is not what `instance` has. Keys a row leaves as they are must not be passed."""
    for key in keys:
        before, after = getattr(instance, key), row.cleaned[key]
        if not _same(before, after):
            row.changes[str(instance._meta.get_field(key).verbose_name)] = [shown(before), shown(after)]


# --- the template -------------------------------------------------------------------------


@dataclass(frozen=True)
class GuideSection:
    """A block of the instruction sheet below the column guide, after an empty line.

    `title` is a line above the rows: a sentence, or a list of cells heading a table (None for
    no title). With `drop_down` (a column key), that column of the template offers the first
    cells of `rows` as a drop-down list, read from this sheet — a list too long for Excel's
    255-character literal. It only suggests: other words the import understands stay allowed.
    """

    rows: list
    title: object = None
    drop_down: str = ""


def _guide_line(cells):
    return ["" if value is None else str(value) for value in cells]


def template_bytes(layout, examples=(), guide=(), lists=()):
    """An empty template: the styled header, example rows, and a sheet that says how to fill it.

    `guide` is GuideSections listed under the column guide; `lists` are (column key, allowed
    labels) offered as a drop-down in that column.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(layout.sheet_name)
    xlsx_append(sheet, [str(column.label) for column in layout.columns])
    letters = {}
    for index, column in enumerate(layout.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        # Required columns dark, optional ones light.
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="0B5D4B" if column.required else "D9E7E1")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = column.width
        letters[column.key] = cell.column_letter
    for row in examples:
        xlsx_append(sheet, row)
    sheet.freeze_panes = "A2"

    def offer(key, formula):
        choice = DataValidation(type="list", formula1=formula, allow_blank=True)
        sheet.add_data_validation(choice)
        choice.add(f"{letters[key]}2:{letters[key]}{settings.IMPORT_MAX_ROWS + 1}")

    for key, labels in lists:
        offer(key, '"' + ",".join(str(label) for label in labels) + '"')

    sheet_guide = workbook.create_sheet(_("填写说明"))
    xlsx_append(sheet_guide, [_("列"), _("是否必填"), _("说明")])
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


def record_upload(record, uploaded, check):
    """Keep the uploaded file on its record and return the preview `check(handle)` makes of it."""
    record.original_name = (uploaded.name or "")[:200]
    record.file.save("import.xlsx", uploaded, save=False)
    record.save()
    return record_preview(record, check)


def record_preview(record, check):
    """Read the kept file again and note its row and error counts on the record."""
    with record.file.open("rb") as handle:
        preview = check(handle)
    fields = {"rows_total": len(preview.rows), "error_count": preview.error_count}
    if preview.file_errors:
        fields["status"] = ImportStatus.REFUSED
    for key, value in fields.items():
        setattr(record, key, value)
    record.save(update_fields=list(fields))
    return preview


def record_confirm(*, record, lock_owner, siblings, changed_message, check, write):
    """Import a previewed file: every row, or — if anything is wrong now — none of them.

    Imports for one owner (a campaign, a district) run one at a time: `lock_owner()` locks
    its row. The admin confirmed what the preview showed; if another file of the same owner
    and kind (`siblings`) was imported after this one was previewed, importing it would
    overwrite changes nobody compared, so it is refused with `changed_message` (a sentence with
    %(who)s, %(at)s and %(name)s, its words the import's own) and must be previewed again.
    `write(record, preview, owner, now)` writes the rows; the counts are noted here once it
    returns. `record` is updated in place.
    """
    with transaction.atomic():
        owner = lock_owner()
        locked = type(record).objects.select_for_update().get(pk=record.pk)
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
            locked.status = ImportStatus.REFUSED
            locked.save(update_fields=["status"])
        else:
            preview = record_preview(locked, check)
            if not preview.is_clean:
                locked.status = ImportStatus.REFUSED
                locked.save(update_fields=["status"])
            else:
                now = timezone.now()
                write(locked, preview, owner, now)
                locked.status = ImportStatus.DONE
                locked.imported_at = now
                locked.rows_added = preview.count("add")
                locked.rows_changed = preview.count("change")
                locked.rows_unchanged = preview.count("same")
                locked.save(update_fields=["status", "imported_at", "rows_added", "rows_changed", "rows_unchanged"])
    record.refresh_from_db()
    return preview
