"""The district map: 铁西区's office and its 网格员 look at their points and problems on a map;
丹东区's people never see them; the admin chooses the tiles; a staffer standing at the market
sets its place from the phone."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    AuditEvent,
    InspectionPoint,
    MapSettings,
    Role,
    TicketState,
    TileSource,
)
from campaigns.selectors.map import MAP_POINT_CAP, tile_origin
from infra.geo import outside_china, wgs84_to_gcj02

from .conftest import login
from .factories import UserFactory, member

pytestmark = pytest.mark.django_db

# 铁西区北沟农贸市场, as a phone standing at its gate reports it (WGS-84).
MARKET = (Decimal("43.166021"), Decimal("124.350812"))


def place(point, lat, lng):
    InspectionPoint.objects.filter(pk=point.pk).update(latitude=lat, longitude=lng)
    point.refresh_from_db()
    return point


def another_point(d, name, street=None, lat="43.170000", lng="124.360000"):
    unit = d.street2 if street == 2 else d.community
    point = InspectionPoint.objects.create(unit=unit, point_type=d.point.point_type, name=name)
    return place(point, Decimal(lat), Decimal(lng))


def map_data(client, code="TX", **query):
    return client.get(reverse("campaigns:map-data", args=[code]), query)


def img_sources(response):
    """The img-src sources of the page's policy (django-csp writes directives in no fixed order)."""
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return next(words[1:] for words in directives if words and words[0] == "img-src")


def by_name(response):
    return {f["properties"]["name"]: f for f in response.json()["features"]}


# --- WGS-84 → GCJ-02 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # Published reference pairs of the transform (googollee/eviltransform's tests and
        # wandergis/coordtransform's README), to the last digit they print.
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # 上海
        ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # 深圳
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # 北京
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),  # 北京天安门
    ],
)
def test_gcj02_matches_published_reference_values(wgs, gcj):
    lat, lng = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9) and lng == pytest.approx(gcj[1], abs=1e-9)


def test_gcj02_moves_a_point_in_china_by_hundreds_of_metres():
    lat, lng = wgs84_to_gcj02(float(MARKET[0]), float(MARKET[1]))
    # 四平 is offset about 0.001° north and 0.006° east: far enough to miss a market gate.
    assert 0.0005 < lat - float(MARKET[0]) < 0.003 and 0.003 < lng - float(MARKET[1]) < 0.01


@pytest.mark.parametrize(
    "outside", [(0.0, 0.0), (51.5074, -0.1278), (35.6762, 139.6503), (-33.8688, 151.2093), (60.0, 100.0)]
)
def test_gcj02_leaves_points_outside_china_unchanged(outside):
    assert outside_china(*outside)
    assert wgs84_to_gcj02(*outside) == outside


# --- the page and its data: who sees what -------------------------------------------------------


class TestScope:
    def test_staff_see_their_districts_points_with_open_problems(self, client, tx):
        place(tx.point, *MARKET)
        tx.log()
        tx.log()
        response = map_data(login(client, tx.staff))
        assert response.status_code == 200
        market = by_name(response)[tx.point.name]
        assert market["geometry"]["coordinates"] == [float(MARKET[1]), float(MARKET[0])]
        assert market["properties"]["tickets"] == 2 and market["properties"]["mark"] == TicketState.REPORTED
        assert market["properties"]["street"] == tx.street.name
        assert response.json()["summary"] == {"tickets": 2, "placed": 2, "unplaced": 0, "capped": False}

    def test_another_districts_map_does_not_exist(self, client, tx, td):
        place(tx.point, *MARKET)
        tx.log()
        for user in (td.staff, td.admin, td.leader):
            assert map_data(login(client, user)).status_code == 404
            assert client.get(reverse("campaigns:map", args=["TX"])).status_code == 404

    def test_a_leader_reads_the_map(self, client, tx):
        place(tx.point, *MARKET)
        tx.log()
        response = map_data(login(client, tx.leader))
        assert response.status_code == 200 and by_name(response)[tx.point.name]["properties"]["tickets"] == 1
        # Reading is all: a leader cannot move a point.
        assert by_name(response)[tx.point.name]["properties"]["can_locate"] is False
        page = client.get(reverse("campaigns:map", args=["TX"]))
        assert page.status_code == 200 and reverse("campaigns:setup-map", args=["TX"]) not in page.content.decode()

    def test_the_city_admin_sees_each_district_on_its_own_map(self, client, tx, td, city_admin):
        place(tx.point, *MARKET)
        place(td.point, Decimal("40.1"), Decimal("124.3"))
        td.log()
        login(client, city_admin)
        assert set(by_name(map_data(client, "TX"))) == {tx.point.name}
        assert by_name(map_data(client, "TD"))[td.point.name]["properties"]["tickets"] == 1

    def test_anonymous_is_sent_to_log_in(self, client, tx):
        assert map_data(client).status_code == 302

    def test_points_without_a_place_stay_off_the_map_and_their_problems_are_counted(self, client, tx):
        tx.log()  # the market has no coordinates yet
        response = map_data(login(client, tx.supervisor))
        assert response.json()["features"] == []
        assert response.json()["summary"]["unplaced"] == 1
        assert "还没有坐标" in client.get(reverse("campaigns:map", args=["TX"])).content.decode()


