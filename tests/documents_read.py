"""Reading a .docx the ledger made, as Word would: a paragraph's font, size and colour come from
its runs or else from its style and the styles it is based on."""

import io

import docx
from docx.oxml.ns import qn


def open_docx(response):
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    assert content[:2] == b"PK", response
    return docx.Document(io.BytesIO(content))


def _styles(paragraph):
    style = paragraph.style
    while style is not None:
        yield style
        style = style.base_style


def east_asian_font(paragraph):
    for run in paragraph.runs:
        fonts = run._r.rPr.rFonts if run._r.rPr is not None else None
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia"))
    for style in _styles(paragraph):
        rpr = style.element.rPr
        if rpr is not None and rpr.rFonts is not None and rpr.rFonts.get(qn("w:eastAsia")):
            return rpr.rFonts.get(qn("w:eastAsia"))
    return None


def size_pt(paragraph):
    for run in paragraph.runs:
        if run.font.size:
            return run.font.size.pt
    return next((style.font.size.pt for style in _styles(paragraph) if style.font.size), None)


def colour(paragraph):
    for run in paragraph.runs:
        if run.font.color.type is not None:
            return str(run.font.color.rgb)
    return next((str(s.font.color.rgb) for s in _styles(paragraph) if s.font.color.type is not None), None)


def bottom_rule(paragraph):
    """(colour, eighths of a point) of the paragraph's bottom border, from it or its style."""
    for element in (paragraph._p, *(style.element for style in _styles(paragraph))):
        bottom = element.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:bottom')}")
        if bottom is not None:
            return bottom.get(qn("w:color")), int(bottom.get(qn("w:sz")))
    return None


def table_rules(table):
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    return {child.tag.split("}")[1]: int(child.get(qn("w:sz")) or 0) for child in borders}


def texts(document):
    return [p.text for p in document.paragraphs]


def paragraph_with(document, text):
    return next(p for p in document.paragraphs if text in p.text)


def cell_texts(document):
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def pictures(table):
    return len(table._tbl.findall(f".//{qn('w:drawing')}"))
