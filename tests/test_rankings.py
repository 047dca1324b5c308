"""Rankings (红黑榜) by the shown rule, and the 通报 an admin drafts, edits and prints."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from campaigns import workflow
from campaigns.models import Notice, OrgUnit, UnitKind
from campaigns.selectors.rankings import RankRow, red_and_black

from .factories import form_key

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=10):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def period(tx):
    """In November: 执法局 closes two of two; 卫健局 closes none of two, one overdue and one returned."""
    with time_machine.travel(at(datetime.date(2026, 11, 3))):
        tx.closed(unit=tx.department)
        tx.closed(unit=tx.department)
        tx.assigned(unit=tx.department2, deadline=datetime.date(2026, 11, 5))
        ticket = tx.submitted(unit=tx.department2, by=tx.supervisor2)
        workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不合格")


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_units_ranked_by_the_rule(client, tx, period):
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:rankings", args=["TX"]), {"start": "2026-11-01", "end": "2026-11-20"})
    units = response.context["units"]
    assert [row.unit.name for row in units] == [tx.department.name, tx.department2.name]
    best, worst = units
    assert (best.total, best.closed, best.overdue, best.returns, best.closure_rate, best.score) == (
        2,
        2,
        0,
        0,
        100.0,
        100.0,
    )
    # 0% closed, 2 overdue (due 5 Nov, and the returned one due 6 Nov), 1 return: 0 − 2 × 2 − 1 = −5.
    assert (worst.closure_rate, worst.overdue, worst.returns, worst.score) == (0.0, 2, 1, -5.0)
    html = response.content.decode()
    assert "综合得分 = 销号率 × 60%" in html
    by_overdue = client.get(reverse("campaigns:rankings", args=["TX"]), {"basis": "overdue", "start": "2026-11-01"})
    assert by_overdue.context["units"][0].unit == tx.department


def test_red_and_black_never_name_the_same_unit():
    rows = [
        RankRow(
            unit=OrgUnit(pk=i, name=str(i), kind=UnitKind.DEPARTMENT),
            total=1,
            closed=1,
            overdue=0,
            returns=0,
            compliance=None,
        )
        for i in range(5)
    ]
    red, black = red_and_black(rows)
    assert len(red) == 2 and len(black) == 2 and not set(map(id, red)) & set(map(id, black))
    assert red_and_black(rows[:1]) == ([], [])


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_admin_drafts_edits_and_prints_a_notice(client, tx, period):
    client.force_login(tx.admin)
    response = client.post(
        reverse("campaigns:notice-draft", args=["TX"]),
        {"start": "2026-11-01", "end": "2026-11-20", "basis": "score", "submission": form_key()},
    )
    notice = Notice.objects.get()
    assert response["Location"] == reverse("campaigns:notice-edit", args=[notice.pk])
    assert tx.department.name in notice.red_list and tx.department2.name in notice.black_list
    assert "逾期" in notice.overdue_list and "TX-202611-" in notice.overdue_list
    assert notice.period_start == datetime.date(2026, 11, 1)
    response = client.post(
        reverse("campaigns:notice-edit", args=[notice.pk]),
        {
            "title": "关于11月创卫问题整改情况的通报",
            "doc_number": "铁创卫办〔2026〕12号",
            "period_start": "2026-11-01",
            "period_end": "2026-11-20",
            "intro": notice.intro,
            "red_list": notice.red_list,
            "black_list": notice.black_list + "\n（经研究，予以通报批评）",
            "overdue_list": notice.overdue_list,
            "closing": notice.closing,
            "issuer": notice.issuer,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("campaigns:notice-print", args=[notice.pk])).content.decode()
    assert "铁创卫办〔2026〕12号" in page and "予以通报批评" in page and "黑榜" in page


def test_notice_permissions(client, tx, td, period):
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    client.force_login(tx.leader)
    assert client.get(reverse("campaigns:notice-print", args=[notice.pk])).status_code == 200
    assert client.get(reverse("campaigns:notice-edit", args=[notice.pk])).status_code == 403
    assert client.post(reverse("campaigns:notice-draft", args=["TX"]), {}).status_code == 403
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:rankings", args=["TX"])).status_code == 403
    client.force_login(td.admin)
    assert client.get(reverse("campaigns:notice-print", args=[notice.pk])).status_code == 404
    assert client.get(reverse("campaigns:rankings", args=["TX"])).status_code == 404


def test_an_edit_with_a_backwards_period_keeps_the_input(client, tx, period):
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    response = client.post(
        reverse("campaigns:notice-edit", args=[notice.pk]),
        {"title": "改过的标题", "period_start": "2026-11-20", "period_end": "2026-11-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "统计止日期不能早于统计起日期" in html and "改过的标题" in html


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_ranked_by_the_weighted_composite_with_formulas_shown(client, tx, period):
    """执法局: 结案率 2/2, 按期 2/2, 返工 0/2, 超期待处置 0/0 (drops out), 延期 0/2:
    (30 + 20 + 20 + 10) ÷ 80 × 100 = 100.0.
    卫健局: 结案率 0/2, 按期 — , 返工 1/1, 超期待处置 2/2, 延期 0/2: (0 + 0 + 0 + 10) ÷ 80 × 100 = 12.5."""
    client.force_login(tx.leader)
    response = client.get(
        reverse("campaigns:rankings", args=["TX"]), {"start": "2026-11-01", "end": "2026-11-20", "basis": "composite"}
    )
    units = response.context["units"]
    assert [(row.unit, row.composite) for row in units] == [(tx.department, 100.0), (tx.department2, 12.5)]
    html = response.content.decode()
    assert 'title="返工率 = 期内退回次数 ÷ 期内提交整改次数"' in html
    assert "(1 − 超期待处置率) × 20" in html and "结案率 × 30" in html
