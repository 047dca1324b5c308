"""Stories of the end of the 交办 chain: 复核 up the 销号 levels, 协办 parts, 复查 after 销号."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    ClosingLevel,
    Notification,
    PhotoKind,
    Recheck,
    RecheckResult,
    Role,
    TicketAction,
    TicketCoUnit,
    TicketEvent,
    TicketState,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.policy import ActionForbidden, TransitionRefused
from tests.factories import UserFactory, member, pending_photo

pytestmark = pytest.mark.django_db


def two_levels(tx, photo_at_street=True):
    """街道自查 by the street's 自查组 (a work group), then 创卫办销号 by the supervisors."""
    group = WorkGroup.objects.create(campaign=tx.campaign, kind=WorkGroupKind.WORK_LINE, name="街道自查组")
    checker = member(UserFactory(username="zhou_checker", first_name="周自查"), tx.street, Role.STAFF)
    group.members.add(checker, tx.supervisor)
    ClosingLevel.objects.create(
        campaign=tx.campaign, order=1, name="街道自查", work_group=group, photo_required=photo_at_street
    )
    ClosingLevel.objects.create(campaign=tx.campaign, order=2, name="创卫办销号", role=Role.SUPERVISOR)
    tx.campaign.__dict__.pop("chain_rules", None)
    return checker


class TestTwoLevelChain:
    def test_zhou_checks_on_site_then_the_office_closes(self, tx):
        checker = two_levels(tx)
        ticket = tx.submitted()
        # 周 of the street's group may not skip to 销号, nor pass without a site photo.
        with pytest.raises(TransitionRefused, match="街道自查"):
            workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
        with pytest.raises(TransitionRefused, match="现场核验照片"):
            workflow.ticket_review(ticket=ticket, actor=checker, note="已到现场")
        ticket = workflow.ticket_review(
            ticket=ticket, actor=checker, note="已到现场", photos=[pending_photo(checker, PhotoKind.REVIEW)]
        )
        assert ticket.state == TicketState.SUBMITTED
        assert ticket.review_level == 1 and ticket.reviewed_by == [checker.pk]
        assert ticket.photos.filter(kind=PhotoKind.REVIEW).count() == 1
        # The street checker is no supervisor: the last level is not theirs.
        with pytest.raises(ActionForbidden):
            workflow.ticket_close_out(ticket=ticket, actor=checker)
        ticket = workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="核验通过")
        assert ticket.state == TicketState.CLOSED
        assert ticket.reviewed_by == [checker.pk, tx.supervisor2.pk]
        acts = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
        assert acts.count(TicketAction.REVIEW) == 1 and acts.count(TicketAction.CLOSE_OUT) == 1

    def test_four_eyes_nobody_verifies_twice_and_the_fixer_never(self, tx):
        two_levels(tx, photo_at_street=False)
        # The supervisor is in the street's group too: after passing level 1 he may not close.
        ticket = tx.submitted()
        ticket = workflow.ticket_review(ticket=ticket, actor=tx.supervisor, note="自查通过")
        with pytest.raises(ActionForbidden, match="不能核验两次"):
            workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor)
        ticket = workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
        assert ticket.state == TicketState.CLOSED

    def test_the_fixer_may_not_review_their_own_fix(self, tx):
        two_levels(tx, photo_at_street=False)
        ticket = tx.submitted(by=tx.supervisor)
        with pytest.raises(ActionForbidden, match="双人核验"):
            workflow.ticket_review(ticket=ticket, actor=tx.supervisor, note="")

    def test_return_from_the_second_level_starts_the_chain_again(self, tx):
        checker = two_levels(tx, photo_at_street=False)
        ticket = workflow.ticket_review(ticket=tx.submitted(), actor=checker)
        ticket = workflow.ticket_return(ticket=ticket, actor=tx.supervisor2, reason="仍有垃圾")
        assert ticket.state == TicketState.RECTIFYING and ticket.review_level == 0 and ticket.reviewed_by == []
        event = TicketEvent.objects.filter(ticket=ticket, action=TicketAction.RETURN).get()
        assert event.details["level"] == "创卫办销号"


