"""Documents in the layout of 党政机关公文格式 (GB/T 9704-2012), written with python-docx.

An office keeps its templates as ordinary .docx files (see infra/gongwen_template.py for the
one the ledger ships): the page, the styles and the fixed parts are the template's, and the
variable parts are placeholders typed into it, such as {{标题}}. `Gongwen` opens a template,
puts the values in place of the placeholders and writes the body where {{正文}} stands, with
the template's styles. Nothing here knows the ledger.

Text is always written as text: python-docx escapes it, nothing typed is read as a field,
a placeholder or markup, line breaks become paragraphs, and the control characters XML
cannot hold are dropped. Fonts are named, never embedded (GB/T 9704 names 方正小标宋简体,
仿宋_GB2312, 黑体 and 楷体_GB2312; a machine without them substitutes — see FONT_NOTE).
"""

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

from infra.cells import XML_ILLEGAL

# --- the standard's numbers -----------------------------------------------------------------
# A4; 天头 (top margin) 37 mm, 订口 (left margin) 28 mm; 版心 156 × 225 mm; 22 lines of 28
# characters of 三号 (16 pt) type.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, LEFT_MM, TEXT_WIDTH_MM, TEXT_HEIGHT_MM = 37, 28, 156, 225
RIGHT_MM = PAGE_WIDTH_MM - LEFT_MM - TEXT_WIDTH_MM  # 26
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - TEXT_HEIGHT_MM  # 35
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT, TITLE_PT, RECORD_PT, TABLE_PT = 16, 22, 14, 12  # 三号, 二号, 四号 (版记, 页码), 小四
MARK_PT = 36  # 发文机关标志: the standard leaves the size to the office; narrowed to fit the width
POINTS_PER_MM = 72 / 25.4
LINE_TWIPS = int(TEXT_HEIGHT_MM * POINTS_PER_MM * 20 / LINES_PER_PAGE)  # 579: 28.95 pt a line
LINE_PT = LINE_TWIPS / 20
CHAR_PT = TEXT_WIDTH_MM * POINTS_PER_MM / CHARS_PER_LINE  # 15.79 pt a character
TEXT_WIDTH_PT = TEXT_WIDTH_MM * POINTS_PER_MM
RED = "FF0000"

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"
FONT_LATIN = "Times New Roman"

FONT_NOTE = (
    "本文件按 GB/T 9704-2012《党政机关公文格式》排版，只写字体名称、不嵌入字体：发文机关标志和标题用"
    "方正小标宋简体，正文用仿宋_GB2312，一级标题用黑体，二级标题用楷体_GB2312，页码用宋体。"
    "本机缺少这些字体时，WPS 或 Word 会用别的字体代替，版式可能走样：请安装这些字体，"
    "或在模板的样式里改用 仿宋（FangSong）、楷体（KaiTi）、黑体（SimHei）、宋体（SimSun）。"
)

# The styles a template defines and the body is written in (the template's own, so an office
# that changes a style in Word changes every document made from it).
STYLE_BODY = "公文正文"
STYLE_TITLE = "公文标题"
STYLE_HEADINGS = {1: "公文一级标题", 2: "公文二级标题", 3: "公文三级标题"}
STYLE_MARK = "发文机关标志"
STYLE_NUMBER = "发文字号"
STYLE_ADDRESSEE = "主送机关"
STYLE_SIGNATURE = "发文机关署名"
STYLE_DATE = "成文日期"
STYLE_RECORD = "版记"
STYLE_TABLE = "表格文字"
STYLE_PAGE_NUMBER = "页码"

# The placeholders a template may hold; {{正文}} must stand alone in its paragraph.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]{1,20})\s*\}\}")
BODY = "正文"
PLACEHOLDERS = (
    "发文机关标志",
    "发文字号",
    "标题",
    "主送机关",
    BODY,
    "发文机关署名",
    "成文日期",
    "抄送",
    "印发机关",
    "印发日期",
)

