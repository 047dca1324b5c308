"""The rollup counts the workflow keeps agree with a recount after every kind of transition."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketTally
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
