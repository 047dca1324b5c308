"""The map in a real browser: 铁西区's admin opens it from the board, with an intranet tile
server (a few PNG tiles served on loopback by the test) and without one; a 网格员 standing at
the market sets its place from her phone.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named map-*).
"""

import io
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import AuditEvent, InspectionPoint, MapSettings, Ticket, TileSource

from .test_browser import PHONE, SHOTS, browser, no_sideways_scroll, open_as, visit_and_collect_refusals

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


def _tile_png():
    """A pale tile with a road across it: plain enough, but visibly a map in the screenshots."""
    image = Image.new("RGB", (256, 256), (236, 240, 232))
    draw = ImageDraw.Draw(image)
    draw.line((0, 128, 256, 128), fill=(255, 255, 255), width=9)
    draw.line((128, 0, 128, 256), fill=(250, 226, 160), width=7)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def tile_server():
    """An intranet tile server on loopback: answers /tiles/z/x/y.png and remembers what was asked."""
    png = _tile_png()
    asked = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            asked.append(self.path)
            if not self.path.startswith("/tiles/") or not self.path.endswith(".png"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            try:
                self.wfile.write(png)
            except (BrokenPipeError, ConnectionResetError):
                pass  # Leaflet cancels the tiles it no longer needs while it zooms

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def _district_on_the_map(tx):
    """Markets and alleys of both streets around 北沟, a few of them with problems."""
    points = []
    for n in range(24):
        unit = tx.community if n % 3 else tx.street2
        point = InspectionPoint.objects.create(
            unit=unit, point_type=tx.point.point_type, name=f"北沟{n + 1}号背街小巷" if n % 4 else f"第{n + 1}农贸市场"
        )
        lat = Decimal("43.1600") + Decimal(n % 6) * Decimal("0.0021") + (Decimal("0.012") if unit == tx.street2 else 0)
        lng = Decimal("124.3450") + Decimal(n // 6) * Decimal("0.0032")
        InspectionPoint.objects.filter(pk=point.pk).update(latitude=lat, longitude=lng)
        points.append(point)
    for point in points[:6]:
        tx.log(point=point)
    for point in points[6:10]:
        tx.assigned(point=point)
    late = tx.assigned(point=points[10])
    # The deadline passed a week ago (the browser keeps the real clock, so the test moves the date).
    Ticket.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timezone.timedelta(days=7))
    tx.closed(point=points[11])
    return points


def test_the_map_with_an_intranet_tile_server(browser, live_server, tx, tile_server):
    base, asked = tile_server
    _district_on_the_map(tx)
    MapSettings.objects.create(
        district=tx.unit,
        source=TileSource.INTRANET,
        tile_url=base + "/tiles/{z}/{x}/{y}.png",
        attribution="测试瓦片",
    )
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    page.click(".board-links >> text=地图")
    refusals = visit_and_collect_refusals(page, page.url)
    page.wait_for_selector("#district-map[data-loaded]")
    assert page.get_attribute("#district-map", "data-loaded") == "24"
    assert not refusals, refusals
    assert any(path.startswith("/tiles/") for path in asked), asked
    assert page.locator(".leaflet-tile-loaded").count() > 0
    assert page.locator(".map-cluster, .map-pin").count() > 0
    assert page.locator(".map-no-tiles").count() == 0
    assert "符合条件的问题共 11 件" in page.inner_text("#map-summary")
    page.screenshot(path=SHOTS / "map-01-tiles-desktop.png", full_page=True)

    # Zoomed in, clusters open into points coloured by their most urgent problem.
    page.locator(".map-cluster").first.click()
    page.wait_for_timeout(600)
    page.screenshot(path=SHOTS / "map-02-tiles-zoomed-desktop.png", full_page=True)

    page.click("text=问题热度（按点位）")
    page.wait_for_selector("#district-map[data-loaded]")
    assert page.locator("path.map-heat").count() == 12  # every point with a problem found in the period
    page.screenshot(path=SHOTS / "map-03-heat-desktop.png", full_page=True)
    page.context.close()


def test_the_map_without_tiles_shows_points_and_street_names(browser, live_server, tx):
    _district_on_the_map(tx)
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text))
    refusals = visit_and_collect_refusals(page, f"{live_server.url}/board/TX/map/")
    page.wait_for_selector("#district-map[data-loaded]")
    assert not refusals, refusals
    assert "本区还没有设置底图" in page.inner_text(".map-no-tiles")
    assert page.locator(".leaflet-tile").count() == 0
    page.screenshot(path=SHOTS / "map-04-no-tiles-desktop.png", full_page=True)
    labels = page.locator(".map-street-label").all_text_contents()
    assert set(labels) == {tx.street.name, tx.street2.name}, (
        labels,
        errors,
        page.get_attribute("#district-map", "data-loaded"),
    )
    assert page.locator(".map-cluster, .map-pin").count() > 0
    page.context.close()


def test_a_staffer_sets_the_markets_place_from_her_phone(browser, live_server, tx):
    spot = {"latitude": 43.166021, "longitude": 124.350812, "accuracy": 8}
    page = open_as(browser, live_server, tx.staff, PHONE, geolocation=spot, permissions=["geolocation"])
    page.goto(f"{live_server.url}/points/{tx.point.pk}/locate/")
    page.click("#locate-read")
    page.wait_for_function("!document.getElementById('locate-save').disabled")
    assert "精度约 8 米" in page.inner_text("#locate-status")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "map-05-locate-phone.png", full_page=True)
    page.click("#locate-save")
    page.wait_for_selector(".messages")
    assert "点位位置已保存" in page.inner_text(".messages")
    page.screenshot(path=SHOTS / "map-06-located-phone.png", full_page=True)
    tx.point.refresh_from_db()
    assert (tx.point.latitude, tx.point.longitude) == (Decimal("43.166021"), Decimal("124.350812"))
    assert AuditEvent.objects.filter(details__change="point_location", user=tx.staff).count() == 1
    page.context.close()

    # Indoors, the phone knows only the cell tower: the reading is refused, and says why.
    rough = {"latitude": 43.17, "longitude": 124.36, "accuracy": 450}
    page = open_as(browser, live_server, tx.staff, PHONE, geolocation=rough, permissions=["geolocation"])
    page.goto(f"{live_server.url}/points/{tx.point.pk}/locate/")
    page.click("#locate-read")
    page.wait_for_function("!document.getElementById('locate-save').disabled")
    assert "不能保存" in page.inner_text("#locate-status")
    page.click("#locate-save")
    page.wait_for_selector("#locate-form .error")
    assert "超过 100 米" in page.inner_text("#locate-form .error")
    page.screenshot(path=SHOTS / "map-07-locate-refused-phone.png", full_page=True)
    tx.point.refresh_from_db()
    assert tx.point.latitude == Decimal("43.166021")
    page.context.close()

    # On the map, her market is now where she stood, with the way back to the locate page.
    tx.log()
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.goto(f"{live_server.url}/board/TX/map/")
    page.wait_for_selector("#district-map[data-loaded='1']")
    assert no_sideways_scroll(page)
    page.locator(".map-pin").first.click()
    page.wait_for_selector(".map-popup")
    assert tx.point.name in page.inner_text(".map-popup")
    assert page.locator(".map-popup a.map-locate").count() == 1
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=SHOTS / "map-08-map-phone.png", full_page=True)
    page.context.close()
