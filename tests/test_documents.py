"""Documents in the office's own format: the 通报, the 督办单, the 月度情况专报 and the 整改报告 as
.docx in the GB/T 9704 layout, opened with python-docx and read part by part."""

import datetime
import io
import re
import zipfile
from urllib.parse import unquote

import docx
import pytest
from django.urls import reverse
from django.utils import timezone
from docx.shared import Mm

from campaigns import workflow
from campaigns.models import AuditEvent, AuditKind, DocumentSettings, Notice
from campaigns.services.monthly import summary_generate, summary_request
from infra.gongwen import chinese_date

from .documents_read import (
    bottom_rule,
    cell_texts,
    colour,
    east_asian_font,
    open_docx,
    paragraph_with,
    pictures,
    size_pt,
    table_rules,
    texts,
)
from .factories import form_key

pytestmark = pytest.mark.django_db
MARK = "铁西区创建国家卫生城市工作领导小组办公室"
CHINESE_DATE = re.compile(r"[〇一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日")


@pytest.fixture
def office(tx):
    """铁西区's 公文设置, as its admin keeps them."""
    return DocumentSettings.objects.create(
        district=tx.unit,
        mark=MARK,
        signature=MARK,
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
        addressee="各街道（乡镇）、区直各有关部门",
        superior="四平市创卫办",
        copy_to="区委办公室，区政府办公室",
    )


def draft_notice(client, tx):
    """The admin drafts a 通报 of this month so far (the page opens on last month by default)."""
    client.force_login(tx.admin)
    today = timezone.localdate()
    period = {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key(), **period})
    return Notice.objects.get(district=tx.unit)


def test_the_admin_issues_a_notice_and_the_leader_downloads_it_in_the_official_layout(client, tx, office):
    tx.closed(unit=tx.department)
    tx.assigned(unit=tx.department2)
    notice = draft_notice(client, tx)
    response = client.post(reverse("campaigns:notice-issue", args=[notice.pk]))
    assert response.status_code == 302
    year = timezone.localdate().year
    notice.refresh_from_db()
    assert notice.doc_number == f"铁西创卫办〔{year}〕1号" and notice.issued_by == tx.admin

    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:notice-docx", args=[notice.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "通报" in unquote(response["Content-Disposition"]) and "〔" in unquote(response["Content-Disposition"])
    document = open_docx(response)
    paragraphs = document.paragraphs
    # 版头: the office's name in red 小标宋, the 文号 with 六角括号 and the red line under it.
    assert paragraphs[0].text == MARK and colour(paragraphs[0]) == "FF0000"
    assert east_asian_font(paragraphs[0]) == "方正小标宋简体"
    number = paragraph_with(document, "〔")
    assert number.text == notice.doc_number
    assert bottom_rule(number)[0] == "FF0000"
    title = paragraph_with(document, notice.title)
    assert east_asian_font(title) == "方正小标宋简体" and size_pt(title) == 22
    assert paragraph_with(document, "各街道（乡镇）").text.endswith("：")
    # Body in 仿宋 三号, headings in 黑体.
    intro = paragraph_with(document, "全区共发现问题")
    assert "仿宋" in east_asian_font(intro) and size_pt(intro) == 16
    assert east_asian_font(paragraph_with(document, "一、红榜")) == "黑体"
    # 署名 and 成文日期 in Chinese numerals; the 版记 with 抄送, 印发机关 and 印发日期.
    today = timezone.localdate()
    date = paragraph_with(document, "年" + chinese_date(today).split("年")[1])
    assert CHINESE_DATE.fullmatch(date.text) and date.text == chinese_date(today)
    record = document.tables[-1]
    assert table_rules(record)["top"] == 8 and table_rules(record)["insideH"] == 6
    record_text = " ".join(cell_texts(document))
    assert "抄送：区委办公室，区政府办公室。" in record_text
    assert "铁西区创卫办" in record_text and f"{today.year}年{today.month}月{today.day}日印发" in record_text
    # A4 with the standard's margins; page numbers "— 1 —"; the font note in the properties.
    section = document.sections[0]
    for measured, mm in (
        (section.page_width, 210),
        (section.page_height, 297),
        (section.top_margin, 37),
        (section.left_margin, 28),
        (section.right_margin, 26),
        (section.bottom_margin, 35),
    ):
        assert abs(measured - Mm(mm)) < Mm(0.5)
    assert section.footer.paragraphs[0].text.startswith("— ") and "PAGE" in section.footer._element.xml
    assert "仿宋_GB2312" in document.core_properties.comments
    audit = AuditEvent.objects.get(kind=AuditKind.EXPORT, user=tx.leader)
    assert audit.target.startswith("通报") and audit.district_id == tx.unit.pk


