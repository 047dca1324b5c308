"""The board, the city page and the ticket list learn the 交办 chain: 待签收, 超时未签收, 挂账, 黄牌, 挂牌督办."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Ticket, TicketState
from campaigns.services.tally import tally_rebuild
from infra.fragments import district_touch

SH = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime.datetime(2026, 12, 4, 12, tzinfo=SH)


@pytest.fixture
def chain(tx):
    """Mon 30 Nov: 执法局 is handed three problems and signs for none (签收时限 Tue 1 Dec); one of
    them was handed over this morning, still in time. One more is 挂账 until spring, one carries a
    黄牌 and one is 挂牌督办 (the escalation and 复查 acts write these fields; here they are set)."""
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, tzinfo=SH), tick=False):
        late = [tx.assigned(signed=False, deadline=datetime.date(2026, 12, 20)) for _ in range(2)]
    # The rest this Friday morning, whatever the clock the suite runs at.
    with time_machine.travel(FRIDAY - datetime.timedelta(hours=2), tick=False):
        fresh = tx.assigned(signed=False, deadline=datetime.date(2026, 12, 20))
        held, yellow, listed = (tx.assigned(deadline=datetime.date(2026, 12, 20)) for _ in range(3))
        Ticket.objects.filter(pk=held.pk).update(state=TicketState.ON_HOLD, hold_until=datetime.date(2027, 3, 1))
        Ticket.objects.filter(pk=yellow.pk).update(yellow_card_at=timezone.now())
        Ticket.objects.filter(pk=listed.pk).update(supervised_at=timezone.now())
        # States set behind the workflow's back: the rollup is recounted, as the nightly check
        # would, and the district's pages are marked stale, as any write does.
        tally_rebuild([tx.unit.pk])
        district_touch(tx.unit.pk)
    return {"late": late, "fresh": fresh, "held": held, "yellow": yellow, "listed": listed}


@time_machine.travel(FRIDAY, tick=False)
def test_board_counts_the_chain_and_shows_the_kpis_with_formulas(client, tx, chain):
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:board", args=["TX"]))
    figures = response.context["board"].figures
    assert (figures["assigned"], figures["sign_late"], figures["on_hold"]) == (3, 2, 1)
    assert (figures["yellow_cards"], figures["supervised"]) == (1, 1)
    html = response.content.decode()
    assert 'id="kpi-panel"' in html and "签收及时率 = 按时签收次数 ÷ 签收次数（期内签收）" in html
    assert "加权综合指数" in html and "(1 − 返工率) × 20" in html
    assert f"?district={tx.unit.pk}&amp;flag=sign_late" in html


@time_machine.travel(FRIDAY, tick=False)
def test_city_shows_assigned_and_on_hold_per_district(client, tx, td, chain, city_admin):
    client.force_login(city_admin)
    response = client.get(reverse("campaigns:city"))
    row = next(row for row in response.context["rows"] if row.district == tx.unit)
    assert (row.figures["assigned"], row.figures["on_hold"]) == (3, 1)
    assert "state=on_hold" in response.content.decode()


@time_machine.travel(FRIDAY, tick=False)
@pytest.mark.parametrize(
    "query,expected",
    [
        ({"state": "assigned"}, ["late", "late", "fresh"]),
        ({"state": "on_hold"}, ["held"]),
        ({"flag": "sign_late"}, ["late", "late"]),
        ({"flag": "yellow_card"}, ["yellow"]),
        ({"flag": "supervised"}, ["listed"]),
    ],
)
def test_list_filters_by_the_new_states_and_flags(client, tx, chain, query, expected):
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:ticket-list"), query)
    numbers = sorted(ticket.number for ticket in response.context["page"].object_list)
    wanted = []
    for name in expected:
        value = chain[name]
        wanted.extend(t.number for t in (value if isinstance(value, list) else [value]))
    assert numbers == sorted(set(wanted))


def test_an_unknown_flag_is_refused_not_ignored(client, tx, chain):
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:ticket-list"), {"flag": "bogus"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "flag" in response.context["filter"].form.errors


@time_machine.travel(FRIDAY, tick=False)
def test_export_carries_the_chain_columns(client, tx, chain):
    """The 挂账 ticket was signed for this morning at ten and its deadline moved twice."""
    Ticket.objects.filter(pk=chain["held"].pk).update(extensions_used=2)
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:ticket-export", args=["csv"]), {"state": "on_hold"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    header, row = [line.split(",") for line in lines]
    cells = dict(zip(header, row, strict=True))
    assert cells["签收时间"].startswith("2026-12-04 10:00")
    assert (cells["延期次数"], cells["挂账至"], cells["黄牌"], cells["挂牌督办"]) == ("2", "2027-03-01", "", "")
    yellow = client.get(reverse("campaigns:ticket-export", args=["csv"]), {"flag": "yellow_card"})
    header, row = [line.split(",") for line in b"".join(yellow.streaming_content).decode("utf-8-sig").splitlines()]
    assert dict(zip(header, row, strict=True))["黄牌"].startswith("2026-12-04 10:00")


@time_machine.travel(FRIDAY, tick=False)
def test_beat_counts_the_kpi_panel_ahead_so_the_board_never_waits(client, tx, td, chain, monkeypatch, settings):
    """Beat recounts every running district's KPIs every five minutes; Leader Zhao's board then
    shows the panel without counting it (at a busy district's size that takes a second)."""
    from campaigns import tasks
    from campaigns.selectors import board

    assert settings.CELERY_BEAT_SCHEDULE["count-board-kpis"]["task"] == "campaigns.tasks.count_board_kpis"
    assert tasks.count_board_kpis() == 2  # 铁西区 and 大东区 run campaigns

    def counted_during_the_request(*args, **kwargs):
        raise AssertionError("the board counted its KPIs itself")

    monkeypatch.setattr(board, "kpi_panel", counted_during_the_request)
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:board", args=["TX"]))
    assert response.status_code == 200 and 'id="kpi-panel"' in response.content.decode()
