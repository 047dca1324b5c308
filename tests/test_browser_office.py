"""Office pages in a real browser: the sticker sheet's warning on a phone, and the periods the
rankings and the monthly summary open on at a desk.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named office-*).
"""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.models import InspectionPoint, MonthlySummary
from infra.dates import last_full_month, month_label

from .conftest import BEIJING
from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_on_a_phone_is_warned_that_the_codes_point_at_this_machine(browser, live_server, tx, settings):
    for n in range(1, 4):
        InspectionPoint.objects.create(unit=tx.street, point_type=tx.point.point_type, name=f"英雄街{n}号市场")
    settings.SITE_URL = live_server.url  # http://localhost:…, as `make run` without SITE_URL
    page = open_as(browser, live_server, tx.admin, PHONE)
    page.goto(f"{live_server.url}/board/TX/points/stickers/")
    warning = page.locator("#qr-local-warning")
    assert warning.is_visible()
    text = warning.inner_text()
    assert "二维码指向本机地址" in text and live_server.url in text and "HOST=0.0.0.0" in text
    # Read before the stickers, on the first screen, and the page still fits the phone.
    box = warning.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    assert box["y"] < page.locator(".sticker-sheet").first.bounding_box()["y"]
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "office-01-stickers-loopback-phone.png")
    # Not on paper: the sheet that is printed carries only the stickers.
    page.emulate_media(media="print")
    assert warning.is_hidden()
    page.emulate_media(media="screen")

    # With an address phones can open, the sheet says nothing more.
    settings.SITE_URL = "http://192.168.1.20:8000"
    page.reload()
    assert page.locator("#qr-local-warning").count() == 0
    assert page.locator(".sticker svg.qr").count() == 4
    page.screenshot(path=SHOTS / "office-02-stickers-lan-phone.png")
    page.context.close()


def test_rankings_and_the_summary_open_on_the_last_full_month_at_a_desk(browser, live_server, tx):
    today = timezone.localdate()
    start, end = last_full_month(today)
    with time_machine.travel(datetime.datetime(start.year, start.month, 3, 10, tzinfo=BEIJING)):
        for _n in range(3):
            tx.closed(unit=tx.department)
        tx.assigned(unit=tx.department2, deadline=start + datetime.timedelta(days=4))
        tx.closed(unit=tx.department2, by=tx.supervisor2, street=tx.street2, point=None, place="二街菜市场门口")
    tx.log()  # this month's: not in the default period

    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/rankings/")
    period = page.inner_text("#ranking-period")
    assert f"{start:%Y-%m-%d} — {end:%Y-%m-%d}" in period and "默认统计上一个完整月份" in period
    assert page.input_value("#start") == start.isoformat() and page.input_value("#end") == end.isoformat()
    assert page.inner_text(".period-presets [aria-current=true]") == "上个月"
    assert tx.department.name in page.locator(".honor-red").nth(1).inner_text()  # the units' 红榜
    page.screenshot(path=SHOTS / "office-03-rankings-desktop.png")

    page.goto(f"{live_server.url}/board/TX/summaries/")
    assert page.input_value("#month") == f"{start:%Y-%m}"
    page.click("text=生成专报")
    page.wait_for_selector(".paper.summary")
    summary = MonthlySummary.objects.get()
    assert summary.month == start and summary.language == "zh-hans"
    text = page.inner_text(".paper.summary")
    assert month_label(start) in page.inner_text(".doc-title") and "T" not in page.inner_text(".doc-number")
    assert "本月发现问题（件）" in text
    page.screenshot(path=SHOTS / "office-04-summary-desktop.png", full_page=True)

    # The same summary read in English: labels, month and light titles in the reader's language.
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    page.wait_for_selector(".paper.summary")
    with translation.override("en"):
        assert month_label(start) in page.inner_text(".doc-title")
        assert _("本月发现问题（件）") in page.inner_text(".paper.summary")
    page.screenshot(path=SHOTS / "office-05-summary-en-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/board/TX/rankings/")
    page.screenshot(path=SHOTS / "office-06-rankings-en-desktop.png")
    page.context.close()
