"""迎检模拟 on 铁西区's board: what the assessment would score today, by 方面 and by street, the
gates at risk and the weakest point types — every figure by the formula the panel shows."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ChecklistItem, CheckResult
from campaigns.selectors.forecast import FORECAST_CACHE_SECONDS, forecast_compute
from infra.fragments import district_touch

from .assessment_world import build_standard, checked, city_round, fixed, second_point

pytestmark = pytest.mark.django_db
PASS, FAIL = CheckResult.PASS, CheckResult.FAIL


@pytest.fixture
def scored(tx, td, city_admin):
    """Two 市督查 rounds over 铁西区; its checklist's self scores; one open problem under a task.

    The latest round (第 3 期) passed 3.1.1 at the market of the first street and failed it in a
    lane of the second (fixed since), failed the market's 3.2.1 (a gate, still open) and passed
    its 8.1.2. The older round (第 2 期) failed the market's 3.1.1: only the latest counts for a 项.
    """
    items = build_standard(campaigns=[tx.campaign, td.campaign]).items
    older = city_round([tx], city_admin, name="市督查第 2 期", days_ago=40)
    checked(tx, older, tx.point, {items["3.1.1"]: FAIL})
    latest = city_round([tx, td], city_admin, name="市督查第 3 期", days_ago=10)
    checked(
        tx,
        latest,
        tx.point,
        {items["3.1.1"]: PASS, items["3.2.1"]: FAIL, items["8.1.2"]: PASS},
        finding_items=[items["3.2.1"]],
    )
    lane = second_point(tx, street=tx.street2)
    _point, (lane_finding,) = checked(tx, latest, lane, {items["3.1.1"]: FAIL}, finding_items=[items["3.1.1"]])
    fixed(tx, lane_finding)
    rules = ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=tx.area,
        code="3.1.2",
        requirement="保洁制度",
        full_score=2,
        self_score=Decimal("1.5"),
        standard_item=items["3.1.2"],
        lead_unit=tx.department,
    )
    ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=tx.area2,
        code="8.1.1",
        requirement="防制方案",
        full_score=2,
        progress=50,
        standard_item=items["8.1.1"],
        lead_unit=tx.department,
    )
    tx.assigned(checklist_item=rules)  # open, within its deadline: 10% of 3.1.2 at risk
    return items


def test_each_aspect_is_scored_from_the_latest_round_self_scores_progress_and_open_problems(tx, scored):
    forecast = forecast_compute(tx.campaign)
    appearance, vectors = forecast.aspects
    # 3.1.1: (1 pass + 1 fixed) ÷ 2 × 4 = 4; 3.1.2: 2 × (0.75 − 0.1) = 1.3; 3.2.1: 0 ÷ 1 × 3 = 0;
    # 3.2.2 has no data: 2 × the aspect's rate so far (5.3 ÷ 9) = 1.18 → 6.48 of 11.
    assert (appearance.name, appearance.full, appearance.expected_shown) == ("市容环境卫生", 11, Decimal("6.5"))
    assert (appearance.rate, appearance.coverage, appearance.open_problems) == (Decimal("58.9"), Decimal("81.8"), 2)
    # 8.1.1: 50% progress × 2 = 1; 8.1.2: passed × 5 = 5.
    assert (vectors.expected_shown, vectors.rate, vectors.coverage) == (
        Decimal("6.0"),
        Decimal("85.7"),
        Decimal("100.0"),
    )
    assert (forecast.total.expected_shown, forecast.total.full, forecast.total.rate) == (
        Decimal("12.5"),
        18,
        Decimal("69.3"),
    )
    assert forecast.latest_round == "市督查第 3 期" and forecast.rounds == ["市督查第 3 期", "市督查第 2 期"]


def test_the_failed_gate_vetoes_the_result_and_the_weakest_point_types_come_first(tx, scored):
    forecast = forecast_compute(tx.campaign)
    assert forecast.vetoed
    (gate,) = forecast.gates  # as the board's gate panel reads them (selectors/gates.py)
    assert (gate.item.code, gate.failed_checks, gate.open_findings, gate.open_tickets) == ("3.2.1", 1, 1, 0)
    assert forecast.aspects[0].gate_risks == 1 and forecast.aspects[1].gate_risks == 0
    # Over the latest rounds: the lane failed its one check; the market passed 2 of 4.
    assert [(row.name, row.passed, row.checks, row.rate) for row in forecast.weakest] == [
        ("背街小巷", 0, 1, Decimal("0.0")),
        ("农贸市场", 2, 4, Decimal("50.0")),
    ]


def test_each_street_is_scored_on_its_own_points_and_problems(tx, scored):
    streets = {row.name: row for row in forecast_compute(tx.campaign).streets}
    first, second = streets[tx.street.name], streets[tx.street2.name]
    # The second street has no check of 3.2.1 or 8.1.2 (the district's results stand in) and no
    # open problem under 3.1.2: 4 + 1.5 + 0 + 1.22 + 1 + 5.
    assert (first.expected_shown, first.rate, first.open_problems) == (Decimal("12.5"), Decimal("69.3"), 2)
    assert (second.expected_shown, second.rate, second.open_problems) == (Decimal("12.7"), Decimal("70.7"), 0)
    assert list(streets) == [tx.street.name, tx.street2.name]  # the weakest first


def test_the_forecast_costs_eight_queries_however_much_the_district_holds(
    tx, scored, city_admin, django_assert_num_queries
):
    with django_assert_num_queries(8):
        forecast_compute(tx.campaign)
    newest = city_round([tx], city_admin, name="区自查第 1 期", days_ago=2)
    for n in range(3):
        checked(tx, newest, second_point(tx, name=f"背街小巷{n}", street=tx.street2), {scored["3.1.1"]: PASS})
        tx.assigned(checklist_item=ChecklistItem.objects.get(code="3.1.2"))
    with django_assert_num_queries(8):
        assert forecast_compute(tx.campaign).latest_round == "区自查第 1 期"


def test_the_board_shows_the_panel_with_its_formula_and_it_may_lag_ten_minutes(client, tx, scored):
    # At the start of one of the forecast's ten-minute windows, whatever the clock says.
    window = int(timezone.now().timestamp()) // FORECAST_CACHE_SECONDS * FORECAST_CACHE_SECONDS
    start = datetime.datetime.fromtimestamp(window + 1, tz=datetime.UTC)
    with time_machine.travel(start, tick=True):
        client.force_login(tx.leader)
        url = reverse("campaigns:board", args=["TX"])
        html = client.get(url).content.decode()
        assert "迎检模拟" in html and "预计得分 <b>12.5</b> / 18" in html
        assert "预计结论：不达标（必备条件）" in html
        assert "预计得分 = 分值 ×（基础得分率 − 10% × 计时内未办结问题 − 20% × 逾期问题）" in html
        assert "每 10 分钟更新" in html
        assert reverse("campaigns:binder", args=[tx.campaign.pk]) in html
        gate_finding = tx.campaign.tickets.get(round_check__item=scored["3.2.1"]).finding
        fixed(tx, gate_finding)  # the board's other figures follow at once; the forecast within ten minutes
        html = client.get(url).content.decode()
        assert "预计得分 <b>12.5</b> / 18" in html
    with time_machine.travel(start + datetime.timedelta(minutes=11), tick=True):
        district_touch(tx.unit.pk)  # the board's own minute has long passed too (Redis keeps real time)
        html = client.get(url).content.decode()
    # 3.2.1 counts as passed now (fixed and struck off), 3.2.2 follows its aspect; the gate stays
    # at risk until a later round passes it (the rule the panel states).
    assert "预计得分 <b>16.1</b> / 18" in html and "预计结论：不达标（必备条件）" in html


def test_without_a_standard_the_panel_says_so(client, tx):
    client.force_login(tx.admin)
    html = client.get(reverse("campaigns:board", args=["TX"])).content.decode()
    assert "本活动还没有选定测评标准，无法模拟迎检得分。" in html
