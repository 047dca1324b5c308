"""Inspection points (点位): an admin at a desk sets them up and prints stickers; a staffer in the
street scans one and logs a problem there."""

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import assume, event, given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from campaigns.models import InspectionPoint, OrgUnit, PointImport, PointType, Ticket, UnitKind
from campaigns.services import point_import as importer

from .factories import form_key, photo_upload
from .hostile import CELL, NO_CONTROL, SOME, assert_says_why_in_chinese

HEADER = ["点位名称", "点位类型", "所在单位", "地址", "责任部门", "纬度", "经度"]
SVG_NS = "{http://www.w3.org/2000/svg}"


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


# --- the Excel import ----------------------------------------------------------------------------


def workbook_bytes(rows, header=HEADER, title="点位清单"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def good_rows(tx):
    return [
        ["北沟菜市场", "菜市场", tx.community.name, "北沟路 3 号", tx.department.name, 43.166123, 124.350456],
        ["站前背街小巷", "背街小巷", tx.street2.name, "站前路", "", None, None],
        ["第一街道公厕", "公共厕所", tx.street.name, "", tx.department2.name, "43.17", "124.36"],
    ]


@pytest.fixture
def types(db):
    for name in ("背街小巷", "公共厕所", "农贸市场（集贸市场/菜市场）"):
        PointType.objects.get_or_create(name=name)


def upload(client, content, name="点位.xlsx", code="TX"):
    return client.post(reverse("campaigns:point-import", args=[code]), {"file": SimpleUploadedFile(name, content)})


def confirm(client, record, code="TX", ticked=()):
    return client.post(reverse("campaigns:point-import-confirm", args=[code, record.pk]), {"overwrite": list(ticked)})


class TestImportTemplate:
    def test_the_template_has_the_columns_and_an_instruction_sheet(self, admin_client, tx, types):
        response = admin_client.get(reverse("campaigns:point-template", args=["TX"]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["点位清单", "填写说明"]
        sheet = workbook["点位清单"]
        assert [cell.value for cell in sheet[1]] == [*HEADER, "示例标记"]
        assert sheet.max_row == 2 and sheet["H2"].value == "示例" and sheet["A2"].value
        guide = "\n".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
        for text in (tx.community.name, tx.street2.name, tx.department.name, "公共厕所", "所在单位 + 点位名称"):
            assert text in guide

    def test_the_templates_example_row_is_never_imported(self, tx, types):
        preview = importer.points_preview(io.BytesIO(importer.template_workbook(tx.unit)), tx.unit)
        assert preview.rows == [] and preview.examples == [2]
        assert preview.file_errors[0] == "表格里没有点位行。" and "示例行已跳过" in preview.file_errors[1]

    @pytest.mark.parametrize("who", ["staff", "supervisor", "leader", "unit_liaison"])
    def test_only_admins_import(self, client, tx, who):
        client.force_login(getattr(tx, who))
        assert client.get(reverse("campaigns:point-template", args=["TX"])).status_code == 403
        assert client.get(reverse("campaigns:point-import", args=["TX"])).status_code == 403
        assert upload(client, workbook_bytes(good_rows(tx))).status_code == 403
        assert PointImport.objects.count() == 0

    def test_another_district_sees_nothing(self, client, tx, td, types):
        client.force_login(td.admin)
        assert client.get(reverse("campaigns:point-template", args=["TX"])).status_code == 404
        assert upload(client, workbook_bytes(good_rows(tx))).status_code == 404
        client.force_login(tx.admin)
        record = upload(client, workbook_bytes(good_rows(tx))).context["record"]
        client.force_login(td.admin)
        # td's admin with td's code and tx's record: that record is not td's.
        assert client.get(reverse("campaigns:point-import-show", args=["TD", record.pk])).status_code == 404
        assert confirm(client, record, code="TD").status_code == 404
        assert InspectionPoint.objects.filter(district=tx.unit).count() == 1


class TestImport:
    def test_preview_then_import_records_who(self, admin_client, tx, types):
        response = upload(admin_client, workbook_bytes(good_rows(tx)))
        assert response.status_code == 200
        preview, record = response.context["preview"], response.context["record"]
        assert preview.is_clean and preview.added == 3
        assert InspectionPoint.objects.count() == 1  # nothing until confirmed
        assert record.uploaded_by == tx.admin and record.district == tx.unit

        response = confirm(admin_client, record)
        assert response.status_code == 302 and response["Location"] == points_url()
        market = InspectionPoint.objects.get(name="北沟菜市场")
        assert market.point_type.name == "农贸市场（集贸市场/菜市场）"  # one word of the name was enough
        assert (market.unit, market.street, market.district) == (tx.community, tx.street, tx.unit)
        assert market.responsible_department == tx.department
        assert market.latitude == Decimal("43.166123") and market.longitude == Decimal("124.350456")
        alley = InspectionPoint.objects.get(name="站前背街小巷")
        assert alley.unit == tx.street2 and alley.latitude is None and alley.responsible_department is None
        record.refresh_from_db()
        assert (record.status, record.rows_added, record.rows_changed, record.rows_unchanged) == ("done", 3, 0, 0)
        html = admin_client.get(reverse("campaigns:point-import", args=["TX"])).content.decode()
        assert "点位.xlsx" in html and "已导入" in html

    def test_reimport_updates_by_unit_and_name(self, admin_client, tx, types):
        confirm(admin_client, upload(admin_client, workbook_bytes(good_rows(tx))).context["record"])
        rows = good_rows(tx)
        rows[0][3] = "北沟路 5 号"  # a new address
        rows[0][5] = rows[0][6] = None  # empty coordinates keep what the point has
        rows[1][4] = tx.department.name
        response = upload(admin_client, workbook_bytes(rows))
        preview = response.context["preview"]
        assert (preview.added, preview.changed, preview.unchanged) == (0, 2, 1)
        assert preview.rows[0].changes == {"地址": ["北沟路 3 号", "北沟路 5 号"]}
        confirm(admin_client, response.context["record"])
        assert InspectionPoint.objects.count() == 4
        market = InspectionPoint.objects.get(name="北沟菜市场")
        assert market.address == "北沟路 5 号" and market.latitude == Decimal("43.166123")
        assert InspectionPoint.objects.get(name="站前背街小巷").responsible_department == tx.department

    def test_reimport_leaves_a_deactivated_point_deactivated(self, admin_client, tx, types):
        rows = [[tx.point.name, "农贸市场", tx.community.name, "中心路1号", tx.department.name, None, None]]
        InspectionPoint.objects.filter(pk=tx.point.pk).update(is_active=False)
        preview = upload(admin_client, workbook_bytes(rows)).context["preview"]
        assert preview.unchanged == 1
        tx.point.refresh_from_db()
        assert not tx.point.is_active

    def test_import_rolls_back_whole_when_a_row_fails_to_save(self, admin_client, tx, types, monkeypatch):
        record = upload(admin_client, workbook_bytes(good_rows(tx))).context["record"]
        real_save = InspectionPoint.save
        calls = {"n": 0}

        def failing_save(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk full while writing the third row")
            return real_save(self, *args, **kwargs)

        monkeypatch.setattr(InspectionPoint, "save", failing_save)
        with pytest.raises(RuntimeError):
            importer.point_import_confirm(record=record)
        assert InspectionPoint.objects.count() == 1
        record.refresh_from_db()
        assert record.status == "preview" and record.rows_added == 0

    def test_confirming_twice_imports_once(self, admin_client, tx, types):
        record = upload(admin_client, workbook_bytes(good_rows(tx))).context["record"]
        confirm(admin_client, record)
        response = confirm(admin_client, record)
        assert response.status_code == 302 and response["Location"] == reverse("campaigns:point-import", args=["TX"])
        assert InspectionPoint.objects.count() == 4

    def test_a_file_previewed_before_another_import_must_be_previewed_again(self, admin_client, tx, types):
        stale = upload(admin_client, workbook_bytes(good_rows(tx))).context["record"]
        fresh = upload(admin_client, workbook_bytes(good_rows(tx))).context["record"]
        assert confirm(admin_client, fresh).status_code == 302
        response = confirm(admin_client, stale)
        assert response.status_code == 409 and "在您预览之后" in response.content.decode()
        assert InspectionPoint.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_confirmed_at_once_do_not_both_write(tx, types):
    """The district row is the lock: the second confirm waits, then sees the first and refuses."""
    from django.db import connection

    from .test_faults import run_together

    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)")
    content = workbook_bytes(good_rows(tx))
    one, _ = importer.point_import_upload(
        district=tx.unit, actor=tx.admin, uploaded=SimpleUploadedFile("a.xlsx", content)
    )
    two, _ = importer.point_import_upload(
        district=tx.unit, actor=tx.admin, uploaded=SimpleUploadedFile("b.xlsx", content)
    )
    results = run_together(
        lambda: importer.point_import_confirm(record=one), lambda: importer.point_import_confirm(record=two)
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(PointImport.objects.values_list("status", flat=True)) == ["done", "refused"]
    assert InspectionPoint.objects.filter(district=tx.unit).count() == 4


BAD_CELLS = [
    ("unknown unit", {2: "火星社区"}, "unit", "本区没有叫“火星社区”的街道、乡镇、社区或村"),
    ("a department as unit", {2: "铁西区执法局"}, "unit", "“铁西区执法局”是部门"),
    ("unknown type", {1: "太空站"}, "point_type", "点位类型“太空站”不存在"),
    ("ambiguous type", {1: "市场"}, "point_type", "点位类型“市场”不明确"),
    ("unknown department", {4: "火星办"}, "responsible_department", "本区没有部门“火星办”"),
    ("latitude not a number", {5: "北纬43度"}, "latitude", "“纬度”不是数字：“北纬43度”"),
    ("latitude out of range", {5: 123.4}, "latitude", "“纬度”应在 -90 到 90 之间：“123.4”"),
    ("longitude out of range", {6: "-200"}, "longitude", "“经度”应在 -180 到 180 之间"),
    ("latitude without longitude", {6: None}, "longitude", "填写了纬度，请同时填写经度。"),
    ("missing name", {0: None}, "name", "“点位名称”不能为空。"),
    ("missing unit", {2: ""}, "unit", "“所在单位”不能为空。"),
    ("name too long", {0: "长" * 121}, "name", "点位名称太长"),
    ("not-a-number coordinate", {5: "NaN"}, "latitude", "“纬度”不是数字"),
]


@pytest.mark.parametrize("name,changes,column,message", BAD_CELLS, ids=[b[0] for b in BAD_CELLS])
def test_each_bad_cell_is_reported_where_it_is_and_nothing_imports(
    admin_client, tx, types, name, changes, column, message
):
    PointType.objects.get_or_create(name="商场、超市")
    rows = good_rows(tx)
    for index, value in changes.items():
        rows[0][index] = value
    response = upload(admin_client, workbook_bytes(rows))
    assert response.status_code == 400
    preview = response.context["preview"]
    bad = preview.rows[0]
    assert bad.number == 2  # the spreadsheet's own row number
    assert any(message in text for text in bad.errors[column]), bad.errors
    assert not preview.rows[1].errors and not preview.is_clean
    html = response.content.decode()
    assert "确认导入" not in html and "这次一行也没有导入" in html
    # Confirming anyway (a forged POST) imports nothing either.
    assert confirm(admin_client, response.context["record"]).status_code == 409
    assert InspectionPoint.objects.count() == 1
    assert PointImport.objects.get().status == "refused"


def test_a_duplicate_in_the_file_names_the_first_row(admin_client, tx, types):
    rows = good_rows(tx)
    rows[2][0], rows[2][2] = rows[0][0], rows[0][2]
    preview = upload(admin_client, workbook_bytes(rows)).context["preview"]
    assert preview.rows[2].errors["name"] == [f"点位“北沟菜市场”（{tx.community.name}）与第 2 行重复。"]


def test_a_community_name_two_streets_share_must_say_which(admin_client, tx, types):
    OrgUnit.objects.create(name=tx.community.name, kind=UnitKind.COMMUNITY, parent=tx.street2)
    rows = good_rows(tx)
    preview = upload(admin_client, workbook_bytes(rows)).context["preview"]
    assert "请写成“街道/社区”" in preview.rows[0].errors["unit"][0]
    rows[0][2] = f"{tx.street.name}/{tx.community.name}"
    preview = upload(admin_client, workbook_bytes(rows)).context["preview"]
    assert preview.is_clean and preview.rows[0].cleaned["unit"] == tx.community


def test_units_of_another_district_are_unknown(admin_client, tx, td, types):
    rows = good_rows(tx)
    rows[0][2] = td.community.name
    preview = upload(admin_client, workbook_bytes(rows)).context["preview"]
    assert "本区没有叫" in preview.rows[0].errors["unit"][0]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.xlsx", "这不是表格".encode(), "不是有效的 Excel 文件"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是有效的 Excel 文件"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "另存为 .xlsx"),
        ("empty.xlsx", b"", "空文件"),
    ],
)
def test_a_file_that_is_not_excel_is_refused_and_not_kept(admin_client, tx, name, content, message):
    response = upload(admin_client, content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PointImport.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused(admin_client, tx):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = upload(admin_client, out.getvalue())
    assert response.status_code == 400 and "不是有效的 Excel 文件" in response.content.decode()


def test_size_and_row_limits(admin_client, tx, types, settings):
    settings.IMPORT_MAX_ROWS = 2
    response = upload(admin_client, workbook_bytes(good_rows(tx)))
    assert response.status_code == 400 and "一次最多导入 2 行" in response.content.decode()
    settings.IMPORT_MAX_ROWS = 2000
    content = workbook_bytes(good_rows(tx))
    response = upload(admin_client, content + b"\0" * (settings.IMPORT_MAX_BYTES + 1 - len(content)))
    assert response.status_code == 400 and "文件太大" in response.content.decode()
    assert PointImport.objects.count() == 0


def test_missing_columns_are_named(admin_client, tx):
    response = upload(admin_client, workbook_bytes([["甲", "乙", "丙"]], header=["点位名称", "地址", "纬度"]))
    assert "缺少必填列：点位类型、所在单位" in response.content.decode()


@SOME
@given(data=st.data())
def test_any_workbook_is_previewed_or_refused_in_chinese(admin_client, tx, data):
    """Hostile cells (formulas, NaN, huge numbers, control-free junk) get a message, never a 500."""
    header = data.draw(st.one_of(st.just(HEADER), st.permutations(HEADER)))

    good_row = st.tuples(
        st.text(alphabet=st.characters(categories=("Lo", "Nd")), min_size=1, max_size=20),
        st.just("农贸市场"),
        st.sampled_from([tx.community.name, tx.street2.name, f"{tx.street.name}/{tx.community.name}"]),
        st.one_of(st.none(), st.text(alphabet=NO_CONTROL, max_size=40)),
        st.sampled_from([None, tx.department.name]),
        st.one_of(
            st.tuples(st.none(), st.none()),
            st.tuples(st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180)),
        ),
    ).map(lambda values: [*values[:5], *values[5]])
    hostile_row = st.lists(CELL, min_size=7, max_size=8)
    # Half the files are well formed, so importing is exercised too; the rest carry a hostile row.
    rows = data.draw(st.lists(good_row, min_size=1, max_size=4))
    if data.draw(st.booleans()):
        rows.insert(data.draw(st.integers(0, len(rows))), data.draw(hostile_row))
    # Cells follow the file's own column order.
    rows = [[values[HEADER.index(label)] for label in header] + values[7:] for values in rows]
    try:
        content = workbook_bytes(rows, header=header)
    except (ValueError, TypeError):  # openpyxl itself refuses to write some values
        assume(False)
    before = list(InspectionPoint.objects.order_by("pk").values_list())
    response = upload(admin_client, content)
    assert response.status_code in (200, 400)
    assert list(InspectionPoint.objects.order_by("pk").values_list()) == before  # a preview writes nothing
    event(f"preview {response.status_code}")
    if response.status_code == 400:
        assert_says_why_in_chinese(response)
        return
    # An earlier example may have given a point of the same name an address this row would wipe.
    ticked = [row.number for row in response.context["preview"].to_tick]
    assert confirm(admin_client, response.context["record"], ticked=ticked).status_code == 302
    for point in InspectionPoint.objects.filter(district=tx.unit):
        assert point.latitude is None or -90 <= point.latitude <= 90
        assert point.longitude is None or -180 <= point.longitude <= 180


def test_the_checklist_template_is_no_points_file(admin_client, tx):
    from campaigns.services.checklist_import import template_workbook

    response = upload(admin_client, template_workbook(tx.campaign))
    assert response.status_code == 400 and "没有找到表头" in response.content.decode()


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


def test_the_board_links_the_points_page_for_those_who_may_open_it(client, tx):
    link = points_url()
    for who, sees in (("admin", True), ("supervisor", True), ("leader", True), ("staff", False)):
        client.force_login(getattr(tx, who))
        assert (link in client.get(reverse("campaigns:board", args=["TX"])).content.decode()) == sees, who
