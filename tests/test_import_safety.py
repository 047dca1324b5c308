"""Imports that cannot exhaust the server, read once, and never overwrite real work by accident.

王 is 铁西区's admin (tx.admin). Her office downloads templates, fills them, and sometimes
uploads one unchanged or an old copy; someone else uploads files built to hurt. The clock is
frozen on 2026-12-03, the day these were found.
"""

import datetime
import io
import re
import zipfile
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns.models import (
    ChecklistImport,
    ChecklistItem,
    ChecklistStatus,
    ImportStatus,
    InspectionPoint,
    OrgUnit,
    PointImport,
)
from campaigns.services import checklist_import, xlsx_import, xlsx_read
from campaigns.services import xlsx_guard as caps

NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
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
POINT_HEADER = ["点位名称", "点位类型", "所在单位", "地址", "责任部门", "纬度", "经度"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def wang(client, tx):
    """王, the district admin, logged in."""
    client.force_login(tx.admin)
    return client


def workbook_bytes(header, rows, title="任务清单"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def checklist_upload(client, tx, content):
    return client.post(
        reverse("campaigns:checklist-import", args=[tx.campaign.pk]), {"file": SimpleUploadedFile("清单.xlsx", content)}
    )


def checklist_confirm(client, tx, record, ticked=()):
    return client.post(
        reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, record.pk]), {"overwrite": list(ticked)}
    )


def point_upload(client, content):
    return client.post(
        reverse("campaigns:point-import", args=["TX"]), {"file": SimpleUploadedFile("点位.xlsx", content)}
    )


def point_confirm(client, record, ticked=()):
    return client.post(reverse("campaigns:point-import-confirm", args=["TX", record.pk]), {"overwrite": list(ticked)})


def task_done(tx, code="3.1"):
    return ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=tx.area,
        code=code,
        order=1,
        requirement="主次干道路面平整",
        full_score=5,
        status=ChecklistStatus.DONE,
        progress=100,
        lead_unit=tx.department,
    )


def task_row(tx, status="推进中", progress=50, code="3.1"):
    return ["3", code, "主次干道路面平整", 5, tx.department.name, "", "", "", status, progress, ""]


def tasks(tx):
    return list(ChecklistItem.objects.filter(campaign=tx.campaign).order_by("pk").values())


# ===== §7: the templates' example rows ======================================================