# What follows w:spacing and w:w inside a run's properties (the schema fixes the order).
RPR_AFTER_W = ("w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd")
RPR_AFTER_W += ("w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish")
RPR_AFTER_SPACING = ("w:w", *RPR_AFTER_W)

_DIGITS = "〇一二三四五六七八九"
# A figure in a table cell ("163", "81.6", "85.7%", "—"): centred in its column.
NUMBER = re.compile(r"[-+]?\d[\d,.]*%?|—")


def chinese_date(day: datetime.date) -> str:
    """二〇二六年十二月四日: the year digit by digit (〇 for zero), month and day as numbers."""

    def number(n: int) -> str:
        tens, ones = divmod(n, 10)
        if not tens:
            return _DIGITS[ones]
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")

    return "".join(_DIGITS[int(d)] for d in str(day.year)) + f"年{number(day.month)}月{number(day.day)}日"


def arabic_date(day: datetime.date) -> str:
    """2026年12月4日: the year in full, no leading zeros (印发日期, GB/T 9704-2012 7.4.3)."""
    return f"{day.year}年{day.month}月{day.day}日"


def clean(text: object) -> str:
    """Text as it may go into the document: str, without the control characters XML refuses."""
    return XML_ILLEGAL.sub("", str(text or ""))


def text_width(text: str) -> float:
    """Width in characters of the body's type: ASCII takes half a square, everything else one."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch != "—" else 1 for ch in text)


# --- XML helpers shared with the template -------------------------------------------------


def set_fonts(element, east_asian: str, latin: str = FONT_LATIN) -> None:
    """Name the fonts of a style, run or the document defaults (no theme fonts: those win)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _style(document: Document, name: str):
    """The template's style of that name, or None when an office removed it."""
    try:
        return document.styles[name]
    except KeyError:
        return None


def _text_of(paragraph: Paragraph) -> str:
    return "".join(node.text or "" for node in paragraph._p.iter(qn("w:t")))


def _remove(element) -> None:
    element.getparent().remove(element)


def _paragraphs(document: Document) -> list[Paragraph]:
    """Every paragraph that may hold a placeholder: the body, its tables, headers and footers."""
    found: list[Paragraph] = []

    def walk(container) -> None:
        found.extend(container.paragraphs)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        for part in (section.header, section.footer, section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                walk(part)
    return found


# --- what goes into a document --------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The parts of a 公文 around its body, as they are printed."""

    mark: str  # 发文机关标志, red at the top
    number: str  # 发文字号, e.g. 铁西创卫办〔2026〕12号
    title: str
    addressee: str = ""  # 主送机关, without the colon
    signature: str = ""  # 发文机关署名
    date: str = ""  # 成文日期, as it is to be printed
    copy_to: str = ""  # 抄送机关
    printer: str = ""  # 印发机关
    print_date: str = ""  # 印发日期 (Arabic numerals); "印发" is added


@dataclass(frozen=True)
class Picture:
    """A photo for a table cell: any image Pillow reads, written as a JPEG of `width_mm` at most
    `longest` pixels on its long side."""

    data: bytes
    width_mm: float = 60
    longest: int = 1000


Cell = str | Picture | Sequence[str | Picture]


def jpeg(data: bytes, longest: int = 1000) -> bytes:
    """The picture as a modest JPEG (python-docx reads no WebP; a document needs no full size).
    A JPEG that fits already goes in as it is: encoding it again would only lose detail."""
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "JPEG" and image.mode in ("RGB", "L") and max(image.size) <= longest:
            return data
        image = image.convert("RGB")
        image.thumbnail((longest, longest))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82)
    return out.getvalue()