# --- filters and colours ------------------------------------------------------------------------


class TestFilters:
    def test_the_default_is_open_problems_and_state_narrows_like_the_ticket_list(self, client, tx):
        place(tx.point, *MARKET)
        tx.log()
        tx.closed()
        login(client, tx.supervisor)
        assert by_name(map_data(client))[tx.point.name]["properties"]["tickets"] == 1
        closed = by_name(map_data(client, state=TicketState.CLOSED))[tx.point.name]["properties"]
        assert closed["tickets"] == 1 and closed["mark"] == TicketState.CLOSED
        assert by_name(map_data(client, state=""))[tx.point.name]["properties"]["tickets"] == 2

    def test_street_and_category_narrow_the_counts_not_the_points(self, client, tx):
        place(tx.point, *MARKET)
        alley = another_point(tx, "第二街道背街小巷", street=2)
        tx.log()
        tx.log(point=alley, category=tx.category2)
        login(client, tx.supervisor)
        found = by_name(map_data(client, street=tx.street2.pk))
        assert found[alley.name]["properties"]["tickets"] == 1 and found[tx.point.name]["properties"]["tickets"] == 0
        found = by_name(map_data(client, category=tx.category.pk))
        assert found[tx.point.name]["properties"]["tickets"] == 1 and found[alley.name]["properties"]["tickets"] == 0

    def test_overdue_problems_paint_the_point_red(self, client, tx):
        place(tx.point, *MARKET)
        alley = another_point(tx, "北沟小巷")
        tx.assigned()  # deadline in three days
        tx.assigned(point=alley)
        tx.log(point=alley)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=10), tick=False):
            login(client, tx.supervisor)
            found = by_name(map_data(client))
            assert found[tx.point.name]["properties"]["mark"] == "overdue"
            assert found[tx.point.name]["properties"]["overdue"] == 1
            only = by_name(map_data(client, overdue="true"))
            assert (
                only[alley.name]["properties"]["tickets"] == 1 and only[alley.name]["properties"]["mark"] == "overdue"
            )
        # Before the deadline the same tickets are the unit's work in hand (签收 done: 整改中).
        assert by_name(map_data(client))[tx.point.name]["properties"]["mark"] == TicketState.RECTIFYING

    def test_the_heat_view_counts_the_period_in_every_state(self, client, tx):
        place(tx.point, *MARKET)
        with time_machine.travel(timezone.now() - datetime.timedelta(days=200), tick=False):
            tx.closed()  # long before the default period
        tx.closed()
        tx.log()
        login(client, tx.supervisor)
        assert by_name(map_data(client, view="heat"))[tx.point.name]["properties"]["tickets"] == 2
        everything = map_data(client, view="heat", found_from="2026-01-01")
        assert by_name(everything)[tx.point.name]["properties"]["tickets"] == 3

    def test_a_bad_filter_is_refused_not_queried(self, client, tx):
        response = map_data(login(client, tx.supervisor), found_from="0001-01-01")
        assert response.status_code == 400 and "found_from" in response.json()["errors"]

    def test_the_query_count_does_not_grow_with_points_and_problems(self, client, tx, django_assert_max_num_queries):
        place(tx.point, *MARKET)
        tx.log()
        login(client, tx.supervisor)
        map_data(client, category=tx.category.pk)  # warm the session and scope caches
        # The account, the district, the chosen category, the map settings, the counts, the points.
        with django_assert_max_num_queries(6):
            map_data(client, category=tx.category.pk)
        for n in range(15):
            point = another_point(tx, f"北沟{n}号小巷", lat=f"43.16{n:02}", lng="124.35")
            tx.log(point=point)
            tx.assigned(point=point)
        map_data(client, category=tx.category.pk)  # the new tickets moved the cache versions on
        with django_assert_max_num_queries(6):
            response = map_data(client, category=tx.category.pk)
        assert len(response.json()["features"]) == 16

    def test_the_page_costs_the_same_however_many_points(self, client, tx, django_assert_max_num_queries):
        place(tx.point, *MARKET)
        login(client, tx.supervisor)
        url = reverse("campaigns:map", args=["TX"])
        client.get(url)  # warm the session, scope and filter-choice caches
        with django_assert_max_num_queries(8):
            client.get(url, {"category": tx.category.pk})
        for n in range(15):
            tx.log(point=another_point(tx, f"北沟{n}号小巷", lat=f"43.16{n:02}", lng="124.35"))
        client.get(url)
        with django_assert_max_num_queries(8):
            assert client.get(url, {"category": tx.category.pk}).status_code == 200

    def test_the_points_are_capped_and_the_map_says_so(self, client, tx, monkeypatch):
        from campaigns.selectors import map as map_selector

        place(tx.point, *MARKET)
        another_point(tx, "北沟小巷一")
        another_point(tx, "北沟小巷二")
        monkeypatch.setattr(map_selector, "MAP_POINT_CAP", 2)
        data = map_data(login(client, tx.supervisor)).json()
        assert len(data["features"]) == 2 and data["summary"]["capped"] is True
        assert MAP_POINT_CAP >= 5000


