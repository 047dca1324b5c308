"""The assessment cycle of issue 17 in one browser journey, on the demo with its own logins.

The demo is loaded (seed_demo) and everyone signs in on the login page with the demo password:
四平市's admin (city_admin) sets up 四平市创卫督查第 4 期 over 铁西区 and 铁东区, draws its sample with
a seed and shares the points; two of 铁西区's people (tx_staff, tx_supervisor) score their first
points on phones (390 px) and the failures become tickets of the round; city_admin imports the
city's 问题清单 (.xlsx with a zip of photos), each row going to the district of its street;
铁西区's 区执法局 (tx_unit) fixes one problem on a phone and it is struck off through the demo's
two levels (tx_supervisor 复核, tx_admin 销号); the round ends, its 复查 finds that problem fixed
and another not; tx_admin issues the 整改报告 and downloads the .docx (python-docx reads it,
LibreOffice prints it with its photos in place); tx_supervisor downloads the 迎检资料 binder; the
leader reads 迎检模拟 on the board. 铁东区's admin sees only 铁东区's part of the round.

Browser journeys keep the real clock (conftest): the demo is built around today, whatever day it is.
Screenshots: test-artifacts/screenshots/cycle-*.png.
"""

import io
import shutil
import zipfile

import docx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from campaigns.models import (
    Campaign,
    CampaignStatus,
    CheckResult,
    FindingOutcome,
    InspectionRound,
    OrgUnit,
    RectificationReport,
    RoundCheck,
    RoundFinding,
    RoundPoint,
    TicketState,
    UnitKind,
)
from devdata.demo import DEMO_PASSWORD

from .test_browser import DESKTOP, SHOTS, browser, no_sideways_scroll  # noqa: F401 - the fixture, by name
from .test_document_pdf import PDFINFO, PDFTOTEXT, SOFFICE, _convert
from .test_phone_pages import phone
from .test_round_report_pdf import PDFIMAGES, pdf_images, scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = phone(390)
ROUND = "四平市创卫督查第 4 期"
LIST_HEADER = ["序号", "问题描述", "地点", "所属街道", "责任单位", "整改时限", "照片"]
LIST_ROWS = [
    [11, "英雄街三委胡同墙面乱贴乱画小广告", "英雄街三委胡同", "英雄街道", "区执法局", "10个工作日", "11.jpg"],
    [12, "北沟后街居民楼道乱堆乱放杂物", "北沟后街12号楼", "北沟街道", "", "", ""],
    [13, "解放街道解放社区垃圾桶满溢、垃圾暴露", "解放社区3号楼", "解放街道", "区环卫处", "10个工作日", "13.jpg"],
]


def shot(page, name, full_page=True):
    page.screenshot(path=SHOTS / f"cycle-{name}.png", full_page=full_page)


def sent(page, step):
    """The answer to a form: a page with its message. If none comes, the page is kept to look at."""
    try:
        page.wait_for_selector(".messages")
    except Exception:
        shot(page, f"failed-{step}")
        (SHOTS / f"cycle-failed-{step}.txt").write_text(f"{page.url}\n{page.inner_text('body')}")
        raise


def sign_in(chromium, live_server, username, viewport=DESKTOP, **options):
    """The login page, with a demo login and the demo's published password. Without the offline
    service worker: its fetches in the background would race the journey's requests, which the
    embedded SQLite test database answers with "table is locked" (tests/test_browser_offline.py
    is where the worker is tried)."""
    context = chromium.new_context(viewport=viewport, locale="zh-CN", service_workers="block", **options)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, username
    return page


def user(username):
    return get_user_model().objects.get(username=username)


