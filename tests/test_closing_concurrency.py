"""Races on the 销号 chain, on real PostgreSQL connections: one 复核 per level, one 销号."""

import time

import pytest
from django.db import connection

from campaigns import workflow
from campaigns.models import TicketAction, TicketEvent, TicketState
from campaigns.workflow import core

from .test_closing_chain import two_levels
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
        # Widen the window between reading the level and writing it, as a busy server would.
        real_check(action, locked, user)
        time.sleep(0.3)

    monkeypatch.setattr(core, "check", slow_check)


def test_two_street_checkers_review_at_once_one_passes_the_level(tx, slow_checks):
    checker = two_levels(tx, photo_at_street=False)
    ticket = tx.submitted()
    results = run_together(
        lambda: workflow.ticket_review(ticket=ticket, actor=checker, note="A"),
        lambda: workflow.ticket_review(ticket=ticket, actor=tx.supervisor, note="B"),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.REVIEW).count() == 1
    ticket.refresh_from_db()
    assert ticket.review_level == 1 and len(ticket.reviewed_by) == 1


def test_two_supervisors_close_out_the_last_level_at_once_one_wins(tx, slow_checks):
    checker = two_levels(tx, photo_at_street=False)
    ticket = workflow.ticket_review(ticket=tx.submitted(), actor=checker)
    results = run_together(
        lambda: workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="A"),
        lambda: workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="B"),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, workflow.TransitionRefused) and "已销号" in error.message
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.CLOSE_OUT).count() == 1
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert ticket.rechecks.count() == 3  # planned once