def test_a_notice_not_issued_yet_leaves_its_number_blank_and_issuing_twice_numbers_once(client, tx, office):
    notice = draft_notice(client, tx)
    document = open_docx(client.get(reverse("campaigns:notice-docx", args=[notice.pk])))
    assert paragraph_with(document, "〔").text == f"铁西创卫办〔{timezone.localdate().year}〕　号"
    client.post(reverse("campaigns:notice-issue", args=[notice.pk]))
    client.post(reverse("campaigns:notice-issue", args=[notice.pk]))  # a second press
    notice.refresh_from_db()
    assert notice.doc_number.endswith("〔2026〕1号".replace("2026", str(timezone.localdate().year)))
    edit = client.get(reverse("campaigns:notice-edit", args=[notice.pk]))
    assert edit.status_code == 200


def test_what_a_person_typed_goes_in_as_text_and_line_breaks_make_paragraphs(client, tx, office):
    notice = draft_notice(client, tx)
    Notice.objects.filter(pk=notice.pk).update(
        title="关于{{正文}}和{{发文字号}}的通报",
        intro="第一段 <w:t>标记</w:t> & =1+1\n\n第二段{{标题}}\x01结束",
        red_list="",
        black_list="",
        overdue_list="",
        closing="",
    )
    document = open_docx(client.get(reverse("campaigns:notice-docx", args=[notice.pk])))
    body = texts(document)
    assert "关于{{正文}}和{{发文字号}}的通报" in body
    assert "第一段 <w:t>标记</w:t> & =1+1" in body and "第二段{{标题}}结束" in body
    assert not any("红榜" in line for line in body)  # empty sections leave no heading


def supervise(tx, ticket):
    """挂牌督办 by 铁西区's supervisor: ten days, for a problem that keeps coming back."""
    workflow.ticket_supervise(
        ticket=ticket,
        actor=tx.supervisor,
        document_number="",
        supervising_unit="铁西区创卫办",
        leader="李副区长",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
        reason="反复出现",
    )


def test_the_supervision_sheet_takes_the_next_number_and_reaches_whoever_sees_the_ticket(client, tx, td, office):
    ticket = tx.assigned()
    supervise(tx, ticket)
    year = timezone.localdate().year
    client.force_login(tx.unit_liaison)
    page = client.get(reverse("campaigns:ticket-supervision", args=[ticket.number])).content.decode()
    assert (
        f"铁西创卫办〔{year}〕1号" in page
        and reverse("campaigns:ticket-supervision-docx", args=[ticket.number]) in page
    )
    response = client.get(reverse("campaigns:ticket-supervision-docx", args=[ticket.number]))
    document = open_docx(response)
    assert paragraph_with(document, "〔").text == f"铁西创卫办〔{year}〕1号"
    assert paragraph_with(document, "实行挂牌督办的通知").text.endswith("的通知")
    assert paragraph_with(document, tx.department.name + "：")  # 主送: the responsible unit
    sheet = document.tables[0]
    cells = cell_texts(document)
    assert ticket.number in cells and "李副区长" in cells and "反复出现" in cells
    assert pictures(sheet) == 1  # the problem photo
    client.force_login(td.admin)
    assert client.get(reverse("campaigns:ticket-supervision-docx", args=[ticket.number])).status_code == 404


def test_the_monthly_summary_as_a_document_and_its_issue(client, tx, office):
    tx.closed()
    tx.assigned()
    summary = summary_generate(
        summary_request(district=tx.unit, month=timezone.localdate().replace(day=1), actor=tx.admin)
    )
    client.force_login(tx.admin)
    page = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert reverse("campaigns:summary-docx", args=[summary.pk]) in page
    assert reverse("campaigns:summary-issue", args=[summary.pk]) in page
    client.post(reverse("campaigns:summary-issue", args=[summary.pk]))
    client.post(reverse("campaigns:summary-issue", args=[summary.pk]))
    summary.refresh_from_db()
    assert summary.doc_number == f"铁西创卫办〔{timezone.localdate().year}〕1号"

    client.force_login(tx.leader)
    document = open_docx(client.get(reverse("campaigns:summary-docx", args=[summary.pk])))
    assert paragraph_with(document, "创卫工作情况专报").text.startswith("铁西区")
    assert paragraph_with(document, "四平市创卫办").text == "四平市创卫办："  # 主送: the office above
    assert east_asian_font(paragraph_with(document, "、总体情况")) == "黑体"
    assert "本月发现问题（件）" in cell_texts(document)
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:summary-docx", args=[summary.pk])).status_code == 403