# --- the tile source ----------------------------------------------------------------------------


class TestTileSettings:
    def url(self, code="TX"):
        return reverse("campaigns:setup-map", args=[code])

    def test_without_tiles_the_page_says_so(self, client, tx):
        page = login(client, tx.staff).get(reverse("campaigns:map", args=["TX"]))
        text = page.content.decode()
        assert "本区还没有设置底图" in text and '"layers": []' in text
        assert img_sources(page) == ["'self'", "data:", "blob:"]

    def test_the_admin_sets_tianditu_and_the_page_allows_its_tiles(self, client, tx):
        login(client, tx.admin)
        form = {"source": TileSource.TIANDITU, "tianditu_key": "0123456789abcdef0123456789abcdef", "max_zoom": 18}
        response = client.post(self.url(), {**form, "coordinate_system": "wgs84"})
        assert response.status_code == 302
        saved = MapSettings.objects.get(district=tx.unit)
        assert saved.source == TileSource.TIANDITU
        audit = AuditEvent.objects.get(details__change="map_settings")
        assert audit.user == tx.admin and audit.district_id == tx.unit.pk and "tianditu_key" in audit.details["fields"]
        assert "0123456789abcdef" not in str(audit.details)
        page = client.get(reverse("campaigns:map", args=["TX"]))
        assert img_sources(page) == ["'self'", "data:", "blob:", "https://*.tianditu.gov.cn"]
        text = page.content.decode()
        assert "vec_w/wmts" in text and "cva_w/wmts" in text and "本区还没有设置底图" not in text
        # Saving the same again changes nothing and logs nothing.
        client.post(self.url(), {**form, "coordinate_system": "wgs84"})
        assert AuditEvent.objects.filter(details__change="map_settings").count() == 1

    def test_an_intranet_server_in_gcj02_gets_converted_points(self, client, tx):
        place(tx.point, *MARKET)
        login(client, tx.admin)
        response = client.post(
            self.url(),
            {
                "source": TileSource.INTRANET,
                "tile_url": "http://tiles{s}.sp.gov.local:8080/amap/{z}/{x}/{y}.png",
                "subdomains": "123",
                "coordinate_system": "gcj02",
                "max_zoom": 18,
                "attribution": "四平市测绘院",
            },
        )
        assert response.status_code == 302
        lng, lat = by_name(map_data(client))[tx.point.name]["geometry"]["coordinates"]
        expected = wgs84_to_gcj02(float(MARKET[0]), float(MARKET[1]))
        assert (lat, lng) == (round(expected[0], 6), round(expected[1], 6))
        page = client.get(reverse("campaigns:map", args=["TX"]))
        assert "http://*.sp.gov.local:8080" in img_sources(page)
        assert "GCJ-02" in page.content.decode()

    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({"source": TileSource.TIANDITU}, "tianditu_key", "天地图密钥"),
            ({"source": TileSource.TIANDITU, "tianditu_key": "abc'><script>"}, "tianditu_key", "字母或数字"),
            ({"source": TileSource.INTRANET}, "tile_url", "地址模板"),
            ({"source": TileSource.INTRANET, "tile_url": "ftp://x/{z}/{x}/{y}"}, "tile_url", "http://"),
            ({"source": TileSource.INTRANET, "tile_url": "http://x/{z}/{x}.png"}, "tile_url", "{y}"),
            ({"source": TileSource.INTRANET, "tile_url": "http://x/'{z}/{x}/{y}"}, "tile_url", "不允许"),
            ({"source": TileSource.INTRANET, "tile_url": "http://u:p@x/{z}/{x}/{y}"}, "tile_url", "不允许"),
            ({"source": TileSource.INTRANET, "tile_url": "http://t{s}.x/{z}/{x}/{y}"}, "subdomains", "{s}"),
        ],
    )
    def test_bad_settings_are_refused_with_what_to_fix(self, client, tx, fields, field, words):
        login(client, tx.admin)
        response = client.post(self.url(), {"coordinate_system": "wgs84", "max_zoom": 18, **fields})
        assert response.status_code == 400
        assert any(words in error for error in response.context["form"].errors[field])
        assert not MapSettings.objects.exists() and not AuditEvent.objects.filter(details__change="map_settings")

    def test_only_the_districts_admin_sets_tiles(self, client, tx, td):
        for user in (tx.supervisor, tx.staff, tx.leader):
            assert login(client, user).post(self.url(), {"source": "none", "max_zoom": 18}).status_code == 403
        assert login(client, td.admin).get(self.url()).status_code == 404
        assert not MapSettings.objects.exists()