class TestUnchangedTemplates:
    """Each template comes with an example row; uploading a template as downloaded changes nothing."""

    def test_the_checklist_template_leaves_the_real_task_3_1_alone(self, wang, tx):
        # The incident: the example row's code is the campaign's first task, 3.1, already done.
        task_done(tx)
        before = tasks(tx)
        template = wang.get(reverse("campaigns:checklist-template", args=[tx.campaign.pk])).content
        assert load_workbook(io.BytesIO(template))["任务清单"]["B2"].value == "3.1"

        response = checklist_upload(wang, tx, template)

        assert response.status_code == 400
        html = response.content.decode()
        assert "示例行已跳过" in html and "表格里没有任务行" in html
        assert tasks(tx) == before and ChecklistImport.objects.count() == 0

    def test_the_example_row_is_skipped_beside_real_rows(self, wang, tx):
        task_done(tx)
        before = tasks(tx)
        book = load_workbook(io.BytesIO(checklist_import.template_workbook(tx.campaign)))
        # Typed from column A, as an office does, under the example row.
        book["任务清单"].append(["8", "8.1", "落实病媒生物防制管理规定", 4])
        out = io.BytesIO()
        book.save(out)

        response = checklist_upload(wang, tx, out.getvalue())

        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview.examples == [2] and [row.cleaned["code"] for row in preview.rows] == ["8.1"]
        assert "示例行已跳过：第 2 行" in response.content.decode()
        checklist_confirm(wang, tx, response.context["record"])
        assert tasks(tx)[0] == before[0] and ChecklistItem.objects.filter(code="8.1").exists()

    def test_an_old_template_downloaded_before_the_marker_column(self, wang, tx):
        # Offices still have templates from before: their example said so in the text.
        task_done(tx)
        before = tasks(tx)
        old = [
            "3 市容环境卫生",
            "3.1",
            "（示例，导入前请删除或改写本行）主次干道路面平整",
            5,
            "",
            "",
            "张三",
            "",
            "未开始",
            0,
        ]
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, [old]))
        assert response.status_code == 400 and "示例行已跳过" in response.content.decode()
        assert tasks(tx) == before

    @pytest.mark.parametrize("language", ["en", "zh-hant"])
    def test_a_template_downloaded_in_another_language(self, wang, tx, language):
        # The marker column's header is in the reader's language; it is recognised in every one.
        task_done(tx)
        before = tasks(tx)
        wang.cookies["django_language"] = language
        template = wang.get(reverse("campaigns:checklist-template", args=[tx.campaign.pk])).content
        header = load_workbook(io.BytesIO(template)).worksheets[0]["L1"].value
        assert header == {"en": "Example marker", "zh-hant": "示例標記"}[language]

        response = checklist_upload(wang, tx, template)

        assert response.status_code == 400 and response.context["form"].sheet is None
        assert {"en": "Example rows skipped", "zh-hant": "示例行已跳過"}[language] in response.content.decode()
        assert tasks(tx) == before

    def test_the_points_template(self, wang, tx):
        before = list(InspectionPoint.objects.values())
        template = wang.get(reverse("campaigns:point-template", args=["TX"])).content
        response = point_upload(wang, template)
        assert response.status_code == 400 and "示例行已跳过" in response.content.decode()
        assert list(InspectionPoint.objects.values()) == before and PointImport.objects.count() == 0

    def test_the_units_template(self, wang, tx):
        before = list(OrgUnit.objects.order_by("pk").values())
        template = wang.get(reverse("campaigns:setup-units-template", args=["TX"])).content
        response = wang.post(
            reverse("campaigns:setup-units-import", args=["TX"]), {"file": SimpleUploadedFile("单位.xlsx", template)}
        )
        assert response.status_code == 200 and "示例行已跳过" in response.content.decode()
        preview, record = response.context["preview"], response.context["record"]
        assert preview.added == preview.changed == 0 and preview.examples == [2]
        wang.post(reverse("campaigns:setup-units-import-confirm", args=["TX", record.pk]))
        assert list(OrgUnit.objects.order_by("pk").values()) == before
        assert not OrgUnit.objects.filter(name="北沟社区").exists()

    def test_the_people_template(self, wang, tx):
        people = get_user_model().objects.count()
        template = wang.get(reverse("campaigns:setup-people-template", args=["TX"])).content
        response = wang.post(
            reverse("campaigns:setup-people-import", args=["TX"]), {"file": SimpleUploadedFile("人员.xlsx", template)}
        )
        assert response.status_code == 400 and "示例行已跳过" in response.content.decode()
        assert get_user_model().objects.count() == people
        assert not get_user_model().objects.filter(username="tx_wangwu").exists()


# ===== §7: rows that undo work done need a tick ============================================


