"""Cells of the files people open in Excel or WPS: text a person typed never runs as a formula.

Every CSV and .xlsx the ledger writes goes through here (tests/test_export_cells.py checks
the source for writers that do not).

CSV has no cell types: a spreadsheet program evaluates a field that starts with =, +, - or
@, and some skip a leading tab or carriage return first. Such text gets a leading apostrophe
(OWASP, "CSV Injection"): Excel and WPS then show it as text — the apostrophe is visible in
the cell, which is the price of a format that cannot say "this is text". Numbers, dates and
booleans the code computed are left alone: a negative number is a number, not typed text.

.xlsx does have cell types, and a string cell (t="s" / "inlineStr") is never evaluated, so
typed text is written as a string cell exactly as typed, with no apostrophe. That also keeps
the import templates round-tripping: a contact person "-" exported in the units template
comes back as "-" when the file is imported again, not as "'-". openpyxl alone would turn a
str starting with "=" into a formula cell (and "#N/A" into an error cell); the cell's type is
set back to string after the value is assigned.
"""

import csv
import datetime
import re
from decimal import Decimal

from django.utils.functional import Promise
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

# What a spreadsheet program may read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Values the code itself computed: written as they are in either format.
PLAIN_TYPES = (bool, int, float, Decimal, datetime.date, datetime.time, datetime.timedelta)
# XML 1.0 allows no control characters but tab, newline and carriage return (openpyxl refuses them).
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_text(value: object) -> object:
    """One CSV field: typed text that could start a formula gets a leading apostrophe."""
    if value is None or isinstance(value, PLAIN_TYPES):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like sink that hands back what it is given, so a writer's row becomes a str."""

    def write(self, value: str) -> str:
        return value


class CsvWriter:
    """csv.writer whose every field has been through csv_text.

    Without a handle, writerow returns the line as text (for a streamed response).
    """

    def __init__(self, handle=None):
        self._writer = csv.writer(handle if handle is not None else _Line())

    def writerow(self, values) -> object:
        return self._writer.writerow([csv_text(value) for value in values])


def xlsx_text(value: str) -> str:
    """Text as an .xlsx string cell can hold it: without the control characters XML forbids."""
    return XML_ILLEGAL.sub("", value)


def xlsx_cell(sheet, value: object) -> Cell:
    """A cell for `sheet` (write-only or not) holding `value`; text is always a string cell."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        value = xlsx_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_append(sheet, values) -> None:
    """Append a row to `sheet`: values become cells through xlsx_cell, cells made by it pass."""
    sheet.append([value if value is None or isinstance(value, Cell) else xlsx_cell(sheet, value) for value in values])
