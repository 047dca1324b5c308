"""The whole loop in a real browser: a staffer on a phone, a supervisor at a desk.

Playwright drives Debian's chromium. Screenshots land in test-artifacts/screenshots/.
"""

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import Ticket, TicketState

from .factories import PASSWORD, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


_screenshots_cleared = []


def _fresh_screenshots():
    """Last run's screenshots go once per run, not per module: several modules share the folder."""
    if not _screenshots_cleared:
        shutil.rmtree(SHOTS, ignore_errors=True)
        _screenshots_cleared.append(True)
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("chromium is required for the browser journeys (apt-get install chromium)")
        pytest.skip("chromium is not installed; CI installs it and runs these")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    _fresh_screenshots()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def open_as(browser, live_server, user, viewport, **context_options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_log_assign_fix_and_close_out_in_a_browser(browser, live_server, tx, tmp_path):
    photo = tmp_path / "street.jpg"
    photo.write_bytes(jpeg_bytes(size=(1200, 900), color=(120, 90, 60)))
    after = tmp_path / "fixed.jpg"
    after.write_bytes(jpeg_bytes(size=(1200, 900), color=(60, 150, 90)))

    # 1. The staffer logs a problem from a phone.
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.click("text=登记问题")
    page.set_input_files("#id_photos", str(photo))
    page.select_option("#id_point", str(tx.point.pk))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_description", "市场东门垃圾桶满溢，地面散落垃圾")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "01-staff-log-phone.png", full_page=True)
    page.click("text=提交登记")
    page.wait_for_selector(".ticket-title")
    number = page.inner_text(".ticket-title").strip()
    assert "已登记，台账编号" in page.inner_text(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "02-staff-logged-phone.png", full_page=True)
    page.context.close()
    ticket = Ticket.objects.get(number=number)
    assert ticket.state == TicketState.REPORTED and ticket.photos.count() == 1

    # 2. The supervisor triages it at a desk.
    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/my/")
    page.click(f"text={number}")
    page.select_option("#id_assign_responsible_unit", str(tx.department.pk))
    page.fill("#id_assign_responsible_person", "王队长")
    page.fill("#id_assign_deadline", (timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    page.screenshot(path=SHOTS / "03-supervisor-assign-desktop.png", full_page=True)
    page.click("button:has-text('确认交办')")
    page.wait_for_selector(".messages")
    page.context.close()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department

    # 3. The unit's liaison signs for it (签收), then sends the fix with an after-photo, on a phone.
    page = open_as(browser, live_server, tx.unit_liaison, PHONE)
    assert number in page.inner_text("#tasks-fix")
    page.click(f"text={number}")
    page.click("form[action$='/sign/'] button[type=submit]")
    page.wait_for_selector(".messages")
    page.fill("#id_submit_fix_note", "已清理完毕，增加清运频次")
    page.set_input_files("#id_submit_fix_photos", str(after))
    page.click("button:has-text('确认提交整改')")
    page.wait_for_selector(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "04-unit-fix-submitted-phone.png", full_page=True)
    page.context.close()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED

    # 4. A supervisor who did not submit it checks the photos side by side and strikes it off.
    page = open_as(browser, live_server, tx.supervisor2, DESKTOP)
    page.goto(f"{live_server.url}/tickets/{number}/")
    assert page.locator(".photos-compare img").count() == 2
    page.fill("#id_close_out_note", "现场核验，整改到位")
    page.screenshot(path=SHOTS / "05-supervisor-verify-desktop.png", full_page=True)
    page.click("button:has-text('确认核验销号')")
    page.wait_for_selector(".messages")
    assert "已销号" in page.inner_text(".page-head")
    page.screenshot(path=SHOTS / "06-closed-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/board/TX/")
    page.screenshot(path=SHOTS / "07-board-desktop.png", full_page=True)
    page.context.close()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED and ticket.closed_by == tx.supervisor2
    assert [e.action for e in ticket.events.order_by("at", "id")] == [
        "log",
        "assign",
        "sign",
        "submit_fix",
        "close_out",
    ]


def test_bad_photo_keeps_the_form_in_the_browser(browser, live_server, tx, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_bytes(b"this is not a photo at all")
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.goto(f"{live_server.url}/tickets/new/")
    page.set_input_files("#id_photos", str(fake))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_place", "北门")
    page.fill("#id_description", "路灯下有小广告")
    page.click("text=提交登记")
    page.wait_for_selector(".alert-error")
    assert "不是照片" in page.inner_text(".photo-picker")
    assert page.input_value("#id_description") == "路灯下有小广告"
    assert page.input_value("#id_place") == "北门"
    page.screenshot(path=SHOTS / "08-staff-bad-photo-phone.png", full_page=True)
    page.context.close()
    assert Ticket.objects.count() == 0


def test_admin_imports_the_checklist_and_a_unit_reports_progress(browser, live_server, tx, tmp_path):
    from openpyxl import load_workbook

    from campaigns.models import ChecklistItem

    # The admin downloads the template and fills it in, as an office would in Excel.
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/campaigns/{tx.campaign.pk}/checklist/")
    page.click("text=从 Excel 导入")
    with page.expect_download() as download:
        page.click("text=下载模板")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook["任务清单"]
    sheet.delete_rows(2)
    sheet.append(
        [
            "3",
            "3.1",
            "主次干道路面平整，垃圾容器配齐",
            6,
            tx.department.name,
            tx.department2.name,
            "王五",
            "2026-12-31",
            "推进中",
            30,
            "",
        ]
    )
    sheet.append(["8", "8.1", "重点行业防鼠防蝇设施合格", "四分", tx.department2.name, "", "", "2027/1/15", "", "", ""])
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)

    # A mistake is shown where it is, and nothing is imported.
    page.set_input_files("#id_file", str(filled))
    page.click("text=上传并预览")
    page.wait_for_selector(".import-preview")
    assert "“分值”不是数字：“四分”" in page.inner_text(".import-preview")
    assert page.locator("text=确认导入").count() == 0
    page.screenshot(path=SHOTS / "09-admin-import-errors-desktop.png", full_page=True)
    assert ChecklistItem.objects.count() == 0

    sheet["D3"] = 4
    workbook.save(filled)
    page.click("a.button:has-text('重新上传')")
    page.set_input_files("#id_file", str(filled))
    page.click("text=上传并预览")
    page.wait_for_selector("text=确认导入")
    page.screenshot(path=SHOTS / "10-admin-import-preview-desktop.png", full_page=True)
    page.click("button:has-text('确认导入')")
    page.wait_for_selector(".messages")
    assert "新增 2 项" in page.inner_text(".messages")
    page.context.close()
    item = ChecklistItem.objects.get(code="3.1")

    # The lead unit reports progress from a phone.
    page = open_as(browser, live_server, tx.unit_liaison, PHONE)
    page.goto(f"{live_server.url}/checklist/mine/")
    page.click(".task-code:has-text('3.1')")
    page.select_option("#id_status", "in_progress")
    page.fill("#id_progress", "70")
    page.fill("#id_note", "路面修补完成七成")
    evidence = tmp_path / "site.jpg"
    evidence.write_bytes(jpeg_bytes())
    page.set_input_files("#id_files", str(evidence))
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "11-unit-checklist-progress-phone.png", full_page=True)
    page.context.close()
    item.refresh_from_db()
    assert item.progress == 70 and item.evidence.count() == 1

    # The board shows the score panel; the scoring sheet exports.
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    assert "测评类别得分" in page.inner_text("main")
    assert "3 市容环境卫生" in page.inner_text(".score-panel")
    page.screenshot(path=SHOTS / "12-board-score-panel-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/campaigns/{tx.campaign.pk}/scoring/")
    with page.expect_download() as download:
        page.click("text=导出 Excel")
    exported = tmp_path / "sheet.xlsx"
    download.value.save_as(exported)
    rows = list(load_workbook(exported)["赋分表"].iter_rows(values_only=True))
    assert [row[1] for row in rows[3:7]] == ["3.1", None, "8.1", None]
    page.context.close()


def test_board_and_printable_summary_at_desktop(browser, live_server, tx, tmp_path):
    from campaigns.services.monthly import summary_generate, summary_request

    tx.log()
    tx.assigned()
    tx.closed()
    today = datetime.date.today()
    summary = summary_generate(summary_request(district=tx.unit, month=today.replace(day=1), actor=tx.admin))
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    assert page.locator("svg.chart").count() >= 1
    assert "销号率" in page.inner_text(".figures")
    page.screenshot(path=SHOTS / "13-board-desktop.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=SHOTS / "14-board-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/summaries/{summary.pk}/")
    assert "创卫工作情况专报" in page.inner_text("article")
    page.emulate_media(media="print")
    page.screenshot(path=SHOTS / "15-monthly-summary-print.png", full_page=True)
    pdf = tmp_path / "summary.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 10_000
    page.context.close()


# --- the content-security policy, as the browser enforces it ----------------------------

CSP_REFUSAL = ("Content Security Policy", "Refused to")


def visit_and_collect_refusals(page, url):
    refusals = []
    page.on(
        "console",
        lambda message: refusals.append(message.text) if any(w in message.text for w in CSP_REFUSAL) else None,
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return refusals


def test_every_main_page_satisfies_the_content_security_policy(browser, live_server, tx, tmp_path):
    """No inline script or style anywhere: the policy that forbids them breaks nothing."""
    from django.contrib.auth import get_user_model

    from campaigns.models import AccountProfile, Duty

    ticket = tx.submitted()
    get_user_model().objects.filter(pk=tx.admin.pk).update(is_staff=True)
    security = get_user_model().objects.create_user("security_admin", password=PASSWORD)
    AccountProfile.objects.update_or_create(user=security, defaults={"duty": Duty.SECURITY})
    audit = get_user_model().objects.create_user("audit_admin", password=PASSWORD)
    AccountProfile.objects.update_or_create(user=audit, defaults={"duty": Duty.AUDIT})
    base = live_server.url
    campaign = tx.campaign.pk
    pages = {
        tx.admin: [
            "/board/TX/",
            "/board/TX/wall/",
            "/board/TX/rankings/",
            "/board/TX/summaries/",
            "/city/",
            "/tickets/",
            f"/tickets/{ticket.number}/",
            f"/campaigns/{campaign}/checklist/",
            f"/campaigns/{campaign}/checklist/import/",
            f"/campaigns/{campaign}/scoring/",
            f"/campaigns/{campaign}/reports/",
            "/notifications/",
            "/deliveries/",
            "/admin/",
            "/admin/campaigns/ticket/",
            "/admin/campaigns/inspectionpoint/add/",
            "/accounts/password_change/",
        ],
        tx.staff: ["/", "/tickets/new/", "/my/", "/reports/", "/checklist/mine/"],
        security: ["/security/accounts/", f"/security/accounts/{tx.staff.pk}/", "/security/second-factor/"],
        audit: ["/security/audit/"],
    }
    problems = []
    for user, urls in pages.items():
        page = open_as(browser, live_server, user, DESKTOP)
        for url in urls:
            refusals = visit_and_collect_refusals(page, base + url)
            assert page.url.startswith(base + url.split("?")[0]) or "/accounts/" in url, (url, page.url)
            problems.extend(f"{user.username} {url}: {text}" for text in refusals)
        page.context.close()
    # And before anyone has logged in.
    page = browser.new_context(viewport=PHONE).new_page()
    problems.extend(
        f"anonymous /accounts/login/: {t}" for t in visit_and_collect_refusals(page, base + "/accounts/login/")
    )
    page.context.close()
    assert not problems, "\n".join(problems)