class TestOverwritingDoneWork:
    def test_reopening_a_done_task_needs_its_tick(self, wang, tx):
        task = task_done(tx)
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, [task_row(tx)]))
        assert response.status_code == 200
        row = response.context["preview"].rows[0]
        assert row.warning == "将覆盖已完成任务"
        html = response.content.decode()
        assert "将覆盖已完成任务" in html and 'name="overwrite" value="2"' in html
        record = response.context["record"]

        refused = checklist_confirm(wang, tx, record)

        assert refused.status_code == 409
        assert "第 2 行会覆盖已有的进度或内容" in refused.content.decode()
        task.refresh_from_db()
        assert (task.status, task.progress) == (ChecklistStatus.DONE, 100)
        record.refresh_from_db()
        assert record.status == ImportStatus.PREVIEW and record.imported_at is None

        done = checklist_confirm(wang, tx, record, ticked=[2])

        assert done.status_code == 302
        task.refresh_from_db()
        assert (task.status, task.progress) == (ChecklistStatus.IN_PROGRESS, 50)

    def test_lowering_progress_needs_its_tick_and_raising_it_does_not(self, wang, tx):
        lowered = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", order=1, requirement="甲", full_score=5, progress=60
        )
        raised = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.2", order=2, requirement="乙", full_score=5, progress=20
        )
        rows = [task_row(tx, status="", progress=30, code="3.1"), task_row(tx, status="", progress=80, code="3.2")]
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, rows))
        warnings = [row.warning for row in response.context["preview"].rows]
        assert warnings == ["将降低进度（60% → 30%）", ""]
        record = response.context["record"]

        assert checklist_confirm(wang, tx, record, ticked=[3]).status_code == 409  # the wrong row ticked
        lowered.refresh_from_db()
        raised.refresh_from_db()
        assert (lowered.progress, raised.progress) == (60, 20)

        assert checklist_confirm(wang, tx, record, ticked=[2]).status_code == 302
        lowered.refresh_from_db()
        raised.refresh_from_db()
        assert (lowered.progress, raised.progress) == (30, 80)

    def test_a_task_done_after_the_preview_is_caught_at_the_confirm(self, wang, tx):
        task = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", order=1, requirement="甲", full_score=5, progress=40
        )
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, [task_row(tx, progress=50)]))
        assert response.context["preview"].rows[0].warning == ""
        # Meanwhile the unit reports the task done.
        ChecklistItem.objects.filter(pk=task.pk).update(status=ChecklistStatus.DONE, progress=100)

        assert checklist_confirm(wang, tx, response.context["record"]).status_code == 409
        task.refresh_from_db()
        assert (task.status, task.progress) == (ChecklistStatus.DONE, 100)

    def test_wiping_a_points_address_and_department_needs_its_tick(self, wang, tx):
        point = tx.point
        row = [point.name, "农贸市场", tx.community.name, "", "", None, None]
        response = point_upload(wang, workbook_bytes(POINT_HEADER, [row], title="点位清单"))
        assert response.status_code == 200
        assert response.context["preview"].rows[0].warning == "将清空已有的地址、责任部门"
        record = response.context["record"]

        assert point_confirm(wang, record).status_code == 409
        point.refresh_from_db()
        assert (point.address, point.responsible_department) == ("中心路1号", tx.department)

        assert point_confirm(wang, record, ticked=[2]).status_code == 302
        point.refresh_from_db()
        assert (point.address, point.responsible_department) == ("", None)


# ===== §6: files built to exhaust the server ===============================================


