"""Many plain rows into an .xlsx, fast and in flat memory.

openpyxl's write-only mode keeps memory flat but spends ~15 µs of Python on every cell (a
Cell object, style lookups, an lxml element): 100,000 ledger lines of 14 columns are most of
a monthly summary's minute. Here openpyxl still writes the workbook — every small sheet, the
styles, the header of the big one — and the big sheet's data rows are then streamed into the
saved file as SpreadsheetML text, a few string operations per cell.

The rows hold what ledger exports hold: text, numbers, dates and naive local datetimes, or
None for an empty cell. Dates and datetimes use the number formats openpyxl registered for a
probe row, which is written and then taken out again, so the styles are openpyxl's own.

Every list sheet the ledger writes opens the same way (list_sheet): its header row frozen
and filters on it, so a thousand rows can be scrolled and sorted without losing the headers.
"""

import datetime
import io
import re
import zipfile
from decimal import Decimal

from openpyxl.utils import get_column_letter

from infra.cells import xlsx_append, xlsx_text

PROBE = (datetime.datetime(2000, 1, 1, 0, 0, 1), datetime.date(2000, 1, 1))
EPOCH = datetime.datetime(1899, 12, 30)
EPOCH_DATE = EPOCH.date()
ROWS_END = "</sheetData>"
FILTER_REF = re.compile(r'(<autoFilter ref="[A-Z]+\d+:[A-Z]+)(\d+)(")')


def list_sheet(sheet, *, columns, header_row=1, last_row=None):
    """Freeze the rows down to the header and put filters on the table under it.

    A write-only sheet needs this before its first row (the freeze is written with the sheet's
    head); call it again with `last_row` once the rows are in, or let save_with_rows stretch the
    filter over the rows it streams.
    """
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{max(last_row or header_row, header_row)}"


def escape(text):
    """Text content of an XML element: &, < and > (quotes need no escaping outside attributes), and
    a carriage return, which an XML reader would otherwise turn into a line feed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _probe_styles(sheet_xml):
    """(datetime style, date style, the probe's row number) from the probe row — the last row
    written — and the sheet without that row."""
    start = sheet_xml.rfind("<row ", 0, sheet_xml.index(ROWS_END))
    match = re.compile(r'<row r="(\d+)"[^>]*>(.*?)</row>').match(sheet_xml, start) if start >= 0 else None
    styles = re.findall(r'<c r="[A-Z]+\d+" s="(\d+)"', match.group(2)) if match else []
    if len(styles) != 2:
        raise RuntimeError("the probe row was not found in the saved sheet")
    return styles[0], styles[1], int(match.group(1)), sheet_xml[: match.start()] + sheet_xml[match.end() :]


def _row_xml(number, values, letters, datetime_style, date_style):
    cells = []
    for letter, value in zip(letters, values, strict=False):
        if value is None or value == "":
            continue
        ref = f"{letter}{number}"
        # Text is always an inline string cell, which Excel shows and never evaluates (see cells.py).
        if isinstance(value, str):
            text = escape(xlsx_text(value))
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float, Decimal)):
            cells.append(f'<c r="{ref}" t="n"><v>{value}</v></c>')
        elif isinstance(value, datetime.datetime):
            serial = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
            cells.append(f'<c r="{ref}" s="{datetime_style}" t="n"><v>{serial!r}</v></c>')
        elif isinstance(value, datetime.date):
            cells.append(f'<c r="{ref}" s="{date_style}" t="n"><v>{(value - EPOCH_DATE).days}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(xlsx_text(str(value)))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _stretch_filter(tail, last_row):
    """The sheet's filter (list_sheet) reaches down to the last row streamed."""

    def stretch(match):
        return f"{match.group(1)}{max(int(match.group(2)), last_row)}{match.group(3)}"

    return FILTER_REF.sub(stretch, tail)


def save_with_rows(workbook, sheet, rows, handle, *, columns, on_row=None, chunk=2000):
    """Save a write-only `workbook` to `handle`, with `rows` appended to `sheet` after what it holds.

    `columns` is how many columns a row has; `on_row(count)` is called every `chunk` rows.
    Returns the number of rows written.
    """
    xlsx_append(sheet, PROBE)
    index = workbook._sheets.index(sheet) + 1
    small = io.BytesIO()
    workbook.save(small)
    small.seek(0)
    letters = [get_column_letter(i) for i in range(1, columns + 1)]
    written = 0
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as target:
        member = f"xl/worksheets/sheet{index}.xml"
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info.filename))
                continue
            datetime_style, date_style, probe_row, xml = _probe_styles(source.read(member).decode("utf-8"))
            head, tail = xml.split(ROWS_END, 1)
            out = zipfile.ZipInfo(member, date_time=info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            with target.open(out, "w", force_zip64=True) as stream:
                stream.write(head.encode("utf-8"))
                buffer = []
                number = probe_row - 1
                for values in rows:
                    number += 1
                    buffer.append(_row_xml(number, values, letters, datetime_style, date_style))
                    written += 1
                    if len(buffer) >= chunk:
                        stream.write("".join(buffer).encode("utf-8"))
                        buffer = []
                        if on_row:
                            on_row(written)
                stream.write("".join(buffer).encode("utf-8"))
                stream.write((ROWS_END + _stretch_filter(tail, number)).encode("utf-8"))
    return written
