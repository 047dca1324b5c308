"""Units and people from Excel: the template, a preview naming every problem by row and
column, all rows or none, importing again updates, and one-time passwords shown once."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns.models import (
    AccountProfile,
    AuditEvent,
    AuditKind,
    ImportStatus,
    Membership,
    OrgUnit,
    SetupImport,
    UnitKind,
)
from campaigns.services import people as people_service
from campaigns.services import units as unit_service

from .factories import UserFactory, member

pytestmark = pytest.mark.django_db
User = get_user_model()

UNIT_HEADER = ["单位名称", "类型", "上级单位", "联系人", "联系电话"]
PEOPLE_HEADER = ["姓名", "账号", "手机号", "所属单位", "角色"]


def workbook_bytes(header, rows, title=None, sheet_name="Sheet1"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, kind, content, name="名单.xlsx", code="TX"):
    return client.post(
        reverse(f"campaigns:setup-{kind}-import", args=[code]), {"file": SimpleUploadedFile(name, content)}
    )


def confirm(client, kind, record, code="TX"):
    return client.post(reverse(f"campaigns:setup-{kind}-import-confirm", args=[code, record.pk]))


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


def unit_rows():
    """Two streets, their communities (a street defined earlier in the file), a department."""
    return [
        ["英雄街道", "街道", "", "王主任", "0434-3261234"],
        ["北沟社区", "社区", "英雄街道", "李书记", 13804340001],
        ["迎宾社区", "社区", "英雄街道", "", ""],
        ["平西乡", "乡镇", "", "", ""],
        ["平西村", "村", "平西乡", "", ""],
        ["区卫健局", "部门", "", "赵科长", ""],
    ]


class TestUnitsTemplate:
    def test_the_template_lists_the_districts_units_and_imports_as_unchanged(self, admin_client, tx):
        response = admin_client.get(reverse("campaigns:setup-units-template", args=["TX"]))
        workbook = load_workbook(io.BytesIO(response.content))
        sheet = workbook["单位"]
        assert [cell.value for cell in sheet[1]] == [*UNIT_HEADER, "示例标记"]
        assert [c.value for c in sheet[2]][0] == "北沟社区" and sheet["F2"].value == "示例"
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
        assert [tx.street.name, "街道", None, None, None, None] in rows
        assert [tx.community.name, "社区", tx.street.name, None, None, None] in rows
        guide = "\n".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
        assert "填写示例" in guide and "北沟社区" in guide
        preview = unit_service.units_preview(io.BytesIO(response.content), tx.unit)
        assert preview.is_clean and preview.unchanged == len(rows) and preview.added == 0
        assert preview.examples == [2]

    def test_the_template_of_an_empty_district_is_the_header_and_the_example(self, client, city):
        district = OrgUnit.objects.create(name="铁北区", kind=UnitKind.DISTRICT, code="TB", parent=city)
        client.force_login(member(UserFactory(username="tb_admin"), district, "admin"))
        content = client.get(reverse("campaigns:setup-units-template", args=["TB"])).content
        preview = unit_service.units_preview(io.BytesIO(content), district)
        assert preview.file_errors[0] == "表格里没有单位行。" and "示例行已跳过" in preview.file_errors[1]


class TestUnitsImport:
    def test_preview_then_import_with_parents_from_the_same_file(self, admin_client, tx):
        response = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, unit_rows()), "铁西区单位.xlsx")
        assert response.status_code == 200
        preview, record = response.context["preview"], response.context["record"]
        assert preview.is_clean and preview.added == 6
        assert not OrgUnit.objects.filter(name="英雄街道").exists()  # nothing until confirmed
        assert record.status == ImportStatus.PREVIEW and record.kind == "units"

        response = confirm(admin_client, "units", record)
        assert response.status_code == 302 and response["Location"] == reverse("campaigns:setup-units", args=["TX"])
        street = OrgUnit.objects.get(name="英雄街道")
        assert (street.kind, street.parent, street.contact_person, street.contact_phone) == (
            "street",
            tx.unit,
            "王主任",
            "0434-3261234",
        )
        community = OrgUnit.objects.get(name="北沟社区")
        assert (community.parent, community.street, community.district) == (street, street, tx.unit)
        assert community.contact_phone == "13804340001"
        assert OrgUnit.objects.get(name="平西村").street == OrgUnit.objects.get(name="平西乡")
        assert OrgUnit.objects.get(name="区卫健局").kind == UnitKind.DEPARTMENT
        record.refresh_from_db()
        assert (record.status, record.rows_added, record.rows_changed, record.rows_unchanged) == ("done", 6, 0, 0)
        audit = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, target__startswith="units import")
        assert audit.district == tx.unit and audit.details["added"] == 6

    def test_reimport_updates_by_parent_and_name(self, admin_client, tx):
        confirm(
            admin_client,
            "units",
            upload(admin_client, "units", workbook_bytes(UNIT_HEADER, unit_rows())).context["record"],
        )
        rows = unit_rows()
        rows[1][3] = "张书记"  # a new contact for 北沟社区
        rows[2][3] = ""  # an empty cell keeps what is there
        rows.append(["东煤社区", "社区", "英雄街道", "", ""])
        response = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows, title="铁西区单位名单"))
        preview = response.context["preview"]
        assert (preview.added, preview.changed, preview.unchanged) == (1, 1, 5)
        changed = next(row for row in preview.rows if row.action == "change")
        assert changed.changes == {"联系人": ["李书记", "张书记"]}
        confirm(admin_client, "units", response.context["record"])
        assert OrgUnit.objects.get(name="北沟社区").contact_person == "张书记"
        assert OrgUnit.objects.filter(name="北沟社区").count() == 1
        assert OrgUnit.objects.get(name="东煤社区").parent == OrgUnit.objects.get(name="英雄街道")

    def test_a_community_of_the_same_name_under_another_street_is_another_unit(self, admin_client, tx):
        rows = [
            [tx.community.name, "社区", tx.street2.name, "", ""],
            [tx.community.name, "社区", tx.street.name, "", ""],
        ]
        preview = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows)).context["preview"]
        assert [row.action for row in preview.rows] == ["add", "same"]


BAD_UNIT_ROWS = [
    ("missing name", 0, {0: None}, "name", "“单位名称”不能为空"),
    ("unknown kind", 0, {1: "小区"}, "kind", "类型只能是"),
    ("community without a street", 1, {2: None}, "parent", "社区和村要填所属的街道或乡镇"),
    ("unknown parent", 1, {2: "火星街道"}, "parent", "本区没有街道或乡镇“火星街道”"),
    ("parent is a department", 1, {2: "{department}"}, "parent", "不是街道或乡镇"),
    ("street with a parent", 0, {2: "英雄街道"}, "parent", "直接设在本区"),
    ("bad phone", 0, {4: "请打电话"}, "contact_phone", "联系电话只能包含数字"),
    ("name too long", 0, {0: "长" * 101}, "name", "最多 100 个字"),
]


@pytest.mark.parametrize("name,index,changes,column,message", BAD_UNIT_ROWS, ids=[b[0] for b in BAD_UNIT_ROWS])
def test_each_bad_unit_row_is_named_and_nothing_imports(admin_client, tx, name, index, changes, column, message):
    rows = unit_rows()
    for position, value in changes.items():
        rows[index][position] = tx.department.name if value == "{department}" else value
    before = OrgUnit.objects.count()
    response = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows))
    assert response.status_code == 400
    preview = response.context["preview"]
    bad = preview.rows[index]
    assert bad.number == index + 2  # the spreadsheet's own row number
    assert any(message in text for text in bad.errors[column]), bad.errors
    html = response.content.decode()
    assert "确认导入" not in html and "这次一行也没有导入" in html
    response = confirm(admin_client, "units", response.context["record"])  # forged anyway
    assert response.status_code == 409
    assert OrgUnit.objects.count() == before
    assert SetupImport.objects.get().status == ImportStatus.REFUSED


def test_a_street_named_later_in_the_file_says_where(admin_client, tx):
    rows = [["北沟社区", "社区", "英雄街道", "", ""], ["英雄街道", "街道", "", "", ""]]
    preview = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows)).context["preview"]
    assert preview.rows[0].errors["parent"] == ["上级单位“英雄街道”在第 3 行，请把那一行移到这一行之前。"]


def test_duplicates_kind_changes_and_deactivated_units_are_refused(admin_client, tx):
    OrgUnit.objects.filter(pk=tx.department2.pk).update(is_active=False)
    rows = [
        ["英雄街道", "街道", "", "", ""],
        ["英雄街道", "乡镇", "", "", ""],
        [tx.street.name, "乡镇", "", "", ""],  # an import never changes what a unit is
        [tx.department.name, "街道", "", "", ""],
        [tx.department2.name, "部门", "", "", ""],
    ]
    preview = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows)).context["preview"]
    assert "与第 2 行重复" in preview.rows[1].errors["name"][0]
    assert "类型不能改为“乡镇”" in preview.rows[2].errors["kind"][0]
    assert "类型不能改为“街道”" in preview.rows[3].errors["kind"][0]
    assert "已停用" in preview.rows[4].errors["name"][0]


def test_units_of_another_district_are_not_parents(admin_client, tx, td):
    rows = [["越界社区", "社区", td.street.name, "", ""]]
    preview = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, rows)).context["preview"]
    assert "本区没有街道或乡镇" in preview.rows[0].errors["parent"][0]


def test_the_units_import_rolls_back_whole(admin_client, tx, monkeypatch):
    record = upload(admin_client, "units", workbook_bytes(UNIT_HEADER, unit_rows())).context["record"]
    real_save = OrgUnit.save
    calls = {"n": 0}

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk full while writing the fourth unit")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(OrgUnit, "save", failing_save)
    before = OrgUnit.objects.count()
    with pytest.raises(RuntimeError):
        unit_service.units_import_confirm(record=record, actor=tx.admin)
    assert OrgUnit.objects.count() == before
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEW and record.rows_added == 0


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.xlsx", "这不是表格".encode(), "不是有效的 Excel 文件"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是有效的 Excel 文件"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "另存为 .xlsx"),
        ("empty.xlsx", b"", "空文件"),
    ],
)
@pytest.mark.parametrize("kind", ["units", "people"])
def test_a_file_that_is_not_excel_is_refused_before_it_is_kept(admin_client, tx, kind, name, content, message):
    response = upload(admin_client, kind, content, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert not SetupImport.objects.exists()


@pytest.mark.parametrize("kind,header", [("units", UNIT_HEADER), ("people", PEOPLE_HEADER)])
def test_size_and_row_limits(admin_client, tx, settings, kind, header):
    settings.IMPORT_MAX_ROWS = 3
    rows = [[f"名{n}", "街道", "", "", ""] for n in range(5)]
    response = upload(admin_client, kind, workbook_bytes(header, rows))
    assert response.status_code == 400 and "一次最多导入 3 行" in response.content.decode()
    content = workbook_bytes(header, rows[:1])
    big = content + b"\x00" * (settings.IMPORT_MAX_BYTES + 1 - len(content))
    response = upload(admin_client, kind, big)
    assert response.status_code == 400 and "文件太大" in response.content.decode()
    response = upload(admin_client, kind, workbook_bytes(["姓名", "电话"], [["甲", "1"]]))
    assert response.status_code == 400 and "没有找到表头" in response.content.decode()
    assert not SetupImport.objects.exists()


def test_import_pages_are_the_admins_of_the_district(client, tx, td):
    client.force_login(tx.admin)
    record = upload(client, "units", workbook_bytes(UNIT_HEADER, unit_rows())).context["record"]
    show = reverse("campaigns:setup-units-import-show", args=["TX", record.pk])
    assert client.get(show).status_code == 200
    html = client.get(reverse("campaigns:setup-units-import", args=["TX"])).content.decode()
    assert "名单.xlsx" in html and "待确认" in html
    client.force_login(tx.supervisor)
    assert client.get(show).status_code == 403
    assert confirm(client, "units", record).status_code == 403
    client.force_login(td.admin)
    assert client.get(show).status_code == 404
    assert confirm(client, "units", record).status_code == 404
    # td's own code with tx's record: still not theirs.
    assert client.get(reverse("campaigns:setup-units-import-show", args=["TD", record.pk])).status_code == 404
    # A units record is not a people record.
    client.force_login(tx.admin)
    assert client.get(reverse("campaigns:setup-people-import-show", args=["TX", record.pk])).status_code == 404
    assert SetupImport.objects.get().status == ImportStatus.PREVIEW


# --- people -----------------------------------------------------------------------------


def people_rows(tx):
    return [
        ["王五", "tx_wangwu", 13804340001, tx.community.name, "工作人员"],
        ["赵六", "tx_zhaoliu", "", tx.unit.name, "督导/创卫办"],
        ["钱七", "tx_qianqi", "138-0434-0003", tx.department.name, "网格员"],
        ["钱七", "tx_qianqi", "", tx.unit.name, "领导（只读）"],  # one person, two roles
    ]


class TestPeopleImport:
    def test_template_has_the_columns_and_a_guide(self, admin_client, tx):
        response = admin_client.get(reverse("campaigns:setup-people-template", args=["TX"]))
        workbook = load_workbook(io.BytesIO(response.content))
        assert [cell.value for cell in workbook["人员"][1]] == [*PEOPLE_HEADER, "示例标记"]
        # One example row, marked in the last column: never imported by mistake.
        assert workbook["人员"].max_row == 2 and workbook["人员"]["F2"].value == "示例"
        guide = "\n".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
        assert tx.community.name in guide and "督导/创卫办" in guide and "安全管理员" in guide

    def test_new_people_get_passwords_shown_once(self, admin_client, tx):
        response = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx)))
        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview.is_clean and preview.added == 4
        assert [row.note for row in preview.rows][-1] == "同一新账号的另一个角色"
        assert not User.objects.filter(username="tx_wangwu").exists()
        record = response.context["record"]

        response = confirm(admin_client, "people", record)
        assert response.status_code == 200
        html = response.content.decode()
        issued = response.context["issued"]
        assert [person.username for person in issued] == ["tx_wangwu", "tx_zhaoliu", "tx_qianqi"]
        for person in issued:
            assert person.password in html
            user = User.objects.get(username=person.username)
            assert user.check_password(person.password)
            assert AccountProfile.objects.get(user=user).must_change_password
        qian = User.objects.get(username="tx_qianqi")
        assert set(Membership.objects.filter(user=qian).values_list("unit", "role", "phone")) == {
            (tx.department.pk, "staff", "13804340003"),
            (tx.unit.pk, "leader", ""),
        }
        assert Membership.objects.get(user__username="tx_zhaoliu").role == "supervisor"
        assert AuditEvent.objects.filter(kind=AuditKind.ACCOUNT_CREATE, user=tx.admin).count() == 3
        record.refresh_from_db()
        assert (record.status, record.rows_added) == ("done", 4)

        # Sending the confirmation again (a reload) shows no password.
        response = confirm(admin_client, "people", record)
        assert response.status_code == 302
        page = admin_client.get(response["Location"]).content.decode()
        assert "已经处理过了" in page and not any(person.password in page for person in issued)
        show = admin_client.get(reverse("campaigns:setup-people-import-show", args=["TX", record.pk]))
        assert not any(person.password in show.content.decode() for person in issued)

    def test_the_passwords_download_once_and_the_download_is_audited(self, admin_client, tx, city_admin):
        record = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx))).context["record"]
        issued = confirm(admin_client, "people", record).context["issued"]
        url = reverse("campaigns:setup-people-passwords", args=["TX", record.pk])
        assert admin_client.get(url).status_code == 405
        response = admin_client.post(url)
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert rows[1] == ("姓名", "账号", "初始密码", "所属单位", "角色")
        assert {(row[1], row[2]) for row in rows[2:]} == {(p.username, p.password) for p in issued}
        export = AuditEvent.objects.get(kind=AuditKind.EXPORT)
        assert export.user == tx.admin and export.district == tx.unit
        assert export.details["accounts"] == ["tx_wangwu", "tx_zhaoliu", "tx_qianqi"]
        # Once only: they are gone from the session, and they never were in the database.
        again = admin_client.post(url)
        assert again.status_code == 410 and "只提供一次" in again.content.decode()
        assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == 1
        # Nobody else's session has them either.
        admin_client.force_login(city_admin)
        assert admin_client.post(url).status_code == 410

    def test_the_passwords_wait_only_a_few_minutes(self, admin_client, tx, monkeypatch):
        from campaigns.views import setup_people

        record = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx)[:1])).context["record"]
        confirm(admin_client, "people", record)
        monkeypatch.setattr(setup_people, "PASSWORDS_KEEP_SECONDS", 0)
        now = setup_people.time.time() + 16 * 60
        monkeypatch.setattr(setup_people.time, "time", lambda: now)
        response = admin_client.post(reverse("campaigns:setup-people-passwords", args=["TX", record.pk]))
        assert response.status_code == 410

    def test_someone_already_here_only_gets_the_missing_role(self, admin_client, tx):
        Membership.objects.filter(user=tx.staff).update(phone="13800000000")
        rows = [
            ["网格员", tx.staff.username, "", tx.street2.name, "工作人员"],  # a new role
            ["网格员", tx.staff.username, "", tx.street.name, "工作人员"],  # already has it
            ["网格员", tx.staff.username, "13911112222", tx.street.name, "工作人员"],
        ]
        response = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, rows[:2]))
        preview = response.context["preview"]
        assert [row.action for row in preview.rows] == ["add", "same"]
        assert preview.rows[0].note == "已在本区的账号：只添加这个角色"
        response = confirm(admin_client, "people", response.context["record"])
        assert response.context["issued"] == []
        assert "没有新密码" in response.content.decode()
        assert Membership.objects.filter(user=tx.staff).count() == 2
        preview = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, rows[2:])).context["preview"]
        assert preview.rows[0].action == "change" and preview.rows[0].changes == {
            "手机号": ["13800000000", "13911112222"]
        }


BAD_PEOPLE = [
    ("missing name", {0: None}, "full_name", "“姓名”不能为空"),
    ("bad account", {1: "王 五"}, "username", "账号为 3–40 位字母"),
    ("bad phone", {2: "12345"}, "phone", "请填写 11 位手机号"),
    ("unknown unit", {3: "火星社区"}, "unit", "本区没有启用的单位“火星社区”"),
    ("unknown role", {4: "志愿者"}, "role", "角色只能是"),
    ("a system duty", {4: "安全管理员"}, "role", "是系统职责，由安全管理员"),
    ("account of another district", {1: "td_staff"}, "username", "已被占用"),
    ("the admin's own account", {1: "tx_admin"}, "username", "不能修改自己的账号权限"),
]


@pytest.mark.parametrize("name,changes,column,message", BAD_PEOPLE, ids=[b[0] for b in BAD_PEOPLE])
def test_each_bad_person_row_is_named_and_nothing_imports(admin_client, tx, td, name, changes, column, message):
    rows = people_rows(tx)
    for position, value in changes.items():
        rows[0][position] = value
    users, memberships = User.objects.count(), Membership.objects.count()
    response = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, rows))
    assert response.status_code == 400
    bad = response.context["preview"].rows[0]
    assert bad.number == 2
    assert any(message in text for text in bad.errors[column]), bad.errors
    assert td.unit.name not in response.content.decode()
    assert confirm(admin_client, "people", response.context["record"]).status_code == 409
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


def test_two_units_of_one_name_are_told_apart_by_their_street(admin_client, tx):
    twin = OrgUnit.objects.create(name=tx.community.name, kind=UnitKind.COMMUNITY, parent=tx.street2)
    rows = [
        ["甲", "tx_jia", "", tx.community.name, "工作人员"],
        ["乙", "tx_yi", "", f"{tx.street2.name} / {tx.community.name}", "工作人员"],
    ]
    preview = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, rows)).context["preview"]
    assert "请写成“上级单位/单位名称”" in preview.rows[0].errors["unit"][0]
    assert not preview.rows[1].errors and preview.rows[1].cleaned["unit"] == twin


def test_one_account_twice_must_be_one_person(admin_client, tx):
    rows = [
        ["甲", "tx_jia", "", tx.street.name, "工作人员"],
        ["乙", "TX_JIA", "", tx.unit.name, "领导"],
        ["甲", "tx_jia", "", tx.street.name, "工作人员"],
    ]
    preview = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, rows)).context["preview"]
    assert "同一账号的姓名要一致" in preview.rows[1].errors["full_name"][0]
    assert "与第 2 行重复" in preview.rows[2].row_errors[0]
    assert (
        "与第 2 行重复"
        in admin_client.get(
            reverse("campaigns:setup-people-import-show", args=["TX", SetupImport.objects.get().pk])
        ).content.decode()
    )


def test_the_people_import_rolls_back_whole(admin_client, tx, monkeypatch):
    record = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx))).context["record"]
    real = people_service.account_create
    calls = {"n": 0}

    def failing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the database went away at the third account")
        return real(**kwargs)

    monkeypatch.setattr(people_service, "account_create", failing)
    users, memberships = User.objects.count(), Membership.objects.count()
    with pytest.raises(RuntimeError):
        people_service.people_import_confirm(record=record, actor=tx.admin)
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    assert not AuditEvent.objects.filter(kind=AuditKind.ACCOUNT_CREATE, target="tx_wangwu").exists()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEW


def test_an_account_made_after_the_preview_stops_the_import(admin_client, tx):
    record = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx))).context["record"]
    UserFactory(username="tx_zhaoliu")  # the security admin, meanwhile, for someone else
    users = User.objects.count()
    response = confirm(admin_client, "people", record)
    assert response.status_code == 409 and "已被占用" in response.content.decode()
    assert User.objects.count() == users
    record.refresh_from_db()
    assert record.status == ImportStatus.REFUSED


def test_a_people_import_previewed_before_another_was_imported_is_refused(admin_client, tx):
    stale = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx)[:1])).context["record"]
    fresh = upload(admin_client, "people", workbook_bytes(PEOPLE_HEADER, people_rows(tx)[1:2])).context["record"]
    assert confirm(admin_client, "people", fresh).status_code == 200
    response = confirm(admin_client, "people", stale)
    assert response.status_code == 409 and "人员名单已变化" in response.content.decode()
    assert not User.objects.filter(username="tx_wangwu").exists()


ODD_CELLS = [
    __import__("datetime").datetime(2026, 1, 1, 8, 30),
    True,
    1e300,
    -0.5,
    '=HYPERLINK("http://example.com")',
    "<script>alert(1)</script>",
    "\u202e逆序",
    "长" * 5000,
]


@pytest.mark.parametrize("value", ODD_CELLS, ids=range(len(ODD_CELLS)))
def test_odd_cells_get_a_message_never_an_error_page(admin_client, tx, value):
    for kind, header in (("units", UNIT_HEADER), ("people", PEOPLE_HEADER)):
        rows = [[value] * 5, ["英雄街道", "街道", value, value, value], ["甲", value, value, value, "工作人员"]]
        response = upload(admin_client, kind, workbook_bytes(header, rows))
        assert response.status_code in (200, 400), (kind, value)
        assert "<script>alert(1)</script>" not in response.content.decode()
