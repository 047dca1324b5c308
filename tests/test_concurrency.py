"""Races on real PostgreSQL connections: one 销号 wins, ledger numbers never collide or skip."""

import time

import pytest
from django.db import connection

from campaigns import workflow
from campaigns.models import LedgerSequence, Ticket, TicketAction, TicketEvent, TicketState
from campaigns.workflow import core as workflow_core

from .together import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)")


def test_two_supervisors_close_out_at_once_exactly_one_wins(tx, monkeypatch):
    ticket = tx.submitted()
    real_check = workflow_core.check

    def slow_check(action, locked, user):
        # Widen the window between reading the state and writing it, as a busy server would.
        real_check(action, locked, user)
        time.sleep(0.3)

    monkeypatch.setattr(workflow_core, "check", slow_check)
    results = run_together(
        lambda: workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="A"),
        lambda: workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="B"),
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, workflow.TransitionRefused)
    assert "已销号" in error.message
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.CLOSE_OUT).count() == 1
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED


def test_concurrent_logging_gives_unique_gapless_numbers(tx):
    per_thread, threads = 5, 6
    staff = [tx.staff, tx.supervisor, tx.supervisor2, tx.admin, tx.unit_liaison, tx.staff]

    def logger(actor):
        def job():
            return [tx.log(actor=actor).number for _ in range(per_thread)]

        return job

    results = run_together(*(logger(actor) for actor in staff[:threads]))
    assert all(kind == "ok" for kind, _ in results), results
    numbers = [n for _, batch in results for n in batch]
    assert len(numbers) == len(set(numbers)) == per_thread * threads
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(1, per_thread * threads + 1))
    assert LedgerSequence.objects.get(district=tx.unit).last == per_thread * threads


def test_a_failed_log_gives_its_number_back(tx):
    first = tx.log()
    with pytest.raises(workflow.TransitionRefused):
        tx.log(photos=[])  # refused before a number is taken
    from .factories import pending_photo

    stolen = pending_photo(tx.supervisor)
    with pytest.raises(workflow.TransitionRefused):
        tx.log(photos=[stolen])  # refused after the number was taken: rolled back
    second = tx.log()
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert Ticket.objects.count() == 2


def test_two_workers_running_the_reminders_at_once_tell_each_person_once(tx, duties, settings):
    import datetime
    from zoneinfo import ZoneInfo

    from campaigns.models import Delivery, Notification
    from campaigns.services.reminders import reminders_run

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tx.staff.email = "staff@example.gov.cn"
    tx.staff.save()
    now = datetime.datetime(2026, 11, 23, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    results = run_together(*(lambda: reminders_run(now) for _ in range(4)))
    assert all(kind == "ok" for kind, _ in results), results
    # Two duties (street and finder group) × one person: two notifications, two e-mails to send.
    assert Notification.objects.count() == 2
    assert Delivery.objects.count() == 2
    assert sum(len(ids) for _, ids in results) == 2
