"""The assessment's paperwork in a real browser: 铁西区's admin answers 市督查第 3 期 with its
整改报告, a supervisor downloads the 迎检资料 binder, the leader reads 迎检模拟 on the board.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named assessment-*).
"""

import io
import zipfile
from decimal import Decimal

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import ChecklistItem, CheckResult, DocumentSettings, PhotoKind, RectificationReport
from campaigns.services.checklist import checklist_item_update
from campaigns.services.photos import photo_store

from .assessment_world import build_standard, checked, city_round, fixed, found, second_point
from .factories import photo_upload
from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as
from .test_round_report_pdf import scene

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def assessed(tx, td, city_admin):
    """市督查第 3 期 found five problems in 铁西区 (three fixed since); the checklist has some
    evidence and self scores."""
    DocumentSettings.objects.create(
        district=tx.unit,
        mark="铁西区创建国家卫生城市工作领导小组办公室",
        signature="铁西区创建国家卫生城市工作领导小组办公室",
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
        superior="四平市创建国家卫生城市工作领导小组办公室",
    )
    items = build_standard(campaigns=[tx.campaign, td.campaign]).items
    inspection_round = city_round([tx, td], city_admin)
    lane = second_point(tx, street=tx.street2)

    def before(n):
        return [photo_store(photo_upload(content=scene(n)), user=tx.supervisor, kind=PhotoKind.BEFORE)]

    _point, market_findings = checked(
        tx,
        inspection_round,
        tx.point,
        {items["3.1.1"]: CheckResult.PASS, items["3.2.1"]: CheckResult.FAIL, items["8.1.2"]: CheckResult.FAIL},
        finding_items=[items["3.2.1"], items["8.1.2"]],
        photos={items["3.2.1"]: before(0), items["8.1.2"]: before(1)},
    )
    _point, lane_findings = checked(
        tx,
        inspection_round,
        lane,
        {items["3.1.1"]: CheckResult.FAIL},
        finding_items=[items["3.1.1"]],
        photos={items["3.1.1"]: before(2)},
    )
    descriptions = ["农贸市场水产区地面积水、垃圾桶满溢", "熟食区发现鼠迹，防鼠设施缺失", "北二路背街小巷乱堆乱放"]
    for n, (finding, text) in enumerate(zip([*market_findings, *lane_findings], descriptions, strict=True)):
        finding.description = text
        finding.save(update_fields=["description"])
        if n != 1:
            after = photo_store(photo_upload(content=scene(n, after=True)), user=tx.unit_liaison, kind=PhotoKind.AFTER)
            fixed(tx, finding, note="已清理积存垃圾，更换密闭式垃圾桶，安排专人每日巡查", photos=[after])
    for n, text in enumerate(["公厕地面脏污、有异味", "绿化带内垃圾未清理"], start=3):
        finding = found(tx, inspection_round, item=items["3.1.1"], description=text, photos=before(n))
        if n == 3:
            after = photo_store(photo_upload(content=scene(n, after=True)), user=tx.unit_liaison, kind=PhotoKind.AFTER)
            fixed(tx, finding, note="公厕全面保洁，更换破损设施", photos=[after])
    rules = ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=tx.area,
        code="3.1.2",
        requirement="建立环卫保洁制度和作业台账",
        full_score=2,
        self_score=Decimal("1.5"),
        standard_item=items["3.1.2"],
        lead_unit=tx.department,
    )
    checklist_item_update(
        item=rules,
        actor=tx.unit_liaison,
        note="制度和台账",
        files=[SimpleUploadedFile("环卫保洁制度.pdf", PDF, content_type="application/pdf")],
    )
    ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=tx.area2,
        code="8.1.1",
        requirement="病媒生物防制工作方案",
        full_score=2,
        progress=40,
        standard_item=items["8.1.1"],
        lead_unit=tx.department,
    )
    return inspection_round


def test_the_admin_issues_the_reply_the_office_downloads_the_binder_the_leader_reads_the_forecast(
    browser, live_server, tx, assessed, tmp_path
):
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/rounds/{assessed.pk}/report/TX/")
    assert page.locator("h1.doc-title").inner_text() == "关于市督查第 3 期反馈问题整改情况的报告"
    page.check("input[name=issue]")
    page.click("text=生成 Word 版")
    page.wait_for_selector("text=下载 Word")
    report = RectificationReport.objects.get()
    assert report.doc_number.startswith("铁西创卫办〔") and report.counts["fixed"] == 3
    page.screenshot(path=SHOTS / "assessment-01-round-report-desktop.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=SHOTS / "assessment-05-round-report-print.png", full_page=True)
    page.emulate_media(media="screen")
    with page.expect_download() as download_info:
        page.click("text=下载 Word")
    document = docx.Document(download_info.value.path())
    assert len(document.inline_shapes) == 2 * 3 + 2  # three fixed with both photos, two with the before only

    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/campaigns/{tx.campaign.pk}/binder/")
    assert "资料齐全率" in page.inner_text("main")
    page.screenshot(path=SHOTS / "assessment-02-binder-desktop.png", full_page=True)
    with page.expect_download() as download_info:
        page.click("text=下载全部资料（.zip）")
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    assert archive.testzip() is None and any(name.endswith("资料索引.xlsx") for name in archive.namelist())

    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    panel = page.locator("#forecast-panel")
    assert "预计结论：不达标（必备条件）" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=SHOTS / "assessment-03-forecast-desktop.png")
    phone = open_as(browser, live_server, tx.leader, PHONE)
    phone.goto(f"{live_server.url}/board/TX/")
    phone.locator("#forecast-panel").screenshot(path=SHOTS / "assessment-04-forecast-phone.png")
    assert no_sideways_scroll(phone)