class TestCoUnits:
    def assigned_with_help(self, tx):
        ticket = tx.log()
        return workflow.ticket_assign(
            ticket=ticket,
            actor=tx.supervisor,
            unit=tx.department,
            deadline=timezone.localdate() + datetime.timedelta(days=3),
            co_units=[tx.street, tx.department2, tx.department],
        )

    def test_the_lead_waits_for_the_street_part_and_the_waived_health_bureau(self, tx):
        ticket = self.assigned_with_help(tx)
        # The lead unit named as its own 协办 is dropped.
        assert ticket.co_units_count == 2
        assert set(TicketCoUnit.objects.filter(ticket=ticket).values_list("unit_id", flat=True)) == {
            tx.street.pk,
            tx.department2.pk,
        }
        workflow.ticket_sign(ticket=ticket, actor=tx.unit_liaison)
        with pytest.raises(TransitionRefused, match="协办单位"):
            workflow.ticket_submit_fix(
                ticket=ticket, actor=tx.unit_liaison, note="已清理", photos=[pending_photo(tx.unit_liaison)]
            )
        # 网格员 of the street submits the street's part.
        with pytest.raises(TransitionRefused):
            workflow.ticket_submit_part(ticket=ticket, actor=tx.staff, note="已清运", photos=[])
        ticket = workflow.ticket_submit_part(
            ticket=ticket, actor=tx.staff, note="已清运", photos=[pending_photo(tx.staff, PhotoKind.PART)]
        )
        part = TicketCoUnit.objects.get(ticket=ticket, unit=tx.street)
        assert part.part_submitted_by == tx.staff and part.part_event.action == TicketAction.SUBMIT_PART
        with pytest.raises(TransitionRefused, match="已提交或已免除"):
            workflow.ticket_submit_part(
                ticket=ticket, actor=tx.staff, note="再交一次", photos=[pending_photo(tx.staff, PhotoKind.PART)]
            )
        # The unit liaison is no 协办 member, so cannot submit a part.
        with pytest.raises(ActionForbidden):
            workflow.ticket_submit_part(
                ticket=ticket, actor=tx.unit_liaison, note="x", photos=[pending_photo(tx.unit_liaison)]
            )
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_waive_part(ticket=ticket, actor=tx.supervisor, unit=tx.department2, reason=" ")
        workflow.ticket_waive_part(ticket=ticket, actor=tx.supervisor, unit=tx.department2, reason="不涉及卫健")
        ticket = workflow.ticket_submit_fix(
            ticket=ticket, actor=tx.unit_liaison, note="已清理", photos=[pending_photo(tx.unit_liaison)]
        )
        assert ticket.state == TicketState.SUBMITTED
        assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.WAIVE_PART).count() == 1

    def test_a_unit_liaison_may_not_waive(self, tx):
        ticket = self.assigned_with_help(tx)
        with pytest.raises(ActionForbidden):
            workflow.ticket_waive_part(ticket=ticket, actor=tx.unit_liaison, unit=tx.street, reason="不需要")


class TestRecheck:
    def test_kept_at_day_7_and_relapsed_at_day_15(self, tx):
        ticket = tx.closed()
        closed_on = timezone.localdate()
        rechecks = list(Recheck.objects.filter(ticket=ticket).order_by("due_on"))
        assert [(r.days_after, r.due_on, r.street_id) for r in rechecks] == [
            (7, closed_on + datetime.timedelta(days=7), tx.street.pk),
            (15, closed_on + datetime.timedelta(days=15), tx.street.pk),
            (30, closed_on + datetime.timedelta(days=30), tx.street.pk),
        ]
        with pytest.raises(TransitionRefused, match="没有到期的复查"):
            workflow.ticket_recheck(ticket=ticket, actor=tx.staff, kept=True)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
            ticket = workflow.ticket_recheck(ticket=ticket, actor=tx.staff, kept=True, note="保持良好")
            assert ticket.state == TicketState.CLOSED
        assert Recheck.objects.get(ticket=ticket, days_after=7).result == RecheckResult.KEPT
        with time_machine.travel(timezone.now() + datetime.timedelta(days=15), tick=False):
            with pytest.raises(TransitionRefused, match="照片"):
                workflow.ticket_recheck(ticket=ticket, actor=tx.staff, kept=False, note="又有垃圾")
            ticket = workflow.ticket_recheck(
                ticket=ticket,
                actor=tx.staff,
                kept=False,
                note="又有垃圾",
                photos=[pending_photo(tx.staff, PhotoKind.RECHECK)],
            )
            assert ticket.state == TicketState.RECTIFYING
            assert ticket.reopen_count == 1
            assert ticket.deadline == timezone.localdate() + datetime.timedelta(days=3)  # 垃圾暴露: 3 days
        assert Recheck.objects.get(ticket=ticket, days_after=15).result == RecheckResult.RELAPSED
        assert Recheck.objects.get(ticket=ticket, days_after=30).cancelled
        assert ticket.photos.filter(kind=PhotoKind.RECHECK).count() == 1

    def test_a_leader_or_another_street_may_not_recheck(self, tx, td):
        ticket = tx.closed()
        with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
            with pytest.raises(ActionForbidden):
                workflow.ticket_recheck(ticket=ticket, actor=tx.leader, kept=True)
            with pytest.raises(ActionForbidden):
                workflow.ticket_recheck(ticket=ticket, actor=tx.unit_liaison, kept=True)

    def test_two_relapses_at_the_market_propose_supervision(self, tx):
        for round_ in range(2):
            ticket = tx.closed()
            with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
                ticket = workflow.ticket_recheck(
                    ticket=ticket,
                    actor=tx.staff,
                    kept=False,
                    note=f"第{round_ + 1}次反弹",
                    photos=[pending_photo(tx.staff, PhotoKind.RECHECK)],
                )
        events = TicketEvent.objects.filter(action=TicketAction.RECHECK_RELAPSED).order_by("id")
        assert [e.details.get("propose_supervision", False) for e in events] == [False, True]
        bells = Notification.objects.filter(title__startswith="拟挂牌督办")
        assert set(bells.values_list("recipient_id", flat=True)) == {tx.supervisor.pk, tx.supervisor2.pk}

    def test_reopen_cancels_the_planned_rechecks(self, tx):
        ticket = tx.closed()
        deadline = timezone.localdate() + datetime.timedelta(days=2)
        workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="反弹", deadline=deadline)
        assert not Recheck.objects.filter(ticket=ticket, cancelled=False).exists()
