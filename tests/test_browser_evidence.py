"""照片证据核验 in a real browser: a supervisor at a desk and on a phone meets a flagged fix; a
unit liaison takes the after-photo with the before-photo laid over the camera (Chromium's fake
camera), or beside the field where there is no camera.
"""

import datetime
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketPhoto, TicketState
from campaigns.services.photos import photo_store

from .factories import photo_upload
from .photo_scenes import jpeg, scene
from .test_browser import CHROMIUM, DESKTOP, PHONE, SHOTS, no_sideways_scroll, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POINT = (Decimal("43.166500"), Decimal("124.350000"))
ACROSS_TOWN = (Decimal("43.175000"), Decimal("124.350000"))
# Where the screenshots are looked at (besides the CI artefacts).
LOOKED_AT = Path(os.environ.get("EVIDENCE_SHOTS", "/work/shots/evidence"))


@pytest.fixture(scope="module")
def browser():
    """Chromium with a fake camera (a moving test pattern), allowed without asking."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed; CI installs it and runs these")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield launched
        launched.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def shot(page, name):
    page.screenshot(path=SHOTS / name, full_page=True)
    if LOOKED_AT.parent.is_dir():
        LOOKED_AT.mkdir(exist_ok=True)
        shutil.copy(SHOTS / name, LOOKED_AT / name)


def _stored(user, data, kind):
    return photo_store(photo_upload("photo.jpg", data), user=user, kind=kind)


def _assigned(tx, seed):
    tx.point.latitude, tx.point.longitude = POINT
    tx.point.save(update_fields=["latitude", "longitude"])
    ticket = tx.log(photos=[_stored(tx.staff, jpeg(scene(seed)), PhotoKind.BEFORE)])
    ticket = workflow.ticket_assign(
        ticket=ticket,
        actor=tx.supervisor,
        unit=tx.department,
        person="张三",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )
    return workflow.ticket_sign(ticket=ticket, actor=tx.unit_liaison)


def _flagged(tx):
    """Last month's photo of the same market, shrunk and saved again, taken across town
    before the 交办: every flag at once."""
    ticket = _assigned(tx, 7)
    yesterday = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y:%m:%d %H:%M:%S")
    reused = jpeg(scene(7), quality=60, scale=0.8, taken=yesterday, place=ACROSS_TOWN)
    return workflow.ticket_submit_fix(
        ticket=ticket,
        actor=tx.unit_liaison,
        note="已清理",
        photos=[_stored(tx.unit_liaison, reused, PhotoKind.AFTER)],
    )


def test_a_supervisor_sees_a_flagged_fix_and_must_write_why(browser, live_server, tx):
    ticket = _flagged(tx)
    assert TicketPhoto.objects.get(ticket=ticket, kind=PhotoKind.AFTER).reused_of_id is not None
    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    panel = page.locator(".photo-checks")
    for flag in ("疑似重复使用照片", "拍摄地点离点位过远", "拍摄时间早于交办"):
        assert panel.get_by_text(flag).count() >= 1
    assert panel.locator(".reuse-pair img").count() == 2
    shot(page, "evidence-flagged-desktop.png")
    if page.locator("#act-close_out").get_attribute("open") is None:
        page.locator("#act-close_out summary").click()
    page.locator("#act-close_out button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("通过核验须在意见中写明理由").count() >= 1
    shot(page, "evidence-reason-required-desktop.png")
    page.locator("#act-close_out textarea[name=note]").fill("现场复核已整改，补拍照片见现场核验")
    page.locator("#act-close_out button[type=submit]").click()
    page.wait_for_load_state()
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.CLOSED
    today = timezone.localdate().isoformat()
    page.goto(f"{live_server.url}/board/TX/rankings/?start={today}&end={today}")
    units = page.locator("table.ranking").last
    assert units.locator("th", has_text="疑似重复使用照片").count() == 1
    assert units.locator(".flag-count").first.inner_text() == "1"
    shot(page, "evidence-rankings-desktop.png")

    phone = open_as(browser, live_server, tx.supervisor2, PHONE)
    other = _flagged(tx)
    phone.goto(f"{live_server.url}/tickets/{other.number}/")
    assert no_sideways_scroll(phone)
    shot(phone, "evidence-flagged-phone.png")


def test_without_a_camera_the_before_photo_stands_beside_the_field(browser, live_server, tx):
    ticket = _assigned(tx, 8)
    page = open_as(browser, live_server, tx.unit_liaison, PHONE)
    # The phone says no to the camera (permission refused).
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))"
    )
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.get_by_role("button", name="对照整改前照片拍摄").click()
    page.locator(".same-angle-side img").wait_for()
    assert page.locator("#act-submit_fix input[type=file][name=photos]").count() == 1
    shot(page, "evidence-same-angle-fallback-phone.png")


def test_the_after_photo_is_taken_over_the_faint_before_photo(browser, live_server, tx):
    ticket = _assigned(tx, 9)
    page = open_as(browser, live_server, tx.unit_liaison, PHONE, permissions=["camera"])
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    page.get_by_role("button", name="对照整改前照片拍摄").click()
    page.locator(".same-angle video").wait_for()
    page.wait_for_function("document.querySelector('.same-angle video').videoWidth > 0")
    opacity = page.locator(".same-angle-ghost").evaluate("el => getComputedStyle(el).opacity")
    assert float(opacity) == pytest.approx(0.35)
    shot(page, "evidence-same-angle-camera-phone.png")
    page.get_by_role("button", name="拍照").click()
    page.wait_for_function("document.querySelector('#act-submit_fix input[type=file][name=photos]').files.length === 1")
    page.locator("#act-submit_fix textarea[name=note]").fill("已清理，对照原角度拍摄")
    page.locator("#act-submit_fix button[type=submit]").click()
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    assert TicketPhoto.objects.filter(ticket=ticket, kind=PhotoKind.AFTER).count() == 1