def rebuilt(content, parts=None, content_types=(), patch=None):
    """The workbook with parts added or replaced (`parts`), Override entries added to its
    content types, and `patch` (part name → function of its bytes) applied."""
    parts = dict(parts or {})
    patch = dict(patch or {})
    if content_types:
        overrides = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in content_types)
        patch["[Content_Types].xml"] = lambda body: body.replace(b"</Types>", overrides.encode() + b"</Types>")
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            if name not in parts:
                body = source.read(name)
                archive.writestr(name, patch[name](body) if name in patch else body)
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def shared_strings(body):
    return {"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{body}</sst>'.encode()}


def in_sheet(before_end_of_data="", after_data=""):
    """A patch of the sheet: rows added at the end of its data, elements after it."""

    def patch(body):
        body = body.replace(b"</sheetData>", before_end_of_data.encode() + b"</sheetData>" + after_data.encode())
        return body

    return {"xl/worksheets/sheet1.xml": patch}


def long_cells(rows, length):
    return "".join(
        f'<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>{"字" * length}</t></is></c></row>' for r in range(3, 3 + rows)
    )


def mb(size):
    return f"{size // MB}"


# Each file is one past one cap (and within the others), and its message names that limit.
HOSTILE = {
    "unzipped": (
        dict(parts={"xl/media/image1.png": b"\0" * (caps.MAX_UNZIPPED_BYTES + MB)}),
        f"文件解压后有 {mb(caps.MAX_UNZIPPED_BYTES + MB)} MB，超过 {mb(caps.MAX_UNZIPPED_BYTES)} MB 的上限",
    ),
    "shared strings size": (
        dict(
            parts=shared_strings("<si><t>" + "a" * (caps.MAX_SHARED_STRINGS_BYTES + MB) + "</t></si>"),
            content_types=[("xl/sharedStrings.xml", SST)],
        ),
        f"表格中的文字（共享字符串）解压后有 {mb(caps.MAX_SHARED_STRINGS_BYTES + MB)} MB，"
        f"超过 {mb(caps.MAX_SHARED_STRINGS_BYTES)} MB 的上限",
    ),
    "shared strings count": (
        dict(
            parts=shared_strings("<si><t>x</t></si>" * (caps.MAX_SHARED_STRINGS + 1)),
            content_types=[("xl/sharedStrings.xml", SST)],
        ),
        f"表格中不同的文字超过 {caps.MAX_SHARED_STRINGS:,} 条",
    ),
    "rich text": (
        dict(
            # Five elements a string: more of them than the cap, fewer strings than theirs.
            parts=shared_strings(
                "<si><r><t>a</t></r><r><t>b</t></r></si>" * (caps.MAX_SHARED_STRING_ELEMENTS // 5 + 1)
            ),
            content_types=[("xl/sharedStrings.xml", SST)],
        ),
        f"表格中的文字带有过多的格式（超过 {caps.MAX_SHARED_STRING_ELEMENTS:,} 处）",
    ),
    "cells": (
        dict(
            patch=in_sheet(
                "".join(f'<row r="{r}">' + "<c/>" * 1000 + "</row>" for r in range(3, caps.MAX_CELLS // 1000 + 4))
            )
        ),
        f"表格的单元格超过 {caps.MAX_CELLS:,} 个",
    ),
    "sheet elements": (
        dict(
            patch=in_sheet(
                after_data="<mergeCells>" + '<mergeCell ref="C1:D1"/>' * (caps.MAX_SHEET_ELEMENTS + 1) + "</mergeCells>"
            )
        ),
        f"工作表里的单元格、合并单元格等内容超过 {caps.MAX_SHEET_ELEMENTS:,} 项",
    ),
    "rows × columns": (
        # The header is 11 columns wide; one value far down makes every row between be read.
        dict(patch=in_sheet('<row r="100001"><c r="B100001" t="inlineStr"><is><t>x</t></is></c></row>')),
        f"要读取的区域有 100,001 行 × 11 列，超过 {caps.MAX_AREA:,} 个单元格",
    ),
    "other parts": (
        dict(
            patch={
                "xl/styles.xml": lambda body: body.replace(
                    b"<numFmts", b"<!--" + b"x" * caps.MAX_OTHER_XML_BYTES + b"--><numFmts", 1
                )
            }
        ),
        f"文件中的格式、图表等表格以外的内容解压后超过 {mb(caps.MAX_OTHER_XML_BYTES)} MB",
    ),
    "parts": (
        dict(parts={f"xl/media/image{n}.png": b"" for n in range(caps.MAX_PARTS)}),
        "文件包含的部件太多",
    ),
    "a cell longer than Excel allows": (
        dict(patch=in_sheet(long_cells(1, xlsx_read.MAX_CELL_CHARS + 1))),
        f"第 3 行有单元格超过 {xlsx_read.MAX_CELL_CHARS} 个字符",
    ),
    "text in all": (
        dict(patch=in_sheet(long_cells(xlsx_read.MAX_TEXT_CHARS // 30_000 + 1, 30_000))),
        f"表格里的文字总量超过 {xlsx_read.MAX_TEXT_CHARS:,} 字",
    ),
}


class TestFilesThatWouldExhaustTheServer:
    @pytest.mark.parametrize("case", list(HOSTILE))
    def test_each_cap_refuses_with_its_limit(self, wang, tx, case):
        changes, message = HOSTILE[case]
        good = workbook_bytes(HEADER, [task_row(tx)])
        if case == "other parts":
            assert b"<numFmts" in zipfile.ZipFile(io.BytesIO(good)).read("xl/styles.xml")
        content = rebuilt(good, **changes)
        assert len(content) < 600_000, "the hostile file is small on disk"

        with mock.patch.object(xlsx_read, "load_workbook", wraps=xlsx_read.load_workbook) as parse:
            response = checklist_upload(wang, tx, content)

        assert response.status_code == 400
        assert message in re.sub(r"\s+", " ", response.content.decode())
        if case not in ("a cell longer than Excel allows", "text in all"):
            assert parse.call_count == 0  # refused before openpyxl parsed anything
        assert ChecklistImport.objects.count() == 0 and ChecklistItem.objects.count() == 0

    def test_the_same_file_just_inside_the_caps_is_read(self, wang, tx):
        content = rebuilt(
            workbook_bytes(HEADER, [task_row(tx)]),
            parts=shared_strings("<si><t>x</t></si>" * caps.MAX_SHARED_STRINGS),
            content_types=[("xl/sharedStrings.xml", SST)],
        )
        response = checklist_upload(wang, tx, content)
        assert response.status_code == 200 and response.context["preview"].added == 1


class TestReadOnce:
    def test_the_file_is_parsed_at_upload_only(self, wang, tx):
        task_done(tx)
        parse = mock.patch.object(xlsx_read, "load_workbook", wraps=xlsx_read.load_workbook)
        measure = mock.patch.object(xlsx_read, "sheet_extent", wraps=xlsx_read.sheet_extent)
        with parse as parsed, measure as measured:
            response = checklist_upload(wang, tx, workbook_bytes(HEADER, [task_row(tx), task_row(tx, code="3.2")]))
            assert (parsed.call_count, measured.call_count) == (1, 1)
            record = response.context["record"]
            show = reverse("campaigns:checklist-import-show", args=[tx.campaign.pk, record.pk])
            for _ in range(2):
                again = wang.get(show)
                assert again.status_code == 200 and again.context["preview"].added == 1
            assert checklist_confirm(wang, tx, record).status_code == 409  # 3.1 is done: not ticked
            assert checklist_confirm(wang, tx, record, ticked=[2]).status_code == 302
            assert (parsed.call_count, measured.call_count) == (1, 1)
        assert ChecklistItem.objects.get(code="3.2").requirement == "主次干道路面平整"
        record.refresh_from_db()
        assert record.status == ImportStatus.DONE and record.parsed is None  # the file stays, the rows go

    def test_dates_and_numbers_come_back_as_they_were_read(self, wang, tx):
        row = task_row(tx)
        row[7] = datetime.datetime(2026, 12, 31)
        row[9] = 0.6  # a cell formatted as a percentage
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, [row]))
        record = ChecklistImport.objects.get(pk=response.context["record"].pk)
        with mock.patch.object(xlsx_read, "load_workbook") as parse:
            preview = checklist_import.checklist_import_preview(record)
        parse.assert_not_called()
        assert preview.rows[0].cleaned["deadline"] == datetime.date(2026, 12, 31)
        assert preview.rows[0].cleaned["progress"] == 60

    def test_a_file_kept_before_previews_were_kept_is_read_once_more_then_kept(self, wang, tx):
        response = checklist_upload(wang, tx, workbook_bytes(HEADER, [task_row(tx)]))
        ChecklistImport.objects.update(parsed=None)
        record = ChecklistImport.objects.get(pk=response.context["record"].pk)
        with mock.patch.object(xlsx_import, "read_workbook", wraps=xlsx_import.read_workbook) as parse:
            assert checklist_import.checklist_import_preview(record).added == 1
            assert checklist_import.checklist_import_preview(record).added == 1
        assert parse.call_count == 1
