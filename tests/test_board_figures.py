"""The board and the city overview against a hand-counted ledger."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from campaigns import workflow
from campaigns.models import PhotoKind

from .factories import pending_photo

SH = ZoneInfo("Asia/Shanghai")
# Wednesday 18 November 2026: the week began on Monday the 16th, the month on the 1st.
TODAY = datetime.date(2026, 11, 18)


def at(day, hour=10):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def ledger(tx):
    """Seven tickets whose figures can be counted on one hand."""
    made = {}
    with time_machine.travel(at(days_ago(40))):  # October: found last month, closed last month
        made["old_closed"] = tx.closed()
    with time_machine.travel(at(days_ago(10))):  # 8 Nov: due yesterday → overdue today
        made["overdue"] = tx.assigned(deadline=days_ago(1), unit=tx.department)
    with time_machine.travel(at(days_ago(9))):  # 9 Nov: due today → not overdue yet
        made["due_today"] = tx.assigned(deadline=TODAY, unit=tx.department2)
    with time_machine.travel(at(days_ago(5))):  # 13 Nov: returned once, then closed on the 16th (this week)
        ticket = tx.submitted(unit=tx.department)
        ticket = workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不合格")
    with time_machine.travel(at(days_ago(2))):
        ticket = workflow.ticket_submit_fix(
            ticket=ticket, actor=tx.unit_liaison, note="再改", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
        )
        made["returned"] = workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor)
    with time_machine.travel(at(days_ago(12))):  # 6 Nov: closed, then came back on the 17th (反弹)
        ticket = tx.closed(unit=tx.department)
    with time_machine.travel(at(days_ago(1))):
        made["reopened"] = workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="反弹", deadline=TODAY)
    with time_machine.travel(at(TODAY, 9)):
        made["new"] = tx.log(point=None, place="二街", street=tx.street2, category=tx.category2)
        made["voided"] = workflow.ticket_void(ticket=tx.log(), actor=tx.supervisor, reason="重复")
    return made


def board(client, user):
    client.force_login(user)
    response = client.get(reverse("campaigns:board", args=["TX"]))
    assert response.status_code == 200
    return response.context["board"]


@time_machine.travel(at(TODAY, 12), tick=False)
def test_headline_figures(client, tx, ledger):
    b = board(client, tx.leader)
    f = b.figures
    assert f["total"] == 6 and f["voided"] == 1
    assert f["open"] == 4  # overdue, due_today, reopened, new
    assert f["overdue"] == 1  # due yesterday; due today is not overdue yet
    assert f["closed"] == 2
    assert f["found_this_week"] == 1 and f["found_this_month"] == 5  # the voided one does not count
    assert f["closed_this_week"] == 1 and f["closed_this_month"] == 1  # the reopened one lost its 销号
    assert f["returns"] == 1 and f["reopens"] == 1
    assert b.closure_rate == round(100 * 2 / 6, 1)
    # Closed in the last 30 days: "returned" took 3 days (13th → 16th).
    assert b.median_days_to_close == 3.0


@time_machine.travel(at(TODAY, 12), tick=False)
def test_units_streets_areas_and_lights(client, tx, ledger):
    tx.campaign.light_overdue_yellow, tx.campaign.light_overdue_red = 1, 2
    tx.campaign.light_closure_green, tx.campaign.light_closure_yellow = 90, 50
    tx.campaign.save()
    b = board(client, tx.leader)
    units = {row.name: row for row in b.by_unit}
    department = units[tx.department.name]
    assert (department.total, department.open, department.overdue, department.closed, department.returns) == (
        4,
        2,
        1,
        2,
        1,
    )
    assert department.overdue_light.color == "yellow" and department.closure_rate == 50.0
    assert department.closure_light.color == "yellow"
    assert b.by_unit[0].name == tx.department.name  # the one that lags comes first
    second = units[tx.department2.name]
    assert second.overdue_light.color == "green" and second.closure_light.color == "red"
    streets = {row.name: row for row in b.by_street}
    assert streets[tx.street2.name].open == 1 and streets[tx.street.name].overdue == 1
    areas = {row.code: row for row in b.by_area}
    assert areas["3"].total == 5 and areas["8"].total == 1
    trend = {day: (found, closed) for day, found, closed in b.trend}
    assert len(b.trend) == 30 and b.trend[-1][0] == TODAY
    assert trend[TODAY] == (1, 0) and trend[days_ago(2)] == (0, 1)


@time_machine.travel(at(TODAY, 12), tick=False)
def test_every_figure_links_to_its_list(client, tx, ledger):
    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:board", args=["TX"])).content.decode()
    listing = reverse("campaigns:ticket-list")
    for link, expected in [
        (f"{listing}?district={tx.unit.pk}&overdue=on&sort=deadline", {ledger["overdue"].number}),
        (f"{listing}?district={tx.unit.pk}&returned=on", {ledger["returned"].number}),
        (f"{listing}?district={tx.unit.pk}&reopened=on", {ledger["reopened"].number}),
        (f"{listing}?district={tx.unit.pk}&state=closed&closed_from=2026-11-16", {ledger["returned"].number}),
    ]:
        assert link.replace("&", "&amp;") in html, link
        numbers = {t.number for t in client.get(link).context["page"].object_list}
        assert numbers == expected, link


def test_wall_mode_refreshes_itself(client, tx):
    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:board-wall", args=["TX"])).content.decode()
    # ledger.js swaps the figures in place every two minutes; a screen without scripts reloads.
    assert 'data-refresh-seconds="120"' in html and 'class="wall"' in html
    assert '<noscript><meta http-equiv="refresh" content="120"></noscript>' in html


def test_city_overview_puts_districts_side_by_side(client, tx, td, city_admin):
    tx.log()
    tx.closed()
    td.assigned()
    client.force_login(city_admin)
    rows = {row.district.code: row for row in client.get(reverse("campaigns:city")).context["rows"]}
    assert rows["TX"].figures["total"] == 2 and rows["TX"].figures["closed"] == 1
    assert rows["TD"].figures["open"] == 1
    client.force_login(tx.admin)
    assert client.get(reverse("campaigns:city")).status_code == 403
    assert client.get("/").status_code == 302


def test_city_admin_lands_on_the_overview(client, tx, city_admin):
    client.force_login(city_admin)
    assert client.get("/")["Location"] == reverse("campaigns:city")


def test_city_overview_query_count_is_constant(client, city, city_admin, django_assert_max_num_queries):
    """Each district's figures come from its board (built once per change); the page itself is flat."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .factories import District

    districts = [District(city, name, code, code.lower()) for name, code in (("铁西区", "TX"), ("铁东区", "TD"))]
    for district in districts:
        district.closed()
    client.force_login(city_admin)

    def warm_count():
        client.get(reverse("campaigns:city"))  # builds and caches each district's board
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("campaigns:city"))
        return response, len(ctx.captured_queries)

    cache.clear()
    _, small = warm_count()
    for name, code in (("梨树县", "LS"), ("伊通县", "YT")):
        district = District(city, name, code, code.lower())
        district.closed()
    for district in districts:
        for _ in range(5):
            district.log()
    cache.clear()
    response, large = warm_count()
    assert response.content.decode().count('<th scope="row"><a href="/board/') == 4
    assert large == small
    with django_assert_max_num_queries(6):
        client.get(reverse("campaigns:city"))
    # Cold, each district costs one board build: bounded, not proportional to tickets.
    cache.clear()
    with django_assert_max_num_queries(6 + 4 * 14):
        client.get(reverse("campaigns:city"))


def test_the_city_counts_overdue_and_the_chain_marks_as_the_district_board_does(tx, city):
    """The city overview builds only a district's headline (no per-street rows): its overdue,
    超时未签收, 黄牌 and 挂牌督办 totals are the board's, counted without grouping."""
    from django.db.models import F
    from django.utils import timezone

    from campaigns.models import Ticket
    from campaigns.selectors.board import board_build

    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        late = [tx.assigned(street=street) for street in (tx.street, tx.street2)]
        Ticket.objects.filter(pk__in=[t.pk for t in late]).update(deadline=F("deadline") - datetime.timedelta(days=10))
        unsigned = tx.assigned(signed=False)
        Ticket.objects.filter(pk=unsigned.pk).update(sign_due_at=timezone.now() - datetime.timedelta(hours=1))
        Ticket.objects.filter(pk=late[0].pk).update(yellow_card_at=timezone.now(), supervised_at=timezone.now())
        tx.assigned()  # on time
        board, headline = board_build(tx.unit), board_build(tx.unit, rows=False)
    expected = {"overdue": 2, "sign_late": 1, "yellow_cards": 1, "supervised": 1, "open": 4}
    assert {name: board.figures[name] for name in expected} == expected
    assert headline.figures == board.figures and headline.by_street == []
