"""申请延期/同意延期/驳回延期, 挂账 and its return, 挂牌督办 and the 督办单: stories at the suite's
frozen Friday (2026-12-04) unless a test travels."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from campaigns import workflow
from campaigns.models import (
    Notification,
    NotificationKind,
    PhotoKind,
    Supervision,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketState,
)
from campaigns.selectors.board import board_build
from campaigns.services.outbox import outbox_drain
from campaigns.services.supervision import supervision_propose
from campaigns.workflow import ActionForbidden, TransitionRefused

from .conftest import BEIJING
from .factories import pending_photo

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 4)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _friday():
    """These stories are written for Friday 2026-12-04, even when make test-clocks moves the
    process clock (a test that needs another day travels from here)."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=BEIJING), tick=True):
        yield


def told(kind):
    return sorted(n.recipient.username for n in Notification.objects.filter(kind=kind))


class TestExtension:
    def test_unit_asks_supervisor_agrees_and_the_deadline_moves(self, tx):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        ticket = workflow.ticket_request_extension(
            ticket=ticket,
            actor=tx.unit_liaison,
            until=TODAY + 10 * DAY,
            reason="需采购新垃圾桶",
            photos=[pending_photo(tx.unit_liaison)],
        )
        assert ticket.extension_requested_until == TODAY + 10 * DAY
        assert ticket.photos.filter(kind=PhotoKind.EVIDENCE).count() == 1
        outbox_drain()
        # The supervisors hear of the request (the bell), not the unit that asked.
        assert told(NotificationKind.TICKET_EXTENSION) == ["tx_supervisor", "tx_supervisor2"]

        ticket = workflow.ticket_approve_extension(ticket=ticket, actor=tx.supervisor)
        assert ticket.deadline == TODAY + 10 * DAY
        assert ticket.extensions_used == 1
        assert ticket.extension_requested_until is None
        event = ticket.events.get(action=TicketAction.APPROVE_EXTENSION)
        assert event.details["previous_deadline"] == (TODAY + 3 * DAY).isoformat()
        assert event.details["deadline"] == (TODAY + 10 * DAY).isoformat()
        outbox_drain()
        assert "tx_unit" in told(NotificationKind.TICKET_EXTENSION)

    def test_supervisor_may_grant_another_date(self, tx):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 30 * DAY, reason="工程")
        ticket = workflow.ticket_approve_extension(ticket=ticket, actor=tx.supervisor, deadline=TODAY + 7 * DAY)
        assert ticket.deadline == TODAY + 7 * DAY

    def test_rejected_request_leaves_the_deadline(self, tx):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        workflow.ticket_request_extension(
            ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="人手不足"
        )
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_reject_extension(ticket=ticket, actor=tx.supervisor, reason=" ")
        ticket = workflow.ticket_reject_extension(ticket=ticket, actor=tx.supervisor, reason="三天足够")
        assert ticket.deadline == TODAY + 3 * DAY
        assert ticket.extension_requested_until is None
        assert ticket.extensions_used == 0

    def test_request_needs_a_reason_and_a_later_date(self, tx):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="")
        with pytest.raises(TransitionRefused, match="晚于现在的整改时限"):
            workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 3 * DAY, reason="x")
        ticket.refresh_from_db()
        assert ticket.extension_requested_until is None
        assert not ticket.events.filter(action=TicketAction.REQUEST_EXTENSION).exists()

    def test_only_the_unit_asks_and_only_supervisors_answer(self, tx, td):
        ticket = tx.assigned()
        for who in ("staff", "leader", "supervisor"):  # a supervisor never asks on the unit's behalf
            with pytest.raises(ActionForbidden):
                workflow.ticket_request_extension(
                    ticket=ticket, actor=getattr(tx, who), until=TODAY + 9 * DAY, reason="x"
                )
        with pytest.raises(ActionForbidden):
            workflow.ticket_request_extension(ticket=ticket, actor=td.unit_liaison, until=TODAY + 9 * DAY, reason="x")
        workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="x")
        with pytest.raises(TransitionRefused, match="等待审批"):
            workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="x")
        for who in ("unit_liaison", "staff", "leader"):
            with pytest.raises(ActionForbidden):
                workflow.ticket_approve_extension(ticket=ticket, actor=getattr(tx, who))

    def test_unsigned_ticket_cannot_ask_yet(self, tx):
        ticket = tx.assigned(signed=False)
        with pytest.raises(TransitionRefused, match="待签收"):
            workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="x")

    def test_no_more_than_the_campaigns_limit(self, tx):
        tx.campaign.max_extensions = 1
        tx.campaign.save()
        ticket = tx.assigned()
        workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="一")
        workflow.ticket_approve_extension(ticket=ticket, actor=tx.supervisor)
        with pytest.raises(TransitionRefused, match="达到上限"):
            workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 20 * DAY, reason="二")

    def test_approve_refused_if_the_limit_came_down_while_waiting(self, tx):
        ticket = tx.assigned()
        workflow.ticket_request_extension(ticket=ticket, actor=tx.unit_liaison, until=TODAY + 9 * DAY, reason="一")
        Ticket.objects.filter(pk=ticket.pk).update(extensions_used=2)  # the campaign's default limit
        with pytest.raises(TransitionRefused, match="达到上限"):
            workflow.ticket_approve_extension(ticket=ticket, actor=tx.supervisor)
        workflow.ticket_reject_extension(ticket=ticket, actor=tx.supervisor, reason="已达上限")