def test_the_rectification_report_lists_each_problem_with_its_fix_and_photos(client, tx, td, office):
    fixed = tx.closed()  # fixed with "已清理完毕" and an after-photo, then struck off
    open_one = tx.assigned()
    td.closed()
    client.force_login(tx.supervisor)
    today = timezone.localdate()
    response = client.get(
        reverse("campaigns:rectification-report", args=["TX"]),
        {"found_from": today.replace(day=1).isoformat(), "found_to": today.isoformat()},
    )
    document = open_docx(response)
    body = "\n".join(texts(document))
    first = today.replace(day=1)
    period = f"{first.year}年{first.month}月{first.day}日至{today.month}月{today.day}日发现的2件问题"
    assert "关于铁西区创卫问题整改情况的报告" in body and period in body
    assert f"（一）{fixed.number}" in body and f"（二）{open_one.number}" in body
    assert east_asian_font(paragraph_with(document, f"（一）{fixed.number}")) == "楷体_GB2312"
    first, second = document.tables[0], document.tables[1]
    fixed_cells = [cell.text for row in first.rows for cell in row.cells]
    assert "已清理完毕" in fixed_cells and "责任单位/责任人" in fixed_cells
    assert pictures(first) == 2  # before and after
    open_cells = [cell.text for row in second.rows for cell in row.cells]
    assert "（待填写）" in open_cells and any("整改后照片待补充" in text for text in open_cells)
    assert any(text.startswith("尚未完成") for text in open_cells)
    assert td.unit.name not in body and not any(td.unit.name in text for text in cell_texts(document))
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, target__startswith="整改报告").exists()
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:rectification-report", args=["TX"])).status_code == 403
    client.force_login(td.admin)
    assert client.get(reverse("campaigns:rectification-report", args=["TX"])).status_code == 404


def test_the_rectification_report_costs_the_same_queries_for_more_tickets(
    client, tx, office, django_assert_max_num_queries
):
    client.force_login(tx.supervisor)
    url = reverse("campaigns:rectification-report", args=["TX"])
    tx.closed()
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(4):
        tx.closed()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_pages_link_their_documents(client, tx, office):
    notice = draft_notice(client, tx)
    page = client.get(reverse("campaigns:notice-print", args=[notice.pk])).content.decode()
    assert reverse("campaigns:notice-docx", args=[notice.pk]) in page
    assert reverse("campaigns:notice-issue", args=[notice.pk]) in page
    assert reverse("campaigns:rectification-report", args=["TX"]) + "?found_from=" in page
    client.force_login(tx.leader)  # reads and downloads, does not issue
    page = client.get(reverse("campaigns:notice-print", args=[notice.pk])).content.decode()
    assert reverse("campaigns:notice-issue", args=[notice.pk]) not in page
    assert client.post(reverse("campaigns:notice-issue", args=[notice.pk])).status_code == 403


def test_a_reader_of_english_pages_still_gets_the_document_in_chinese(client, tx):
    """A 公文 goes upward as it is; a district that never saved its settings prints defaults from its name."""
    tx.closed(unit=tx.department)
    tx.assigned(unit=tx.department2)
    notice = draft_notice(client, tx)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("campaigns:notice-docx", args=[notice.pk]))
    assert "Notice" in unquote(response["Content-Disposition"])  # the file's name follows the reader
    document = open_docx(response)
    assert document.paragraphs[0].text == "铁西区创建国家卫生城市工作领导小组办公室"
    assert paragraph_with(document, "〔").text == f"铁西创卫办〔{timezone.localdate().year}〕　号"
    assert paragraph_with(document, "一、红榜") and paragraph_with(document, "各街道（乡镇）、区直各有关部门：")


# --- every document, part by part --------------------------------------------------------------


