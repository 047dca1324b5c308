"""Smaller things a new user tripped on (issue 16), as the HTML draws them.

The browser side (widths, the fade on the navigation, typing in the unit chooser, the photo
opening large, the wall's pages) is in tests/test_browser_small_fixes.py and test_browser_wall.py.
"""

import re

from django.conf import settings
from django.template import loader
from django.urls import reverse
from PIL import Image

from campaigns.models import OrgUnit, UnitKind


def optgroups(html, select_id):
    """{group label: [option texts]} of one select."""
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return {
        label: re.findall(r"<option[^>]*>([^<]*)</option>", body)
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    }


class TestFavicon:
    def test_every_page_links_the_ledgers_mark_and_the_files_are_images(self, client, tx):
        for url, user in ((reverse("login"), None), (reverse("campaigns:my-tasks"), tx.staff)):
            if user:
                client.force_login(user)
            html = client.get(url).content.decode()
            assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
            assert '<link rel="icon" href="/static/favicon.ico" sizes="16x16 32x32 48x48">' in html
            assert '<link rel="apple-touch-icon" href="/static/apple-touch-icon.png">' in html
        static = settings.STATICFILES_DIRS[0]
        with Image.open(static / "favicon.ico") as ico:
            assert ico.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= set(ico.info["sizes"])
        with Image.open(static / "apple-touch-icon.png") as png:
            assert png.size == (180, 180)
            # The ledger's green, edge to edge (a home screen rounds the corners itself).
            assert png.convert("RGB").getpixel((2, 2)) == (11, 93, 75)
        assert "#0b5d4b" in (static / "favicon.svg").read_text()

    def test_the_500_page_has_it_too(self, client):
        html = loader.get_template("500.html").render({})  # as server_error renders it: no request
        assert "favicon.svg" in html and "favicon.ico" in html


class TestUnitChooser:
    def test_communities_sit_under_their_street_and_departments_apart(self, client, tx):
        village_town = OrgUnit.objects.create(name="平西乡", kind=UnitKind.TOWNSHIP, parent=tx.unit)
        OrgUnit.objects.create(name="红旗村", kind=UnitKind.VILLAGE, parent=village_town)
        OrgUnit.objects.create(name="迎宾社区", kind=UnitKind.COMMUNITY, parent=tx.street2)
        OrgUnit.objects.create(name="已撤并社区", kind=UnitKind.COMMUNITY, parent=tx.street2, is_active=False)
        ticket = tx.log()
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        expected = {
            "铁西区第一街道": ["铁西区第一街道", "铁西区北沟社区"],
            "铁西区第二街道": ["铁西区第二街道", "迎宾社区"],
            "平西乡": ["平西乡", "红旗村"],
            "部门/责任单位": ["铁西区执法局", "铁西区卫健局"],
        }
        assert optgroups(html, "id_assign_responsible_unit") == expected
        assert optgroups(html, "id_assign_co_units") == expected
        # The box that finds a unit by typing is drawn by ledger.js from these attributes.
        select = re.search(r'<select[^>]*id="id_assign_responsible_unit"[^>]*>', html).group(0)
        assert 'data-filter="输入名称查找"' in select and 'data-filter-count="找到 {n} 个"' in select

    def test_reassign_decline_and_the_log_form_use_the_same_list(self, client, tx):
        ticket = tx.assigned(signed=False)
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        # 改派 offers every unit but the one it has now.
        assert optgroups(html, "id_reassign_responsible_unit")["部门/责任单位"] == ["铁西区卫健局"]
        assert optgroups(html, "id_reassign_responsible_unit")["铁西区第一街道"] == ["铁西区第一街道", "铁西区北沟社区"]
        client.force_login(tx.unit_liaison)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert optgroups(html, "id_decline_suggested_unit")["铁西区第一街道"] == ["铁西区第一街道", "铁西区北沟社区"]
        client.force_login(tx.staff)
        html = client.get(reverse("campaigns:ticket-log")).content.decode()
        assert optgroups(html, "id_responsible_unit")["部门/责任单位"] == ["铁西区执法局", "铁西区卫健局"]


class TestWallPages:
    def test_the_page_interval_is_set_per_screen_within_bounds(self, client, tx):
        client.force_login(tx.leader)
        url = reverse("campaigns:board-wall", args=["TX"])
        for every, seconds in (("", 20), ("45", 45), ("1", 2), ("9999", 600), ("abc", 20), ("-5", 20), ("1" * 40, 20)):
            html = client.get(url, {"every": every} if every else {}).content.decode()
            assert f'data-page-seconds="{seconds}"' in html, every

    def test_the_wall_loads_its_pager_and_marks_the_short_panels(self, client, tx, duties):
        client.force_login(tx.leader)
        html = client.get(reverse("campaigns:board-wall", args=["TX"])).content.decode()
        assert '<html lang="zh-hans" class="wall">' in html and 'src="/static/js/wall.js"' in html
        assert 'class="wall-page"' in html and "data-wall-pager hidden" in html
        assert html.count('class="card wall-short"') == 2  # 按状态 and 今日日报 (no 挂牌督办 yet)
        # The board itself is not a wall.
        html = client.get(reverse("campaigns:board", args=["TX"])).content.decode()
        assert "wall.js" not in html and 'class="wall"' not in html
