"""Rollup counts kept by the workflow (TicketTally and TicketDay): move, recount, check, rebuild."""

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from campaigns.models import Ticket, TicketDay, TicketState, TicketTally

Key = dict[str, Any]  # a TicketTally cell's columns
DayCell = tuple[int, datetime.date, str, int]  # a TicketDay row's key: (district, day, kind, hours)
Snapshot = tuple[Key, int, int, tuple[DayCell, ...]]  # (cell key, returns, reopens, day cells)
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


def day_cells(
    district_id: int, state: str, reported_at: datetime.datetime, closed_at: datetime.datetime | None
) -> tuple[DayCell, ...]:
    """The TicketDay rows a ticket counts in: the day it was found (unless voided) and, once
    closed, the day of its 销号 with the whole hours it took."""
    beijing = timezone.get_default_timezone()
    cells: list[DayCell] = []
    if state != TicketState.VOIDED:
        cells.append((district_id, timezone.localtime(reported_at, beijing).date(), TicketDay.Kind.FOUND, 0))
    if state == TicketState.CLOSED and closed_at is not None:
        hours = max(0, int((closed_at - reported_at).total_seconds() // 3600))
        cells.append((district_id, timezone.localtime(closed_at, beijing).date(), TicketDay.Kind.CLOSED, hours))
    return tuple(cells)


def tally_snapshot(ticket: Ticket) -> Snapshot:
    days = day_cells(ticket.district_id, ticket.state, ticket.reported_at, ticket.closed_at)
    return tally_key(ticket), ticket.return_count, ticket.reopen_count, days


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


def _add_day(cell: DayCell, tickets: int) -> None:
    district_id, day, kind, hours = cell
    key = {"district_id": district_id, "day": day, "kind": kind, "hours": hours}
    if TicketDay.objects.filter(**key).update(tickets=F("tickets") + tickets):
        return
    try:  # the day's first such ticket, as in _add
        with transaction.atomic():
            TicketDay.objects.create(**key, tickets=tickets)
    except IntegrityError:
        TicketDay.objects.filter(**key).update(tickets=F("tickets") + tickets)


def tally_move(before: Snapshot | None, after: Snapshot | None) -> None:
    """Move a ticket between cells (None: not counted before, or not after)."""
    if before == after:
        return
    moves: list[tuple[Key, int, int, int]] = []
    if before and after and before[0] == after[0]:
        # The same cell: only the ticket's returns or reopens changed.
        moves.append((after[0], 0, after[1] - before[1], after[2] - before[2]))
    else:
        if before:
            moves.append((before[0], -1, -before[1], -before[2]))
        if after:
            moves.append((after[0], 1, after[1], after[2]))
    # Cells are locked in one order by every act (the tally's, then the days'), so two acts
    # moving tickets between the same cells in opposite directions wait for each other
    # instead of deadlocking.
    for key, tickets, returns, reopens in sorted(moves, key=lambda move: _values(move[0])):
        _add(key, tickets, returns, reopens)
    days = Counter(after[3] if after else ())
    days.subtract(before[3] if before else ())
    for cell in sorted(cell for cell, change in days.items() if change):
        _add_day(cell, days[cell])


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


def _recount_days(district_ids: Iterable[int] | None = None) -> Counter[DayCell]:
    # In Python, with the function the workflow moves the rows with: one definition of a day.
    tickets = Ticket.objects.all()
    if district_ids is not None:
        tickets = tickets.filter(district_id__in=district_ids)
    counted: Counter[DayCell] = Counter()
    for row in tickets.values_list("district_id", "state", "reported_at", "closed_at").order_by().iterator(20_000):
        counted.update(day_cells(*row))
    return counted


def _stored_days(district_ids: Iterable[int] | None = None) -> dict[DayCell, int]:
    days = TicketDay.objects.exclude(tickets=0)
    if district_ids is not None:
        days = days.filter(district_id__in=district_ids)
    return {
        (district, day, kind, hours): n
        for district, day, kind, hours, n in days.values_list("district_id", "day", "kind", "hours", "tickets")
    }


def tally_check(district_ids: Iterable[int] | None = None) -> dict[Cell | DayCell, tuple[Any, Any]]:
    """Cells (of either rollup) where it and a recount disagree: {key: (stored, counted)}."""
    ids = list(district_ids) if district_ids is not None else None
    counted: dict[Any, Any] = {**_recount(ids), **_recount_days(ids)}
    stored: dict[Any, Any] = {**_stored(ids), **_stored_days(ids)}
    return {
        key: (stored.get(key), counted.get(key))
        for key in set(counted) | set(stored)
        if stored.get(key) != counted.get(key)
    }


def tally_rebuild(district_ids: Iterable[int] | None = None) -> int:
    """Recount from the tickets and replace both rollups, while nobody else writes them.

    Returns the number of TicketTally cells."""
    district_ids = list(district_ids) if district_ids is not None else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in (TicketTally._meta.db_table, TicketDay._meta.db_table):
                    cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        _rebuild_days(district_ids)
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


def _rebuild_days(district_ids: list[int] | None) -> None:
    counted = _recount_days(district_ids)
    existing = TicketDay.objects.all()
    if district_ids is not None:
        existing = existing.filter(district_id__in=district_ids)
    existing.delete()
    TicketDay.objects.bulk_create(
        [
            TicketDay(district_id=district, day=day, kind=kind, hours=hours, tickets=n)
            for (district, day, kind, hours), n in counted.items()
        ],
        batch_size=5000,
    )