def every_document(client, tx):
    """The four documents of 铁西区, as its admin downloads them: a 通报 issued from the rankings, a
    督办单, a monthly 专报 issued, and the 整改报告 of this month's problems."""
    tx.closed(unit=tx.department)
    tx.assigned(unit=tx.department2)
    notice = draft_notice(client, tx)
    client.post(reverse("campaigns:notice-issue", args=[notice.pk]))
    listed = tx.assigned()
    supervise(tx, listed)
    today = timezone.localdate()
    summary = summary_generate(summary_request(district=tx.unit, month=today.replace(day=1), actor=tx.admin))
    client.post(reverse("campaigns:summary-issue", args=[summary.pk]))
    return {
        "notice": client.get(reverse("campaigns:notice-docx", args=[notice.pk])),
        "supervision": client.get(reverse("campaigns:ticket-supervision-docx", args=[listed.number])),
        "summary": client.get(reverse("campaigns:summary-docx", args=[summary.pk])),
        "rectification": client.get(
            reverse("campaigns:rectification-report", args=["TX"]),
            {"found_from": today.replace(day=1).isoformat(), "found_to": today.isoformat()},
        ),
    }


def package(content):
    with zipfile.ZipFile(io.BytesIO(content)) as docx_zip:
        return {name: docx_zip.read(name) for name in docx_zip.namelist()}


def test_each_document_has_the_standards_parts_and_names_its_fonts_without_embedding_them(client, tx, office):
    """王丽, 铁西区's admin, downloads all four: each opens with the red 版头, its 文号 over a red
    line, the title in 小标宋, the body in 仿宋 三号 under 黑体 headings, signed and dated in
    Chinese numerals, and ends with the 版记 (印发机关 and 印发日期); fonts are named, none is
    embedded, and the note for machines without them is in the document's properties."""
    year, today = timezone.localdate().year, timezone.localdate()
    numbers = {"notice": 1, "supervision": 2, "summary": 3, "rectification": None}  # a report is numbered by hand
    for kind, response in every_document(client, tx).items():
        assert response.status_code == 200, kind
        content = b"".join(response.streaming_content) if response.streaming else response.content
        document = docx.Document(io.BytesIO(content))
        head = document.paragraphs[0]
        assert head.text == MARK and colour(head) == "FF0000", kind
        assert east_asian_font(head) == "方正小标宋简体", kind
        number = paragraph_with(document, "〔")
        assert number.text == f"铁西创卫办〔{year}〕" + (f"{numbers[kind]}号" if numbers[kind] else "　号"), kind
        assert bottom_rule(number)[0] == "FF0000", kind
        title = document.paragraphs[[p.text for p in document.paragraphs].index(number.text) + 1 :]
        title = next(p for p in title if p.text.strip())
        assert east_asian_font(title) == "方正小标宋简体" and size_pt(title) == 22, (kind, title.text)
        body = [p for p in document.paragraphs if p.style.name == "公文正文" and p.text.strip()]
        assert body and all("仿宋" in east_asian_font(p) and size_pt(p) == 16 for p in body), kind
        headings = [p for p in document.paragraphs if p.style.name == "公文一级标题"]
        assert headings and all(east_asian_font(p) == "黑体" for p in headings), kind
        assert paragraph_with(document, chinese_date(today)).text == chinese_date(today), kind
        record = " ".join(cell.text for row in document.tables[-1].rows for cell in row.cells)
        assert "铁西区创卫办" in record and f"{today.year}年{today.month}月{today.day}日印发" in record, kind
        assert "抄送：区委办公室，区政府办公室。" in record, kind
        assert "仿宋_GB2312" in document.core_properties.comments, kind
        parts = package(content)
        assert not [name for name in parts if name.startswith("word/fonts/") or name.endswith(".odttf")], kind
        assert b"embedTrueTypeFonts" not in parts["word/settings.xml"], kind
        assert b"w:embedRegular" not in parts["word/fontTable.xml"], kind


def test_an_office_that_dates_in_figures_gets_its_documents_dated_so(client, tx, office):
    """王丽 sets 铁西区's documents to follow GB/T 9704-2012 7.3.5.1 to the letter: every 成文日期
    in figures (2026年12月4日), none in Chinese numerals."""
    DocumentSettings.objects.filter(pk=office.pk).update(date_style="arabic")
    today = timezone.localdate()
    for kind, response in every_document(client, tx).items():
        lines = texts(open_docx(response))
        assert f"{today.year}年{today.month}月{today.day}日" in lines, kind
        assert not any(CHINESE_DATE.fullmatch(line) for line in lines), kind
