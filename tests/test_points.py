"""Inspection points (点位) at a desk: an admin lists, adds, edits and retires a district's points;
supervisors and leaders read them. The import, the stickers and scanning have their own modules
(test_point_import.py, test_point_stickers.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import InspectionPoint, PointType, Ticket


def points_url(code="TX"):
    return reverse("campaigns:points", args=[code])


def make_point(unit, name, point_type=None, **fields):
    point_type = point_type or PointType.objects.get_or_create(name="背街小巷")[0]
    return InspectionPoint.objects.create(unit=unit, name=name, point_type=point_type, **fields)


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


# --- the list ---------------------------------------------------------------------------------


class TestList:
    def test_admin_sees_the_districts_points_with_open_problems(self, admin_client, tx, td):
        tx.log()
        tx.assigned()
        tx.closed()  # closed: not counted
        response = admin_client.get(points_url())
        assert response.status_code == 200
        row = response.context["rows"][0]
        assert row == tx.point and row.open_tickets == 2
        html = response.content.decode()
        assert tx.point.name in html and td.point.name not in html and td.unit.name not in html
        assert reverse("campaigns:point-qr", args=[tx.point.pk]) in html
        assert f"{reverse('campaigns:ticket-log')}?point={tx.point.pk}" in html
        assert f"{reverse('campaigns:ticket-list')}?point={tx.point.pk}&amp;state=open" in html
        assert reverse("campaigns:point-create", args=["TX"]) in html

    def test_the_open_count_links_to_those_tickets(self, admin_client, tx, td):
        here = tx.log()
        other = tx.log(point=make_point(tx.street2, "站前广场"))
        response = admin_client.get(reverse("campaigns:ticket-list"), {"point": tx.point.pk, "state": "open"})
        assert response.status_code == 200
        html = response.content.decode()
        assert here.number in html and other.number not in html

    @pytest.mark.parametrize("who", ["supervisor", "leader"])
    def test_supervisors_and_leaders_read_but_do_not_change(self, client, tx, who):
        client.force_login(getattr(tx, who))
        response = client.get(points_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert tx.point.name in html
        assert reverse("campaigns:point-create", args=["TX"]) not in html
        assert reverse("campaigns:point-edit", args=[tx.point.pk]) not in html
        # A leader logs nothing, so is not offered to.
        assert (f"?point={tx.point.pk}" in html) == (who == "supervisor")

    @pytest.mark.parametrize("who", ["staff", "unit_liaison"])
    def test_staff_are_refused(self, client, tx, who):
        client.force_login(getattr(tx, who))
        assert client.get(points_url()).status_code == 403

    def test_another_district_does_not_exist(self, client, tx, td):
        client.force_login(td.admin)
        assert client.get(points_url("TX")).status_code == 404

    def test_the_city_admin_reads_each_district(self, client, tx, td, city_admin):
        client.force_login(city_admin)
        html = client.get(points_url("TD")).content.decode()
        assert td.point.name in html and tx.point.name not in html

    def test_filters(self, admin_client, tx):
        market_type = tx.point.point_type
        alley = make_point(tx.street2, "站前背街小巷", address="站前路 8 号")
        retired = make_point(tx.street, "旧货市场", point_type=market_type, is_active=False)

        def names(**params):
            return {p.name for p in admin_client.get(points_url(), params).context["rows"]}

        assert names() == {tx.point.name, alley.name, retired.name}
        assert names(street=tx.street2.pk) == {alley.name}
        assert names(point_type=market_type.pk) == {tx.point.name, retired.name}
        assert names(active="1") == {tx.point.name, alley.name}
        assert names(active="0") == {retired.name}
        assert names(q="站前路") == {alley.name}  # the address
        assert names(q="旧货") == {retired.name}  # the name
        # Nonsense is ignored, never a 500.
        assert admin_client.get(points_url(), {"street": "x", "active": "maybe", "page": "-3"}).status_code == 200

    def test_a_filter_that_finds_nothing_says_so(self, admin_client, tx):
        html = admin_client.get(points_url(), {"q": "没有这个"}).content.decode()
        assert "没有符合条件的点位" in html

    def test_empty_district_says_what_to_do_next(self, admin_client, tx):
        InspectionPoint.objects.all().delete()
        html = admin_client.get(points_url()).content.decode()
        assert "还没有点位：逐个添加，或从 Excel 导入" in html
        assert reverse("campaigns:point-import", args=["TX"]) in html

    def test_fifty_a_page(self, admin_client, tx):
        point_type = tx.point.point_type
        InspectionPoint.objects.bulk_create(
            InspectionPoint(
                unit=tx.community, district=tx.unit, street=tx.street, point_type=point_type, name=f"点位{n:03}"
            )
            for n in range(60)
        )
        first = admin_client.get(points_url())
        assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == 61
        second = admin_client.get(points_url(), {"page": 2})
        assert len(second.context["rows"]) == 11

    def test_query_count_does_not_grow_with_rows(self, admin_client, tx, django_assert_max_num_queries):
        point_type = tx.point.point_type

        def grow(n):
            for index in range(n):
                point = make_point(tx.community, f"巷道{InspectionPoint.objects.count()}-{index}", point_type)
                tx.log(point=point)

        grow(2)
        admin_client.get(points_url())  # warm the session and scope caches
        with django_assert_max_num_queries(7) as few:
            admin_client.get(points_url())
        grow(40)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = admin_client.get(points_url())
        assert len(response.context["rows"]) == 43


# --- add, edit, deactivate ---------------------------------------------------------------------


def form_data(tx, **overrides):
    data = {
        "name": "北沟菜市场",
        "point_type": tx.point.point_type_id,
        "unit": tx.community.pk,
        "address": "北沟路 3 号",
        "responsible_department": tx.department.pk,
        "latitude": "43.166123",
        "longitude": "124.350456",
    }
    data.update(overrides)
    return data


class TestForm:
    def test_admin_adds_a_point(self, admin_client, tx):
        response = admin_client.post(reverse("campaigns:point-create", args=["TX"]), form_data(tx))
        assert response.status_code == 302
        point = InspectionPoint.objects.get(name="北沟菜市场")
        assert response["Location"] == f"{points_url()}?street={tx.street.pk}"
        assert (point.district, point.street, point.unit) == (tx.unit, tx.street, tx.community)
        assert point.latitude == Decimal("43.166123") and point.is_active

    def test_save_and_add_another(self, admin_client, tx):
        url = reverse("campaigns:point-create", args=["TX"])
        response = admin_client.post(url, {**form_data(tx), "add_another": "1"})
        assert response["Location"] == url

    def test_the_form_offers_only_this_districts_units_and_departments(self, admin_client, tx, td):
        html = admin_client.get(reverse("campaigns:point-create", args=["TX"])).content.decode()
        assert tx.community.name in html and tx.department.name in html
        assert td.community.name not in html and td.unit.name not in html

    @pytest.mark.parametrize(
        "overrides,field,message",
        [
            ({"name": ""}, "name", "请填写点位名称。"),
            ({"latitude": "91"}, "latitude", "纬度应在 -90 到 90 之间。"),
            ({"longitude": "-181"}, "longitude", "经度应在 -180 到 180 之间。"),
            ({"latitude": "北纬43"}, "latitude", "纬度请填数字"),
            ({"latitude": "43.1234567"}, "latitude", "纬度最多保留 6 位小数。"),
            ({"longitude": ""}, "longitude", "填写了纬度，请同时填写经度。"),
            ({"point_type": ""}, "point_type", "这个字段是必填项。"),
        ],
    )
    def test_bad_input_is_explained_and_kept(self, admin_client, tx, overrides, field, message):
        response = admin_client.post(reverse("campaigns:point-create", args=["TX"]), form_data(tx, **overrides))
        assert response.status_code == 400
        form = response.context["form"]
        assert any(message in error for error in form.errors[field]), form.errors
        html = response.content.decode()
        assert "北沟路 3 号" in html  # what was typed is still there
        assert InspectionPoint.objects.count() == 1

    def test_a_name_already_in_the_unit_is_refused_clearly(self, admin_client, tx):
        data = form_data(tx, name=tx.point.name)
        response = admin_client.post(reverse("campaigns:point-create", args=["TX"]), data)
        assert response.status_code == 400
        assert response.context["form"].errors["name"] == [
            f"“{tx.community.name}”已有名为“{tx.point.name}”的点位。请换一个名称，或在列表里编辑已有的那个。"
        ]
        assert "__all__" not in response.context["form"].errors  # no second, generic sentence
        # The same name in another unit is another point.
        response = admin_client.post(reverse("campaigns:point-create", args=["TX"]), {**data, "unit": tx.street2.pk})
        assert response.status_code == 302

    def test_another_districts_unit_or_department_is_refused(self, admin_client, tx, td):
        url = reverse("campaigns:point-create", args=["TX"])
        response = admin_client.post(url, form_data(tx, unit=td.community.pk))
        assert response.context["form"].errors["unit"] == ["请从列表里选择本区的街道、乡镇、社区或村。"]
        response = admin_client.post(url, form_data(tx, responsible_department=td.department.pk))
        assert response.context["form"].errors["responsible_department"] == ["请从列表里选择本区的部门。"]
        # A department or the district itself is no place for a point.
        response = admin_client.post(url, form_data(tx, unit=tx.department.pk))
        assert "unit" in response.context["form"].errors
        assert InspectionPoint.objects.filter(district=tx.unit).count() == 1

    def test_admin_edits_a_point(self, admin_client, tx):
        url = reverse("campaigns:point-edit", args=[tx.point.pk])
        assert tx.point.name in admin_client.get(url).content.decode()
        response = admin_client.post(url, form_data(tx, name="铁西区中心农贸市场", unit=tx.street2.pk))
        assert response.status_code == 302
        tx.point.refresh_from_db()
        assert tx.point.name == "铁西区中心农贸市场" and tx.point.street == tx.street2

    def test_a_failed_edit_keeps_the_title_and_what_was_typed(self, admin_client, tx):
        response = admin_client.post(
            reverse("campaigns:point-edit", args=[tx.point.pk]), form_data(tx, name="新名字", latitude="999")
        )
        assert response.status_code == 400
        assert response.context["point"].name == tx.point.name
        assert 'value="新名字"' in response.content.decode()

    def test_deactivate_instead_of_delete(self, admin_client, tx):
        ticket = tx.log()
        response = admin_client.post(reverse("campaigns:point-deactivate", args=[tx.point.pk]))
        assert response.status_code == 302
        tx.point.refresh_from_db()
        assert not tx.point.is_active
        assert Ticket.objects.get(pk=ticket.pk).point == tx.point  # the ledger still says where
        admin_client.force_login(tx.staff)
        log_form = admin_client.get(reverse("campaigns:ticket-log")).context["form"]
        assert tx.point not in log_form.fields["point"].queryset
        admin_client.force_login(tx.admin)
        admin_client.post(reverse("campaigns:point-activate", args=[tx.point.pk]))
        tx.point.refresh_from_db()
        assert tx.point.is_active

    def test_deactivate_is_post_only(self, admin_client, tx):
        assert admin_client.get(reverse("campaigns:point-deactivate", args=[tx.point.pk])).status_code == 405

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "supervisor", "leader"])
    def test_only_admins_change_points(self, client, tx, who):
        client.force_login(getattr(tx, who))
        assert client.get(reverse("campaigns:point-create", args=["TX"])).status_code == 403
        assert client.post(reverse("campaigns:point-create", args=["TX"]), form_data(tx)).status_code == 403
        assert client.post(reverse("campaigns:point-edit", args=[tx.point.pk]), form_data(tx)).status_code == 403
        assert client.post(reverse("campaigns:point-deactivate", args=[tx.point.pk])).status_code == 403
        tx.point.refresh_from_db()
        assert tx.point.is_active and tx.point.name != "北沟菜市场"
        assert InspectionPoint.objects.count() == 1

    def test_another_districts_admin_finds_nothing(self, client, tx, td):
        client.force_login(td.admin)
        assert client.get(reverse("campaigns:point-edit", args=[tx.point.pk])).status_code == 404
        assert client.post(reverse("campaigns:point-deactivate", args=[tx.point.pk])).status_code == 404
        assert client.post(reverse("campaigns:point-create", args=["TX"]), form_data(tx)).status_code == 404
        tx.point.refresh_from_db()
        assert tx.point.is_active


def test_the_board_links_the_points_page_for_those_who_may_open_it(client, tx):
    link = points_url()
    for who, sees in (("admin", True), ("supervisor", True), ("leader", True), ("staff", False)):
        client.force_login(getattr(tx, who))
        assert (link in client.get(reverse("campaigns:board", args=["TX"])).content.decode()) == sees, who
