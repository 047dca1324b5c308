"""Working without signal, in a real browser: 网格员 小王 (tx.staff) logs problems in a basement
market where the phone has no signal, and the unit's liaison sends a fix from a village lane.

Chromium is told it is offline (context.set_offline); the pages come from the service worker,
the forms wait in IndexedDB, and go when the network is back. The live server keeps the real
clock (as all browser journeys do): capture times are set relative to it.
"""

import base64
import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import CaptureSource, Ticket, TicketAction, TicketEvent, TicketPhoto, TicketState

from .factories import jpeg_bytes
from .test_browser import PHONE, SHOTS, browser, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFLINE_SHOTS = Path("/work/shots/offline")
MARKET = {"latitude": 43.170512, "longitude": 124.350871, "accuracy": 15}
ON_SITE = {"permissions": ["geolocation"], "geolocation": MARKET}


def shot(page, name):
    page.screenshot(path=SHOTS / name, full_page=True)
    if OFFLINE_SHOTS.parent.is_dir():
        OFFLINE_SHOTS.mkdir(exist_ok=True)
        shutil.copy(SHOTS / name, OFFLINE_SHOTS / name)


def take_photo(page, selector, taken, color):
    """A photo as the camera hands it over: its file's time is when it was taken."""
    data = base64.b64encode(jpeg_bytes(size=(320, 240), color=color)).decode()
    page.evaluate(
        """([data, taken, selector]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const file = new File([bytes], "scene.jpg", { type: "image/jpeg", lastModified: taken });
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const input = document.querySelector(selector);
            input.files = transfer.files;
            input.dispatchEvent(new Event("change", { bubbles: true }));
        }""",
        [data, int(taken.timestamp() * 1000), selector],
    )
    # The phone's position is noted beside it as soon as the phone has one.
    page.wait_for_function(
        """(selector) => {
            const notes = document.querySelector(selector).form.querySelectorAll("input[name=photo_capture]");
            return notes.length === 1 && notes[0].value.includes('"lat"');
        }""",
        arg=selector,
    )


def worker_ready(page):
    """The worker controls the page and has kept the street pages and the pack."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if page.evaluate("() => navigator.serviceWorker.controller === null"):
        page.reload()  # the worker came while this page loaded: it controls the next one
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#offline-bar[data-pack-at]", state="attached")


def queue_count(page):
    return page.inner_text("[data-offline-count]")


def device_storage(page):
    return page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((db) => db.name),
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )


def log_offline(page, tx, description, taken, color, *, unit=None):
    take_photo(page, "#id_photos", taken, color)
    page.select_option("#id_point", str(tx.point.pk))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_description", description)
    if unit is not None:
        page.click("summary:has-text('更多')")
        page.select_option("#id_responsible_unit", str(unit.pk))
    page.click("button:has-text('提交登记')")
    page.wait_for_selector(".offline-saved")


def test_problems_logged_without_signal_arrive_once_each_with_when_and_where_taken(browser, live_server, tx):
    page = open_as(browser, live_server, tx.staff, PHONE, **ON_SITE)
    page.goto(f"{live_server.url}/tickets/new/")
    worker_ready(page)

    page.context.set_offline(True)
    now = timezone.now()
    first_taken, second_taken = now - datetime.timedelta(hours=2), now - datetime.timedelta(minutes=50)
    log_offline(page, tx, "地下市场东侧垃圾堆放", first_taken, (120, 90, 60))
    assert queue_count(page) == "待上传 1 件"
    log_offline(page, tx, "地下市场楼梯间鼠迹", second_taken, (60, 60, 60))
    page.click("[data-offline-count]")
    assert queue_count(page) == "待上传 2 件"
    assert "没有网络" in page.inner_text("[data-offline-state]")
    shot(page, "offline-01-queue-phone.png")
    # This one the office will refuse: a unit chosen with no deadline.
    log_offline(page, tx, "市场门口占道经营", now - datetime.timedelta(minutes=5), (200, 200, 40), unit=tx.department)
    assert queue_count(page) == "待上传 3 件"

    # Reloaded with no signal: the page and its script come from the worker; the queue is still there.
    page.reload()
    page.wait_for_selector("[data-offline-count]")
    assert page.inner_text("h1") == "登记问题"
    assert queue_count(page) == "待上传 3 件"
    assert "没有网络" in page.inner_text("[data-offline-state]")
    assert "离线数据更新于" in page.inner_text("[data-offline-state]")
    page.click("[data-offline-count]")
    shot(page, "offline-02-reloaded-offline-phone.png")
    assert Ticket.objects.count() == 0

    # Signal again: sent in order; the refused one stays with the office's reason.
    page.context.set_offline(False)
    page.wait_for_function("() => document.querySelectorAll('.offline-item').length === 1")
    page.wait_for_selector(".offline-failed")
    assert "直接交办时请填写整改时限" in page.inner_text(".offline-failed")
    assert queue_count(page) == "待上传 1 件"
    shot(page, "offline-03-refused-stays-phone.png")

    tickets = list(Ticket.objects.order_by("number"))
    assert [t.description for t in tickets] == ["地下市场东侧垃圾堆放", "地下市场楼梯间鼠迹"]
    for ticket, taken in zip(tickets, (first_taken, second_taken), strict=True):
        photo = TicketPhoto.objects.get(ticket=ticket)
        assert abs(photo.taken_at - taken) < datetime.timedelta(seconds=1)
        assert photo.taken_at_source == CaptureSource.DEVICE
        assert float(photo.latitude) == pytest.approx(MARKET["latitude"])
        assert photo.location_source == CaptureSource.DEVICE

    # Logging out with something unsent warns first, then leaves nothing on the phone.
    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.accept()))
    page.click("button:has-text('退出')")
    page.wait_for_url("**/accounts/login/**")
    assert warnings == ["还有 1 件未上传，退出后会从本机清除。确定退出？"]
    assert device_storage(page) == {"databases": [], "caches": [], "workers": 0}
    page.context.close()
    assert Ticket.objects.count() == 2


def test_a_fix_sent_without_signal_arrives_once(browser, live_server, tx):
    ticket = tx.assigned()
    page = open_as(browser, live_server, tx.unit_liaison, PHONE, **ON_SITE)
    url = f"{live_server.url}/tickets/{ticket.number}/"
    page.goto(url)
    worker_ready(page)
    page.reload()  # through the worker now: the ticket's page is kept

    page.context.set_offline(True)
    page.reload()
    taken = timezone.now() - datetime.timedelta(minutes=30)
    page.fill("#id_submit_fix_note", "已清运，增加巡查")
    take_photo(page, "#id_submit_fix_photos", taken, (40, 160, 90))
    page.click("button:has-text('确认提交整改')")
    page.wait_for_selector(".offline-saved")
    assert queue_count(page) == "待上传 1 件"
    shot(page, "offline-04-fix-queued-phone.png")

    page.context.set_offline(False)
    page.wait_for_function("() => document.querySelector('[data-offline-queue]').hidden")
    page.reload()  # a page opened again with signal sends what waits: nothing more
    page.wait_for_load_state("networkidle")
    assert "待核验" in page.inner_text(".page-head")
    page.context.close()

    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.SUBMIT_FIX).count() == 1
    after = TicketPhoto.objects.get(ticket=ticket, kind="after")
    assert abs(after.taken_at - taken) < datetime.timedelta(seconds=1)
