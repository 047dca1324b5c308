"""The checklist workbook: template, preview with every problem, all-or-nothing import, re-import."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns.models import ChecklistImport, ChecklistItem, ChecklistUpdate, ImportStatus
from campaigns.services import checklist_import as importer

HEADER = [
    "测评类别",
    "任务编号",
    "任务要求",
    "分值",
    "牵头单位",
    "配合单位",
    "责任人",
    "完成时限",
    "状态",
    "进度（%）",
    "自评分",
]


def workbook_bytes(rows, header=HEADER, title=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "任务清单"
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def good_rows(tx):
    return [
        [
            "3 市容环境卫生",
            "3.1",
            "主次干道路面平整，垃圾容器配齐",
            5,
            tx.department.name,
            f"{tx.department2.name}、{tx.street.name}",
            "王五",
            datetime.date(2026, 12, 31),
            "推进中",
            40,
            2,
        ],
        ["8", "8.1", "落实病媒生物防制管理规定", "4", tx.department2.name, "", "", "2027/01/15", "", "", ""],
        ["病媒生物预防控制", "8.2", "重点行业防鼠防蝇设施合格", 3.5, "", "", "", "", "未开始", 0, ""],
    ]


def upload(client, tx, content, name="清单.xlsx"):
    url = reverse("campaigns:checklist-import", args=[tx.campaign.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def confirm(client, tx, record):
    return client.post(reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, record.pk]))


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


class TestTemplate:
    def test_template_has_the_columns_an_example_and_a_guide(self, admin_client, tx):
        response = admin_client.get(reverse("campaigns:checklist-template", args=[tx.campaign.pk]))
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        sheet = workbook["任务清单"]
        assert [cell.value for cell in sheet[1]] == [*HEADER, "示例标记"]
        assert sheet.max_row == 2 and sheet["L2"].value == "示例" and sheet["C2"].value
        guide = "\n".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
        assert "3 市容环境卫生" in guide and tx.department.name in guide and "示例标记" in guide

    def test_the_templates_example_row_is_never_imported(self, tx):
        content = importer.template_workbook(tx.campaign)
        preview = importer.checklist_preview(io.BytesIO(content), tx.campaign)
        assert preview.rows == [] and preview.examples == [2]
        assert preview.file_errors[0] == "表格里没有任务行。" and "示例行已跳过" in preview.file_errors[1]

    @pytest.mark.parametrize("who", ["staff", "supervisor", "leader", "unit_liaison"])
    def test_only_admins_import(self, client, tx, who):
        client.force_login(getattr(tx, who))
        assert client.get(reverse("campaigns:checklist-template", args=[tx.campaign.pk])).status_code == 403
        assert client.get(reverse("campaigns:checklist-import", args=[tx.campaign.pk])).status_code == 403
        assert upload(client, tx, workbook_bytes(good_rows(tx))).status_code == 403
        assert ChecklistImport.objects.count() == 0

    def test_other_district_sees_nothing(self, client, tx, td):
        client.force_login(td.admin)
        assert client.get(reverse("campaigns:checklist-import", args=[tx.campaign.pk])).status_code == 404
        assert upload(client, tx, workbook_bytes(good_rows(tx))).status_code == 404


class TestCleanImport:
    def test_preview_then_import(self, admin_client, tx):
        response = upload(admin_client, tx, workbook_bytes(good_rows(tx)))
        assert response.status_code == 200
        preview, record = response.context["preview"], response.context["record"]
        assert preview.is_clean and preview.added == 3
        assert ChecklistItem.objects.count() == 0  # nothing until confirmed
        assert record.status == ImportStatus.PREVIEW and record.uploaded_by == tx.admin

        response = confirm(admin_client, tx, record)
        assert response.status_code == 302
        items = {item.code: item for item in ChecklistItem.objects.all()}
        assert set(items) == {"3.1", "8.1", "8.2"}
        first = items["3.1"]
        assert first.area == tx.area and first.full_score == 5 and first.lead_unit == tx.department
        assert set(first.cooperating_units.all()) == {tx.department2, tx.street}
        assert first.deadline == datetime.date(2026, 12, 31) and first.status == "in_progress"
        assert first.progress == 40 and first.self_score == 2
        assert items["8.1"].area == tx.area2 and items["8.1"].deadline == datetime.date(2027, 1, 15)
        assert items["8.2"].lead_unit is None and items["8.2"].full_score.as_tuple().exponent == -2
        record.refresh_from_db()
        assert (record.status, record.rows_added, record.rows_changed, record.rows_unchanged) == ("done", 3, 0, 0)
        assert record.original_name == "清单.xlsx" and record.imported_at is not None
        assert ChecklistUpdate.objects.filter(kind="import").count() == 3

    def test_title_row_above_header_is_fine(self, admin_client, tx):
        response = upload(admin_client, tx, workbook_bytes(good_rows(tx), title="铁西区任务分解及赋分表"))
        assert response.context["preview"].is_clean

    def test_confirming_twice_imports_once(self, admin_client, tx):
        record = upload(admin_client, tx, workbook_bytes(good_rows(tx))).context["record"]
        confirm(admin_client, tx, record)
        response = confirm(admin_client, tx, record)
        assert response.status_code == 302
        assert ChecklistItem.objects.count() == 3


class TestReimport:
    def test_reimport_updates_by_code(self, admin_client, tx):
        confirm(admin_client, tx, upload(admin_client, tx, workbook_bytes(good_rows(tx))).context["record"])
        rows = good_rows(tx)
        rows[0][3] = 6  # new full score
        rows[0][4] = tx.department2.name  # new lead unit
        response = upload(admin_client, tx, workbook_bytes(rows))
        preview = response.context["preview"]
        assert (preview.added, preview.changed, preview.unchanged) == (0, 1, 2)
        changes = next(row for row in preview.rows if row.action == "change").changes
        assert changes["分值"] == ["5", "6"] and changes["牵头单位"] == [tx.department.name, tx.department2.name]
        confirm(admin_client, tx, response.context["record"])
        assert ChecklistItem.objects.count() == 3
        item = ChecklistItem.objects.get(code="3.1")
        assert item.full_score == 6 and item.lead_unit == tx.department2
        assert item.updates.filter(kind="import").count() == 2
        record = ChecklistImport.objects.latest("id")
        assert (record.rows_added, record.rows_changed, record.rows_unchanged) == (0, 1, 2)

    def test_empty_status_and_progress_keep_the_units_own_updates(self, admin_client, tx):
        confirm(admin_client, tx, upload(admin_client, tx, workbook_bytes(good_rows(tx))).context["record"])
        ChecklistItem.objects.filter(code="8.1").update(status="done", progress=100)
        response = upload(admin_client, tx, workbook_bytes(good_rows(tx)))
        assert response.context["preview"].unchanged == 3
        confirm(admin_client, tx, response.context["record"])
        assert ChecklistItem.objects.get(code="8.1").status == "done"


BAD_ROWS = [
    ("unknown lead unit", {4: "不存在的局"}, "lead_unit", "本区没有单位“不存在的局”"),
    ("unknown cooperating unit", {5: "区卫健局、火星办"}, "cooperating_units", "本区没有单位“火星办”"),
    ("bad date", {7: "明年春天"}, "deadline", "日期看不懂"),
    ("score not a number", {3: "五分"}, "full_score", "“分值”不是数字"),
    ("missing area", {0: None}, "area", "“测评类别”不能为空"),
    ("unknown area", {0: "99 太空卫生"}, "area", "测评类别“99 太空卫生”不存在"),
    ("unknown status", {8: "差不多了"}, "status", "状态只能是"),
    ("progress out of range", {9: 120}, "progress", "进度应是 0 到 100"),
    ("self score above full score", {10: 9}, "self_score", "超过分值"),
    ("missing requirement", {2: ""}, "requirement", "“任务要求”不能为空"),
    ("negative score", {3: -1}, "full_score", "不能为负数"),
]


@pytest.mark.parametrize("name,changes,column,message", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_and_nothing_imports(admin_client, tx, name, changes, column, message):
    rows = good_rows(tx)
    for index, value in changes.items():
        rows[0][index] = value
    response = upload(admin_client, tx, workbook_bytes(rows))
    assert response.status_code == 400
    preview = response.context["preview"]
    bad = preview.rows[0]
    assert bad.number == 2  # the spreadsheet's own row number
    assert any(message in text for text in bad.errors[column]), bad.errors
    assert not preview.is_clean
    html = response.content.decode()
    assert message.split("“")[0] in html and "确认导入" not in html
    # Confirming anyway (a forged POST) imports nothing either.
    response = confirm(admin_client, tx, response.context["record"])
    assert response.status_code == 409
    assert ChecklistItem.objects.count() == 0
    assert ChecklistImport.objects.get().status == ImportStatus.REFUSED


def test_duplicate_code_names_both_rows(admin_client, tx):
    rows = good_rows(tx)
    rows[2][1] = "3.1"
    preview = upload(admin_client, tx, workbook_bytes(rows)).context["preview"]
    assert preview.rows[2].errors["code"] == ["任务编号“3.1”与第 2 行重复。"]
    assert ChecklistItem.objects.count() == 0


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("notes.xlsx", "这不是表格".encode(), "不是有效的 Excel 文件"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是有效的 Excel 文件"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "另存为 .xlsx"),
        ("empty.xlsx", b"", "空文件"),
    ],
)
def test_a_file_that_is_not_excel_is_refused(admin_client, tx, name, content, message):
    response = admin_client.post(
        reverse("campaigns:checklist-import", args=[tx.campaign.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ChecklistItem.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused(admin_client, tx):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = upload(admin_client, tx, out.getvalue())
    assert "不是有效的 Excel 文件" in response.content.decode()


def test_missing_columns_are_named(admin_client, tx):
    response = upload(
        admin_client, tx, workbook_bytes([["3", "3.1", "要求"]], header=["测评类别", "任务编号", "任务要求"])
    )
    assert "缺少必填列：分值" in response.content.decode()


def test_import_rolls_back_whole_when_a_row_fails_to_save(admin_client, tx, monkeypatch):
    record = upload(admin_client, tx, workbook_bytes(good_rows(tx))).context["record"]
    real_create = ChecklistUpdate.objects.create
    calls = {"n": 0}

    def failing_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full while writing the third row")
        return real_create(**kwargs)

    monkeypatch.setattr(ChecklistUpdate.objects, "create", failing_create)
    with pytest.raises(RuntimeError):
        importer.checklist_import_confirm(record=record, actor=tx.admin)
    assert ChecklistItem.objects.count() == 0
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEW and record.rows_added == 0


def test_units_of_another_district_are_unknown(admin_client, tx, td):
    rows = good_rows(tx)
    rows[0][4] = td.department2.name  # same kind of unit, other district
    rows[0][5] = ""
    preview = upload(admin_client, tx, workbook_bytes(rows)).context["preview"]
    assert "lead_unit" in preview.rows[0].errors


def test_import_history_is_listed(admin_client, tx):
    record = upload(admin_client, tx, workbook_bytes(good_rows(tx))).context["record"]
    confirm(admin_client, tx, record)
    html = admin_client.get(reverse("campaigns:checklist-import", args=[tx.campaign.pk])).content.decode()
    assert "清单.xlsx" in html and "已导入" in html


class TestScoreTotal:
    """A checklist shares out 100 points; an import that takes it past 100 is flagged (a file
    imported on top of another, a score typed as 50 for 5) on the preview and on the checklist."""

    def test_a_file_taking_the_total_past_100_is_flagged_and_the_checklist_says_so(self, admin_client, tx):
        ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.9", requirement="已有任务", full_score=95
        )
        response = upload(admin_client, tx, workbook_bytes(good_rows(tx)))  # 5 + 4 + 3.5 more
        assert response.status_code == 200
        html = response.content.decode()
        assert "分值合计 107.5 分，超过 100 分" in html
        assert "确认导入" in html  # a notice, not an error: the admin may still import
        confirm(admin_client, tx, ChecklistImport.objects.get())
        page = admin_client.get(reverse("campaigns:checklist", args=[tx.campaign.pk])).content.decode()
        assert 'id="score-total-warning"' in page and "分值合计 107.5 分，超过 100 分" in page

    def test_a_file_that_rescores_the_same_tasks_counts_them_once(self, admin_client, tx):
        ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", requirement="旧要求", full_score=90
        )
        html = upload(admin_client, tx, workbook_bytes(good_rows(tx))).content.decode()
        assert "超过 100 分" not in html  # 3.1 goes from 90 to 5: 5 + 4 + 3.5
        page = admin_client.get(reverse("campaigns:checklist", args=[tx.campaign.pk])).content.decode()
        assert "score-total-warning" not in page

    def test_exactly_100_is_fine(self, admin_client, tx):
        rows = good_rows(tx)
        rows[0][3] = 92.5
        html = upload(admin_client, tx, workbook_bytes(rows)).content.decode()
        assert "分值合计" not in html
