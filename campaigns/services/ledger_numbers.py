"""Ledger numbers: <district code>-<YYYYMM>-<4-digit sequence>, gapless and never reused."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import LedgerSequence, OrgUnit


def ledger_period(when: datetime.datetime) -> str:
    return timezone.localtime(when).strftime("%Y%m")


def ledger_number_format(district_code: str, period: str, seq: int) -> str:
    # Four digits as agreed; a busy district that passes 9999 in a month simply gets more.
    return f"{district_code}-{period}-{seq:04d}"


def _sequence_locked(district: OrgUnit, period: str) -> LedgerSequence:
    sequences = LedgerSequence.objects.select_for_update().filter(district=district, period=period)
    sequence = sequences.first()
    if sequence is not None:
        return sequence
    # The month's first number: the row is created in a savepoint, since another log may be
    # creating it at this moment; the loser waits for the winner's commit and locks its row.
    try:
        with transaction.atomic():
            return LedgerSequence.objects.create(district=district, period=period, last=0)
    except IntegrityError:
        return sequences.get()


def ledger_number_next(district: OrgUnit, when: datetime.datetime) -> str:
    """Take the next number for the district and month of `when`.

    Must run inside the transaction that saves the ticket: the sequence row stays locked
    until that commits, and a rollback hands the number back, so numbers have no gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_number_next must run inside the ticket's transaction")
    period = ledger_period(when)
    sequence = _sequence_locked(district, period)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return ledger_number_format(district.code, period, sequence.last)
