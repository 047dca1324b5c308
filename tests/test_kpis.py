"""The field's KPIs, each figure checked by hand on a small November in 铁西区."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketAction, TicketEvent
from campaigns.selectors.kpis import ALL, DASH, KPIS, KpiCounts, kpi_counts, kpi_panel

from .factories import pending_photo

SH = ZoneInfo("Asia/Shanghai")
START, END = datetime.date(2026, 11, 2), datetime.date(2026, 11, 27)


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=SH)


def on(moment):
    return time_machine.travel(moment, tick=False)


def _fix(tx, ticket):
    return workflow.ticket_submit_fix(
        ticket=ticket, actor=tx.unit_liaison, note="已清理", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )


@pytest.fixture
def november(tx):
    """执法局 gets A, B and the October G; 卫健局 gets C and D; E is only logged, F voided.

    A: 交办 Mon 2 Nov (due 5th), 签收 at once, fixed and 销号 Wed 4th — on time, 2 working days.
    B: 交办 Mon 2 Nov (due 5th), 签收 late on Thu 5th (签收时限 Tue 3rd), fix 9th returned,
       fixed again and 销号 Tue 10th — late, 6 working days (3, 4, 5, 6, 9, 10 Nov).
    C: 交办 2 Nov, 签收, one extension (to 10 Dec), still 整改中.
    D: 交办 2 Nov (due 6th), never signed, 退单 once: 待签收, overdue.
    E: logged 2 Nov, not assigned. F: logged and voided.
    G: found and closed in October, reopened 16 Nov (new deadline 1 Dec): a 反弹 in the period.
    """
    with on(at(10, 12)):
        g = tx.closed(deadline=datetime.date(2026, 10, 16))
    with on(at(11, 2)):
        a = tx.assigned(deadline=datetime.date(2026, 11, 5))
        b = tx.assigned(deadline=datetime.date(2026, 11, 5), signed=False)
        c = tx.assigned(unit=tx.department2, deadline=datetime.date(2026, 11, 6))
        d = tx.assigned(unit=tx.department2, deadline=datetime.date(2026, 11, 6), signed=False)
        tx.log()
        workflow.ticket_void(ticket=tx.log(), actor=tx.supervisor, reason="重复")
        TicketEvent.objects.create(
            ticket=d, action=TicketAction.DECLINE, actor=tx.unit_liaison, from_state=d.state, to_state=d.state
        )
        Ticket.objects.filter(pk=c.pk).update(extensions_used=1, deadline=datetime.date(2026, 12, 10))
    with on(at(11, 4)):
        workflow.ticket_close_out(ticket=_fix(tx, a), actor=tx.supervisor, note="核验通过")
    with on(at(11, 5)):
        workflow.ticket_sign(ticket=b, actor=tx.unit_liaison)
    with on(at(11, 9)):
        workflow.ticket_return(ticket=_fix(tx, b), actor=tx.supervisor, reason="不合格")
    with on(at(11, 10)):
        workflow.ticket_close_out(ticket=_fix(tx, b), actor=tx.supervisor, note="核验通过")
    with on(at(11, 16)):
        workflow.ticket_reopen(ticket=g, actor=tx.supervisor, reason="又脏了", deadline=datetime.date(2026, 12, 1))


@time_machine.travel(at(11, 27, 12), tick=False)
def test_district_kpis_by_hand(tx, november):
    """Over 2–27 Nov, read on the 27th:

    签收及时率 = (3 签收 − 1 late: B) ÷ 3 (A, B, C) = 66.7%
    按期处置率 = 1 (A) ÷ 2 closed in the period (A, B) = 50%
    返工率 = 1 return ÷ 3 submissions (A, B, B) = 33.3%
    延期率 = 1 (C) ÷ 4 assigned among those found (A, B, C, D) = 25%
    超期待处置率 = 1 (D, due 6 Nov) ÷ 3 on the clock (C, D, G) = 33.3%
    准确派遣率 = (4 − 1 declined: D) ÷ 4 = 75%
    结案率 = 2 closed (A, B) ÷ 5 found (A–E; F voided) = 40%
    平均处置时长 = (2 + 6) ÷ 2 = 4.0 working days
    反弹率 = 1 reopened (G) ÷ 2 closed out in the period (A, B) = 50%
    composite = 0.4×30 + 0.5×20 + (1−1/3)×20 + (1−1/3)×20 + (1−0.25)×10
              = 12 + 10 + 13.333 + 13.333 + 7.5 = 56.2
    """
    panel = kpi_panel(tx.unit, START, END)
    figures = {kpi.key: value for kpi, value in panel.rows}
    assert figures == {
        "sign_on_time": "66.7%",
        "on_time": "50.0%",
        "rework": "33.3%",
        "extension": "25.0%",
        "overdue_open": "33.3%",
        "accurate": "75.0%",
        "closure": "40.0%",
        "mean_days": "4.0",
        "relapse": "50.0%",
    }
    assert panel.composite == 56.2


@time_machine.travel(at(11, 27, 12), tick=False)
def test_unit_kpis_and_composite(tx, november):
    """执法局 (A, B, G): 结案率 2/2, 按期 1/2, 返工 1/3, 延期 0/2, 超期待处置 0/1 (G not overdue):
    30 + 10 + 13.333 + 20 + 10 = 83.3.
    卫健局 (C, D): 结案率 0/2, nothing closed or submitted (按期 and 返工 drop out), 超期待处置 1/2,
    延期 1/2: (0×30 + 0.5×20 + 0.5×10) ÷ (30 + 20 + 10) × 100 = 25.0."""
    units = kpi_counts(tx.unit, START, END, "responsible_unit")
    law, health = units[tx.department.pk], units[tx.department2.pk]
    assert law.composite() == 83.3
    assert health.composite() == 25.0
    assert health.display("on_time") == DASH and health.display("rework") == DASH
    assert law.display("mean_days") == "4.0" and health.display("mean_days") == DASH
    # The district is the sum of its parts where every ticket has a unit (E has none).
    assert (law + health).assigned == kpi_counts(tx.unit, START, END)[ALL].assigned


def test_nothing_counted_shows_a_dash(tx):
    counts = KpiCounts()
    assert all(counts.display(kpi.key) == DASH for kpi in KPIS)
    assert counts.composite() is None


def test_campaign_weights_choose_the_terms():
    """Only 签收及时率 weighed: the composite is that rate; an unknown key is ignored."""
    counts = KpiCounts(signs=4, signs_late=1)
    assert counts.composite({"sign_on_time": 1, "bogus": 50}) == 75.0
    assert counts.composite({"relapse": 10}) is None