class TestHold:
    def test_supervisor_holds_and_the_ticket_leaves_the_clock(self, tx):
        ticket = tx.assigned(deadline=TODAY + 2 * DAY)
        ticket = workflow.ticket_hold(
            ticket=ticket, actor=tx.supervisor, until=TODAY + 60 * DAY, reason="需列入明年预算"
        )
        assert ticket.state == TicketState.ON_HOLD
        assert ticket.hold_until == TODAY + 60 * DAY
        with time_machine.travel(datetime.datetime(2027, 1, 10, 10, tzinfo=BEIJING)):
            ticket.refresh_from_db()
            assert not ticket.is_overdue
            assert not Ticket.objects.overdue().filter(pk=ticket.pk).exists()
            assert board_build(tx.unit).figures["overdue"] == 0

    def test_hold_needs_reason_future_date_and_a_manager(self, tx):
        ticket = tx.assigned()
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_hold(ticket=ticket, actor=tx.supervisor, until=TODAY + 9 * DAY, reason="")
        with pytest.raises(TransitionRefused, match="晚于今天"):
            workflow.ticket_hold(ticket=ticket, actor=tx.supervisor, until=TODAY, reason="x")
        for who in ("unit_liaison", "staff", "leader"):
            with pytest.raises(ActionForbidden):
                workflow.ticket_hold(ticket=ticket, actor=getattr(tx, who), until=TODAY + 9 * DAY, reason="x")
        submitted = tx.submitted()
        with pytest.raises(TransitionRefused, match="待核验"):
            workflow.ticket_hold(ticket=submitted, actor=tx.supervisor, until=TODAY + 9 * DAY, reason="x")

    def test_manual_resume_gives_back_the_days_that_were_left(self, tx):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        workflow.ticket_hold(ticket=ticket, actor=tx.supervisor, until=TODAY + 60 * DAY, reason="雨季")
        with time_machine.travel(datetime.datetime(2026, 12, 20, 9, tzinfo=BEIJING)):
            ticket = workflow.ticket_resume(ticket=ticket, actor=tx.admin, note="天晴了")
        assert ticket.state == TicketState.RECTIFYING
        assert ticket.hold_until is None
        assert ticket.deadline == datetime.date(2026, 12, 23)
        with pytest.raises(TransitionRefused):
            workflow.ticket_resume(ticket=ticket, actor=tx.admin)

    def test_daily_task_resumes_each_due_hold_once(self, tx):
        due = tx.assigned(deadline=TODAY + 1 * DAY)
        later = tx.assigned()
        workflow.ticket_hold(ticket=due, actor=tx.supervisor, until=TODAY + 5 * DAY, reason="施工")
        workflow.ticket_hold(ticket=later, actor=tx.supervisor, until=TODAY + 40 * DAY, reason="预算")
        with time_machine.travel(datetime.datetime(2026, 12, 9, 0, 7, tzinfo=BEIJING)):
            assert workflow.resume_due_holds() == 1
            assert workflow.resume_due_holds() == 0
        due.refresh_from_db()
        later.refresh_from_db()
        assert due.state == TicketState.RECTIFYING
        assert due.deadline == datetime.date(2026, 12, 10)
        assert later.state == TicketState.ON_HOLD
        resumed = TicketEvent.objects.filter(action=TicketAction.RESUME)
        assert resumed.count() == 1
        assert resumed.get().actor.username == "system"
        assert not resumed.get().actor.is_active

    def test_the_task_is_on_beat(self):
        assert settings.CELERY_BEAT_SCHEDULE["resume-due-holds"]["task"] == "campaigns.tasks.resume_due_holds"

    def test_list_filter_and_board_count_held_tickets(self, client, tx):
        held = tx.assigned()
        tx.assigned()
        workflow.ticket_hold(ticket=held, actor=tx.supervisor, until=TODAY + 9 * DAY, reason="预算")
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:ticket-list"), {"state": "on_hold"}).content.decode()
        assert held.number in html
        board = board_build(tx.unit)
        assert dict((state, count) for state, _label, count in board.by_state)[TicketState.ON_HOLD] == 1