def problem_list_files(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "问题清单"
    sheet.append(LIST_HEADER)
    for row in LIST_ROWS:
        sheet.append(row)
    workbook = tmp_path / "市督查第4期问题清单.xlsx"
    book.save(workbook)
    photos = tmp_path / "问题照片.zip"
    with zipfile.ZipFile(photos, "w") as archive:
        archive.writestr("问题照片/11.jpg", scene(3))
        archive.writestr("问题照片/13.jpg", scene(4))
    return workbook, photos


def score_first_point(page, live_server, photo, note, name):
    """我的检查 → the round → the first point with 项 to score: one 不达标 with a photo and a note."""
    page.goto(f"{live_server.url}/inspect/")
    links = page.locator(".inspect-round", has_text=ROUND).locator("a.point-link")
    for index in range(links.count()):
        page.goto(f"{live_server.url}/inspect/")
        page.locator(".inspect-round", has_text=ROUND).locator("a.point-link").nth(index).click()
        page.wait_for_load_state()
        if page.locator("fieldset.check-row").count():
            break
    row = page.locator("fieldset.check-row").first
    row.locator("label.seg-fail").click()
    row.locator("input[type=file]").set_input_files(str(photo))
    row.locator("textarea").fill(note)
    assert no_sideways_scroll(page)
    shot(page, f"03-scoring-{name}")
    page.click("button:has-text('提交本点位结果')")
    sent(page, f"score-{name}")
    assert "已生成工单" in page.inner_text(".messages")
    shot(page, f"04-scored-{name}")


@pytest.mark.skipif(
    not (SOFFICE and PDFINFO and PDFTOTEXT and PDFIMAGES),
    reason="needs soffice (libreoffice-writer) and poppler-utils",
)
def test_the_assessment_cycle_with_the_demo_logins(browser, live_server, tmp_path):  # noqa: F811
    call_command("seed_demo", stdout=io.StringIO())
    tx = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="TX")
    td = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="TD")
    today = timezone.localdate()
    photos = {}
    for n, name in enumerate(["staff", "supervisor", "after", "recheck"]):
        photos[name] = tmp_path / f"{name}.jpg"
        photos[name].write_bytes(scene(n, after=name == "after"))

    # 1. 四平市's admin sets up the round at a desk, draws its sample with a seed, shares the points.
    page = sign_in(browser, live_server, "city_admin")
    page.goto(f"{live_server.url}/rounds/")
    page.click("text=新建轮次")
    page.fill("#id_name", ROUND)
    page.select_option("#id_kind", "supervision")
    page.select_option("#id_level", "city")
    for district in (tx, td):
        page.check(f"input[name=districts][value='{district.pk}']")
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", today.isoformat())
    page.fill("#id_letter_number", f"四创卫办督〔{today.year}〕4号")
    page.fill("#id_letter_date", today.isoformat())
    for username in ("tx_staff", "tx_supervisor", "td_staff"):
        page.check(f"input[name=team][value='{user(username).pk}']")
    shot(page, "01-new-round-desktop")
    page.click("button:has-text('建立轮次')")
    page.wait_for_selector("#draw-title")
    page.fill("#id_seed", "sp20264")
    page.click("button:has-text('抽取点位')")
    page.wait_for_selector(".sample-table")
    assert "（种子 sp20264）" in page.inner_text(".messages")
    page.click("button:has-text('未检查的点位平均分给检查组')")
    sent(page, "share")
    shot(page, "02-sample-desktop")
    page.context.close()
    inspection_round = InspectionRound.objects.get(name=ROUND)
    assert inspection_round.sample_seed == "sp20264"
    assert set(inspection_round.points.values_list("district", flat=True)) == {tx.pk, td.pk}
    for username in ("tx_staff", "tx_supervisor"):
        assert inspection_round.points.filter(district=tx, inspector__username=username).exists()

    # 2. Two inspectors of 铁西区 score their first points on phones; each failure is a ticket.
    for username, note in (("tx_staff", "西侧垃圾桶满溢"), ("tx_supervisor", "北门墙面小广告未清理")):
        page = sign_in(browser, live_server, username, PHONE_390, has_touch=True)
        score_first_point(page, live_server, photos[username.removeprefix("tx_")], note, username)
        page.context.close()
    scored = list(RoundFinding.objects.filter(inspection_round=inspection_round).select_related("ticket"))
    assert len(scored) == 2 and {f.ticket.inspection_round_id for f in scored} == {inspection_round.pk}
    assert all(f.ticket.photos.count() == 1 and f.ticket.deadline for f in scored)
    # One tap on the failing 项, one on submit: every other 项 at the point stood as 达标.
    for finding in scored:
        checks = RoundCheck.objects.filter(round_point__inspection_round=inspection_round, item__isnull=False)
        results = list(checks.filter(round_point__point=finding.ticket.point).values_list("result", flat=True))
        assert results.count(CheckResult.FAIL) == 1 and set(results) <= {CheckResult.FAIL, CheckResult.PASS}

    # 3. The city's 问题清单 arrives with the letter: city_admin imports it for both districts.
    workbook, archive = problem_list_files(tmp_path)
    page = sign_in(browser, live_server, "city_admin")
    page.goto(f"{live_server.url}/rounds/{inspection_round.pk}/")
    assert all(f.ticket.number in page.inner_text(".findings-table") for f in scored)
    shot(page, "05-round-findings-desktop")
    page.click("text=导入问题清单")
    assert page.input_value("#id_inspection_round") == str(inspection_round.pk)
    page.set_input_files("#id_file", str(workbook))
    page.set_input_files("#id_photos", str(archive))
    page.click("text=上传并预览")
    page.wait_for_selector(".problem-list-preview")
    shot(page, "06-problem-list-preview-desktop")
    assert "没有发现问题" in page.inner_text(".import-summary"), page.inner_text(".problem-list-preview")
    page.click("button[value=import]")
    sent(page, "list-import")
    assert "导入完成：3 个问题已生成工单" in page.inner_text(".messages")
    shot(page, "07-problem-list-imported-desktop")
    page.context.close()
    posters = RoundFinding.objects.select_related("ticket").get(inspection_round=inspection_round, serial=11)
    rubbish = RoundFinding.objects.select_related("ticket").get(inspection_round=inspection_round, serial=13)
    assert (posters.district, posters.ticket.responsible_unit.name, posters.ticket.photos.count()) == (
        tx,
        "区执法局",
        1,
    )
    assert (rubbish.district, rubbish.ticket.district) == (td, td)

    # 4. 区执法局 fixes the posters on a phone; the demo's two levels strike it off.
    page = sign_in(browser, live_server, "tx_unit", PHONE_390, has_touch=True)
    page.goto(f"{live_server.url}/tickets/{posters.ticket.number}/")
    assert ROUND in page.inner_text("main")  # the ticket names its round as its source
    page.click("form[action$='/sign/'] button[type=submit]")
    sent(page, "sign")
    page.fill("#id_submit_fix_note", "已铲除小广告，墙面重新粉刷")
    page.set_input_files("#id_submit_fix_photos", str(photos["after"]))
    page.click("button:has-text('确认提交整改')")
    sent(page, "submit-fix")
    page.context.close()
    for username, act in (("tx_supervisor", "review"), ("tx_admin", "close_out")):
        page = sign_in(browser, live_server, username)
        page.goto(f"{live_server.url}/tickets/{posters.ticket.number}/")
        page.fill(f"#id_{act}_note", "现场核验，整改到位")
        page.click(f"button:has-text('确认{'复核' if act == 'review' else '核验销号'}')")
        sent(page, act)
        page.context.close()
    posters.ticket.refresh_from_db()
    assert posters.ticket.state == TicketState.CLOSED

    # 5. The round ends and its 复查 goes back to the problems' points.
    page = sign_in(browser, live_server, "city_admin")
    page.goto(f"{live_server.url}/rounds/{inspection_round.pk}/")
    page.click("button:has-text('结束本轮')")
    page.wait_for_selector("button:has-text('发起复查')")
    page.click("button:has-text('发起复查')")
    page.wait_for_selector("#id_name")
    page.click("button:has-text('保存')")
    sent(page, "recheck-round")
    page.context.close()
    recheck = InspectionRound.objects.get(rechecks=inspection_round)
    still_open = scored[0]
    for finding, outcome, note in (
        (posters, FindingOutcome.FIXED, ""),
        (still_open, FindingOutcome.NOT_FIXED, "垃圾桶仍然满溢"),
    ):
        spot = RoundPoint.objects.select_related("inspector").get(inspection_round=recheck, point=finding.ticket.point)
        page = sign_in(browser, live_server, spot.inspector.username, PHONE_390, has_touch=True)
        page.goto(f"{live_server.url}/inspect/points/{spot.pk}/")
        row = page.locator("fieldset.check-row", has_text=finding.ticket.number)
        row.locator(f"label.seg-{outcome}").click()
        if note:
            row.locator("input[type=file]").set_input_files(str(photos["recheck"]))
            row.locator("textarea").fill(note)
        assert no_sideways_scroll(page)
        shot(page, f"08-recheck-{outcome}-phone")
        page.click("button:has-text('提交复查结果')")
        sent(page, f"recheck-{outcome}")
        page.context.close()
    outcomes = dict(RoundFinding.objects.filter(pk__in=[posters.pk, still_open.pk]).values_list("serial", "outcome"))
    assert outcomes == {posters.serial: FindingOutcome.FIXED, still_open.serial: FindingOutcome.NOT_FIXED}

    # 6. 铁东区's admin reads only 铁东区's part of the round.
    page = sign_in(browser, live_server, "td_admin")
    page.goto(f"{live_server.url}/rounds/{inspection_round.pk}/")
    text = page.inner_text("main")
    assert rubbish.ticket.number in text and posters.ticket.number not in text and "铁西区" not in text
    page.context.close()

    # 7. 铁西区's admin issues the 整改报告 and downloads it; LibreOffice prints it with its photos.
    page = sign_in(browser, live_server, "tx_admin")
    page.goto(f"{live_server.url}/rounds/{recheck.pk}/")
    assert "整改率" in page.inner_text("main")
    shot(page, "09-recheck-round-desktop")
    page.goto(f"{live_server.url}/rounds/{inspection_round.pk}/report/TX/")
    page.check("input[name=issue]")
    page.click("text=生成 Word 版")
    page.wait_for_selector("text=下载 Word")
    shot(page, "10-round-report-desktop")
    page.emulate_media(media="print")
    shot(page, "11-round-report-print")
    page.emulate_media(media="screen")
    with page.expect_download() as download_info:
        page.click("text=下载 Word")
    content = open(download_info.value.path(), "rb").read()
    page.context.close()
    report = RectificationReport.objects.get(inspection_round=inspection_round, district=tx)
    assert report.doc_number.startswith(f"铁西创卫办〔{today.year}〕")
    assert (report.counts["total"], report.counts["fixed"]) == (4, 1)
    document = docx.Document(io.BytesIO(content))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert f"关于{ROUND}反馈问题整改情况的报告" in body and report.doc_number in body
    assert "已铲除小广告，墙面重新粉刷" in cells and "解放社区" not in cells  # 铁东区's row is 铁东区's
    # Before-photos: the two scored on phones and the list's photo of row 11; the after-photo of the fix.
    assert len(document.inline_shapes) == 4
    pages, texts = _convert(tmp_path, content)
    printed = "".join(texts)
    assert pages >= 2 and f"关于{ROUND.replace(' ', '')}反馈问题整改情况的报告" in printed
    assert len(pdf_images(tmp_path / "notice.pdf")) == 4
    shutil.copy(tmp_path / "notice.pdf", SHOTS / "cycle-12-round-report.pdf")

    # 8. From the board the office downloads its 迎检资料 binder and reads it; the leader reads 迎检模拟.
    campaign = Campaign.objects.get(district=tx, status=CampaignStatus.RUNNING)
    page = sign_in(browser, live_server, "tx_supervisor")
    page.goto(f"{live_server.url}/board/TX/")
    with page.expect_download() as download_info:
        page.click(".board-links a:has-text('迎检资料（.zip）')")
    binder = zipfile.ZipFile(download_info.value.path())
    assert binder.testzip() is None and any(name.endswith("/资料索引.xlsx") for name in binder.namelist())
    page.click(".board-links a:has-text('迎检资料 ›')")
    page.wait_for_selector("text=资料齐全率")
    assert page.url.endswith(f"/campaigns/{campaign.pk}/binder/")
    shot(page, "13-binder-desktop")
    page.context.close()
    page = sign_in(browser, live_server, "tx_leader")
    page.goto(f"{live_server.url}/board/TX/")
    panel = page.locator("#forecast-panel")
    assert "迎检模拟" in panel.inner_text() and "预计得分 = 分值 ×" in panel.inner_text()
    assert "一票否决" in page.inner_text("main")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=SHOTS / "cycle-14-forecast-desktop.png")
    page.context.close()
    page = sign_in(browser, live_server, "tx_leader", PHONE_390)
    page.goto(f"{live_server.url}/board/TX/")
    page.locator("#forecast-panel").screenshot(path=SHOTS / "cycle-15-forecast-phone.png")
    assert no_sideways_scroll(page)
    page.context.close()
