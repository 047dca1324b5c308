"""The template the ledger ships for its documents, laid out as GB/T 9704-2012 asks.

`template_document()` builds it with python-docx; scripts/document_templates.py saves it as
templates/documents/<kind>.docx, where an office may open it in Word or WPS and adjust it
(styles, spacing, the fixed words) as long as the placeholders stay (see infra/gongwen.py).

From the top: 发文机关标志 in red 小标宋 35 mm below the 版心's top edge; two lines down the
发文字号 with the red separator line 4 mm under it, as wide as the 版心; two lines down the
title (二号 小标宋); a line down the 主送机关; the body (三号 仿宋_GB2312, 22 lines of 28
characters on the document grid); a line down the 署名 and 成文日期; and the 版记 (抄送, 印发机关
and 印发日期 between a thick rule, a thin one and a thick one) held at the foot of the last
page. Page numbers "— 1 —" in 四号 宋体, 7 mm under the 版心: odd pages on the right, even pages
on the left, one character in.
"""

import docx
from docx.document import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from infra.gongwen import (
    BODY_PT,
    BOTTOM_MM,
    CHAR_PT,
    FONT_BODY,
    FONT_H1,
    FONT_H2,
    FONT_NOTE,
    FONT_PAGE_NUMBER,
    FONT_TITLE,
    LEFT_MM,
    LINE_PT,
    LINE_TWIPS,
    MARK_PT,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    RECORD_PT,
    RED,
    RIGHT_MM,
    RPR_AFTER_SPACING,
    STYLE_ADDRESSEE,
    STYLE_BODY,
    STYLE_DATE,
    STYLE_HEADINGS,
    STYLE_MARK,
    STYLE_NUMBER,
    STYLE_PAGE_NUMBER,
    STYLE_RECORD,
    STYLE_SIGNATURE,
    STYLE_TABLE,
    STYLE_TITLE,
    TABLE_PT,
    TEXT_WIDTH_MM,
    TITLE_PT,
    TOP_MM,
    set_fonts,
    table_borders,
    table_cell_margins,
    table_width,
)

# The 发文字号's paragraph carries the red line: 4 mm under the text (a border's gap is in points).
RED_LINE_GAP_PT = 11
RED_LINE_EIGHTHS = 12  # 1.5 pt
THICK_RULE, THIN_RULE = 8, 6  # 版记: 0.35 mm and 0.25 mm, in eighths of a point
RECORD_LINE_PT = 24  # 版记 lines of 四号 type: room to breathe between the rules, less than a body line
MARK_LINE_PT = 48
# 28 characters in 442.2 pt: 15.79 pt each, so 16 pt type is set a quarter point (5 twips) tighter.
CONDENSE_TWIPS = -round((BODY_PT - CHAR_PT) * 20 + 0.5)
# 发文机关标志 上边缘至版心上边缘 35 mm: the gap above its line, less the line's own leading.
MARK_SPACE_BEFORE_PT = 35 * 72 / 25.4 - (MARK_LINE_PT - MARK_PT) / 2 - MARK_PT * 0.12
# Page numbers: 一字线上距版心下边缘 7 mm, so the footer's baseline sits about this far up.
FOOTER_DISTANCE_MM = BOTTOM_MM - 7 - 5


def _paragraph_style(document: Document, name: str, **spec) -> None:
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"] if name != "Normal" else None
    style.quick_style = True
    font = style.font
    set_fonts(style.element, spec.get("font", FONT_BODY))
    font.size = Pt(spec.get("size", BODY_PT))
    font.bold = spec.get("bold", False)
    font.color.rgb = RGBColor.from_string(spec.get("color", "000000"))
    layout = style.paragraph_format
    layout.alignment = spec.get("align", WD_ALIGN_PARAGRAPH.JUSTIFY)
    layout.first_line_indent = Pt(spec.get("indent", 0) * BODY_PT)
    layout.left_indent = Pt(spec.get("left", 0))
    layout.right_indent = Pt(spec.get("right", 0))
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = Pt(spec.get("line", LINE_PT))
    layout.space_before = Pt(spec.get("before", 0))
    layout.space_after = Pt(0)
    layout.keep_with_next = spec.get("keep", False)
    layout.widow_control = False


