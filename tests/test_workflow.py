"""The 销号 lifecycle: every transition, allowed and refused, per role, with its evidence."""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketAction, TicketEvent, TicketPhoto, TicketState
from campaigns.workflow import ActionForbidden, TransitionRefused

from .factories import pending_photo

A = TicketAction
TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def events(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("action", "from_state", "to_state")
    )


def unchanged(ticket, before_state, before_events):
    ticket.refresh_from_db()
    return ticket.state == before_state and TicketEvent.objects.filter(ticket=ticket).count() == before_events


class TestLog:
    def test_staff_logs_a_problem_with_photo(self, tx):
        ticket = tx.log()
        assert ticket.state == TicketState.REPORTED
        assert ticket.number.startswith(f"TX-{timezone.localdate():%Y%m}-")
        assert ticket.street == tx.street  # from the point's community
        assert ticket.area == tx.area
        assert ticket.finder_group == tx.finder_group
        assert events(ticket) == [(A.LOG, "", TicketState.REPORTED)]
        assert list(ticket.photos.values_list("kind", flat=True)) == [PhotoKind.BEFORE]

    def test_a_street_staffer_logs_straight_to_a_department_which_must_sign(self, tx):
        ticket = tx.log(assignment={"unit": tx.department, "person": "李四", "deadline": TOMORROW})
        assert ticket.state == TicketState.ASSIGNED
        assert ticket.responsible_unit == tx.department and ticket.deadline == TOMORROW
        assert ticket.sign_due_at is not None and ticket.signed_at is None
        assert events(ticket) == [
            (A.LOG, "", TicketState.REPORTED),
            (A.ASSIGN, TicketState.REPORTED, TicketState.ASSIGNED),
        ]

    def test_a_unit_logging_to_itself_signs_implicitly(self, tx):
        ticket = tx.log(
            actor=tx.unit_liaison, assignment={"unit": tx.department, "person": "李四", "deadline": TOMORROW}
        )
        assert ticket.state == TicketState.RECTIFYING and ticket.signed_at is not None
        assert events(ticket) == [
            (A.LOG, "", TicketState.REPORTED),
            (A.ASSIGN, TicketState.REPORTED, TicketState.ASSIGNED),
            (A.SIGN, TicketState.ASSIGNED, TicketState.RECTIFYING),
        ]

    @pytest.mark.parametrize("who", ["leader"])
    def test_read_only_roles_cannot_log(self, tx, who):
        with pytest.raises(ActionForbidden):
            tx.log(actor=getattr(tx, who))

    def test_outsider_cannot_log_into_another_district(self, tx, td):
        with pytest.raises(ActionForbidden):
            tx.log(actor=td.staff)

    def test_photo_is_required(self, tx):
        with pytest.raises(TransitionRefused, match="照片"):
            tx.log(photos=[])

    def test_place_is_required_without_point(self, tx):
        with pytest.raises(TransitionRefused, match="地点"):
            tx.log(point=None, place="  ", street=tx.street)

    def test_another_users_pending_photo_cannot_be_claimed(self, tx):
        stolen = pending_photo(tx.supervisor)
        with pytest.raises(TransitionRefused):
            tx.log(photos=[stolen])
        stolen.refresh_from_db()
        assert stolen.ticket_id is None

    def test_point_of_another_district_is_refused(self, tx, td):
        with pytest.raises(TransitionRefused, match="点位"):
            tx.log(point=td.point)


