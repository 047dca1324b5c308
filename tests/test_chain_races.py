"""Races on the 交办 chain, on real PostgreSQL connections: one 改派 wins, 改派 and 挂账 don't both."""

import datetime
import time

import pytest
from django.db import connection
from django.utils import timezone

from campaigns import workflow
from campaigns.models import TicketAction, TicketEvent, TicketState
from campaigns.workflow import core

from .together import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)")


@pytest.fixture
def slow_checks(monkeypatch):
    real_check = core.check

    def slow_check(action, locked, user):
        # Widen the window between reading the unit and writing it, as a busy server would.
        real_check(action, locked, user)
        time.sleep(0.3)

    monkeypatch.setattr(core, "check", slow_check)


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def test_two_supervisors_reassign_to_the_right_unit_at_once_one_wins(tx, slow_checks):
    # Both saw the 执法局 was wrong and both picked the 卫健局.
    ticket = tx.assigned(unit=tx.department)
    results = run_together(
        lambda: workflow.ticket_reassign(
            ticket=ticket, actor=tx.supervisor, unit=tx.department2, deadline=in_days(5), reason="A"
        ),
        lambda: workflow.ticket_reassign(
            ticket=ticket, actor=tx.supervisor2, unit=tx.department2, deadline=in_days(6), reason="B"
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, workflow.TransitionRefused) and "换一个责任单位" in error.message
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.REASSIGN).count() == 1
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department2


def test_two_supervisors_reassign_to_different_units_at_once_one_wins(tx, slow_checks):
    # Each saw the ticket at the 执法局 and chose a different unit: the second must not
    # silently overwrite the first, it is told the ticket moved under it.
    ticket = tx.assigned(unit=tx.department)
    results = run_together(
        lambda: workflow.ticket_reassign(
            ticket=ticket,
            actor=tx.supervisor,
            unit=tx.department2,
            deadline=in_days(5),
            reason="A",
            seen_unit=tx.department,
        ),
        lambda: workflow.ticket_reassign(
            ticket=ticket,
            actor=tx.supervisor2,
            unit=tx.street,
            deadline=in_days(6),
            reason="B",
            seen_unit=tx.department,
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, workflow.TransitionRefused) and "已被改派" in error.message
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.REASSIGN).count() == 1


def test_one_supervisor_reassigns_while_another_puts_it_on_hold_one_wins(tx, slow_checks):
    ticket = tx.assigned(unit=tx.department)
    results = run_together(
        lambda: workflow.ticket_reassign(
            ticket=ticket,
            actor=tx.supervisor,
            unit=tx.department2,
            deadline=in_days(5),
            reason="派错了",
            seen_unit=tx.department,
        ),
        lambda: workflow.ticket_hold(
            ticket=ticket,
            actor=tx.supervisor2,
            until=in_days(60),
            reason="需等开春施工",
            seen_unit=tx.department,
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, workflow.TransitionRefused)
    acts = set(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert len(acts & {TicketAction.REASSIGN, TicketAction.HOLD}) == 1
    ticket.refresh_from_db()
    if TicketAction.HOLD in acts:
        assert ticket.state == TicketState.ON_HOLD and ticket.responsible_unit == tx.department
    else:
        assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department2
