"""The 公文 writer under the documents (infra/gongwen.py): the templates the ledger ships, an office's
template edited in Word, dates written the standard's way."""

import datetime
import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from infra.gongwen import PLACEHOLDERS, Gongwen, Head, arabic_date, chinese_date
from infra.gongwen_template import template_document

from .documents_read import colour, paragraph_with, texts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "documents"
HEAD = Head(
    mark="铁西区创建国家卫生城市工作领导小组办公室",
    number="铁西创卫办〔2026〕12号",
    title="关于创卫问题整改情况的通报",
    addressee="各街道（乡镇）",
    signature="铁西区创卫办",
    date="二〇二六年十二月四日",
    printer="铁西区创卫办",
    print_date="2026年12月4日",
)


@pytest.mark.parametrize(
    ("day", "chinese", "arabic"),
    [
        (datetime.date(2026, 12, 4), "二〇二六年十二月四日", "2026年12月4日"),
        (datetime.date(2030, 1, 10), "二〇三〇年一月十日", "2030年1月10日"),
        (datetime.date(2027, 10, 21), "二〇二七年十月二十一日", "2027年10月21日"),
        (datetime.date(2028, 11, 30), "二〇二八年十一月三十日", "2028年11月30日"),
        (datetime.date(2029, 3, 31), "二〇二九年三月三十一日", "2029年3月31日"),
    ],
)
def test_dates_in_chinese_numerals_and_in_figures_without_leading_zeros(day, chinese, arabic):
    assert chinese_date(day) == chinese and arabic_date(day) == arabic


@pytest.mark.parametrize("kind", ["notice", "supervision", "summary", "rectification"])
def test_each_shipped_template_holds_every_placeholder_and_the_standards_styles(kind):
    template = docx.Document(str(TEMPLATES / f"{kind}.docx"))
    text = "\n".join(texts(template)) + "".join(c.text for t in template.tables for r in t.rows for c in r.cells)
    for name in PLACEHOLDERS:
        assert "{{" + name + "}}" in text, name
    for style in ("公文正文", "公文标题", "公文一级标题", "公文二级标题", "发文机关标志", "发文字号", "版记"):
        assert template.styles[style] is not None
    assert colour(paragraph_with(template, "{{发文机关标志}}")) == "FF0000"


def test_an_office_that_retyped_a_placeholder_in_word_still_gets_its_values():
    """Word keeps text typed in pieces as several runs: {{标 and 题}} in two runs still fill."""
    template = template_document()
    title = paragraph_with(template, "{{标题}}")
    title.runs[0].text = "{{标"
    title.add_run("题}}")
    out = io.BytesIO()
    template.save(out)
    document = Gongwen(io.BytesIO(out.getvalue()))
    document.fill(HEAD)
    document.paragraph("正文第一段")
    filled = docx.Document(io.BytesIO(document.to_bytes()))
    lines = texts(filled)
    assert HEAD.title in lines and "正文第一段" in lines
    assert not any("{{" in line for line in lines)
    assert "各街道（乡镇）：" in lines
    # No 抄送 given: the 版记 keeps only its 印发 line.
    record = [cell.text for row in filled.tables[-1].rows for cell in row.cells]
    assert not any("抄送" in text for text in record) and "2026年12月4日印发" in record


def test_a_long_office_name_is_narrowed_to_one_line_not_wrapped():
    document = Gongwen(str(TEMPLATES / "notice.docx"))
    document.fill(HEAD)
    mark = docx.Document(io.BytesIO(document.to_bytes())).paragraphs[0]
    scale = int(mark.runs[0]._r.rPr.find(qn("w:w")).get(qn("w:val")))
    assert 40 < scale < 100  # twenty characters of 36 pt fit the 156 mm line at about 60 %