class TestAssign:
    @pytest.mark.parametrize("who", ["supervisor", "admin"])
    def test_managers_assign(self, tx, who):
        ticket = tx.log()
        ticket = workflow.ticket_assign(
            ticket=ticket,
            actor=getattr(tx, who),
            unit=tx.department,
            person="张三",
            deadline=TOMORROW,
            work_group=tx.work_line,
        )
        assert ticket.state == TicketState.ASSIGNED
        assert ticket.assigned_at is not None and ticket.work_group == tx.work_line
        event = ticket.events.get(action=A.ASSIGN)
        assert event.details["unit"] == tx.department.name
        assert event.details["deadline"] == TOMORROW.isoformat()

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_others_may_not_assign(self, tx, who):
        ticket = tx.log()
        with pytest.raises(ActionForbidden):
            workflow.ticket_assign(ticket=ticket, actor=getattr(tx, who), unit=tx.department, deadline=TOMORROW)
        assert unchanged(ticket, TicketState.REPORTED, 1)

    def test_unit_of_another_district_is_refused(self, tx, td):
        ticket = tx.log()
        with pytest.raises(TransitionRefused, match="责任单位"):
            workflow.ticket_assign(ticket=ticket, actor=tx.supervisor, unit=td.department, deadline=TOMORROW)
        assert unchanged(ticket, TicketState.REPORTED, 1)

    def test_deadline_in_the_past_is_refused(self, tx):
        ticket = tx.log()
        with pytest.raises(TransitionRefused, match="时限"):
            workflow.ticket_assign(
                ticket=ticket,
                actor=tx.supervisor,
                unit=tx.department,
                deadline=timezone.localdate() - datetime.timedelta(days=1),
            )

    def test_cannot_assign_twice(self, tx):
        ticket = tx.assigned()
        with pytest.raises(TransitionRefused, match="整改中"):
            workflow.ticket_assign(ticket=ticket, actor=tx.supervisor, unit=tx.department2, deadline=TOMORROW)
        ticket.refresh_from_db()
        assert ticket.responsible_unit == tx.department


class TestSubmitFix:
    def test_unit_liaison_submits_with_note_and_after_photo(self, tx):
        ticket = tx.submitted()
        assert ticket.state == TicketState.SUBMITTED
        assert ticket.fix_submitted_by == tx.unit_liaison
        event = ticket.events.get(action=A.SUBMIT_FIX)
        assert event.note == "已清理完毕"
        assert list(event.photos.values_list("kind", flat=True)) == [PhotoKind.AFTER]

    def test_street_staff_submit_for_a_community_of_their_street(self, tx):
        ticket = tx.assigned(unit=tx.community)
        ticket = workflow.ticket_submit_fix(
            ticket=ticket, actor=tx.staff, note="已整改", photos=[pending_photo(tx.staff, PhotoKind.AFTER)]
        )
        assert ticket.state == TicketState.SUBMITTED

    def test_staff_of_another_unit_may_not_submit(self, tx):
        ticket = tx.assigned(unit=tx.department2)
        with pytest.raises(ActionForbidden):
            workflow.ticket_submit_fix(
                ticket=ticket, actor=tx.unit_liaison, note="x", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
            )
        assert unchanged(ticket, TicketState.RECTIFYING, 3)

    def test_leader_may_not_submit(self, tx):
        ticket = tx.assigned()
        with pytest.raises(ActionForbidden):
            workflow.ticket_submit_fix(ticket=ticket, actor=tx.leader, note="x", photos=[pending_photo(tx.leader)])

    def test_after_photo_is_required(self, tx):
        ticket = tx.assigned()
        with pytest.raises(TransitionRefused, match="整改后照片"):
            workflow.ticket_submit_fix(ticket=ticket, actor=tx.unit_liaison, note="已整改", photos=[])
        assert unchanged(ticket, TicketState.RECTIFYING, 3)

    def test_note_is_required_and_photo_stays_unclaimed(self, tx):
        ticket = tx.assigned()
        photo = pending_photo(tx.unit_liaison, PhotoKind.AFTER)
        with pytest.raises(TransitionRefused, match="整改情况"):
            workflow.ticket_submit_fix(ticket=ticket, actor=tx.unit_liaison, note="  ", photos=[photo])
        photo.refresh_from_db()
        assert photo.ticket_id is None
        assert unchanged(ticket, TicketState.RECTIFYING, 3)

    def test_cannot_submit_before_assignment(self, tx):
        ticket = tx.log()
        with pytest.raises(TransitionRefused):
            workflow.ticket_submit_fix(
                ticket=ticket, actor=tx.supervisor, note="x", photos=[pending_photo(tx.supervisor, PhotoKind.AFTER)]
            )