class Gongwen:
    """One document made from a template: `fill` the head, add the body, `save`."""

    def __init__(self, template: str | IO[bytes]) -> None:
        self.document = docx.Document(template)
        self._anchor: Paragraph | None = None
        # A long document (a 整改报告 of 300 problems) sets thousands of styles and hundreds of
        # pictures: python-docx looks a style up by name, and counts every id in the document
        # for each new picture. Both are looked up once here and carried on.
        self._style_ids: dict[str, str | None] = {}
        self._next_picture_id: int | None = None

    def _style_id(self, name: str) -> str | None:
        if name not in self._style_ids:
            style = _style(self.document, name)
            self._style_ids[name] = style.style_id if style is not None else None
        return self._style_ids[name]

    def _set_style(self, paragraph: Paragraph, name: str) -> None:
        style_id = self._style_id(name)
        if style_id is not None:
            paragraph._p.style = style_id

    def _add_picture(self, paragraph: Paragraph, picture: "Picture") -> None:
        """The picture at the end of the paragraph, as Run.add_picture puts it, with ids counted once."""
        part = self.document.part
        image_id, image = part.get_or_add_image(io.BytesIO(jpeg(picture.data, picture.longest)))
        width, height = image.scaled_dimensions(Mm(picture.width_mm), None)
        if self._next_picture_id is None:
            self._next_picture_id = part.next_id
        inline = CT_Inline.new_pic_inline(self._next_picture_id, image_id, image.filename, width, height)
        self._next_picture_id += 1
        paragraph.add_run()._r.add_drawing(inline)

    # --- the head, the signature and the 版记 ----------------------------------------------

    def fill(self, head: Head, *, author: str = "", created: datetime.datetime | None = None) -> None:
        values = {
            "发文机关标志": head.mark,
            "发文字号": head.number,
            "标题": head.title,
            "主送机关": f"{head.addressee}：" if head.addressee else "",
            "发文机关署名": head.signature,
            "成文日期": head.date,
            "抄送": f"抄送：{head.copy_to.rstrip('。.')}。" if head.copy_to else "",
            "印发机关": head.printer,
            "印发日期": f"{head.print_date}印发" if head.print_date else "",
        }
        values = {key: clean(value) for key, value in values.items()}
        signature = date = None
        for paragraph in _paragraphs(self.document):
            names = PLACEHOLDER.findall(_text_of(paragraph))
            if not names:
                continue
            if BODY in names:
                self._anchor = paragraph
                continue
            text = self._replace(paragraph, values)
            if not text.strip():
                self._drop(paragraph)
            elif "发文机关标志" in names:
                self._fit_mark(paragraph, text)
            elif "发文机关署名" in names:
                signature = (paragraph, text)
            elif "成文日期" in names:
                date = (paragraph, text)
        self._place_signature(signature, date)
        properties = self.document.core_properties
        properties.title = clean(head.title)[:255]
        properties.subject = clean(head.number)[:255]
        properties.keywords = clean(head.number)[:255]
        properties.author = clean(author or head.signature)[:255]
        properties.last_modified_by = properties.author
        properties.comments = FONT_NOTE
        if created is not None:
            # Stored as UTC (W3CDTF with a Z): the local time, converted.
            properties.created = properties.modified = created.astimezone(datetime.UTC).replace(tzinfo=None)

    @staticmethod
    def _replace(paragraph: Paragraph, values: dict[str, str]) -> str:
        """Put the values in; a placeholder inside one run keeps that run's formatting. Only the
        template's text is read for placeholders, never a value put in (typed text stays text)."""

        def substitute(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]) if m[1] != BODY else m[0], text)

        runs = paragraph.runs
        wanted = len(PLACEHOLDER.findall(_text_of(paragraph)))
        if sum(len(PLACEHOLDER.findall(run.text)) for run in runs) == wanted:
            for run in runs:
                if "{{" in run.text:
                    run.text = substitute(run.text)
        elif runs:
            # Split over runs (Word does that to text typed in pieces): the first run takes all.
            runs[0].text = substitute(_text_of(paragraph))
            for run in runs[1:]:
                run.text = ""
        return _text_of(paragraph)

    @staticmethod
    def _drop(paragraph: Paragraph) -> None:
        """An empty part leaves no blank line: its paragraph goes, or its table row if that is empty."""
        row = next((el for el in paragraph._p.iterancestors(qn("w:tr"))), None)
        if row is not None:
            texts = "".join(node.text or "" for node in row.iter(qn("w:t")))
            if not texts.strip():
                _remove(row)
            return
        _remove(paragraph._p)

    def _fit_mark(self, paragraph: Paragraph, text: str) -> None:
        """A long office name is narrowed (character scale), never wrapped, to fit the 版心."""
        size = self._size(paragraph, MARK_PT)
        width = text_width(text) * size
        if width <= TEXT_WIDTH_PT * 0.98:
            return
        scale = max(33, int(TEXT_WIDTH_PT * 0.98 / width * 100))
        for run in paragraph.runs:
            rpr = run._r.get_or_add_rPr()
            for old in rpr.findall(qn("w:w")):
                rpr.remove(old)
            element = OxmlElement("w:w")
            element.set(qn("w:val"), str(scale))
            rpr.insert_element_before(element, *RPR_AFTER_W)

    def _size(self, paragraph: Paragraph, default: float) -> float:
        for run in paragraph.runs:
            if run.font.size:
                return run.font.size.pt
        style = paragraph.style
        while style is not None:
            if style.font.size:
                return style.font.size.pt
            style = style.base_style
        return default

    @staticmethod
    def _place_signature(signature, date) -> None:
        """GB/T 9704-2012 7.3.5.2 (no seal): the 署名 two characters from the right; the date
        under it, starting two characters further right; a date longer than that keeps two
        characters to the right and pushes the 署名 left instead."""
        if signature is None or date is None:
            return
        s, d = text_width(signature[1]), text_width(date[1])
        sig_right = 2.0
        date_right = sig_right + s - d - 2
        if date_right < 2:
            date_right = 2.0
            sig_right = date_right + d + 2 - s
        for (paragraph, _text), right in ((signature, sig_right), (date, date_right)):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.right_indent = Pt(right * BODY_PT)
            paragraph.paragraph_format.first_line_indent = Pt(0)

    # --- the body ---------------------------------------------------------------------------

    def _before_anchor(self, element) -> None:
        if self._anchor is None:
            raise ValueError("the template has no {{正文}} paragraph")
        self._anchor._p.addprevious(element)

    def _new_paragraph(self, text: str, style: str) -> Paragraph:
        if self._anchor is None:
            raise ValueError("the template has no {{正文}} paragraph")
        paragraph = self._anchor.insert_paragraph_before()
        self._set_style(paragraph, style)
        if text:
            paragraph.add_run(text)
        return paragraph

    def paragraph(self, text: object, style: str = STYLE_BODY) -> None:
        """Each line of the text its own paragraph (blank lines are spacing, not paragraphs)."""
        for line in clean(text).splitlines():
            if line.strip():
                self._new_paragraph(line.rstrip(), style)

    def heading(self, level: int, text: str) -> None:
        self.paragraph(text, STYLE_HEADINGS.get(level, STYLE_HEADINGS[3]))

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        widths_mm: Sequence[float],
        *,
        dense: bool = False,
    ) -> Table:
        """A ruled table the width of the 版心; the header row repeats on every page.

        A `dense` table's lines keep the 表格文字 style's own spacing instead of snapping to the
        page's line grid (28.95 pt a line, which Word and LibreOffice both apply to any paragraph
        that does not opt out): for a long table of several lines a row.
        """
        table = self.document.add_table(rows=1, cols=len(widths_mm))
        self._before_anchor(table._tbl)
        _table_frame(table, widths_mm)
        for cell, label in zip(table.rows[0].cells, header, strict=True):
            self._cell(cell, label, header=True)
        _repeat_header(table.rows[0])
        for values in rows:
            row = table.add_row()
            for cell, value, width in zip(row.cells, values, widths_mm, strict=True):
                cell.width = Mm(width)
                self._cell(cell, value)
        for row in table.rows:
            # A row is never split over two pages (a photo cut in half, a label without its text).
            # Keeping whole tables together with "keep with next" on their rows is Word's way,
            # but LibreOffice chains such a table to whatever follows it: one table a page.
            _row_property(row, "w:cantSplit")
            if dense:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        _off_grid(paragraph)
        return table

    def _cell(self, cell, value: Cell, header: bool = False) -> None:
        """Text (a paragraph per line) and photos (side by side while they follow each other)."""
        items = [value] if isinstance(value, str | Picture) else list(value)
        paragraph = None
        after_picture = False
        for item in items:
            if isinstance(item, Picture):
                if not after_picture:
                    paragraph = cell.paragraphs[0] if paragraph is None else cell.add_paragraph()
                    # A picture in a line of exact height would be cut to that line.
                    paragraph.paragraph_format.line_spacing = 1.0
                else:
                    paragraph.add_run(" ")
                self._add_picture(paragraph, item)
                after_picture = True
                continue
            after_picture = False
            for line in clean(item).splitlines() or [""]:
                paragraph = cell.paragraphs[0] if paragraph is None else cell.add_paragraph()
                self._set_style(paragraph, STYLE_TABLE)
                run = paragraph.add_run(line)
                if header:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    set_fonts(run._r, FONT_H1)
                elif NUMBER.fullmatch(line):
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # --- out ----------------------------------------------------------------------------------

    def save(self, handle: IO[bytes]) -> None:
        if self._anchor is not None:
            _remove(self._anchor._p)
            self._anchor = None
        self.document.save(handle)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.save(out)
        return out.getvalue()


