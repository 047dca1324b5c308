"""一票否决风险 on the board: a 必备条件 the ledger says may fail caps the expected result.

铁西区's campaign is scored on the national standard; its task 8.2 (防鼠设施) is linked to the
gate 8.2.2 "重点行业和单位防蚊蝇、防鼠设施合格率≥95%". The leader reads the board.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    ChecklistItem,
    CheckResult,
    InspectionRound,
    PhotoKind,
    RoundCheck,
    RoundKind,
    RoundLevel,
    RoundPoint,
    StandardItem,
)
from campaigns.selectors.board import board_build
from campaigns.services.standard import campaign_link_tasks, standard_default
from infra.fragments import district_touch

from .factories import pending_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate_task(tx):
    tx.campaign.standard = standard_default()
    tx.campaign.save(update_fields=["standard"])
    task = ChecklistItem.objects.create(
        campaign=tx.campaign, area=tx.area2, code="8.2", requirement="防鼠设施达标", full_score=10
    )
    ChecklistItem.objects.create(campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路整洁", full_score=10)
    campaign_link_tasks(tx.campaign)
    task.refresh_from_db()
    assert task.standard_item.code == "8.2.2" and task.standard_item.is_gate
    return task


def gate(tx, code="8.2.2"):
    return StandardItem.objects.get(article__aspect__standard=tx.campaign.standard, code=code)


def board_text(client, tx):
    # The workflow moves the district's version on commit, which a test's transaction never
    # reaches: move it here, as the commit would.
    district_touch(tx.unit.pk)
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:board", args=["TX"]))
    assert response.status_code == 200
    return response.content.decode()


def inspection_round(tx, city_admin, name, starts_on, districts=None):
    made = InspectionRound.objects.create(
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.CITY,
        name=name,
        standard=tx.campaign.standard,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=2),
        created_by=city_admin,
    )
    made.districts.set(districts or [tx.unit])
    return made


def checked(made, district, point, item, result, by):
    spot, _ = RoundPoint.objects.get_or_create(inspection_round=made, point=point, defaults={"district": district})
    return RoundCheck.objects.create(
        round_point=spot, item=item, result=result, checked_by=by, checked_at=timezone.now()
    )


def test_an_open_problem_on_a_gate_task_shows_the_risk_and_caps_the_result(client, tx, gate_task):
    assert "必备条件暂无风险" in board_text(client, tx)
    ticket = tx.assigned(checklist_item=gate_task, category=tx.category2, description="后厨防鼠板缺失")
    text = board_text(client, tx)
    assert "项必备条件有风险" in text and "预计结论：<strong>不达标（必备条件）</strong>" in text
    assert "8.2.2" in text and "防鼠设施合格率" in text and "关联任务有 1 个未办结问题" in text
    [risk] = board_build(tx.unit).gate_risks
    assert (risk.item, risk.open_tickets, risk.open_findings, risk.failed_checks) == (gate(tx), 1, 0, 0)
    # Fixed and struck off: the gate is safe again.
    after = [pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    ticket = workflow.ticket_submit_fix(ticket=ticket, actor=tx.unit_liaison, note="已加装挡鼠板", photos=after)
    workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="核验通过")
    text = board_text(client, tx)
    assert "项必备条件有风险" not in text and "必备条件暂无风险" in text


def test_a_problem_on_a_task_without_a_gate_is_no_gate_risk(client, tx, gate_task):
    plain = ChecklistItem.objects.get(campaign=tx.campaign, code="3.1")
    tx.log(checklist_item=plain)
    assert board_build(tx.unit).gate_risks == []


def test_a_rounds_open_finding_on_a_gate_is_a_risk_in_its_district_only(tx, td, city_admin, gate_task):
    made = inspection_round(tx, city_admin, "市督查第 3 期", timezone.localdate(), districts=[tx.unit, td.unit])
    workflow.finding_record(
        inspection_round=made,
        actor=td.supervisor,
        campaign=td.campaign,
        category=td.category2,
        description="铁东区某饭店后厨无防鼠网",
        point=td.point,
        item=gate(tx),
    )
    assert board_build(tx.unit).gate_risks == []  # 铁东区's finding is 铁东区's risk
    workflow.finding_record(
        inspection_round=made,
        actor=tx.supervisor,
        campaign=tx.campaign,
        category=tx.category2,
        description="农贸市场粮油区无挡鼠板",
        point=tx.point,
        item=gate(tx),
    )
    [risk] = board_build(tx.unit).gate_risks
    assert (risk.open_tickets, risk.open_findings) == (0, 1)


def test_a_gate_failed_in_the_latest_round_is_a_risk_until_a_later_round_passes_it(tx, city_admin, gate_task):
    today = timezone.localdate()
    density = gate(tx, "8.1.3")
    first = inspection_round(tx, city_admin, "区自查第 1 期", today - datetime.timedelta(days=20))
    checked(first, tx.unit, tx.point, density, CheckResult.FAIL, tx.supervisor)
    [risk] = board_build(tx.unit).gate_risks
    assert (risk.item, risk.failed_checks) == (density, 1)
    second = inspection_round(tx, city_admin, "区自查第 2 期", today - datetime.timedelta(days=3))
    checked(second, tx.unit, tx.point, density, CheckResult.PASS, tx.supervisor)
    assert board_build(tx.unit).gate_risks == []


def test_the_board_reads_the_gates_in_one_query_however_many_tickets(client, tx, gate_task):
    client.force_login(tx.leader)
    url = reverse("campaigns:board", args=["TX"])

    def count():
        for _warm in range(2):
            # Steady state: choices and sessions cached, and the 迎检模拟 panel of this standard,
            # which is kept apart for ten minutes (selectors/forecast.py), counted once.
            client.get(url)
            district_touch(tx.unit.pk)  # a new version: the board is built again (any pk, on PostgreSQL too)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    rats = {"checklist_item": gate_task, "category": tx.category2}
    tx.assigned(**rats)
    standard = tx.campaign.standard
    tx.campaign.standard = None
    tx.campaign.save(update_fields=["standard"])
    without = count()  # the same board with no standard: no gates to read
    tx.campaign.standard = standard
    tx.campaign.save(update_fields=["standard"])
    small = count()
    assert small == without + 1
    for _ in range(6):
        tx.assigned(**rats)
        tx.log(**rats)
    assert count() == small