class TestCloseOut:
    def test_supervisor_closes_out(self, tx):
        ticket = tx.closed()
        assert ticket.state == TicketState.CLOSED
        assert ticket.closed_by == tx.supervisor and ticket.closed_at is not None
        assert events(ticket)[-1] == (A.CLOSE_OUT, TicketState.SUBMITTED, TicketState.CLOSED)

    def test_four_eyes_the_submitter_can_never_close(self, tx):
        ticket = tx.submitted(by=tx.supervisor)
        with pytest.raises(ActionForbidden, match="双人核验"):
            workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor)
        assert unchanged(ticket, TicketState.SUBMITTED, 4)
        assert A.CLOSE_OUT not in workflow.actions_for(ticket, tx.supervisor)
        ticket = workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
        assert ticket.state == TicketState.CLOSED

    def test_four_eyes_holds_after_a_return_and_resubmission(self, tx):
        ticket = tx.submitted()
        ticket = workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不合格")
        ticket = workflow.ticket_submit_fix(
            ticket=ticket, actor=tx.admin, note="重新整改", photos=[pending_photo(tx.admin, PhotoKind.AFTER)]
        )
        with pytest.raises(ActionForbidden):
            workflow.ticket_close_out(ticket=ticket, actor=tx.admin)
        assert workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor).state == TicketState.CLOSED

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_non_supervisors_may_not_close(self, tx, who):
        ticket = tx.submitted()
        with pytest.raises(ActionForbidden):
            workflow.ticket_close_out(ticket=ticket, actor=getattr(tx, who))
        assert unchanged(ticket, TicketState.SUBMITTED, 4)

    def test_cannot_close_what_was_not_submitted(self, tx):
        ticket = tx.assigned()
        with pytest.raises(TransitionRefused, match="整改中"):
            workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor)
        assert unchanged(ticket, TicketState.RECTIFYING, 3)

    def test_closing_twice_is_refused(self, tx):
        ticket = tx.closed()
        with pytest.raises(TransitionRefused, match="已销号"):
            workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
        assert ticket.events.filter(action=A.CLOSE_OUT).count() == 1


class TestReturn:
    def test_return_needs_a_reason_and_counts_against_the_unit(self, tx):
        ticket = tx.submitted()
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="")
        assert unchanged(ticket, TicketState.SUBMITTED, 4)
        new_deadline = timezone.localdate() + datetime.timedelta(days=2)
        ticket = workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="照片不清楚", deadline=new_deadline)
        assert ticket.state == TicketState.RECTIFYING
        assert ticket.return_count == 1 and ticket.deadline == new_deadline
        event = ticket.events.get(action=A.RETURN)
        assert event.note == "照片不清楚" and event.details["deadline"] == new_deadline.isoformat()

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_only_managers_return(self, tx, who):
        ticket = tx.submitted()
        with pytest.raises(ActionForbidden):
            workflow.ticket_return(ticket=ticket, actor=getattr(tx, who), reason="x")


class TestReopen:
    def test_reopen_is_a_recurrence(self, tx):
        ticket = tx.closed()
        deadline = timezone.localdate() + datetime.timedelta(days=3)
        ticket = workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor2, reason="问题反弹", deadline=deadline)
        assert ticket.state == TicketState.RECTIFYING
        assert ticket.reopen_count == 1 and ticket.closed_at is None and ticket.deadline == deadline
        assert events(ticket)[-1] == (A.REOPEN, TicketState.CLOSED, TicketState.RECTIFYING)
        assert "previous_closed_at" in ticket.events.get(action=A.REOPEN).details

    def test_reopen_needs_reason_and_deadline(self, tx):
        ticket = tx.closed()
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason=" ", deadline=TOMORROW)
        with pytest.raises(TransitionRefused, match="时限"):
            workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="反弹", deadline=None)
        assert unchanged(ticket, TicketState.CLOSED, 5)

    def test_only_closed_tickets_reopen(self, tx):
        ticket = tx.submitted()
        with pytest.raises(TransitionRefused):
            workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="x", deadline=TOMORROW)

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_only_managers_reopen(self, tx, who):
        ticket = tx.closed()
        with pytest.raises(ActionForbidden):
            workflow.ticket_reopen(ticket=ticket, actor=getattr(tx, who), reason="x", deadline=TOMORROW)


