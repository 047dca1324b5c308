"""The ticket list (filters in the URL, sorting, paging), my tasks and the board's figures."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import Ticket, TicketState

LIST_URL = reverse("campaigns:ticket-list")


def numbers(response):
    return [t.number for t in response.context["page"].object_list]


@pytest.fixture
def spread(tx):
    """A small ledger: one ticket in each state, one overdue, one on another street."""
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        overdue = tx.assigned(deadline=timezone.localdate() + datetime.timedelta(days=2), description="旧的逾期问题")
    tickets = {
        "reported": tx.log(description="新登记的问题"),
        "rectifying": tx.assigned(description="正在整改"),
        "submitted": tx.submitted(description="等待核验"),
        "closed": tx.closed(description="已经销号"),
        "overdue": overdue,
        "street2": tx.log(point=None, place="二街路口", street=tx.street2, category=tx.category2, description="鼠迹"),
    }
    assert overdue.deadline < today
    return tickets


class TestTicketList:
    def test_filters_by_state_and_open(self, client, tx, spread):
        client.force_login(tx.supervisor)
        assert numbers(client.get(LIST_URL, {"state": "submitted"})) == [spread["submitted"].number]
        open_numbers = set(numbers(client.get(LIST_URL, {"state": "open"})))
        assert spread["closed"].number not in open_numbers and spread["reported"].number in open_numbers
        assert len(open_numbers) == 5

    def test_overdue_only(self, client, tx, spread):
        client.force_login(tx.supervisor)
        assert numbers(client.get(LIST_URL, {"overdue": "on"})) == [spread["overdue"].number]

    def test_street_area_category_unit_and_group(self, client, tx, spread):
        client.force_login(tx.supervisor)
        assert numbers(client.get(LIST_URL, {"street": tx.street2.pk})) == [spread["street2"].number]
        assert numbers(client.get(LIST_URL, {"area": tx.area2.pk})) == [spread["street2"].number]
        assert numbers(client.get(LIST_URL, {"category": tx.category2.pk})) == [spread["street2"].number]
        assert len(numbers(client.get(LIST_URL, {"responsible_unit": tx.department.pk}))) == 4
        # Finder group: the staff member who logged belongs to it.
        assert len(numbers(client.get(LIST_URL, {"work_group": tx.finder_group.pk}))) == 6

    def test_free_text_on_number_and_description(self, client, tx, spread):
        client.force_login(tx.supervisor)
        assert numbers(client.get(LIST_URL, {"q": "等待"})) == [spread["submitted"].number]
        assert numbers(client.get(LIST_URL, {"q": spread["closed"].number})) == [spread["closed"].number]

    def test_date_range(self, client, tx, spread):
        client.force_login(tx.supervisor)
        today = timezone.localdate()
        recent = numbers(client.get(LIST_URL, {"found_from": (today - datetime.timedelta(days=1)).isoformat()}))
        assert spread["overdue"].number not in recent and len(recent) == 5
        old = numbers(client.get(LIST_URL, {"found_to": (today - datetime.timedelta(days=5)).isoformat()}))
        assert old == [spread["overdue"].number]

    def test_sorting_and_bad_parameters_are_ignored(self, client, tx, spread):
        client.force_login(tx.supervisor)
        by_deadline = numbers(client.get(LIST_URL, {"sort": "deadline", "state": "rectifying"}))
        assert by_deadline[0] == spread["overdue"].number
        for bad in [
            {"sort": "password"},
            {"sort": "-reported_by__password"},
            {"state": "deleted"},
            {"street": "abc"},
            {"found_from": "not-a-date"},
            {"page": "999"},
            {"page": "-1"},
            {"overdue": "maybe"},
        ]:
            response = client.get(LIST_URL, bad)
            assert response.status_code == 200, bad

    def test_pagination_keeps_the_filter(self, client, tx, settings, spread):
        settings.TICKETS_PER_PAGE = 2
        client.force_login(tx.supervisor)
        response = client.get(LIST_URL, {"state": "open"})
        assert response.context["page"].paginator.num_pages == 3
        assert "state=open&amp;page=2" in response.content.decode()
        page3 = numbers(client.get(LIST_URL, {"state": "open", "page": 3}))
        assert len(page3) == 1

    def test_empty_states(self, client, tx):
        client.force_login(tx.supervisor)
        assert "台账里还没有工单" in client.get(LIST_URL).content.decode()
        assert "没有符合条件的工单" in client.get(LIST_URL, {"q": "不存在"}).content.decode()


class TestMyTasks:
    def test_supervisor_sees_what_to_assign_and_verify(self, client, tx, spread):
        own = tx.submitted(by=tx.supervisor)
        client.force_login(tx.supervisor)
        lists = {t.key: t for t in client.get(reverse("campaigns:my-tasks")).context["task_lists"]}
        assert {t.number for t in lists["assign"].tickets} == {spread["reported"].number, spread["street2"].number}
        verify = {t.number for t in lists["verify"].tickets}
        assert spread["submitted"].number in verify
        assert own.number not in verify  # four eyes: someone else must verify it
        assert "fix" not in lists

    def test_unit_sees_what_to_fix_overdue_first(self, client, tx, spread):
        client.force_login(tx.unit_liaison)
        lists = {t.key: t for t in client.get(reverse("campaigns:my-tasks")).context["task_lists"]}
        assert list(lists) == ["fix"]
        fix = [t.number for t in lists["fix"].tickets]
        assert fix[0] == spread["overdue"].number
        assert set(fix) == {spread["overdue"].number, spread["rectifying"].number}

    def test_unit_does_not_see_other_units_work(self, client, tx, spread):
        tx.assigned(unit=tx.department2, description="卫健局的事")
        client.force_login(tx.unit_liaison)
        fix = {t.key: t for t in client.get(reverse("campaigns:my-tasks")).context["task_lists"]}["fix"]
        assert all(t.responsible_unit == tx.department for t in fix.tickets)

    def test_leader_has_no_tasks(self, client, tx, spread):
        client.force_login(tx.leader)
        response = client.get(reverse("campaigns:my-tasks"))
        assert response.context["task_lists"] == []
        assert "没有需要办理的工单" in response.content.decode()

    def test_fix_link_lists_the_same_tickets(self, client, tx, spread):
        client.force_login(tx.unit_liaison)
        fix = {t.key: t for t in client.get(reverse("campaigns:my-tasks")).context["task_lists"]}["fix"]
        listed = set(numbers(client.get(f"{LIST_URL}?{fix.list_query}")))
        assert listed == {t.number for t in fix.tickets}


class TestBoard:
    def test_figures_match_a_hand_count(self, client, tx, spread):
        workflow.ticket_void(ticket=tx.log(), actor=tx.supervisor, reason="重复")
        client.force_login(tx.leader)
        board = client.get(reverse("campaigns:board", args=["TX"])).context["board"]
        f = board.figures
        assert f["open"] == 5  # reported, rectifying, submitted, overdue, street2
        assert f["overdue"] == 1
        assert f["closed"] == 1 and f["closed_this_week"] == 1
        assert f["total"] == 6  # the voided one does not count
        assert f["voided"] == 1
        assert board.closure_rate == round(100 / 6, 1)
        streets = {s.name: s for s in board.by_street}
        assert streets[tx.street2.name].open == 1
        assert streets[tx.street.name].overdue == 1
        assert board.newest[0].state == TicketState.VOIDED

    def test_figures_link_to_the_list_behind_them(self, client, tx, spread):
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:board", args=["TX"])).content.decode()
        assert f"{LIST_URL}?district={tx.unit.pk}&amp;overdue=on" in html
        assert f"{LIST_URL}?street={tx.street2.pk}&amp;state=open" in html

    def test_board_default_and_home_route_by_role(self, client, tx):
        client.force_login(tx.supervisor)
        assert client.get("/")["Location"] == reverse("campaigns:board-default")
        assert client.get(reverse("campaigns:board-default"))["Location"] == reverse("campaigns:board", args=["TX"])
        client.force_login(tx.staff)
        assert client.get("/")["Location"] == reverse("campaigns:my-tasks")

    def test_countdown_to_inspection(self, client, tx):
        client.force_login(tx.leader)
        html = client.get(reverse("campaigns:board", args=["tx"])).content.decode()
        days = (tx.campaign.inspection_date - timezone.localdate()).days
        assert f"<strong>{days}</strong>" in html

    def test_empty_board(self, client, tx):
        client.force_login(tx.leader)
        assert "还没有登记任何问题" in client.get(reverse("campaigns:board", args=["TX"])).content.decode()
        assert Ticket.objects.count() == 0


def test_long_task_lists_show_thirty_and_the_exact_total(client, tx, settings):
    from campaigns.selectors import tasks

    settings_limit = tasks.MY_TASKS_LIMIT
    tasks.MY_TASKS_LIMIT = 3
    try:
        for _ in range(5):
            tx.log()
        own = tx.submitted(by=tx.supervisor)
        for _ in range(4):
            tx.submitted()
        client.force_login(tx.supervisor)
        lists = {t.key: t for t in client.get(reverse("campaigns:my-tasks")).context["task_lists"]}
        assert len(lists["assign"].tickets) == 3 and lists["assign"].total == 5
        assert len(lists["verify"].tickets) == 3 and lists["verify"].total == 4
        assert own.number not in {t.number for t in lists["verify"].tickets}
    finally:
        tasks.MY_TASKS_LIMIT = settings_limit
