"""The rollup counts the workflow keeps agree with a recount after every kind of transition."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketDay, TicketTally
from campaigns.selectors.board import median_hours_in_days
from campaigns.services.tally import tally_check, tally_rebuild

from .factories import pending_photo


def test_every_verb_keeps_the_rollup_exact(tx, td):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    tickets = [tx.log(), tx.assigned(), tx.submitted(), tx.closed(), td.closed()]
    tx.log(assignment={"unit": tx.department2, "person": "", "deadline": tomorrow})
    workflow.ticket_void(ticket=tickets[0], actor=tx.supervisor, reason="重复")
    workflow.ticket_return(ticket=tickets[2], actor=tx.supervisor, reason="不行")
    workflow.ticket_submit_fix(
        ticket=tickets[2], actor=tx.unit_liaison, note="再改", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )
    workflow.ticket_close_out(ticket=tickets[2], actor=tx.supervisor2)
    workflow.ticket_reopen(ticket=tickets[3], actor=tx.supervisor, reason="反弹", deadline=tomorrow)
    assert tally_check() == {}
    cells = TicketTally.objects.filter(district=tx.unit)
    assert sum(cell.tickets for cell in cells) == Ticket.objects.filter(district=tx.unit).count()
    assert sum(cell.returns for cell in cells) == 1 and sum(cell.reopens for cell in cells) == 1


def test_a_refused_transition_leaves_the_rollup_alone(tx):
    ticket = tx.closed()
    before = list(TicketTally.objects.values_list("state", "tickets"))
    with pytest.raises(workflow.TransitionRefused):
        workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
    assert list(TicketTally.objects.values_list("state", "tickets")) == before


def test_check_finds_drift_and_rebuild_repairs_it(tx):
    tx.closed()
    TicketTally.objects.filter(state="closed").update(tickets=7)
    assert tally_check()
    with pytest.raises(CommandError, match="disagree"):
        call_command("tally")
    call_command("tally", "--rebuild")
    assert tally_check() == {}
    call_command("tally")  # no error now
    assert tally_rebuild([tx.unit.pk]) == TicketTally.objects.count()


BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_problem_found_after_midnight_in_beijing_counts_on_the_beijing_day(tx):
    """00:30 on 1 December in Beijing is still 30 November in UTC: the board's day is Beijing's."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 0, 30, tzinfo=BEIJING), tick=False):
        tx.log()
    found = TicketDay.objects.get(district=tx.unit, kind=TicketDay.Kind.FOUND)
    assert (found.day, found.tickets) == (datetime.date(2026, 12, 1), 1)


def test_closes_are_counted_on_their_day_by_the_hours_they_took(tx):
    """Wang logs a problem at 09:00; Li's fix is checked and 销号'd at 15:30 two days later (54.5 h)."""
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING), tick=False):
        ticket = tx.submitted()
    with time_machine.travel(datetime.datetime(2026, 12, 2, 15, 30, tzinfo=BEIJING), tick=False):
        workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)
    closed = TicketDay.objects.get(district=tx.unit, kind=TicketDay.Kind.CLOSED)
    assert (closed.day, closed.hours, closed.tickets) == (datetime.date(2026, 12, 2), 54, 1)
    # 反弹: the close no longer counts, on that day or any other.
    with time_machine.travel(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=BEIJING), tick=False):
        workflow.ticket_reopen(ticket=ticket, actor=tx.supervisor, reason="反弹", deadline=datetime.date(2026, 12, 10))
    assert not TicketDay.objects.filter(kind=TicketDay.Kind.CLOSED).exclude(tickets=0).exists()
    assert tally_check() == {}


def test_check_finds_a_drifted_day_and_rebuild_repairs_it(tx):
    tx.closed()
    TicketDay.objects.filter(kind=TicketDay.Kind.FOUND).update(tickets=9)
    assert tally_check()
    call_command("tally", "--rebuild")
    assert tally_check() == {}
    assert TicketDay.objects.get(kind=TicketDay.Kind.FOUND).tickets == 1


@pytest.mark.parametrize(
    ("histogram", "days"),
    [
        ([], None),
        ([(71, 1)], 3.0),  # one close in its 72nd hour: 71.5 h
        ([(0, 1), (47, 1), (95, 1)], 2.0),  # the middle one of three: 47.5 h
        ([(23, 2), (71, 2)], 2.0),  # two around the middle: (23.5 + 71.5) / 2 = 47.5 h
        ([(11, 5), (500, 1)], 0.5),  # one slow close does not pull the median
    ],
)
def test_the_median_is_read_from_the_hours_histogram(histogram, days):
    assert median_hours_in_days(histogram) == days