class TestVoid:
    def test_void_keeps_the_line(self, tx):
        ticket = tx.log()
        ticket = workflow.ticket_void(ticket=ticket, actor=tx.admin, reason="重复登记 TX-202611-0001")
        assert ticket.state == TicketState.VOIDED
        assert ticket.events.get(action=A.VOID).note.startswith("重复登记")
        assert ticket.photos.count() == 1  # nothing is deleted

    def test_void_needs_a_reason(self, tx):
        ticket = tx.log()
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.ticket_void(ticket=ticket, actor=tx.supervisor, reason="")
        assert unchanged(ticket, TicketState.REPORTED, 1)

    def test_assigned_ticket_cannot_be_voided(self, tx):
        ticket = tx.assigned()
        with pytest.raises(TransitionRefused):
            workflow.ticket_void(ticket=ticket, actor=tx.supervisor, reason="x")

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "leader"])
    def test_only_managers_void(self, tx, who):
        ticket = tx.log()
        with pytest.raises(ActionForbidden):
            workflow.ticket_void(ticket=ticket, actor=getattr(tx, who), reason="x")


# The buttons a person sees, per state and role: this table is the workflow's contract.
EXPECTED_ACTIONS = {
    "reported": {
        "staff": set(),
        "unit_liaison": set(),
        "supervisor": {A.ASSIGN, A.VOID, A.SUPERVISE},
        "admin": {A.ASSIGN, A.VOID, A.SUPERVISE},
        "leader": set(),
    },
    "assigned": {
        "staff": set(),
        "unit_liaison": {A.SIGN, A.DECLINE, A.SUBMIT_FIX},
        "supervisor": {A.SIGN, A.REASSIGN, A.HOLD, A.URGE, A.SUBMIT_FIX, A.SUPERVISE},
        "admin": {A.SIGN, A.REASSIGN, A.HOLD, A.URGE, A.SUBMIT_FIX, A.SUPERVISE},
        "leader": set(),
    },
    "rectifying": {
        "staff": set(),
        "unit_liaison": {A.SUBMIT_FIX, A.DECLINE, A.REQUEST_EXTENSION},
        "supervisor": {A.SUBMIT_FIX, A.REASSIGN, A.HOLD, A.URGE, A.SUPERVISE},
        "admin": {A.SUBMIT_FIX, A.REASSIGN, A.HOLD, A.URGE, A.SUPERVISE},
        "leader": set(),
    },
    "submitted": {
        "staff": set(),
        "unit_liaison": set(),
        "supervisor": {A.CLOSE_OUT, A.RETURN, A.SUPERVISE},
        "admin": {A.CLOSE_OUT, A.RETURN, A.SUPERVISE},
        "leader": set(),
    },
    # 挂账: off the clock until a supervisor (or its date) puts it back; already 挂牌督办 here.
    "on_hold": {
        "staff": set(),
        "unit_liaison": set(),
        "supervisor": {A.RESUME},
        "admin": {A.RESUME},
        "leader": set(),
    },
    # No 复查 is due yet: only a supervisor's 重新打开.
    "closed": {
        "staff": set(),
        "unit_liaison": set(),
        "supervisor": {A.REOPEN},
        "admin": {A.REOPEN},
        "leader": set(),
    },
}


def held_and_supervised(tx):
    ticket = workflow.ticket_hold(
        ticket=tx.assigned(), actor=tx.supervisor, until=TOMORROW + datetime.timedelta(days=30), reason="列入明年改造"
    )
    workflow.ticket_supervise(
        ticket=ticket,
        actor=tx.supervisor,
        document_number="铁西创卫督〔2026〕9号",
        supervising_unit="铁西区创卫办",
        leader="区长",
        deadline=TOMORROW,
        reason="长期未整改",
    )
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize("state", list(EXPECTED_ACTIONS))
def test_available_actions_per_state_and_role(tx, td, state):
    ticket = {
        "reported": tx.log,
        "assigned": lambda: tx.assigned(signed=False),
        "rectifying": tx.assigned,
        "submitted": tx.submitted,
        "on_hold": lambda: held_and_supervised(tx),
        "closed": tx.closed,
    }[state]()
    for who, expected in EXPECTED_ACTIONS[state].items():
        assert set(workflow.actions_for(ticket, getattr(tx, who))) == expected, who
    # An outsider from another district can do nothing at all.
    for who in ["staff", "supervisor", "admin"]:
        assert workflow.actions_for(ticket, getattr(td, who)) == []


def test_voided_ticket_allows_nothing(tx):
    ticket = workflow.ticket_void(ticket=tx.log(), actor=tx.supervisor, reason="不是问题")
    for who in ["staff", "unit_liaison", "supervisor", "admin", "leader"]:
        assert workflow.actions_for(ticket, getattr(tx, who)) == []