class TestSupervision:
    def supervise(self, tx, ticket, number="铁创督〔2026〕1号"):
        return workflow.ticket_supervise(
            ticket=ticket,
            actor=tx.supervisor,
            document_number=number,
            supervising_unit="铁西区创卫办",
            leader="李副区长",
            deadline=TODAY + 15 * DAY,
            reason="多次反弹",
        )

    def test_supervisor_lists_a_ticket_and_the_sheet_prints(self, client, tx):
        ticket = tx.assigned()
        supervision = self.supervise(tx, ticket)
        ticket.refresh_from_db()
        assert ticket.supervised_at == supervision.created_at
        assert ticket.state == TicketState.RECTIFYING
        outbox_drain()
        assert "tx_unit" in told(NotificationKind.TICKET_SUPERVISED)
        for who in ("unit_liaison", "leader", "staff"):
            client.force_login(getattr(tx, who))
            response = client.get(reverse("campaigns:ticket-supervision", args=[ticket.number]))
            assert response.status_code == 200
            html = response.content.decode()
            for text in ("铁创督〔2026〕1号", "铁西区创卫办", "李副区长", "多次反弹", tx.department.name, "督办单"):
                assert text in html
        detail = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert reverse("campaigns:ticket-supervision", args=[ticket.number]) in detail
        assert [t.number for t in board_build(tx.unit).supervised] == [ticket.number]

    def test_document_number_is_unique_in_the_district(self, tx, td):
        self.supervise(tx, tx.assigned())
        other = tx.assigned()
        with pytest.raises(TransitionRefused, match="已用过"):
            self.supervise(tx, other)
        other.refresh_from_db()
        assert other.supervised_at is None
        self.supervise(td, td.assigned())  # another district may use the same number
        assert Supervision.objects.count() == 2

    def test_only_managers_list_and_only_once(self, tx):
        ticket = tx.assigned()
        for who in ("unit_liaison", "staff", "leader"):
            with pytest.raises(ActionForbidden):
                workflow.ticket_supervise(
                    ticket=ticket,
                    actor=getattr(tx, who),
                    document_number="1",
                    supervising_unit="x",
                    leader="x",
                    deadline=TODAY,
                )
        self.supervise(tx, ticket)
        with pytest.raises(TransitionRefused, match="已挂牌督办"):
            self.supervise(tx, ticket, number="2")

    def test_sheet_of_an_unsupervised_ticket_is_404(self, client, tx, td):
        ticket = tx.assigned()
        client.force_login(tx.supervisor)
        assert client.get(reverse("campaigns:ticket-supervision", args=[ticket.number])).status_code == 404
        self.supervise(tx, ticket)
        client.force_login(td.supervisor)
        assert client.get(reverse("campaigns:ticket-supervision", args=[ticket.number])).status_code == 404

    def test_proposal_tells_the_supervisors_once_a_day(self, tx):
        ticket = tx.closed()
        supervision_propose(ticket, "复查再次反弹")
        supervision_propose(ticket, "复查再次反弹")
        assert told(NotificationKind.SUPERVISION_PROPOSED) == ["tx_supervisor", "tx_supervisor2"]


class TestPages:
    def test_unit_requests_through_the_page_and_the_request_shows(self, client, tx, django_capture_on_commit_callbacks):
        ticket = tx.assigned(deadline=TODAY + 3 * DAY)
        client.force_login(tx.unit_liaison)
        url = reverse("campaigns:ticket-ext-request", args=[ticket.number])
        response = client.post(url, {"until": "2026-12-05", "reason": "x"})
        assert response.status_code == 400
        assert "晚于现在的整改时限" in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):  # the page's cached parts move on
            response = client.post(url, {"until": "2026-12-20", "reason": "需采购"})
        assert response.status_code == 302
        client.post(url, {"until": "2026-12-20", "reason": "需采购"})  # sent twice
        assert ticket.events.filter(action=TicketAction.REQUEST_EXTENSION).count() == 1
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "待审批" in html and "2026-12-20" in html
        assert reverse("campaigns:ticket-ext-approve", args=[ticket.number]) in html
        response = client.post(reverse("campaigns:ticket-ext-approve", args=[ticket.number]), {})
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.deadline == datetime.date(2026, 12, 20)

    def test_hold_and_resume_through_the_page(self, client, tx, django_capture_on_commit_callbacks):
        ticket = tx.assigned()
        client.force_login(tx.supervisor)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("campaigns:ticket-hold", args=[ticket.number]), {"until": "2027-03-01", "reason": "冬季停工"}
            )
        assert response.status_code == 302
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "2027-03-01" in html
        response = client.post(reverse("campaigns:ticket-resume", args=[ticket.number]), {})
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.state == TicketState.RECTIFYING

    def test_supervise_with_a_taken_number_says_so(self, client, tx):
        first, second = tx.assigned(), tx.assigned()
        client.force_login(tx.supervisor)
        data = {
            "document_number": "督1",
            "supervising_unit": "创卫办",
            "leader": "李",
            "deadline": "2026-12-30",
            "reason": "反弹",
        }
        assert client.post(reverse("campaigns:ticket-supervise", args=[first.number]), data).status_code == 302
        response = client.post(reverse("campaigns:ticket-supervise", args=[second.number]), data)
        assert response.status_code == 409
        assert "已用过" in response.content.decode()