def test_tile_origins_for_the_content_security_policy():
    assert tile_origin("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    assert tile_origin("https://webrd0{s}.is.example.cn/appmaptile?x={x}&y={y}&z={z}") == "https://*.is.example.cn"
    assert tile_origin("http://tiles/{z}/{x}/{y}.png") == "http://tiles"


# --- a point's place, from the phone standing at it ----------------------------------------------


class TestLocate:
    def url(self, point):
        return reverse("campaigns:point-locate", args=[point.pk])

    def reading(self, accuracy="12.4"):
        return {"latitude": "43.1660213", "longitude": "124.3508118", "accuracy": accuracy}

    def test_the_street_staffer_sets_the_markets_place(self, client, tx):
        login(client, tx.staff)
        assert client.get(self.url(tx.point)).status_code == 200
        response = client.post(self.url(tx.point), self.reading(), follow=True)
        assert "精度约 12 米" in response.content.decode()
        tx.point.refresh_from_db()
        assert (tx.point.latitude, tx.point.longitude) == MARKET
        assert tx.point.location_accuracy == 12 and tx.point.located_at is not None
        audit = AuditEvent.objects.get(details__change="point_location")
        assert audit.user == tx.staff and audit.details["accuracy_m"] == 12 and audit.details["before"] == [None, None]
        # The same reading sent twice (a double tap) is one change.
        client.post(self.url(tx.point), self.reading())
        assert AuditEvent.objects.filter(details__change="point_location").count() == 1
        # And the map now shows it to her, with the way back to set it again.
        assert by_name(map_data(client))[tx.point.name]["properties"]["can_locate"] is True

    def test_a_rough_reading_is_refused_with_a_clear_message(self, client, tx):
        response = login(client, tx.staff).post(self.url(tx.point), self.reading(accuracy="150"))
        assert response.status_code == 400
        text = response.content.decode()
        assert "定位精度约 150 米，超过 100 米" in text and "开阔处" in text
        tx.point.refresh_from_db()
        assert tx.point.latitude is None and not AuditEvent.objects.filter(details__change="point_location")

    @pytest.mark.parametrize(
        "bad",
        [
            {"latitude": "91", "longitude": "124.35", "accuracy": "5"},
            {"latitude": "NaN", "longitude": "124.35", "accuracy": "5"},
            {"latitude": "43.1", "longitude": "1e400", "accuracy": "5"},
            {"latitude": "43.1", "longitude": "124.35", "accuracy": "-1"},
            {"latitude": "43.1", "longitude": "124.35"},
        ],
    )
    def test_nonsense_is_refused(self, client, tx, bad):
        assert login(client, tx.staff).post(self.url(tx.point), bad).status_code == 400
        tx.point.refresh_from_db()
        assert tx.point.latitude is None

    def test_the_district_admin_may_set_any_point(self, client, tx):
        alley = another_point(tx, "第二街道小巷", street=2, lat="43.1", lng="124.3")
        assert login(client, tx.admin).post(self.url(alley), self.reading()).status_code == 302
        alley.refresh_from_db()
        assert alley.latitude == MARKET[0]

    def test_who_may_not_move_a_point(self, client, tx, td):
        other_street = member(UserFactory(username="tx_street2_staff"), tx.street2, Role.STAFF)
        for user in (tx.supervisor, tx.leader, tx.unit_liaison, other_street):
            login(client, user)
            assert client.get(self.url(tx.point)).status_code == 403
            assert client.post(self.url(tx.point), self.reading()).status_code == 403
        for user in (td.staff, td.admin):
            assert login(client, user).post(self.url(tx.point), self.reading()).status_code == 404
        tx.point.refresh_from_db()
        assert tx.point.latitude is None and not AuditEvent.objects.filter(details__change="point_location")

    def test_the_board_links_to_the_map(self, client, tx):
        page = login(client, tx.leader).get(reverse("campaigns:board", args=["TX"]))
        assert reverse("campaigns:map", args=["TX"]) in page.content.decode()
