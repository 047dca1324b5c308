"""The 问题清单 pages: who may import which list into which round, the template, the city's list
split by street between its districts, and a preview whose queries do not grow with its rows.

王 is 铁西区's admin, 孙 its supervisor; 铁东区 (td) is next door; 四平市创卫办's admin (the
city admin) receives the city's own 督查 lists for both districts.
"""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import (
    InspectionRound,
    ProblemListImport,
    Role,
    RoundFinding,
    Ticket,
)

from .factories import UserFactory, member
from .problem_lists import (
    HEADER,
    city_round_for,
    confirm,
    standard_for,
    tx_rows,
    tx_world,
    upload,
)


@pytest.fixture(autouse=True)
def _the_week_of_the_letter():
    """These stories happen in the week of the city's letter (dated Monday 30 November 2026):
    the clock stays there whatever the process clock says (make test-clocks moves that one)."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True):
        yield


IMPORT_URL = reverse("campaigns:problem-list-import")
TEMPLATE_URL = reverse("campaigns:problem-list-template")


@pytest.fixture
def city_round(tx, city_admin):
    tx_world(tx)
    return city_round_for(city_admin, tx.unit)


def show_url(record):
    return reverse("campaigns:problem-list-show", args=[record.pk])


class TestTemplate:
    def test_the_template_has_the_columns_and_one_example_row(self, client, tx):
        client.force_login(tx.admin)
        response = client.get(TEMPLATE_URL)
        assert response.status_code == 200
        assert "problem-list-template.xlsx" in response["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["问题清单", "填写说明"]
        sheet = workbook["问题清单"]
        assert [cell.value for cell in sheet[1]] == [
            "序号",
            "问题描述",
            "地点",
            "所属街道",
            "责任单位",
            "责任人",
            "整改时限",
            "问题类别",
            "照片",
            "示例标记",
        ]
        assert sheet.max_row == 2 and sheet["J2"].value == "示例"
        guide = "\n".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row if c.value)
        assert ".zip" in guide and "立行立改" in guide and "粘贴" in guide

    def test_the_template_sent_back_unchanged_imports_nothing(self, client, tx, city_round):
        client.force_login(tx.admin)
        content = client.get(TEMPLATE_URL).content
        response = upload(client, content=content, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400
        errors = response.context["form"].errors["file"]
        assert errors[0] == "表格里没有问题行。" and "示例行已跳过" in errors[1]
        assert not ProblemListImport.objects.exists()


class TestWhoMay:
    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_only_supervisors_and_admins_import(self, client, tx, city_round, who):
        client.force_login(getattr(tx, who))
        assert client.get(IMPORT_URL).status_code == 403
        assert client.get(TEMPLATE_URL).status_code == 403
        assert upload(client, rows=tx_rows(tx), inspection_round=city_round, office=tx.unit).status_code == 403
        assert not ProblemListImport.objects.exists()

    def test_a_supervisor_imports_her_districts_list(self, client, tx, city_round):
        client.force_login(tx.supervisor)
        response = upload(client, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit)
        assert response.status_code == 200
        assert confirm(client, response.context["record"]).status_code == 302
        assert Ticket.objects.filter(inspection_round=city_round, reported_by=tx.supervisor).count() == 2

    def test_another_district_neither_sees_nor_confirms_a_list(self, client, tx, td, city_round):
        client.force_login(tx.admin)
        record = upload(client, rows=tx_rows(tx), inspection_round=city_round, office=tx.unit).context["record"]
        client.force_login(td.admin)
        assert client.get(show_url(record)).status_code == 404
        assert confirm(client, record).status_code == 404
        assert str(record.original_name) not in client.get(IMPORT_URL).content.decode()
        client.force_login(tx.leader)  # of the district, but reads only
        assert client.get(show_url(record)).status_code == 403
        assert confirm(client, record).status_code == 403
        assert Ticket.objects.count() == 0

    def test_a_district_imports_only_into_its_own_district_and_rounds(self, client, tx, td, city_round):
        client.force_login(td.admin)
        page = client.get(IMPORT_URL)
        assert td.unit.name in page.content.decode() and tx.unit.name not in page.content.decode()
        assert not page.context["form"].fields["inspection_round"].queryset.exists()
        response = upload(client, rows=tx_rows(tx), inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors["office"] and errors["inspection_round"] == ["请从列表里选择轮次。"]
        assert not ProblemListImport.objects.exists()

    def test_a_round_of_the_page_is_chosen_for_it(self, client, tx, city_round):
        client.force_login(tx.admin)
        form = client.get(f"{IMPORT_URL}?round={city_round.pk}").context["form"]
        assert form.initial["inspection_round"] == city_round.pk and form.initial["office"] == tx.unit.pk
        # A round the person may not import into is not chosen for them.
        other = city_round_for(tx.admin)
        assert "inspection_round" not in client.get(f"{IMPORT_URL}?round={other.pk}").context["form"].initial


class TestCityList:
    def test_the_city_list_goes_to_each_district_by_its_street(self, client, tx, td, city, city_admin):
        standard_for(tx.campaign)
        client.force_login(city_admin)
        page = client.get(IMPORT_URL).content.decode()
        assert "四平市（全市，按所属街道分到各区）" in page
        rows = [
            [1, "农贸市场西侧垃圾暴露", tx.point.name, "第一街道", "", "", ""],
            [2, "市场内发现鼠迹", "解放路菜市场", td.street.name, f"{td.unit.name}卫健局", "", ""],
        ]
        response = upload(client, rows=rows, office=city, name="市督查第 4 期", letter_date="2026-12-01")
        assert response.status_code == 200, response.context["preview"].rows[0].errors
        first, second = response.context["preview"].rows
        # "第一街道" is in both districts: the point in the place settles it.
        assert (first.district, second.district) == (tx.unit, td.unit)
        assert second.cleaned["unit"] == td.department2
        assert confirm(client, response.context["record"]).status_code == 302
        made = InspectionRound.objects.get(name="市督查第 4 期")
        assert set(made.districts.all()) == {tx.unit, td.unit}
        assert set(made.campaigns.all()) == {tx.campaign, td.campaign}
        assert dict(RoundFinding.objects.values_list("district", "serial")) == {tx.unit.pk: 1, td.unit.pk: 2}
        assert Ticket.objects.get(district=td.unit).number.startswith("TD-")

    def test_a_round_that_does_not_cover_a_district_refuses_its_rows(self, client, tx, td, city, city_admin):
        only_tx = city_round_for(city_admin, tx.unit)
        client.force_login(city_admin)
        rows = [[1, "垃圾暴露", "解放路", td.street.name, "", "", ""]]
        row = upload(client, rows=rows, office=city, inspection_round=only_tx).context["preview"].rows[0]
        assert row.errors["street"] == ["所选轮次不涉及铁东区。"]

    def test_the_city_list_is_the_city_admins_own(self, client, tx, city, city_admin):
        client.force_login(city_admin)
        rows = [[1, "垃圾暴露", tx.point.name, "", "", "", ""]]
        record = upload(client, rows=rows, office=city, name="市督查第 4 期").context["record"]
        client.force_login(tx.admin)
        assert client.get(show_url(record)).status_code == 404
        city_leader = member(UserFactory(username="city_leader"), city, Role.LEADER)
        client.force_login(city_leader)
        assert client.get(show_url(record)).status_code == 403
        assert client.get(IMPORT_URL).status_code == 403


def test_the_preview_reads_the_same_whatever_the_number_of_rows(client, tx, city_round):
    standard_for(tx.campaign)
    client.force_login(tx.admin)

    def queries_for(count):
        rows = [
            [n, f"第{n}处垃圾暴露", f"{tx.point.name}{n}号门", "第一街道", "执法局", "", ""]
            for n in range(1, count + 1)
        ]
        record = upload(client, rows=rows, inspection_round=city_round, office=tx.unit).context["record"]
        client.get(show_url(record))  # the session and the caches warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(show_url(record))
        assert response.status_code == 200 and len(response.context["preview"].rows) == count
        return len(queries)

    assert queries_for(3) == queries_for(30)


def test_the_upload_page_keeps_its_history_to_the_persons_offices(client, tx, td, city_round):
    client.force_login(td.admin)
    upload(client, rows=[[1, "垃圾暴露", "解放路", td.street.name, "", "", ""]], office=td.unit, name="区自查")
    client.force_login(tx.admin)
    upload(client, rows=tx_rows(tx), inspection_round=city_round, office=tx.unit)
    page = client.get(IMPORT_URL)
    assert [record.office for record in page.context["history"]] == [tx.unit]
    assert "区自查" not in page.content.decode()
    assert HEADER[1] in page.content.decode()  # the columns are explained on the page


@pytest.mark.parametrize("value", ["１２", "99999999999999999999999", "-1", "1 OR 1=1", "%00"])
def test_hostile_ids_in_the_address_and_the_choices_are_ignored(client, tx, city_round, value):
    client.force_login(tx.admin)
    assert client.get(f"{IMPORT_URL}?round={value}&office={value}").status_code == 200
    record = upload(client, rows=tx_rows(tx)[:1], inspection_round=city_round, office=tx.unit).context["record"]
    picks = {2: {"unit": value, "street": value, "point": value, "item": value, "category": value}}
    response = confirm(client, record, picks, action="check")
    # Nothing that is no id is taken as a choice: the row's own suggestions stand.
    assert response.status_code == 200 and response.context["preview"].is_clean
    assert response.context["preview"].rows[0].cleaned["unit"] == tx.department
