"""Rollup counts kept by the workflow (see TicketTally): move, recount, check, rebuild."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum

from campaigns.models import Ticket, TicketTally


def tally_key(ticket):
    return {
        "district_id": ticket.district_id,
        "street_id": ticket.street_id,
        "unit": ticket.responsible_unit_id or 0,
        "area_id": ticket.area_id,
        "state": ticket.state,
    }


def _add(key, tickets, returns, reopens):
    if not (tickets or returns or reopens):
        return
    with connection.cursor() as cursor:
        cursor.execute(_add_sql(), [tickets, returns, reopens, *_values(key)])
        if cursor.rowcount:
            return
    try:
        with transaction.atomic():
            TicketTally.objects.create(**key, tickets=tickets, returns=returns, reopens=reopens)
    except IntegrityError:  # another transaction created the cell a moment ago
        TicketTally.objects.filter(**key).update(
            tickets=F("tickets") + tickets, returns=F("returns") + returns, reopens=F("reopens") + reopens
        )


KEY_COLUMNS = ("district_id", "street_id", "unit", "area_id", "state")
_MOVE_SQL = None


def _move_sql():
    # Both cells in one statement: a 销号 moves a ticket between two cells, and each ORM
    # UPDATE costs the request more than the database's work on it. Cells that do not exist
    # yet come back missing from RETURNING and are created the slow, careful way.
    global _MOVE_SQL
    if _MOVE_SQL is None:
        cell = "(" + ", ".join(KEY_COLUMNS) + ")"
        table = TicketTally._meta.db_table
        _MOVE_SQL = (
            f"UPDATE {table} SET "  # nosec B608 # table and column names from the model
            + ", ".join(
                f"{c} = {c} + CASE WHEN {cell} = (%s, %s, %s, %s, %s) THEN %s ELSE %s END"
                for c in ("tickets", "returns", "reopens")
            )
            + f" WHERE {cell} IN ((%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)) RETURNING "
            + ", ".join(KEY_COLUMNS)
        )
    return _MOVE_SQL


_ADD_SQL = None


def _add_sql():
    # One cell, by hand for the same reason as _move_sql (a logged problem adds to one).
    global _ADD_SQL
    if _ADD_SQL is None:
        _ADD_SQL = (
            f"UPDATE {TicketTally._meta.db_table} SET "  # nosec B608 # table and column names from the model
            "tickets = tickets + %s, returns = returns + %s, reopens = reopens + %s "
            f"WHERE ({', '.join(KEY_COLUMNS)}) = (%s, %s, %s, %s, %s)"
        )
    return _ADD_SQL


def _values(key):
    return tuple(key[column] for column in KEY_COLUMNS)


def tally_move(before, after):
    """Move a ticket between cells. `before`/`after` are (key, returns, reopens) or None."""
    if before and after and before == after:
        return
    if not (before and after) or _values(before[0]) == _values(after[0]):
        if before:
            key, returns, reopens = before
            _add(key, -1, -returns, -reopens)
        if after:
            key, returns, reopens = after
            _add(key, 1, returns, reopens)
        return
    (old_key, old_returns, old_reopens), (new_key, new_returns, new_reopens) = before, after
    old, new = _values(old_key), _values(new_key)
    params = []
    for gone, come in ((-1, 1), (-old_returns, new_returns), (-old_reopens, new_reopens)):
        params += [*old, gone, come]
    params += [*old, *new]
    with connection.cursor() as cursor:
        cursor.execute(_move_sql(), params)
        moved = {tuple(row) for row in cursor.fetchall()}
    if old not in moved:
        _add(old_key, -1, -old_returns, -old_reopens)
    if new not in moved:
        _add(new_key, 1, new_returns, new_reopens)


def tally_snapshot(ticket):
    return tally_key(ticket), ticket.return_count, ticket.reopen_count


def _recount(district_ids=None):
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


def _stored(district_ids=None):
    tallies = TicketTally.objects.all()
    if district_ids is not None:
        tallies = tallies.filter(district_id__in=district_ids)
    return {
        (t.district_id, t.street_id, t.unit, t.area_id, t.state): (t.tickets, t.returns, t.reopens)
        for t in tallies
        if t.tickets or t.returns or t.reopens
    }


def tally_check(district_ids=None):
    """Cells where the rollup and a recount disagree: {key: (stored, counted)}."""
    counted, stored = _recount(district_ids), _stored(district_ids)
    return {
        key: (stored.get(key), counted.get(key))
        for key in set(counted) | set(stored)
        if stored.get(key) != counted.get(key)
    }


def tally_rebuild(district_ids=None):
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
