"""Hostile workbooks: any .xlsx uploaded as a task checklist is previewed or refused in Chinese;
what is no workbook (a program, a zip bomb, broken XML) is refused and not kept.
"""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import assume, given
from hypothesis import strategies as st
from openpyxl import Workbook

from campaigns.models import ChecklistItem
from campaigns.services import checklist_import
from campaigns.services.xlsx_read import read_workbook

from .hostile import CELL, ELF, PE, SOME, SVG, assert_says_why_in_chinese, png_claiming, snapshot

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


def workbook(header, rows, title="任务清单", extra_sheet=False):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("填写说明").append(["列", "说明"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_url(tx):
    return reverse("campaigns:checklist-import", args=[tx.campaign.pk])


@pytest.fixture
def admin_client(client, tx):
    client.force_login(tx.admin)
    return client


class TestChecklistWorkbook:
    @SOME
    @given(data=st.data())
    def test_any_workbook_is_previewed_or_refused_in_chinese(self, admin_client, tx, settings, data):
        header = data.draw(
            st.one_of(
                st.just(HEADER),
                st.permutations(HEADER),
                st.lists(st.sampled_from([*HEADER, "", "备注", "=SUM(A1)", None]), max_size=14),
            )
        )
        rows = data.draw(st.lists(st.lists(CELL, max_size=len(HEADER) + 2), max_size=6))
        title = data.draw(st.sampled_from(["任务清单", "Sheet1", "填写说明", "'"]))
        try:
            content = workbook(header, rows, title=title, extra_sheet=data.draw(st.booleans()))
        except (ValueError, TypeError):  # openpyxl itself refuses to write some values
            assume(False)
        items_before = list(ChecklistItem.objects.order_by("pk").values_list())

        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", content)})

        assert response.status_code in (200, 400)
        assert list(ChecklistItem.objects.order_by("pk").values_list()) == items_before  # a preview writes no task
        if response.status_code == 400:
            assert_says_why_in_chinese(response)
            return
        record = response.context["record"]
        # An earlier example may have imported a task this file reopens or sets back: ticked.
        ticked = [row.number for row in response.context["preview"].to_tick]
        confirm = admin_client.post(
            reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, record.pk]), {"overwrite": ticked}
        )
        assert confirm.status_code == 302
        for item in ChecklistItem.objects.filter(campaign=tx.campaign):
            assert item.full_score < 10000 and 0 <= item.progress <= 100
            assert item.deadline is None or 2000 <= item.deadline.year <= 2099

    @pytest.mark.parametrize(
        "name,content,message",
        [
            ("清单.xlsx", ELF, "不是有效的 Excel 文件"),
            ("清单.xlsx", PE, "不是有效的 Excel 文件"),
            ("清单.xlsx", png_claiming(30000, 30000), "不是有效的 Excel 文件"),
            ("清单.xlsx", SVG, "不是有效的 Excel 文件"),
            ("清单.xlsx", bytes(range(256)) * 8, "不是有效的 Excel 文件"),
            ("清单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "另存为 .xlsx"),
        ],
    )
    def test_what_is_no_workbook_is_refused_and_not_kept(self, admin_client, tx, settings, name, content, message):
        before = snapshot(settings)
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert_says_why_in_chinese(response)
        assert snapshot(settings) == before

    def _zip(self, members):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, body in members.items():
                archive.writestr(member, body)
        return out.getvalue()

    def _patched(self, content, member, change):
        source = zipfile.ZipFile(io.BytesIO(content))
        return self._zip(
            {
                info.filename: change(source.read(info.filename)) if info.filename == member else source.read(info)
                for info in source.infolist()
            }
        )

    def test_zips_that_are_no_workbook(self, admin_client, tx, settings):
        good = workbook(HEADER, [["3", "3.1", "要求", 5]])
        cases = {
            "a zip of text": self._zip({"readme.txt": "你好"}),
            "content types but no workbook": self._zip({"[Content_Types].xml": "<Types/>", "xl/x.xml": "<x/>"}),
            "a workbook without sheets": self._patched(
                good, "xl/workbook.xml", lambda body: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", body)
            ),
            "a cell whose number is nan": self._patched(
                good, "xl/worksheets/sheet1.xml", lambda body: body.replace(b"<v>5</v>", b"<v>nan</v>")
            ),
            "a shared string that is not there": self._patched(
                good,
                "xl/worksheets/sheet1.xml",
                # openpyxl writes strings inline: make the first one point into a shared-string table
                lambda body: re.sub(
                    rb'<c r="A1" t="inlineStr"><is><t>[^<]*</t></is></c>', b'<c r="A1" t="s"><v>99999</v></c>', body
                ),
            ),
            "broken XML": self._patched(good, "xl/worksheets/sheet1.xml", lambda body: body[: len(body) // 2]),
            "a zip bomb": self._zip({"[Content_Types].xml": "<Types/>", "xl/big.xml": b"\x00" * (61 * 1024 * 1024)}),
        }
        for case, content in cases.items():
            before = snapshot(settings)
            response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", content)})
            assert response.status_code == 400, case
            assert_says_why_in_chinese(response)
            assert snapshot(settings) == before, case

    @pytest.mark.parametrize("cell", ["NaN", "sNaN", "-Infinity", "1e999999", "9999.995"])
    def test_numbers_that_are_no_numbers(self, admin_client, tx, cell):
        rows = [["3", "3.1", "要求", cell, "", "", "", "", "", "", ""]]
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", workbook(HEADER, rows))})
        assert response.status_code == 400
        html = response.content.decode()
        assert "“分值”不是数字" in html or "“分值”太大" in html
        assert ChecklistItem.objects.count() == 0

    def test_a_date_no_one_meant(self, admin_client, tx):
        rows = [["3", "3.1", "要求", 5, "", "", "", "0001-01-01", "", "", ""]]
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", workbook(HEADER, rows))})
        assert response.status_code == 400 and "日期看不懂" in response.content.decode()

    def test_one_far_cell_does_not_make_billions_of_empty_ones(self, admin_client, tx):
        book = Workbook()
        sheet = book.active
        sheet.title = "任务清单"
        sheet.append(HEADER)
        sheet.append(["3", "3.1", "要求", 5])
        sheet.cell(row=1_048_576, column=16_384, value="x")
        out = io.BytesIO()
        book.save(out)
        assert out.tell() < 20_000
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", out.getvalue())})
        assert response.status_code == 200 and response.context["preview"].added == 1
        # Bounded, counted rather than timed: only the header and the one data row are read,
        # none of the million padded rows down to the far cell.
        assert read_workbook(out.getvalue(), checklist_import.LAYOUT).rows_read == 2

    def test_more_rows_than_allowed(self, admin_client, tx, settings):
        settings.IMPORT_MAX_ROWS = 5
        rows = [["3", f"3.{n}", "要求", 1] for n in range(1, 8)]
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", workbook(HEADER, rows))})
        assert response.status_code == 400 and "一次最多导入 5 行" in response.content.decode()

    def test_a_file_over_the_limit(self, admin_client, tx, settings):
        before = snapshot(settings)
        content = workbook(HEADER, [["3", "3.1", "要求", 5]])
        big = content + b"\x00" * (settings.IMPORT_MAX_BYTES + 1 - len(content))
        response = admin_client.post(import_url(tx), {"file": SimpleUploadedFile("清单.xlsx", big)})
        assert response.status_code == 400 and "文件太大" in response.content.decode()
        assert snapshot(settings) == before
