"""Querysets compiled once and run again with other values (campaigns/prepared.py)."""

import pytest
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import workflow
from campaigns.models import PhotoKind, Ticket, TicketEvent, TicketState
from campaigns.models.ticket import event_hash
from campaigns.prepared import PreparedQuery

from .factories import District, pending_photo

BY_NUMBER = PreparedQuery(
    Ticket,
    lambda number, districts: (
        Ticket.objects.filter(number=number, district_id__in=districts, state__in=["closed", "submitted"])
        .annotate(
            last_event=Subquery(
                TicketEvent.objects.filter(ticket_id=OuterRef("pk")).order_by("-id").values("action")[:1]
            )
        )
        .order_by("id")
    ),
    lists=("districts",),
)


def test_each_call_runs_with_its_own_values_and_compiles_once_per_shape(tx, city):
    other = District(city, "铁东区", "TD", "td")
    mine, theirs = tx.submitted(), other.closed()
    found = BY_NUMBER.all(number=mine.number, districts=[tx.unit.pk])
    assert [t.pk for t in found] == [mine.pk]
    assert found[0].state == TicketState.SUBMITTED and found[0].last_event == "submit_fix"
    # The same SQL with other values: another district's ticket only when that district is asked for.
    assert BY_NUMBER.all(number=theirs.number, districts=[tx.unit.pk]) == []
    assert BY_NUMBER.first(number=theirs.number, districts=[tx.unit.pk, other.unit.pk]).pk == theirs.pk
    # A constant of the queryset itself stays in place: a reported ticket is not among them.
    assert BY_NUMBER.first(number=tx.log().number, districts=[tx.unit.pk]) is None
    assert len(BY_NUMBER._local.compiled) == 2  # one list of one district, one of two


def test_rows_come_back_through_the_orm_converters(tx):
    ticket = tx.closed()
    found = BY_NUMBER.first(number=ticket.number, districts=[tx.unit.pk])
    fresh = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:  # datetimes aware, dates as dates — on SQLite too
        assert getattr(found, field.attname) == getattr(fresh, field.attname), field.name
    assert found.closed_at.tzinfo is not None
    found.description = "改过的描述"
    found.save(update_fields=["description"])  # a model instance like any other
    assert Ticket.objects.get(pk=ticket.pk).description == "改过的描述"


def test_a_value_that_does_not_reach_the_sql_is_refused(tx):
    broken = PreparedQuery(Ticket, lambda number: Ticket.objects.filter(number="fixed"))
    with pytest.raises(ValueError):
        broken.all(number="TX-1")


def test_an_act_finds_scopes_and_locks_in_one_read(tx, city):
    other = District(city, "铁东区", "TD", "td")
    ticket = tx.submitted()
    theirs = other.submitted()
    ref = workflow.TicketRef(theirs.number, frozenset({tx.unit.pk}))
    with pytest.raises(workflow.TicketNotFound):
        workflow.ticket_close_out(ticket=ref, actor=tx.supervisor2)
    assert Ticket.objects.get(pk=theirs.pk).state == TicketState.SUBMITTED
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        workflow.ticket_close_out(
            ticket=workflow.TicketRef(ticket.number, frozenset({tx.unit.pk})), actor=tx.supervisor2
        )
    ticket_reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and 'campaigns_ticket"' in q["sql"]
    ]
    assert len(ticket_reads) == 1, ticket_reads
    event_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "campaigns_ticketevent" in q["sql"]
    ]
    assert event_reads == ticket_reads, "the chain head is read with the row, not on its own"
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in ticket_reads[0]


def test_the_chain_continues_from_the_head_read_with_the_row(tx):
    ticket = tx.submitted()
    workflow.ticket_return(ticket=ticket, actor=tx.supervisor2, reason="照片看不清")
    workflow.ticket_submit_fix(
        ticket=ticket, actor=tx.unit_liaison, note="重新清理", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )
    workflow.ticket_close_out(ticket=workflow.TicketRef(ticket.number, frozenset({tx.unit.pk})), actor=tx.supervisor2)
    previous = ""
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
    assert [e.action for e in events][-3:] == ["return", "submit_fix", "close_out"]
    for event in events:
        assert event.chain_hash == event_hash(previous, event), event.action
        previous = event.chain_hash


