"""Reading an uploaded workbook once, safely, into rows an import can check and keep.

The upload is checked against the caps of xlsx_guard before openpyxl sees it; then only the
sheet's header and the rows up to the last one holding a value are read. What comes out — a
`SheetRows` — is plain data: it is kept on the import record as JSON, so showing the preview
again and confirming it check the same rows against the ledger as it is then, without
parsing the file again.

Templates mark their own example rows (示例 in their last column); they are set aside here,
never imported, and the preview says so.
"""

import datetime
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from .xlsx_guard import MAX_COLUMNS, NotAWorkbook, WorkbookRefused, sheet_extent

# A title row or two above the header is allowed; the header is looked for this far down.
HEADER_SEARCH_ROWS = 5
# A row is the header when at least this many of its cells name a column.
HEADER_MIN_LABELS = 3
# Excel's own limit for one cell; a longer "cell" was not typed into Excel.
MAX_CELL_CHARS = 32_767
# All the text of the rows read, together: one long shared string referenced by every cell
# would otherwise multiply into gigabytes in the kept preview.
MAX_TEXT_CHARS = 2_000_000
# Every template's last column: the template's own example rows say 示例 there and are never
# imported. Templates before it had no such column; their example rows carried the phrase.
EXAMPLE_KEY = "_example"
EXAMPLE_LABEL = gettext_lazy("示例标记")
EXAMPLE_MARK = "示例"
LEGACY_EXAMPLE_PHRASE = "导入前请删除或改写本行"


class ColumnShape(Protocol):
    """What reading needs of an import's column (xlsx_import.Column)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> object: ...
    @property
    def required(self) -> bool: ...


class SheetLayout(Protocol):
    """What reading needs of an import's Layout (xlsx_import.Layout, which builds on this module)."""

    @property
    def columns(self) -> Sequence[ColumnShape]: ...
    @property
    def label_to_key(self) -> Mapping[str, str]: ...
    @property
    def sheet_name(self) -> object: ...
    @property
    def too_big(self) -> object: ...
    @property
    def no_rows(self) -> object: ...


# A data row: its number in the sheet and {column key: cell value}.
Row = tuple[int, dict[str, Any]]


def normalise_label(text: object) -> str:
    return re.sub(r"[\s（）()%％*＊]", "", str(text or ""))


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def not_excel() -> str:
    return _("这不是有效的 Excel 文件（.xlsx）。如果是 .xls 或 WPS 格式，请在 Excel/WPS 中“另存为 .xlsx”后再上传。")


def examples_skipped(numbers: Iterable[int]) -> str:
    return _("示例行已跳过：第 %(rows)s 行是模板自带的示例（“示例标记”一列标着“示例”），不会导入。") % {
        "rows": "、".join(str(number) for number in numbers)
    }


# --- the kept form of a cell ---------------------------------------------------------------
# JSON has strings, numbers, booleans and null; a cell can also be a date or time (or a
# number JSON cannot write). Those become one-key objects, which no cell value is.