def _styles(document: Document) -> None:
    # Document defaults: no theme fonts (they would win over the names), Chinese text.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")
    fonts.set(qn("w:eastAsia"), FONT_BODY)
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    # 三号 by default: the document grid counts its characters in the default size.
    for name in ("w:sz", "w:szCs"):
        rpr.find(qn(name)).set(qn("w:val"), str(BODY_PT * 2))
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")

    _paragraph_style(document, "Normal")
    _condensed(document.styles["Normal"])
    _paragraph_style(document, STYLE_BODY, indent=2)
    _paragraph_style(document, STYLE_TITLE, font=FONT_TITLE, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line=35)
    _paragraph_style(document, STYLE_HEADINGS[1], font=FONT_H1, indent=2, keep=True)
    _paragraph_style(document, STYLE_HEADINGS[2], font=FONT_H2, indent=2, keep=True)
    _paragraph_style(document, STYLE_HEADINGS[3], indent=2, keep=True)
    _paragraph_style(
        document,
        STYLE_MARK,
        font=FONT_TITLE,
        size=MARK_PT,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=MARK_LINE_PT,
        before=MARK_SPACE_BEFORE_PT,
    )
    _paragraph_style(document, STYLE_NUMBER, align=WD_ALIGN_PARAGRAPH.CENTER)
    _red_line(document.styles[STYLE_NUMBER])
    _paragraph_style(document, STYLE_ADDRESSEE, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(document, STYLE_SIGNATURE, align=WD_ALIGN_PARAGRAPH.RIGHT, right=2 * BODY_PT)
    _paragraph_style(document, STYLE_DATE, align=WD_ALIGN_PARAGRAPH.RIGHT, right=4 * BODY_PT)
    # 版记: 四号, one character in on each side; a 抄送 that wraps lines up after the colon.
    _paragraph_style(document, STYLE_RECORD, size=RECORD_PT, align=WD_ALIGN_PARAGRAPH.LEFT, line=RECORD_LINE_PT)
    _paragraph_style(document, STYLE_TABLE, size=TABLE_PT, align=WD_ALIGN_PARAGRAPH.LEFT, line=18)
    _paragraph_style(document, STYLE_PAGE_NUMBER, font=FONT_PAGE_NUMBER, size=RECORD_PT, line=RECORD_PT * 1.5)


def _condensed(style) -> None:
    """Type a quarter point narrower than its size, so 28 三号 characters fill the 156 mm line."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CONDENSE_TWIPS))
    rpr = style.element.get_or_add_rPr()
    rpr.insert_element_before(spacing, *RPR_AFTER_SPACING)


def _red_line(style) -> None:
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", RED_LINE_EIGHTHS), ("space", RED_LINE_GAP_PT), ("color", RED)):
        bottom.set(qn(f"w:{key}"), str(value))
    borders.append(bottom)
    ppr.insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:snapToGrid", "w:spacing", "w:ind", "w:jc", "w:rPr"
    )


def _page(document: Document) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    # 22 lines a page on the line grid. The 28 characters a line come from the type itself
    # (condensed a quarter point, see _styles): a character grid would do it in Word, but
    # LibreOffice spreads the characters of such a grid twice as wide.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_TWIPS))
    document.settings.odd_and_even_pages_header_footer = True
    for footer, align, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = document.styles[STYLE_PAGE_NUMBER]
        paragraph.alignment = align
        setattr(paragraph.paragraph_format, f"{side}_indent", Pt(RECORD_PT))
        paragraph.add_run("— ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), " PAGE ")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)
        paragraph.add_run(" —")


def _record(document: Document) -> None:
    """版记: 抄送, then 印发机关 and 印发日期, between a thick rule, a thin one and a thick one
    (GB/T 9704 7.4), as a table after the 成文日期. The standard puts it at the foot of the last
    page; a table floated there is placed by Word but left in the flow (and a blank page added)
    by the LibreOffice this project renders with, so it stays in the flow: an office that wants
    it at the foot adds blank lines above it (README, Documents)."""
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    half = TEXT_WIDTH_MM / 2
    table_width(table, (half, half))
    table_borders(table, {"top": THICK_RULE, "bottom": THICK_RULE, "insideH": THIN_RULE})
    table_cell_margins(table, 0)

    style = document.styles[STYLE_RECORD]
    copy_row = table.rows[0]
    copy_to = copy_row.cells[0].merge(copy_row.cells[1]).paragraphs[0]
    copy_to.style = style
    # "抄送：" then the names; a second line starts under the first name (GB/T 9704 7.4.2).
    copy_to.paragraph_format.left_indent = Pt(4 * RECORD_PT)
    copy_to.paragraph_format.first_line_indent = Pt(-3 * RECORD_PT)
    copy_to.paragraph_format.right_indent = Pt(RECORD_PT)
    copy_to.add_run("{{抄送}}")
    copy_to.paragraph_format.keep_with_next = True  # the 版记's two lines stay on one page
    for row in table.rows:
        cant_split = OxmlElement("w:cantSplit")
        cant_split.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(cant_split)
    printer, printed = table.rows[1].cells
    for cell, text, align, side in (
        (printer, "{{印发机关}}", WD_ALIGN_PARAGRAPH.LEFT, "left"),
        (printed, "{{印发日期}}", WD_ALIGN_PARAGRAPH.RIGHT, "right"),
    ):
        paragraph = cell.paragraphs[0]
        paragraph.style = style
        paragraph.alignment = align
        setattr(paragraph.paragraph_format, f"{side}_indent", Pt(RECORD_PT))
        paragraph.add_run(text)


def template_document(description: str = "") -> Document:
    """The empty 公文 with its placeholders, ready to save as a template."""
    document = docx.Document()
    _styles(document)
    _page(document)
    body = document.styles

    def line(text: str = "", style: str = "Normal") -> None:
        document.add_paragraph(text, style=body[style])

    line("{{发文机关标志}}", STYLE_MARK)
    line()
    line()  # 发文字号: two lines under the 发文机关标志
    line("{{发文字号}}", STYLE_NUMBER)
    line()
    line()  # the title: two lines under the red line
    line("{{标题}}", STYLE_TITLE)
    line()  # 主送机关: a line under the title
    line("{{主送机关}}", STYLE_ADDRESSEE)
    line("{{正文}}", STYLE_BODY)
    line()  # 署名: a line under the body
    line("{{发文机关署名}}", STYLE_SIGNATURE)
    line("{{成文日期}}", STYLE_DATE)
    _record(document)  # straight under the 成文日期: a blank line more would push it over a page more often
    # A document ends with a paragraph; a hair-thin one, so a 版记 that ends a page adds none.
    end = document.add_paragraph(style=body["Normal"])
    end.paragraph_format.line_spacing = Pt(1)
    end.paragraph_format.first_line_indent = Pt(0)
    properties = document.core_properties
    properties.title = description
    properties.author = ""
    properties.comments = FONT_NOTE
    return document
