"""What an uploaded workbook may cost, measured before openpyxl parses it.

An .xlsx is a zip of XML parts, and a few kilobytes of zip can hold many megabytes of XML.
openpyxl, even read-only, loads every shared string into a list at once (3.3 million of them,
from a 145 KB file, took 51 s and 445 MB), parses the styles and every part it finds whole,
reads each worksheet that lacks a <dimension> to the end just to size it, and pads the rows a
sheet leaves out. So the zip's directory is read first, then the parts that cost are streamed
through lxml (entities not resolved, no network) to callbacks that count, each count
stopping at its cap: no tree is built, so memory stays flat. Each cap has its own message saying
the limit, so an office knows what to cut.

The caps are sized for the largest file the imports accept (2,000 rows) with room to spare,
and so that a file just under every cap at once still reads in a few seconds and a modest
amount of memory: `make bench-imports` builds that file and measures it (bench/RESULTS.md).
"""

import io
import posixpath
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

MB = 1024 * 1024
# The zip's central directory: an Excel workbook has a few dozen parts (~80 bytes each).
MAX_DIRECTORY_BYTES = 64 * 1024
MAX_PARTS = 300
# Every part unzipped, together.
MAX_UNZIPPED_BYTES = 12 * MB
# The shared-strings part (xl/sharedStrings.xml): its size, its strings (<si>) and all its
# elements (rich text puts several runs in one string, each a handful of elements).
MAX_SHARED_STRINGS_BYTES = 4 * MB
MAX_SHARED_STRINGS = 50_000
MAX_SHARED_STRING_ELEMENTS = 150_000
# Every worksheet of the workbook (openpyxl reads a sheet without a <dimension> whole just to
# size it): cells, and XML elements of any kind (rows, merged ranges, values …).
MAX_CELLS = 100_000
MAX_SHEET_ELEMENTS = 300_000
# The area the import reads, rows × columns, from A1 to the last cell holding a value
# within the first MAX_COLUMNS columns: empty rows in between are padded by openpyxl.
MAX_AREA = 150_000
# Parts openpyxl parses whole that are neither worksheets nor shared strings: styles, the
# workbook, relationships, document properties, charts … (pictures are not parsed).
MAX_OTHER_XML_BYTES = 1 * MB
# Columns read; no template is wider than a dozen.
MAX_COLUMNS = 64

WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
XML_SUFFIXES = (".xml", ".rels")
CHUNK = 64 * 1024
EOCD = b"PK\x05\x06"
EOCD_SIZE = 22
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


class WorkbookRefused(Exception):
    """The workbook costs more to read than an import allows; the message says which limit."""


class NotAWorkbook(Exception):
    """The bytes are no .xlsx workbook at all."""


@dataclass(frozen=True)
class SheetExtent:
    """The sheet an import will read and how far: rows 1..rows, columns 1..columns."""

    sheet: str
    rows: int
    columns: int


def _mb(size: int) -> str:
    return f"{size / MB:.0f}"


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _directory_size(data: bytes) -> int | None:
    """The central directory's size as the end record gives it (where zipfile looks for it)."""
    position = len(data) - EOCD_SIZE
    if position < 0:
        return None
    if data[position : position + 4] != EOCD:
        position = data.rfind(EOCD, max(0, len(data) - EOCD_SIZE - 0xFFFF))
        if position < 0 or position + EOCD_SIZE > len(data):
            return None
    return struct.unpack_from("<I", data, position + 12)[0]


def _feed(archive: zipfile.ZipFile, name: str, target: "_SharedStrings | _Sheets") -> None:
    """Stream one part through `target`'s start/end/data callbacks: no tree is built, so
    memory stays flat however large the part, and a callback stops the parse by raising."""
    parser = etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    with archive.open(name) as source:
        while chunk := source.read(CHUNK):
            parser.feed(chunk)
    parser.close()