def _border(name: str, size: int, color: str = "000000", value: str = "single"):
    element = OxmlElement(f"w:{name}")
    element.set(qn("w:val"), value)
    element.set(qn("w:sz"), str(size))
    element.set(qn("w:space"), "0")
    element.set(qn("w:color"), color)
    return element


def table_borders(table: Table, edges: dict[str, int]) -> None:
    """Set the table's rules: edge name (top, left, bottom, right, insideH, insideV) → eighths of a point (0: none)."""
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for name in ("top", "left", "bottom", "right", "insideH", "insideV"):
        size = edges.get(name, 0)
        borders.append(_border(name, size) if size else _border(name, 0, value="nil"))
    tbl_pr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"
    )


def table_width(table: Table, widths_mm: Sequence[float]) -> None:
    """Fixed column widths that add up to the given total (Word and WPS both honour them)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.insert_element_before(
            width, "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar"
        )
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(int(sum(widths_mm) * POINTS_PER_MM * 20)))
    grid = table._tbl.tblGrid
    for column, size in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        column.set(qn("w:w"), str(int(size * POINTS_PER_MM * 20)))
    for row in table.rows:
        for cell, size in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(size)


def table_cell_margins(table: Table, mm: float) -> None:
    """The same gap left and right inside every cell."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(mm * POINTS_PER_MM * 20)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _table_frame(table: Table, widths_mm: Sequence[float]) -> None:
    table_width(table, widths_mm)
    table_borders(table, dict.fromkeys(("top", "left", "bottom", "right", "insideH", "insideV"), 4))
    table_cell_margins(table, 1)  # narrow columns of figures keep their three-character labels whole
    table.alignment = WD_TABLE_ALIGNMENT.CENTER


def _row_property(row, name: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(name)) is None:
        element = OxmlElement(name)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)


def _off_grid(paragraph: Paragraph) -> None:
    snap = paragraph._p.get_or_add_pPr().find(qn("w:snapToGrid"))
    if snap is None:
        snap = OxmlElement("w:snapToGrid")
        paragraph._p.get_or_add_pPr().insert_element_before(
            snap, "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:jc", "w:rPr"
        )
    snap.set(qn("w:val"), "0")


def _repeat_header(row) -> None:
    _row_property(row, "w:tblHeader")
