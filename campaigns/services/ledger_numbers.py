"""Ledger numbers: <district code>-<YYYYMM>-<4-digit sequence>, gapless and never reused."""

from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import LedgerSequence


def ledger_period(when):
    return timezone.localtime(when).strftime("%Y%m")


def ledger_number_format(district_code, period, seq):
    # Four digits as agreed; a busy district that passes 9999 in a month simply gets more.
    return f"{district_code}-{period}-{seq:04d}"


def ledger_number_next(district, when):
    """Take the next number for the district and month of `when`.

    Must run inside the transaction that saves the ticket: the sequence row stays locked
    until that commits, and a rollback hands the number back, so numbers have no gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_number_next must run inside the ticket's transaction")
    period = ledger_period(when)
    # One statement takes the number: the upsert locks the sequence row (or creates it) until
    # the ticket's transaction ends, exactly as SELECT … FOR UPDATE and UPDATE did in two.
    table = LedgerSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (district_id, period, last) VALUES (%s, %s, 1) "  # nosec B608 # the model's table
            f"ON CONFLICT (district_id, period) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [district.pk, period],
        )
        (last,) = cursor.fetchone()
    return ledger_number_format(district.code, period, last)
