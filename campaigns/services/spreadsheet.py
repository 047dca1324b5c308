"""What every Excel import shares: a template to fill, a careful reader, a preview, all-or-nothing.

Offices keep their lists (task checklists, units, people) in Excel. Each import names its
columns in a `WorkbookSpec`; a file is read fully and checked row by row and column by
column before anything is written (`ImportPreview`), and the kept upload is confirmed
under a row lock so two admins cannot import over each other (`import_confirm`).
"""

import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from campaigns.models import ImportStatus

# A workbook that inflates past this when unzipped is refused before it is parsed.
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
# The templates have at most a dozen columns; nobody's header is wider than this.
MAX_COLUMNS = 64
# A title row or two above the header is allowed; the header is looked for this far down.
HEADER_SEARCH_ROWS = 5
SEPARATORS = re.compile(r"[、,，;；/\s]+")


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


@dataclass(frozen=True)
class WorkbookSpec:
    """One kind of workbook: its columns, the sheet's name, and what to say when it is wrong."""

    columns: tuple
    sheet_name: str
    too_big: str  # the file is over IMPORT_MAX_BYTES
    no_rows: str  # a header and nothing under it
    min_header_hits: int = 3

    @property
    def by_key(self):
        return {column.key: column for column in self.columns}

    @property
    def label_to_key(self):
        found = {}
        for column in self.columns:
            for label in (str(column.label), *column.aliases):
                found[normalise_label(label)] = column.key
        return found


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def not_excel():
    return _("这不是有效的 Excel 文件（.xlsx）。如果是 .xls 或 WPS 格式，请在 Excel/WPS 中“另存为 .xlsx”后再上传。")


def open_sheet(handle, spec):
    """The named (or first) sheet of an .xlsx workbook, or a list of file-level errors."""
    data = handle.read()
    if len(data) > settings.IMPORT_MAX_BYTES:
        return None, [str(spec.too_big)]
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
        name = str(spec.sheet_name)
        sheet = workbook[name] if name in workbook.sheetnames else workbook.worksheets[0]
    except Exception:  # openpyxl raises many kinds for a broken workbook (or one without a sheet); all mean the same
        return None, [not_excel()]
    return sheet, []


def read_rows(sheet, spec):
    """Find the header (a title row above it is allowed) and return (header keys, [(row number, {key: raw})]).

    Read-only openpyxl pads every row to the sheet's claimed width and fills the gaps between
    rows, so a few-kilobyte file with one cell at XFD1048576 would be billions of empty cells:
    only the first MAX_COLUMNS columns are read, and reading stops once there are more data
    rows than may be imported.
    """
    label_to_key = spec.label_to_key
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header, header_row = None, 0
    for number, row in enumerate(rows, start=1):
        keys = [label_to_key.get(normalise_label(cell)) for cell in row]
        if sum(1 for key in keys if key) >= spec.min_header_hits:
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


def file_rows(handle, spec):
    """(header, data rows, file-level errors) of a workbook, read without touching the database."""
    sheet, errors = open_sheet(handle, spec)
    if errors:
        return None, [], errors
    try:
        header, data = read_rows(sheet, spec)
    except Exception:  # read-only openpyxl parses cells lazily: a broken cell fails here, not on opening
        return None, [], [not_excel()]
    if header is None:
        return (
            None,
            [],
            [_("没有找到表头。第一行应是列名：%(cols)s。") % {"cols": "、".join(str(c.label) for c in spec.columns)}],
        )
    missing = [str(column.label) for column in spec.columns if column.required and column.key not in header]
    if missing:
        return None, [], [_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)}]
    if not data:
        return None, [], [str(spec.no_rows)]
    if len(data) > settings.IMPORT_MAX_ROWS:
        return None, [], [_("一次最多导入 %(n)s 行。") % {"n": settings.IMPORT_MAX_ROWS}]
    return header, data, []


def file_errors(uploaded, spec):
    """What is wrong with an uploaded file as a whole (not a workbook, no header …), before it is kept."""
    uploaded.seek(0)
    try:
        return file_rows(uploaded, spec)[2]
    finally:
        uploaded.seek(0)