def test_the_close_out_post_costs_a_fixed_handful_of_queries(client, tx, django_assert_max_num_queries):
    tickets = [tx.submitted() for _ in range(2)]
    client.force_login(tx.supervisor2)
    client.get(reverse("campaigns:my-tasks"))  # session and scope warm, as every later request
    client.post(reverse("campaigns:ticket-close-out", args=[tickets[0].number]), {"note": ""})
    # user, the locked read, the ticket's update, the event, the outbox row, the tally, the
    # audit row (and a transaction around them)
    with django_assert_max_num_queries(10):
        response = client.post(reverse("campaigns:ticket-close-out", args=[tickets[1].number]), {"note": "核验通过"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=tickets[1].pk).state == TicketState.CLOSED


def test_a_prepared_insert_writes_what_save_would(tx):
    from campaigns.models import AuditEvent, AuditKind
    from campaigns.prepared import prepared_insert

    rows = []
    for i in range(2):  # the second runs the statement compiled for the first
        event = AuditEvent(
            kind=AuditKind.CLOSE_OUT,
            user=tx.supervisor,
            username="tx_supervisor",
            district_id=tx.unit.pk,
            target=f"TX-{i}",
            ip="10.0.0.1",
            success=bool(i),
            details={"原因": "照片看不清", "n": i},
            request_id="abc",
        )
        prepared_insert(event)
        assert event.pk is not None and not event._state.adding
        rows.append(event)
    stored = AuditEvent.objects.get(pk=rows[1].pk)
    assert (stored.target, stored.success, stored.details, stored.ip) == (
        "TX-1",
        True,
        {"原因": "照片看不清", "n": 1},
        "10.0.0.1",
    )
    assert stored.at == rows[1].at and stored.at.tzinfo is not None
    assert stored.user_id == tx.supervisor.pk and stored.district_id == tx.unit.pk
    assert AuditEvent.objects.get(pk=rows[0].pk).success is False


def test_a_prepared_update_sets_the_fields_and_moves_updated_at(tx):
    from django.utils import timezone

    from campaigns.prepared import prepared_update

    ticket = Ticket.objects.get(pk=tx.submitted().pk)
    before = ticket.updated_at
    ticket.state, ticket.closed_at, ticket.closed_by = TicketState.CLOSED, timezone.now(), tx.supervisor2
    prepared_update(ticket, ["state", "closed_at", "closed_by", "updated_at"])
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.closed_by_id) == (TicketState.CLOSED, tx.supervisor2.pk)
    assert stored.closed_at == ticket.closed_at and stored.updated_at > before
    ticket.pk = 10**9
    with pytest.raises(Ticket.DoesNotExist):
        prepared_update(ticket, ["state"])


def test_models_with_save_receivers_keep_save(tx):
    """A scope change must still drop the cached scopes: Membership's save signal runs."""
    from campaigns.access import scope_for
    from campaigns.models import Membership, Role
    from campaigns.prepared import prepared_insert

    from .factories import UserFactory

    newcomer = UserFactory(username="tx_newcomer")
    assert scope_for(newcomer).district_ids == frozenset()
    prepared_insert(Membership(user=newcomer, unit=tx.unit, role=Role.SUPERVISOR))
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)  # a new request
    assert tx.unit.pk in scope_for(newcomer).district_ids


def test_an_event_and_the_message_it_owes_are_written_together(tx):
    """One statement on PostgreSQL; either way both rows, linked, with their ids set."""
    from django.utils import timezone

    from campaigns.models import OutboxItem, TicketAction
    from campaigns.prepared import prepared_insert_with

    ticket = tx.submitted()
    event = TicketEvent(
        ticket=ticket,
        action=TicketAction.RETURN,
        actor=tx.supervisor2,
        at=timezone.now(),
        from_state=TicketState.SUBMITTED,
        to_state=TicketState.RECTIFYING,
        note="照片看不清",
        details={"deadline": "2026-12-03"},
        chain_hash="x" * 64,
    )
    owed = OutboxItem(topic="ticket_event", ref_id=0)
    with CaptureQueriesContext(connection) as queries:
        prepared_insert_with(event, owed, "ref_id")
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert event.pk and owed.pk and owed.ref_id == event.pk
    stored = OutboxItem.objects.get(pk=owed.pk)
    assert (stored.ref_id, stored.done_at, stored.attempts) == (event.pk, None, 0)
    assert TicketEvent.objects.get(pk=event.pk).details == {"deadline": "2026-12-03"}