def _encode(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"time": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"seconds": value.total_seconds()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def _decode(value: object) -> object:
    if not isinstance(value, dict):
        return value
    ((kind, text),) = value.items()
    if kind == "datetime":
        return datetime.datetime.fromisoformat(text)
    if kind == "date":
        return datetime.date.fromisoformat(text)
    if kind == "time":
        return datetime.time.fromisoformat(text)
    if kind == "seconds":
        return datetime.timedelta(seconds=text)
    return float(text)


@dataclass
class SheetRows:
    """One upload read for one import: the header's column keys, the data rows as
    (row number, {column key: cell value}), the example rows set aside, and what is wrong
    with the file as a whole (then nothing else is read)."""

    header: list[str | None] | None = None
    rows: list[Row] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows_read: int = 0  # rows openpyxl handed over, the header's and the title's included

    def to_json(self) -> dict[str, Any]:
        return {
            "header": self.header,
            "rows": [[number, {key: _encode(value) for key, value in raw.items()}] for number, raw in self.rows],
            "examples": self.examples,
            "errors": [str(error) for error in self.errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SheetRows":
        return cls(
            header=data["header"],
            rows=[(number, {key: _decode(value) for key, value in raw.items()}) for number, raw in data["rows"]],
            examples=data["examples"],
            errors=data["errors"],
        )


def read_workbook(data: bytes, layout: SheetLayout) -> SheetRows:
    """The rows of the layout's sheet (or the first), read once, or why the file cannot be read."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        return SheetRows(errors=[str(layout.too_big)])
    if not data:
        return SheetRows(errors=[_("上传的是空文件。")])
    try:
        extent = sheet_extent(data, str(layout.sheet_name))
    except WorkbookRefused as refused:
        return SheetRows(errors=[str(refused)])
    except NotAWorkbook:
        return SheetRows(errors=[not_excel()])
    result = SheetRows()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            # Only the first columns up to the last one holding a value are read, and only down
            # to the last row holding one (xlsx_guard measured both): read-only openpyxl pads
            # every row to the sheet's claimed width and fills the gaps between rows, so a
            # few-kilobyte file with one cell at XFD1048576 would otherwise be billions of empty cells.
            rows = workbook[extent.sheet].iter_rows(
                values_only=True, max_col=max(1, min(extent.columns, MAX_COLUMNS)), max_row=max(1, extent.rows)
            )
            read_rows(rows, layout, result)
        finally:
            workbook.close()
    except _TooMuchText as refused:
        return SheetRows(errors=[str(refused)])
    except Exception:  # openpyxl raises many kinds for a broken workbook, some only while reading cells
        return SheetRows(errors=[not_excel()])
    return whole_file_checks(result, layout)


class _TooMuchText(Exception):
    pass


def _is_example(values: dict[str, Any]) -> bool:
    marker = cell_text(values.pop(EXAMPLE_KEY, None))
    if marker.startswith(EXAMPLE_MARK):
        return True
    return any(isinstance(value, str) and LEGACY_EXAMPLE_PHRASE in value for value in values.values())


def read_table(rows: Iterable[Sequence[Any]], layout: SheetLayout) -> SheetRows:
    """Rows that are no workbook (a table pasted from a document), read by the same rules:
    the header found by its names, example rows set aside, the same caps and file checks."""
    result = SheetRows()
    try:
        read_rows(rows, layout, result)
    except _TooMuchText as refused:
        return SheetRows(errors=[str(refused)])
    return whole_file_checks(result, layout)


def read_rows(rows: Iterable[Sequence[Any]], layout: SheetLayout, result: SheetRows) -> None:
    """Find the header (a title row above it is allowed) and read the rows below it into `result`."""
    rows = iter(rows)
    text = 0
    header_row = 0
    for number, row in enumerate(rows, start=1):
        result.rows_read += 1
        keys = [layout.label_to_key.get(normalise_label(cell)) for cell in row]
        if sum(1 for key in keys if key and key != EXAMPLE_KEY) >= HEADER_MIN_LABELS:
            result.header, header_row = keys, number
            break
        if number >= HEADER_SEARCH_ROWS:
            return
    if result.header is None:
        return
    for number, row in enumerate(rows, start=header_row + 1):
        result.rows_read += 1
        values = {key: row[index] for index, key in enumerate(result.header) if key and index < len(row)}
        for value in values.values():
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise _TooMuchText(
                        _("第 %(row)s 行有单元格超过 %(n)s 个字符（Excel 的上限），无法读取。")
                        % {"row": number, "n": MAX_CELL_CHARS}
                    )
                text += len(value)
        if text > MAX_TEXT_CHARS:
            raise _TooMuchText(_("表格里的文字总量超过 %(n)s 字，无法读取。") % {"n": f"{MAX_TEXT_CHARS:,}"})
        if all(cell_text(value) == "" for value in values.values()):
            continue
        if _is_example(values):
            result.examples.append(number)
            continue
        result.rows.append((number, values))
        if len(result.rows) > settings.IMPORT_MAX_ROWS:
            return


def whole_file_checks(result: SheetRows, layout: SheetLayout) -> SheetRows:
    """What is wrong with the rows read as a whole (no header, a required column missing, no
    rows, too many); any such error drops the rows. Any reader of rows ends with it."""
    columns = layout.columns
    if result.header is None:
        result.errors = [
            _("没有找到表头。第一行应是列名：%(cols)s。") % {"cols": "、".join(str(c.label) for c in columns)}
        ]
        return result
    missing = [str(column.label) for column in columns if column.required and column.key not in result.header]
    if missing:
        result.errors = [_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)}]
    elif not result.rows:
        result.errors = [str(layout.no_rows)]
        if result.examples:
            result.errors.append(examples_skipped(result.examples))
    elif len(result.rows) > settings.IMPORT_MAX_ROWS:
        result.errors = [_("一次最多导入 %(n)s 行。") % {"n": settings.IMPORT_MAX_ROWS}]
    if result.errors:
        result.rows = []
    return result