def _small_tree(archive: zipfile.ZipFile, sizes: Mapping[str, int], name: str) -> Any:
    """A structural part (content types, workbook, relationships), parsed whole: it is small."""
    if name not in sizes:
        return None
    if sizes[name] > MAX_OTHER_XML_BYTES:
        raise WorkbookRefused(_other_message())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(archive.read(name), parser)
    except etree.XMLSyntaxError as error:
        raise NotAWorkbook from error


def _other_message() -> str:
    return _(
        "文件中的格式、图表等表格以外的内容解压后超过 %(max)s MB，无法读取。请把数据复制到下载的模板中再上传。"
    ) % {"max": _mb(MAX_OTHER_XML_BYTES)}


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _target(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _package(archive: zipfile.ZipFile, sizes: Mapping[str, int]) -> tuple[str, str | None, list[tuple[str, str]]]:
    """(workbook part, shared-strings part or None, [(sheet name, worksheet part)]), as openpyxl finds them."""
    types = _small_tree(archive, sizes, "[Content_Types].xml")
    if types is None:
        raise NotAWorkbook
    overrides = [
        (element.get("PartName", "").lstrip("/"), element.get("ContentType", ""))
        for element in types
        if _local(element.tag) == "Override"
    ]
    workbook = next((part for part, kind in overrides if kind in WORKBOOK_TYPES), "xl/workbook.xml")
    strings = next((part for part, kind in overrides if kind == SHARED_STRINGS_TYPE), None)
    book = _small_tree(archive, sizes, workbook)
    rels = _small_tree(archive, sizes, _rels_path(workbook))
    if book is None or rels is None:
        raise NotAWorkbook
    targets = {
        element.get("Id"): (element.get("Type", ""), _target(workbook, element.get("Target", "")))
        for element in rels
        if _local(element.tag) == "Relationship"
    }
    tabs: list[tuple[str, str]] = []
    for element in book.iter("{*}sheet"):
        rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        kind, part = targets.get(rel_id, ("", ""))
        if kind.endswith("/worksheet") and part in sizes:
            tabs.append((element.get("name", ""), part))
    return workbook, strings if strings in sizes else None, tabs


class _SharedStrings:
    """Counts the strings (<si>) and elements of the shared-strings part, stopping at a cap."""

    def __init__(self) -> None:
        self.strings = self.elements = 0

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_SHARED_STRING_ELEMENTS:
            raise WorkbookRefused(
                _("表格中的文字带有过多的格式（超过 %(max)s 处），无法读取。请粘贴为纯文本后再上传。")
                % {"max": f"{MAX_SHARED_STRING_ELEMENTS:,}"}
            )
        if _local(tag) == "si":
            self.strings += 1
            if self.strings > MAX_SHARED_STRINGS:
                raise WorkbookRefused(
                    _("表格中不同的文字超过 %(max)s 条（共享字符串），无法读取。请只保留要导入的一张表后再上传。")
                    % {"max": f"{MAX_SHARED_STRINGS:,}"}
                )

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _check_shared_strings(archive: zipfile.ZipFile, sizes: Mapping[str, int], part: str) -> None:
    if sizes[part] > MAX_SHARED_STRINGS_BYTES:
        raise WorkbookRefused(
            _("表格中的文字（共享字符串）解压后有 %(size)s MB，超过 %(max)s MB 的上限，无法读取。")
            % {"size": _mb(sizes[part]), "max": _mb(MAX_SHARED_STRINGS_BYTES)}
        )
    _feed(archive, part, _SharedStrings())


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _too_many_elements() -> str:
    return _("工作表里的单元格、合并单元格等内容超过 %(max)s 项，无法读取。请只保留要导入的一张表后再上传。") % {
        "max": f"{MAX_SHEET_ELEMENTS:,}"
    }


def _too_many_cells() -> str:
    return _("表格的单元格超过 %(max)s 个，无法读取。请只保留要导入的一张表和需要的列后再上传。") % {
        "max": f"{MAX_CELLS:,}"
    }


class _Sheets:
    """Cells and elements over every worksheet, and how far the read sheet holds values:
    the parser's callbacks for one worksheet after another (see `scan`)."""

    def __init__(self) -> None:
        self.cells = self.elements = 0
        self._reset()

    def _reset(self) -> None:
        self.last_row = self.last_column = 0
        self.row = self.column = 0
        self.has_value = self.in_value = False

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_SHEET_ELEMENTS:
            raise WorkbookRefused(_too_many_elements())
        name = _local(tag)
        if name == "c":
            self.cells += 1
            if self.cells > MAX_CELLS:
                raise WorkbookRefused(_too_many_cells())
            match = CELL_REF.match(attrib.get("r") or "")
            self.column = _column_number(match.group(1)) if match else self.column + 1
            self.has_value = False
        elif name == "row":
            number = attrib.get("r") or ""
            self.row = int(number) if number.isdigit() and len(number) <= 7 else self.row + 1
            self.column = 0
        elif name in ("v", "t"):
            self.in_value = True

    def data(self, text: str) -> None:
        if self.in_value and not self.has_value and text.strip():
            self.has_value = True

    def end(self, tag: str) -> None:
        name = _local(tag)
        if name in ("v", "t"):
            self.in_value = False
        elif name == "c" and self.has_value and self.column <= MAX_COLUMNS:
            self.last_row = max(self.last_row, self.row)
            self.last_column = max(self.last_column, self.column)

    def close(self) -> None:
        pass

    def scan(self, archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
        """(last row, last column) holding a value within the first MAX_COLUMNS columns."""
        self._reset()
        _feed(archive, part, self)
        return self.last_row, self.last_column


def sheet_extent(data: bytes, sheet_name: str) -> SheetExtent:
    """Check an uploaded workbook against every cap before it is parsed; say what to read.

    The sheet is the one named `sheet_name`, else the first worksheet (as the imports choose).
    Raises WorkbookRefused with the limit it broke, or NotAWorkbook.
    """
    directory = _directory_size(data)
    if directory is not None and directory > MAX_DIRECTORY_BYTES:
        raise WorkbookRefused(_("文件包含的部件太多，不像是普通的 Excel 表格，无法读取。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise NotAWorkbook from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise WorkbookRefused(_("文件包含的部件太多，不像是普通的 Excel 表格，无法读取。"))
        # A name given twice is opened as its last entry; every entry counts towards the total.
        sizes = {info.filename: info.file_size for info in infos}
        total = sum(info.file_size for info in infos)
        if total > MAX_UNZIPPED_BYTES:
            raise WorkbookRefused(
                _("文件解压后有 %(size)s MB，超过 %(max)s MB 的上限，无法读取。请只保留要导入的一张表后再上传。")
                % {"size": _mb(total), "max": _mb(MAX_UNZIPPED_BYTES)}
            )
        try:
            return _extent(archive, infos, sizes, sheet_name)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, etree.XMLSyntaxError) as error:
            raise NotAWorkbook from error


def _extent(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sizes: Mapping[str, int], sheet_name: str
) -> SheetExtent:
    _workbook, strings, sheets = _package(archive, sizes)
    if not sheets:
        raise NotAWorkbook
    counted_apart = {part for _name, part in sheets} | {strings}
    other = sum(
        info.file_size
        for info in infos
        if info.filename.lower().endswith(XML_SUFFIXES) and info.filename not in counted_apart
    )
    if other > MAX_OTHER_XML_BYTES:
        raise WorkbookRefused(_other_message())
    if strings is not None:
        _check_shared_strings(archive, sizes, strings)
    name, part = next(((name, part) for name, part in sheets if name == sheet_name), sheets[0])
    count = _Sheets()
    rows, columns = count.scan(archive, part)
    for _other_name, other_part in sheets:
        if other_part != part:
            count.scan(archive, other_part)
    if rows * columns > MAX_AREA:
        raise WorkbookRefused(
            _(
                "要读取的区域有 %(rows)s 行 × %(cols)s 列，超过 %(max)s 个单元格，无法读取。"
                "请删除表格下方或右侧多余的内容后再上传。"
            )
            % {"rows": f"{rows:,}", "cols": columns, "max": f"{MAX_AREA:,}"}
        )
    return SheetExtent(sheet=name, rows=rows, columns=columns)
