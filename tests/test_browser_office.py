"""Office pages in a real browser: the sticker sheet's warning on a phone, and the periods the
rankings and the monthly summary open on at a desk.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named office-*).
"""

import pytest

from campaigns.models import InspectionPoint

from .test_browser import PHONE, SHOTS, browser, no_sideways_scroll, open_as

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
