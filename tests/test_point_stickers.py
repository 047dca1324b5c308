"""Inspection points (点位) in the street: each point's QR code, the stickers an admin prints, and a
staffer who scans one and logs a problem there."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from django.urls import reverse

from campaigns.models import InspectionPoint, Ticket

from .factories import form_key, photo_upload
from .test_points import make_point

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


# --- QR codes ---------------------------------------------------------------------------------


def expected_svg(url):
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=4, xmldecl=True, svgns=True)
    return out.getvalue()


class TestQr:
    def test_the_code_holds_the_points_short_address(self, client, tx, settings):
        settings.SITE_URL = "https://ledger.example.gov.cn/"
        client.force_login(tx.staff)
        response = client.get(reverse("campaigns:point-qr", args=[tx.point.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert "private" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
        url = f"https://ledger.example.gov.cn/p/{tx.point.pk}/"
        assert response.content == expected_svg(url)
        root = ET.fromstring(response.content)
        assert root.tag == f"{SVG_NS}svg"
        paths = root.findall(f"{SVG_NS}path")
        assert len(paths) == 1 and not root.findall(".//*[@style]")
        # The drawn modules are exactly those of the expected code: walk the path back into a matrix.
        code = segno.make(url, error="m")
        assert drawn_modules(paths[0].get("d"), border=4) == dark_modules(code)

    def test_without_site_url_the_address_asked_on_stands_in(self, client, tx, settings):
        settings.SITE_URL = ""
        client.force_login(tx.admin)
        response = client.get(reverse("campaigns:point-qr", args=[tx.point.pk]))
        assert response.content == expected_svg(f"http://testserver/p/{tx.point.pk}/")

    def test_another_district_gets_404(self, client, tx, td):
        client.force_login(td.staff)
        assert client.get(reverse("campaigns:point-qr", args=[tx.point.pk])).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, tx):
        response = client.get(reverse("campaigns:point-qr", args=[tx.point.pk]))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def dark_modules(code):
    return {(x, y) for y, row in enumerate(code.matrix) for x, bit in enumerate(row) if bit}


def drawn_modules(d, border):
    """segno draws each row of dark modules as horizontal strokes: 'M x y' moves, 'h n' draws,
    'm dx dy' moves relative. Read it back into module coordinates (scale folded in by the transform)."""
    modules, x, y = set(), 0.0, 0.0
    for op, args in re.findall(r"([MmHh])([^MmHh]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif op == "h":
            for step in range(int(numbers[0])):
                modules.add((int(x + step) - border, int(y - 0.5) - border))
            x += numbers[0]
    return modules


# --- stickers -----------------------------------------------------------------------------------


class TestStickers:
    def url(self, code="TX", **params):
        return reverse("campaigns:point-stickers", args=[code]), params

    def test_only_active_points_of_the_chosen_street(self, admin_client, tx):
        in_street = make_point(tx.street, "第一街道公厕", address="英雄路 2 号")
        make_point(tx.street, "旧货市场", is_active=False)
        make_point(tx.street2, "站前广场")
        url, params = self.url(street=tx.street.pk)
        response = admin_client.get(url, params)
        assert response.status_code == 200
        html = response.content.decode()
        assert tx.point.name in html and in_street.name in html and "英雄路 2 号" in html
        assert "旧货市场" not in html and "站前广场" not in html
        assert html.count('class="sticker"') == 2 and html.count('class="qr"') == 2
        assert tx.unit.name in html and "data-print" in html
        assert " style=" not in html  # the content-security policy forbids inline styles

    def test_all_streets_and_a_page_break_every_twelve(self, admin_client, tx):
        for n in range(13):
            make_point(tx.street2, f"巷道{n:02}")
        response = admin_client.get(reverse("campaigns:point-stickers", args=["TX"]))
        sheets = response.context["sheets"]
        assert [len(sheet) for sheet in sheets] == [12, 2]
        assert response.content.decode().count('class="sticker-sheet"') == 2

    def test_each_sticker_carries_its_points_code(self, admin_client, tx, settings):
        settings.SITE_URL = "https://ledger.example.gov.cn"
        html = admin_client.get(reverse("campaigns:point-stickers", args=["TX"])).content.decode()
        code = segno.make(f"https://ledger.example.gov.cn/p/{tx.point.pk}/", error="m")
        assert code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-dark")[4:] in html

    def test_empty_state(self, admin_client, tx):
        url, params = self.url(street=tx.street2.pk)
        html = admin_client.get(url, params).content.decode()
        assert "还没有启用中的点位" in html and "sticker-sheet" not in html

    def test_another_districts_street_is_ignored(self, admin_client, tx, td):
        url, params = self.url(street=td.street.pk)
        response = admin_client.get(url, params)
        assert response.context["street"] is None and tx.point.name in response.content.decode()

    @pytest.mark.parametrize(
        "site_url,host",
        [
            ("http://127.0.0.1:8000", "ledger.example.gov.cn"),
            ("http://localhost:8000", "ledger.example.gov.cn"),
            ("http://[::1]:8000", "ledger.example.gov.cn"),
            ("", "127.0.0.1:8000"),  # no SITE_URL: the address the sheet was opened on
            ("", "localhost"),
        ],
    )
    def test_codes_pointing_at_this_machine_are_warned_about(self, admin_client, tx, settings, site_url, host):
        settings.SITE_URL = site_url
        settings.ALLOWED_HOSTS = ["*"]
        html = admin_client.get(reverse("campaigns:point-stickers", args=["TX"]), HTTP_HOST=host).content.decode()
        assert 'id="qr-local-warning"' in html
        assert "二维码指向本机地址" in html and "手机扫码无法打开" in html
        assert "SITE_URL" in html and "HOST=0.0.0.0" in html and "hostname -I" in html

    @pytest.mark.parametrize(
        "site_url,host",
        [("https://ledger.example.gov.cn", "127.0.0.1"), ("http://192.168.1.20:8000", "localhost"), ("", "10.0.0.5")],
    )
    def test_codes_a_phone_can_open_need_no_warning(self, admin_client, tx, settings, site_url, host):
        settings.SITE_URL = site_url
        settings.ALLOWED_HOSTS = ["*"]
        html = admin_client.get(reverse("campaigns:point-stickers", args=["TX"]), HTTP_HOST=host).content.decode()
        assert "qr-local-warning" not in html and "二维码指向本机地址" not in html

    def test_another_district_gets_404_and_non_admins_403(self, client, tx, td):
        client.force_login(td.admin)
        assert client.get(reverse("campaigns:point-stickers", args=["TX"])).status_code == 404
        for who in ("supervisor", "leader", "staff"):
            client.force_login(getattr(tx, who))
            assert client.get(reverse("campaigns:point-stickers", args=["TX"])).status_code == 403


# --- scanning -----------------------------------------------------------------------------------


def scan_url(point):
    return reverse("campaigns:point-scan", args=[point.pk])


class TestScan:
    def test_staff_go_straight_to_the_log_form_with_the_point_chosen(self, client, tx):
        client.force_login(tx.staff)
        response = client.get(scan_url(tx.point))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('campaigns:ticket-log')}?point={tx.point.pk}"
        response = client.get(response["Location"])
        form = response.context["form"]
        assert form.initial["point"] == tx.point.pk and form.chosen_point == tx.point
        html = response.content.decode()
        assert "扫码点位" in html and 'id="chosen-point-name">' + tx.point.name in html
        assert f'<option value="{tx.point.pk}" selected>' in html

    def test_logging_from_a_scan_records_the_point(self, client, tx):
        client.force_login(tx.staff)
        url = f"{reverse('campaigns:ticket-log')}?point={tx.point.pk}"
        data = {"point": tx.point.pk, "category": tx.category.pk, "description": "门口垃圾满溢"}
        response = client.post(url, {**data, "photos": [photo_upload()], "submission": form_key()})
        assert response.status_code == 302
        ticket = Ticket.objects.get()
        assert ticket.point == tx.point and ticket.street == tx.street
        # A form that fails keeps showing the chosen point.
        response = client.post(url, {**data, "description": ""})
        assert response.status_code == 400 and response.context["form"].chosen_point == tx.point

    def test_the_city_admin_is_taken_to_the_points_district(self, client, tx, td, city_admin):
        client.force_login(city_admin)
        response = client.get(client.get(scan_url(td.point))["Location"])
        assert response.context["district"] == td.unit and response.context["form"].chosen_point == td.point

    def test_another_district_gets_404(self, client, tx, td):
        client.force_login(td.staff)
        assert client.get(scan_url(tx.point)).status_code == 404

    def test_a_leader_is_told_why_not(self, client, tx):
        client.force_login(tx.leader)
        response = client.get(scan_url(tx.point))
        assert response.status_code == 403
        assert "您的角色只能查看，不能登记问题" in response.content.decode()

    def test_anonymous_logs_in_and_comes_back(self, client, tx):
        response = client.get(scan_url(tx.point))
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=/p/{tx.point.pk}/"

    def test_a_retired_point_says_so_and_offers_the_plain_form(self, client, tx):
        InspectionPoint.objects.filter(pk=tx.point.pk).update(is_active=False)
        client.force_login(tx.staff)
        response = client.get(scan_url(tx.point))
        assert response.status_code == 410
        html = response.content.decode()
        assert "这个点位已停用" in html and tx.point.name in html
        assert f"{reverse('campaigns:ticket-log')}?district=TX" in html

    @pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1" * 40, ""])
    def test_a_point_in_the_query_that_cannot_be_used_is_ignored(self, client, tx, value):
        client.force_login(tx.staff)
        response = client.get(reverse("campaigns:ticket-log"), {"point": value})
        assert response.status_code == 200 and response.context["form"].chosen_point is None

    def test_another_districts_or_a_retired_point_is_ignored(self, client, tx, td):
        client.force_login(tx.staff)
        response = client.get(reverse("campaigns:ticket-log"), {"point": td.point.pk})
        assert response.status_code == 200 and response.context["form"].chosen_point is None
        assert td.point.name not in response.content.decode()
        retired = make_point(tx.street, "旧货市场", is_active=False)
        response = client.get(reverse("campaigns:ticket-log"), {"point": retired.pk})
        assert response.context["form"].chosen_point is None

    def test_a_district_asked_for_wins_over_a_point_of_another(self, client, tx, td, city_admin):
        client.force_login(city_admin)
        response = client.get(reverse("campaigns:ticket-log"), {"district": "TX", "point": td.point.pk})
        assert response.context["district"] == tx.unit and response.context["form"].chosen_point is None