def template_bytes(spec, examples, guide_sections=(), lists=()):
    """An empty template: the styled header, example rows, and a sheet that says how to fill it.

    `guide_sections` are (title, rows) listed under the column guide; `lists` are (column key,
    allowed labels) offered as a drop-down in that column.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(spec.sheet_name)
    sheet.append([str(column.label) for column in spec.columns])
    letters = {}
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="0B5D4B" if column.required else "D9E7E1")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = column.width
        letters[column.key] = cell.column_letter
    for row in examples:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for key, labels in lists:
        choice = DataValidation(
            type="list", formula1='"' + ",".join(str(label) for label in labels) + '"', allow_blank=True
        )
        sheet.add_data_validation(choice)
        choice.add(f"{letters[key]}2:{letters[key]}{settings.IMPORT_MAX_ROWS + 1}")

    guide = workbook.create_sheet(_("填写说明"))
    guide.append([_("列"), _("是否必填"), _("说明")])
    for column in spec.columns:
        guide.append([str(column.label), _("必填") if column.required else _("选填"), str(column.hint)])
    for title, rows in guide_sections:
        guide.append([])
        guide.append([str(title)])
        for row in rows:
            guide.append([str(value) for value in row])
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["C"].width = 40
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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


def required_cells(row, spec):
    for column in spec.columns:
        if column.required and row.values.get(column.key, "") == "":
            row.error(column.key, _("“%(col)s”不能为空。") % {"col": column.label})


# --- the kept upload: preview, then confirm once ---------------------------------------------


def import_keep(record, uploaded):
    """Store the uploaded file on a new import record (preview status)."""
    record.original_name = (uploaded.name or "")[:200]
    record.file.save("import.xlsx", uploaded, save=False)
    record.save()
    return record


def import_preview_of(record, preview_file):
    """Re-read the kept file with `preview_file(handle)` and note its row and error counts."""
    with record.file.open("rb") as handle:
        preview = preview_file(handle)
    fields = {"rows_total": len(preview.rows), "error_count": preview.error_count}
    if preview.file_errors:
        fields["status"] = ImportStatus.REFUSED
    for key, value in fields.items():
        setattr(record, key, value)
    record.save(update_fields=list(fields))
    return preview


def import_confirm(record, *, lock, newer, newer_message, preview_file, write):
    """Import a previewed file: every row, or — if anything is wrong now — none of them.

    `lock()` locks the row imports of this kind queue on (a campaign, a district) and returns
    it; `newer(locked)` is the imports of the same kind done since this one was uploaded:
    the admin confirmed what the preview showed, and importing over a newer import would
    overwrite changes nobody compared, so it is refused with `newer_message` (a sentence with
    %(who)s, %(at)s and %(name)s). `write(locked record,
    preview, locked row)` writes the rows. `record` is updated in place.
    """
    with transaction.atomic():
        locked_parent = lock()
        locked = type(record).objects.select_for_update().get(pk=record.pk)
        preview = ImportPreview()
        if locked.status != ImportStatus.PREVIEW:
            # Confirmed twice at once (two tabs, a double click): the first one did the work.
            preview.file_errors = [
                _("这个文件已经处理过了（%(status)s），没有再次导入。") % {"status": locked.get_status_display()}
            ]
        elif done := newer(locked).select_related("uploaded_by").order_by("-imported_at").first():
            preview.file_errors = [
                str(newer_message)
                % {
                    "who": done.uploaded_by.get_full_name() or done.uploaded_by.get_username(),
                    "at": timezone.localtime(done.imported_at).strftime("%Y-%m-%d %H:%M"),
                    "name": done.original_name,
                }
            ]
            locked.status = ImportStatus.REFUSED
            locked.save(update_fields=["status"])
        else:
            preview = import_preview_of(locked, preview_file)
            if not preview.is_clean:
                locked.status = ImportStatus.REFUSED
                locked.save(update_fields=["status"])
            else:
                write(locked, preview, locked_parent)
    record.refresh_from_db()
    return preview


def import_done(record, preview, now):
    record.status = ImportStatus.DONE
    record.imported_at = now
    record.rows_added = preview.count("add")
    record.rows_changed = preview.count("change")
    record.rows_unchanged = preview.count("same")
    record.save(update_fields=["status", "imported_at", "rows_added", "rows_changed", "rows_unchanged"])
