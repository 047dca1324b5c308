"""Rollup counts kept by the workflow (see TicketTally): move, recount, check, rebuild."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum

from campaigns.models import Ticket, TicketTally

Key = dict[str, Any]  # a TicketTally cell's columns
Snapshot = tuple[Key, int, int]  # (cell key, the ticket's returns, its reopens)
Cell = tuple[int, int, int, int, str]  # (district, street, unit or 0, area, state)
Counts = tuple[int, int, int]  # (tickets, returns, reopens)


def tally_key(ticket: Ticket) -> Key:
    return {
        "district_id": ticket.district_id,
        "street_id": ticket.street_id,
        "unit": ticket.responsible_unit_id or 0,
        "area_id": ticket.area_id,
        "state": ticket.state,
    }


def tally_snapshot(ticket: Ticket) -> Snapshot:
    return tally_key(ticket), ticket.return_count, ticket.reopen_count


def _add(key: Key, tickets: int, returns: int, reopens: int) -> None:
    if not (tickets or returns or reopens):
        return
    changes = {"tickets": F("tickets") + tickets, "returns": F("returns") + returns, "reopens": F("reopens") + reopens}
    if TicketTally.objects.filter(**key).update(**changes):
        return
    # A cell's first ticket: created once, in a savepoint, since another transaction may be
    # creating the same cell at this moment.
    try:
        with transaction.atomic():
            TicketTally.objects.create(**key, tickets=tickets, returns=returns, reopens=reopens)
    except IntegrityError:  # it did, a moment ago
        TicketTally.objects.filter(**key).update(**changes)


def tally_move(before: Snapshot | None, after: Snapshot | None) -> None:
    """Move a ticket between cells (None: not counted before, or not after)."""
    if before == after:
        return
    if before and after and before[0] == after[0]:
        # The same cell: only the ticket's returns or reopens changed.
        _add(after[0], 0, after[1] - before[1], after[2] - before[2])
        return
    moves: list[tuple[Key, int, int, int]] = []
    if before:
        key, returns, reopens = before
        moves.append((key, -1, -returns, -reopens))
    if after:
        key, returns, reopens = after
        moves.append((key, 1, returns, reopens))
    # Cells are locked in one order by every act, so two acts moving tickets between the same
    # two cells in opposite directions wait for each other instead of deadlocking.
    for key, tickets, returns, reopens in sorted(moves, key=lambda move: _values(move[0])):
        _add(key, tickets, returns, reopens)


KEY_COLUMNS = ("district_id", "street_id", "unit", "area_id", "state")


def _values(key: Key) -> tuple[Any, ...]:
    return tuple(key[column] for column in KEY_COLUMNS)


@contextmanager
def tally_follows(ticket: Ticket) -> Iterator[None]:
    """Around anything that changes `ticket`: its cell in the rollup follows, in the same
    transaction. A ticket not saved yet counts from nothing."""
    before = None if ticket.pk is None else tally_snapshot(ticket)
    yield
    tally_move(before, tally_snapshot(ticket))


def _recount(district_ids: Iterable[int] | None = None) -> dict[Cell, Counts]:
    tickets = Ticket.objects.all()
    if district_ids is not None:
        tickets = tickets.filter(district_id__in=district_ids)
    rows = (
        tickets.values("district_id", "street_id", "responsible_unit_id", "area_id", "state")
        .annotate(n=Count("id"), r=Sum("return_count"), o=Sum("reopen_count"))
        .order_by()
    )
    return {
        (row["district_id"], row["street_id"], row["responsible_unit_id"] or 0, row["area_id"], row["state"]): (
            row["n"],
            row["r"] or 0,
            row["o"] or 0,
        )
        for row in rows
    }


def _stored(district_ids: Iterable[int] | None = None) -> dict[Cell, Counts]:
    tallies = TicketTally.objects.all()
    if district_ids is not None:
        tallies = tallies.filter(district_id__in=district_ids)
    return {
        (t.district_id, t.street_id, t.unit, t.area_id, t.state): (t.tickets, t.returns, t.reopens)
        for t in tallies
        if t.tickets or t.returns or t.reopens
    }


def tally_check(district_ids: Iterable[int] | None = None) -> dict[Cell, tuple[Counts | None, Counts | None]]:
    """Cells where the rollup and a recount disagree: {key: (stored, counted)}."""
    counted, stored = _recount(district_ids), _stored(district_ids)
    return {
        key: (stored.get(key), counted.get(key))
        for key in set(counted) | set(stored)
        if stored.get(key) != counted.get(key)
    }


def tally_rebuild(district_ids: Iterable[int] | None = None) -> int:
    """Recount from the tickets and replace the rollup, while nobody else writes the tally."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {TicketTally._meta.db_table} IN EXCLUSIVE MODE")
        counted = _recount(district_ids)
        existing = TicketTally.objects.all()
        if district_ids is not None:
            existing = existing.filter(district_id__in=district_ids)
        existing.delete()
        TicketTally.objects.bulk_create(
            [
                TicketTally(
                    district_id=district,
                    street_id=street,
                    unit=unit,
                    area_id=area,
                    state=state,
                    tickets=n,
                    returns=r,
                    reopens=o,
                )
                for (district, street, unit, area, state), (n, r, o) in counted.items()
            ],
            batch_size=5000,
        )
    return len(counted)