def test_events_are_append_only(tx):
    ticket = tx.log()
    event = ticket.events.get()
    event.note = "改写历史"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).update(note="x")
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).delete()
    assert TicketEvent.objects.get(pk=event.pk).note == ""


def test_full_loop_timeline(tx):
    ticket = tx.submitted()
    ticket = workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不到位")
    ticket = workflow.ticket_submit_fix(
        ticket=ticket, actor=tx.unit_liaison, note="再次整改", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )
    ticket = workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
    ticket = workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="反弹", deadline=TOMORROW)
    assert [e[0] for e in events(ticket)] == [
        A.LOG,
        A.ASSIGN,
        A.SIGN,
        A.SUBMIT_FIX,
        A.RETURN,
        A.SUBMIT_FIX,
        A.CLOSE_OUT,
        A.REOPEN,
    ]
    # Each event starts where the previous one ended: the timeline is the state's proof.
    chain = events(ticket)
    for previous, current in zip(chain, chain[1:]):
        assert current[1] == previous[2]
    assert chain[-1][2] == ticket.state
    assert TicketPhoto.objects.filter(ticket=ticket, kind=PhotoKind.AFTER).count() == 2


def test_a_log_credits_the_finder_group_the_reporter_is_in_now(tx):
    """The reporter's group is kept between requests; joining another group shows at once."""
    from django.contrib.auth import get_user_model

    from campaigns.models import WorkGroup, WorkGroupKind

    def log_as_a_new_request():  # each request reads its user (and the versions) afresh
        return tx.log(actor=get_user_model().objects.get(pk=tx.staff.pk))

    assert log_as_a_new_request().finder_group == tx.finder_group
    second = WorkGroup.objects.create(campaign=tx.campaign, kind=WorkGroupKind.FINDER_GROUP, name="发现问题第二组")
    tx.finder_group.members.remove(tx.staff)
    second.members.add(tx.staff)
    assert log_as_a_new_request().finder_group == second
    second.members.clear()
    assert log_as_a_new_request().finder_group is None


def test_an_act_finds_scopes_and_locks_the_ticket_in_one_read(tx, city):
    """A view names the ticket by number within the person's districts; the verb's one locked
    read finds it, keeps other districts out, and brings the head of its event chain along."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from campaigns.models import Ticket

    from .factories import District

    other = District(city, "铁东区", "TD", "td")
    ticket, theirs = tx.submitted(), other.submitted()
    with pytest.raises(workflow.TicketNotFound):
        workflow.ticket_close_out(
            ticket=workflow.TicketRef(theirs.number, frozenset({tx.unit.pk})), actor=tx.supervisor2
        )
    assert Ticket.objects.get(pk=theirs.pk).state == TicketState.SUBMITTED

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        workflow.ticket_close_out(
            ticket=workflow.TicketRef(ticket.number, frozenset({tx.unit.pk})), actor=tx.supervisor2
        )
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    ticket_reads = [sql for sql in reads if 'campaigns_ticket"' in sql]
    assert len(ticket_reads) == 1, ticket_reads
    assert [sql for sql in reads if "campaigns_ticketevent" in sql] == ticket_reads, "the chain head is read apart"
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in ticket_reads[0]
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.CLOSED


@pytest.mark.django_db(transaction=True)  # as in production: the verb's transaction commits for real
def test_an_act_tells_pages_and_the_worker_only_once_it_commits(tx, monkeypatch):
    """A 销号 moves its district's pages on and asks the worker to drain the outbox, after
    commit; an act whose transaction rolls back asks nothing of either."""
    from django.db import transaction

    from campaigns import queue
    from infra.fragments import district_versions

    ticket = tx.submitted()
    published = []
    monkeypatch.setattr(queue, "enqueue", lambda task, *args, **kwargs: published.append(task.name) or True)
    before = district_versions([tx.unit.pk])
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="照片看不清")
        raise RuntimeError("rolled back")
    assert published == [] and district_versions([tx.unit.pk]) == before

    workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="核验通过")
    assert published == ["campaigns.tasks.drain_outbox"]
    assert district_versions([tx.unit.pk]) != before
