"""Inspection points (点位) from Excel: the template, a preview that names every bad cell where it
is, a confirm that writes once, and any workbook previewed or refused in Chinese."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import assume, event, given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from campaigns.models import InspectionPoint, OrgUnit, PointImport, PointType, UnitKind
from campaigns.services import point_import as importer

from .hostile import CELL, NO_CONTROL, SOME, assert_says_why_in_chinese
from .test_points import points_url

HEADER = ["点位名称", "点位类型", "所在单位", "地址", "责任部门", "纬度", "经度"]


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


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
