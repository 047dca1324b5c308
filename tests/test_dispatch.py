"""退单, 改派, 催办, 超时未签收 and the overdue ladder (逾期升级, 黄牌), as the district lives them."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import Membership, Notice, Notification, Role, Ticket, TicketAction, TicketEvent, TicketState
from campaigns.selectors.board import board_build
from campaigns.selectors.dispatch import dispatch_accuracy
from campaigns.services.outbox import outbox_drain
from campaigns.services.system_actor import system_user as system_actor
from campaigns.workflow.ladder import escalation_run
from tests.conftest import BEIJING, login
from tests.factories import UserFactory, form_key, member


@pytest.fixture
def wang(tx):
    """王科长, the liaison of 卫健局 (tx.department2)."""
    return member(UserFactory(username="wang_kezhang", first_name="王科长"), tx.department2, Role.STAFF)


def told(user):
    """What this person was told about 退单, 改派, 催办 and the ladder (not the 登记 or 交办)."""
    kinds = ("ticket_declined", "ticket_reassigned", "ticket_urged", "ticket_escalated")
    return list(
        Notification.objects.filter(recipient=user, kind__in=kinds).order_by("id").values_list("kind", flat=True)
    )


class TestDecline:
    def test_wang_hands_back_a_ticket_that_belongs_to_the_enforcement_bureau(self, tx, wang):
        ticket = tx.assigned(unit=tx.department2, signed=False)
        workflow.ticket_decline(ticket=ticket, actor=wang, reason="占道经营归执法局管", suggested_unit=tx.department)
        ticket.refresh_from_db()
        assert ticket.state == TicketState.REPORTED
        assert ticket.responsible_unit is None and ticket.deadline is None and ticket.sign_due_at is None
        assert ticket.responsible_person == "" and ticket.work_group is None and ticket.signed_at is None
        event = ticket.events.order_by("-id").first()
        assert event.action == TicketAction.DECLINE and event.note == "占道经营归执法局管"
        assert event.details["unit_id"] == tx.department2.pk
        assert event.details["suggested_unit_id"] == tx.department.pk
        outbox_drain()
        assert told(tx.supervisor) == ["ticket_declined"] and told(tx.supervisor2) == ["ticket_declined"]
        assert told(wang) == []
        # The district sends it on with 改派 (a second 交办 is refused), to the right unit this time.
        with pytest.raises(workflow.TransitionRefused, match="改派"):
            workflow.ticket_assign(
                ticket=ticket, actor=tx.supervisor, unit=tx.department, deadline=timezone.localdate()
            )
        ticket = workflow.ticket_reassign(
            ticket=ticket,
            actor=tx.supervisor,
            unit=tx.department,
            deadline=timezone.localdate(),
            reason="按退单建议改派执法局",
            co_units=[tx.street],
        )
        assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department
        assert ticket.co_unit_ids == {tx.street.pk}
        assert [e.action for e in ticket.events.order_by("id")][-2:] == [TicketAction.DECLINE, TicketAction.REASSIGN]

    def test_a_fresh_ticket_is_assigned_not_reassigned(self, tx):
        ticket = tx.log()
        with pytest.raises(workflow.TransitionRefused, match="还没有交办"):
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor, unit=tx.department, deadline=timezone.localdate(), reason="x"
            )
        assert TicketAction.REASSIGN not in workflow.actions_for(ticket, tx.supervisor)

    def test_a_signed_ticket_may_be_declined_too(self, tx):
        ticket = tx.assigned()
        workflow.ticket_decline(ticket=ticket, actor=tx.unit_liaison, reason="不是本单位的")
        assert Ticket.objects.get(pk=ticket.pk).state == TicketState.REPORTED

    def test_only_the_unit_declines_and_only_with_a_reason(self, tx, wang):
        ticket = tx.assigned(unit=tx.department2, signed=False)
        for outsider in (tx.supervisor, tx.staff, tx.unit_liaison, tx.leader):
            with pytest.raises(workflow.ActionForbidden):
                workflow.ticket_decline(ticket=ticket, actor=outsider, reason="不是我们的")
        with pytest.raises(workflow.TransitionRefused, match="退单必须填写原因"):
            workflow.ticket_decline(ticket=ticket, actor=wang, reason="  ")
        with pytest.raises(workflow.TransitionRefused, match="建议的责任单位"):
            workflow.ticket_decline(ticket=ticket, actor=wang, reason="不是我们的", suggested_unit=tx.department2)
        ticket.refresh_from_db()
        assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department2
        assert not ticket.events.filter(action=TicketAction.DECLINE).exists()

    def test_a_submitted_fix_can_no_longer_be_declined(self, tx):
        ticket = tx.submitted()
        with pytest.raises(workflow.TransitionRefused, match="不能执行“退单”"):
            workflow.ticket_decline(ticket=ticket, actor=tx.unit_liaison, reason="不是我们的")

    def test_the_form_on_the_ticket_page(self, client, tx, wang):
        ticket = tx.assigned(unit=tx.department2, signed=False)
        login(client, wang)
        page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert reverse("campaigns:ticket-decline", args=[ticket.number]) in page
        url = reverse("campaigns:ticket-decline", args=[ticket.number])
        assert client.post(url, {"reason": ""}).status_code == 400
        answer = client.post(url, {"reason": "归执法局", "suggested_unit": tx.department.pk})
        assert answer.status_code == 302
        assert Ticket.objects.get(pk=ticket.pk).state == TicketState.REPORTED
        # Sent again (a double tap): the ticket is 待交办 now, and nothing more is recorded.
        assert client.post(url, {"reason": "归执法局"}).status_code in (403, 409)
        assert ticket.events.filter(action=TicketAction.DECLINE).count() == 1


class TestReassign:
    def test_li_moves_a_ticket_from_health_to_enforcement_and_health_is_not_charged(self, tx):
        ticket = tx.assigned(unit=tx.department2, signed=True)
        deadline = timezone.localdate() + datetime.timedelta(days=5)
        workflow.ticket_reassign(
            ticket=ticket,
            actor=tx.supervisor,
            unit=tx.department,
            deadline=deadline,
            reason="属执法局职责",
            person="刘队",
        )
        ticket.refresh_from_db()
        assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department
        assert ticket.signed_at is None and ticket.sign_due_at > timezone.now()
        assert ticket.deadline == deadline and ticket.responsible_person == "刘队"
        event = ticket.events.order_by("-id").first()
        assert event.details["from_unit_id"] == tx.department2.pk and event.details["to_unit_id"] == tx.department.pk
        board = board_build(tx.unit)
        assert tx.department2.pk not in {row.pk for row in board.by_unit}
        outbox_drain()
        assert told(tx.unit_liaison) == ["ticket_reassigned"]

    def test_refusals_change_nothing(self, tx, td):
        ticket = tx.assigned(unit=tx.department2, signed=False)
        deadline = timezone.localdate() + datetime.timedelta(days=5)
        with pytest.raises(workflow.ActionForbidden):
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.unit_liaison, unit=tx.department, deadline=deadline, reason="x"
            )
        with pytest.raises(workflow.TransitionRefused, match="换一个责任单位"):
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor, unit=tx.department2, deadline=deadline, reason="x"
            )
        with pytest.raises(workflow.TransitionRefused, match="本区"):
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor, unit=td.department, deadline=deadline, reason="x"
            )
        with pytest.raises(workflow.TransitionRefused, match="改派必须填写原因"):
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor, unit=tx.department, deadline=deadline, reason=""
            )
        assert Ticket.objects.get(pk=ticket.pk).responsible_unit == tx.department2

    def test_the_form_offers_the_district_units_but_the_current_one(self, client, tx):
        ticket = tx.assigned(unit=tx.department2, signed=False)
        login(client, tx.supervisor)
        url = reverse("campaigns:ticket-reassign", args=[ticket.number])
        answer = client.post(url, {"responsible_unit": tx.department2.pk, "deadline_workdays": 3, "reason": "x"})
        assert answer.status_code == 400  # not offered: the ticket is there already
        answer = client.post(url, {"responsible_unit": tx.department.pk, "deadline_workdays": 3, "reason": "执法局"})
        assert answer.status_code == 302
        assert Ticket.objects.get(pk=ticket.pk).responsible_unit == tx.department

    def test_a_page_drawn_before_another_reassign_is_refused_and_changes_nothing(
        self, client, tx, django_capture_on_commit_callbacks
    ):
        # 李 and 王 both open the ticket at the 卫健局; 王 moves it to the street first.
        ticket = tx.assigned(unit=tx.department2, signed=False)
        login(client, tx.supervisor)
        page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert f'name="seen_unit" value="{tx.department2.pk}"' in page
        with django_capture_on_commit_callbacks(execute=True):  # the page's cached parts move on
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor2, unit=tx.street, deadline=timezone.localdate(), reason="归街道"
            )
        url = reverse("campaigns:ticket-reassign", args=[ticket.number])
        answer = client.post(
            url,
            {
                "responsible_unit": tx.department.pk,
                "deadline_workdays": 3,
                "reason": "执法局",
                "seen_unit": tx.department2.pk,
            },
        )
        assert answer.status_code == 409
        assert "工单已被改派，现在的责任单位是“" in answer.content.decode()
        # The timeline says where 王 sent it.
        assert f"{tx.department2.name} → {tx.street.name}" in answer.content.decode()
        assert Ticket.objects.get(pk=ticket.pk).responsible_unit == tx.street
        hold = client.post(
            reverse("campaigns:ticket-hold", args=[ticket.number]),
            {
                "until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                "reason": "施工",
                "seen_unit": tx.department2.pk,
            },
        )
        assert hold.status_code == 409
        assert Ticket.objects.get(pk=ticket.pk).state == TicketState.ASSIGNED

    def test_accuracy_counts_first_assignments_that_stuck(self, tx):
        right = tx.assigned()
        moved = tx.assigned(unit=tx.department2)
        workflow.ticket_reassign(
            ticket=moved, actor=tx.supervisor, unit=tx.department, deadline=timezone.localdate(), reason="x"
        )
        tx.log()  # never assigned: not counted
        assert dispatch_accuracy(Ticket.objects.filter(district=tx.unit)) == 50.0
        assert dispatch_accuracy(Ticket.objects.filter(pk=right.pk)) == 100.0
        assert dispatch_accuracy(Ticket.objects.none()) is None


class TestUrge:
    def test_zhou_urges_and_the_liaison_and_the_head_hear_it(self, tx):
        head = UserFactory(username="head_zhifa", first_name="赵局长")
        tx.department.head = head
        tx.department.save()
        ticket = tx.assigned()
        workflow.ticket_urge(ticket=ticket, actor=tx.supervisor, note="明天检查组来，今天务必整改")
        event = ticket.events.order_by("-id").first()
        assert event.action == TicketAction.URGE and event.to_state == TicketState.RECTIFYING
        outbox_drain()
        assert told(tx.unit_liaison) == ["ticket_urged"] and told(head) == ["ticket_urged"]
        assert told(tx.supervisor) == []

    def test_the_unit_cannot_urge_itself_nor_is_a_blank_urge_sent(self, tx):
        ticket = tx.assigned()
        with pytest.raises(workflow.ActionForbidden):
            workflow.ticket_urge(ticket=ticket, actor=tx.unit_liaison, note="快")
        with pytest.raises(workflow.TransitionRefused, match="催办内容"):
            workflow.ticket_urge(ticket=ticket, actor=tx.supervisor, note="")
        assert not ticket.events.filter(action=TicketAction.URGE).exists()


class TestSignLate:
    def test_a_ticket_not_signed_in_time_shows_and_counts(self, client, tx):
        ticket = tx.assigned(signed=False)
        assert not Ticket.objects.sign_late().exists()
        with time_machine.travel(timezone.now() + datetime.timedelta(days=10), tick=False):
            assert list(Ticket.objects.sign_late()) == [ticket]
            board = board_build(tx.unit)
            assert board.figures["sign_late"] == 1
            assert {row.pk: row.sign_late for row in board.by_unit}[tx.department.pk] == 1
            login(client, tx.supervisor)
            page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
            assert "超时未签收" in page


GOLDEN_WEEK_EVE = datetime.datetime(2026, 9, 29, 10, 0, tzinfo=BEIJING)


def at(day, hour=9):
    return datetime.datetime(2026, day[0], day[1], hour, 0, tzinfo=BEIJING)


class TestLadder:
    def test_the_ladder_climbs_in_working_days_across_golden_week(self, tx):
        head = UserFactory(username="head_zhifa", first_name="赵局长")
        tx.department.head = head
        tx.department.save()
        with time_machine.travel(GOLDEN_WEEK_EVE, tick=False):
            ticket = tx.assigned(deadline=datetime.date(2026, 9, 30))
        steps = lambda: list(  # noqa: E731 - a short read repeated below
            ticket.events.filter(action=TicketAction.ESCALATE).values_list("details__step", flat=True)
        )
        # 10-07 is the last day of the holiday: seven calendar days late, no working day yet.
        with time_machine.travel(at((10, 7)), tick=False):
            assert escalation_run() == 0
        with time_machine.travel(at((10, 8)), tick=False):
            assert escalation_run() == 1
            assert escalation_run() == 0  # beat ran twice: no second 催办
        assert steps() == [1]
        # 10-10 is a Saturday worked for the holiday (调休): the third working day late.
        with time_machine.travel(at((10, 10)), tick=False):
            escalation_run()
        assert steps() == [1, 2]
        with time_machine.travel(at((10, 14)), tick=False):
            escalation_run()
        ticket.refresh_from_db()
        assert ticket.yellow_card_at is None
        with time_machine.travel(at((10, 15)), tick=False):
            escalation_run()
            escalation_run()
        ticket.refresh_from_db()
        assert steps() == [1, 2, 3] and ticket.escalation_step == 3 and ticket.yellow_card_at is not None
        assert set(ticket.events.filter(action=TicketAction.ESCALATE).values_list("actor__username", flat=True)) == {
            "system"
        }
        outbox_drain()
        assert told(tx.unit_liaison) == ["ticket_escalated", "ticket_escalated"]  # 催办 and 黄牌
        assert told(head) == ["ticket_escalated", "ticket_escalated"]  # step 2 and 黄牌
        assert told(tx.supervisor) == ["ticket_escalated"]  # 黄牌
        board = board_build(tx.unit)
        assert [t.pk for t in board.yellow_cards] == [ticket.pk]

    def test_a_jump_takes_every_step_once_and_held_tickets_are_skipped(self, tx):
        late = tx.assigned(deadline=timezone.localdate())
        held = tx.assigned(deadline=timezone.localdate())
        Ticket.objects.filter(pk=held.pk).update(state=TicketState.ON_HOLD)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=30), tick=False):
            assert escalation_run() == 3
        assert late.events.filter(action=TicketAction.ESCALATE).count() == 3
        assert not held.events.filter(action=TicketAction.ESCALATE).exists()

    def test_the_system_actor_cannot_sign_in_and_holds_no_role(self, tx):
        actor = system_actor()
        assert system_actor() == actor and not actor.is_active and not actor.has_usable_password()
        assert not Membership.objects.filter(user=actor).exists()

    def test_the_yellow_card_is_proposed_in_the_notice_draft(self, client, tx):
        # Found on a Monday in November, drafted in December: the default 通报 is about the
        # last full month, so the story keeps to those dates whatever the process clock.
        with time_machine.travel(at((11, 2)), tick=False):
            ticket = tx.assigned(deadline=timezone.localdate())
        with time_machine.travel(at((12, 8)), tick=True):
            escalation_run()
            login(client, tx.admin)
            client.post(reverse("campaigns:notice-draft", args=[tx.unit.code]), {"submission": form_key()})
        notice = Notice.objects.get()
        assert "黄牌" in notice.overdue_list and ticket.number in notice.overdue_list

    def test_a_reassigned_ticket_starts_the_ladder_again(self, tx):
        ticket = tx.assigned(deadline=timezone.localdate())
        with time_machine.travel(timezone.now() + datetime.timedelta(days=30), tick=True):
            escalation_run()
            workflow.ticket_reassign(
                ticket=ticket, actor=tx.supervisor, unit=tx.department2, deadline=timezone.localdate(), reason="x"
            )
        ticket.refresh_from_db()
        assert ticket.escalation_step == 0 and ticket.yellow_card_at is None
        assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.ESCALATE).count() == 3
