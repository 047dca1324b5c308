"""The record cannot be rewritten: append-only events, chained hashes, no deleted tickets."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketEvent
from campaigns.services.ledger_chain import ledger_verify

from .factories import pending_photo


def behind_the_apps_back(sql, params):
    """What someone with a database console could do. PostgreSQL's guard must be switched
    off first (only the database owner can); SQLite has no guard."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def full_loop(tx):
    ticket = workflow.ticket_return(ticket=tx.submitted(), actor=tx.supervisor, reason="不到位")
    ticket = workflow.ticket_submit_fix(
        ticket=ticket, actor=tx.unit_liaison, note="再次整改", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )
    return workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2)


def test_every_event_links_to_the_one_before(tx):
    ticket = full_loop(tx)
    tx.log()
    hashes = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("chain_hash", flat=True))
    assert len(hashes) == 7 and all(len(h) == 64 for h in hashes) and len(set(hashes)) == 7
    checked, broken = ledger_verify(tx.unit)
    assert broken is None
    assert checked == TicketEvent.objects.filter(ticket__district=tx.unit).count() == 8


def test_an_edited_note_is_found_and_named(tx):
    ticket = full_loop(tx)
    submit = TicketEvent.objects.filter(ticket=ticket, action="submit_fix").order_by("id").last()
    behind_the_apps_back("UPDATE campaigns_ticketevent SET note = %s WHERE id = %s", ["其实没整改", submit.pk])
    checked, broken = ledger_verify(tx.unit)
    assert broken.ticket_number == ticket.number
    assert broken.event_id == submit.pk and broken.action == "submit_fix"
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--district", "tx")


def test_a_removed_event_breaks_the_next_link(tx):
    ticket = full_loop(tx)
    returned = TicketEvent.objects.get(ticket=ticket, action="return")
    following = TicketEvent.objects.filter(ticket=ticket, id__gt=returned.pk).order_by("id").first()
    behind_the_apps_back("DELETE FROM campaigns_ticketevent WHERE id = %s", [returned.pk])
    checked, broken = ledger_verify(tx.unit)
    assert broken.event_id == following.pk


def test_a_changed_actor_is_found(tx):
    ticket = full_loop(tx)
    close = TicketEvent.objects.get(ticket=ticket, action="close_out")
    behind_the_apps_back("UPDATE campaigns_ticketevent SET actor_id = %s WHERE id = %s", [tx.unit_liaison.pk, close.pk])
    assert ledger_verify(tx.unit)[1].event_id == close.pk


def test_the_command_reports_intact_districts(tx, td, capsys):
    full_loop(tx)
    td.log()
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "TX: 7 events, every chain intact." in out and "TD: 1 events" in out


def test_one_district_is_checked_alone(tx, td):
    full_loop(tx)
    other = td.log()
    behind_the_apps_back("UPDATE campaigns_ticketevent SET note = %s WHERE ticket_id = %s", ["x", other.pk])
    call_command("verify_ledger", "--district", "TX")
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--district", "TD")
    with pytest.raises(CommandError, match="No district"):
        call_command("verify_ledger", "--district", "ZZ")


def test_tickets_are_voided_never_deleted(tx):
    ticket = tx.log()
    with pytest.raises(TypeError):
        ticket.delete()
    with pytest.raises(TypeError):
        Ticket.objects.filter(pk=ticket.pk).delete()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database guard is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE campaigns_ticketevent SET note = 'x' WHERE ticket_id = %s",
        "DELETE FROM campaigns_ticketevent WHERE ticket_id = %s",
        "DELETE FROM campaigns_ticket WHERE id = %s",
    ],
)
def test_postgresql_refuses_rewrites_even_in_raw_sql(tx, sql):
    ticket = tx.log()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [ticket.pk])
    assert TicketEvent.objects.get(ticket=ticket).note == ""
