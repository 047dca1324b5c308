"""Points in a real browser: an admin prints the sticker sheet; a staffer scans one and logs a problem.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named points-*).
"""

import re

import pytest

from campaigns.models import InspectionPoint, PointType, Ticket, TicketState

from .factories import PASSWORD, jpeg_bytes
from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as, visit_and_collect_refusals

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595, 842)  # 210 × 297 mm in PDF points (1/72 inch)


def pdf_pages(content):
    """(page count, [(width, height)]) of a PDF chromium wrote: its page objects carry their MediaBox."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", content)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", content))
    return pages, [(round(float(w)), round(float(h))) for w, h in boxes]


def test_admin_prints_a_sticker_sheet(browser, live_server, tx, tmp_path):
    point_type = tx.point.point_type
    alley, _ = PointType.objects.get_or_create(name="背街小巷")
    for n in range(1, 14):
        InspectionPoint.objects.create(
            unit=tx.community if n % 2 else tx.street,
            point_type=alley if n % 3 else point_type,
            name=f"英雄街{n}号背街小巷" if n % 3 else f"北沟第{n}农贸市场（东门）",
            address=f"英雄街 {n} 号附近，公交站牌往北 50 米" if n != 7 else "",
        )
    InspectionPoint.objects.create(unit=tx.community, point_type=alley, name="已拆除的旧市场", is_active=False)
    InspectionPoint.objects.create(unit=tx.street2, point_type=alley, name="第二街道小巷")

    page = open_as(browser, live_server, tx.admin, DESKTOP)
    refusals = visit_and_collect_refusals(page, f"{live_server.url}/board/TX/")
    page.click("text=点位与二维码贴纸")
    page.wait_for_selector(".point-table")
    assert "第二街道小巷" in page.inner_text(".point-table")
    page.screenshot(path=SHOTS / "points-01-list-desktop.png", full_page=True)

    page.select_option("#id_street", str(tx.street.pk))
    page.click(".filter-actions button[type=submit]")
    page.wait_for_load_state()
    assert "第二街道小巷" not in page.inner_text(".point-table")
    page.click("text=打印二维码贴纸")
    page.wait_for_selector(".sticker-sheet")
    assert page.input_value("#sticker-street") == str(tx.street.pk)
    stickers = page.locator(".sticker")
    assert stickers.count() == 14  # 13 new ones and the district's market, all in the first street
    text = page.inner_text(".sticker-scroll")
    assert "已拆除的旧市场" not in text and "第二街道小巷" not in text
    assert page.locator(".sticker svg.qr").count() == 14
    assert page.locator("[data-print]").count() == 1
    page.screenshot(path=SHOTS / "points-02-stickers-screen-desktop.png", full_page=True)

    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("[data-print]").is_hidden()
    # Each QR code prints 40 mm wide (at 96 px per inch), and twelve stickers fill the first sheet.
    width = page.locator(".sticker svg.qr").first.bounding_box()["width"]
    assert abs(width - 40 / 25.4 * 96) < 2
    page.screenshot(path=SHOTS / "points-03-stickers-print.png", full_page=True)
    pdf = tmp_path / "stickers.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    pages, boxes = pdf_pages(pdf.read_bytes())
    assert pages == 2, pages  # 14 stickers: 12 on the first sheet, 2 on the second, no blank page
    assert set(boxes) == {A4_POINTS}  # portrait A4, as the sheet's @page asks
    (SHOTS / "points-04-stickers.pdf").write_bytes(pdf.read_bytes())
    page.emulate_media(media="screen")

    refusals += visit_and_collect_refusals(page, f"{live_server.url}/board/TX/points/stickers/?street={tx.street.pk}")
    refusals += visit_and_collect_refusals(page, f"{live_server.url}/board/TX/points/new/")
    refusals += visit_and_collect_refusals(page, f"{live_server.url}/board/TX/points/import/")
    refusals += visit_and_collect_refusals(page, f"{live_server.url}/points/{tx.point.pk}/edit/")
    page.screenshot(path=SHOTS / "points-05-edit-desktop.png", full_page=True)
    assert not refusals, refusals
    page.context.close()


def test_staffer_scans_a_sticker_and_logs_a_problem_on_a_phone(browser, live_server, tx, tmp_path):
    photo = tmp_path / "market.jpg"
    photo.write_bytes(jpeg_bytes(size=(1200, 900), color=(120, 90, 60)))
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    refusals = []
    page.on("console", lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None)

    # The phone's camera opens the sticker's address; nobody is signed in yet.
    page.goto(f"{live_server.url}/p/{tx.point.pk}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", tx.staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".chosen-point")
    assert page.url.endswith(f"/tickets/new/?point={tx.point.pk}")
    assert tx.point.name in page.inner_text(".chosen-point")
    assert page.input_value("#id_point") == str(tx.point.pk)
    # The chosen point is the first thing under the heading, before the photo button.
    top_of = {sel: page.locator(sel).bounding_box()["y"] for sel in (".chosen-point", ".photo-picker")}
    assert top_of[".chosen-point"] < top_of[".photo-picker"]

    page.set_input_files("#id_photos", str(photo))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_description", "市场东门垃圾桶满溢，地面散落垃圾")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "points-06-staff-scan-log-phone.png", full_page=True)
    page.click("text=提交登记")
    page.wait_for_selector(".ticket-title")
    assert "已登记，台账编号" in page.inner_text(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "points-07-staff-logged-phone.png", full_page=True)
    context.close()

    ticket = Ticket.objects.get()
    assert ticket.point == tx.point and ticket.street == tx.street and ticket.reported_by == tx.staff
    assert ticket.state == TicketState.REPORTED and ticket.photos.count() == 1
    assert not refusals, refusals


def test_admin_imports_points_from_excel(browser, live_server, tx, tmp_path):
    from openpyxl import load_workbook

    PointType.objects.get_or_create(name="公共厕所")
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/points/")
    page.click("text=从 Excel 导入")
    with page.expect_download() as download:
        page.click("text=下载模板")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    assert "填写说明" in workbook.sheetnames
    sheet = workbook["点位清单"]
    sheet.delete_rows(2)
    sheet.append(["北沟菜市场", "农贸市场", tx.community.name, "北沟路 3 号", tx.department.name, 43.166, 124.35])
    sheet.append(["站前公厕", "公共厕所", "站前社区", "站前路", "", "北纬43", ""])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)

    # Every mistake is shown where it is, and nothing is imported.
    page.set_input_files("#id_file", str(filled))
    page.click("text=上传并预览")
    page.wait_for_selector(".import-preview")
    errors = page.inner_text(".import-preview")
    assert "本区没有叫“站前社区”的街道、乡镇、社区或村" in errors and "“纬度”不是数字：“北纬43”" in errors
    assert page.locator("text=确认导入").count() == 0
    page.screenshot(path=SHOTS / "points-08-import-errors-desktop.png", full_page=True)
    assert InspectionPoint.objects.count() == 1

    sheet["C3"], sheet["F3"] = tx.street2.name, None
    workbook.save(filled)
    page.click("a.button:has-text('重新上传')")
    page.set_input_files("#id_file", str(filled))
    page.click("text=上传并预览")
    page.wait_for_selector("text=确认导入")
    page.screenshot(path=SHOTS / "points-09-import-preview-desktop.png", full_page=True)
    page.click("button:has-text('确认导入')")
    page.wait_for_selector(".messages")
    assert "新增 2 个点位" in page.inner_text(".messages")
    assert "站前公厕" in page.inner_text(".point-table")
    page.context.close()
    toilet = InspectionPoint.objects.get(name="站前公厕")
    assert toilet.unit == tx.street2 and toilet.point_type.name == "公共厕所"
