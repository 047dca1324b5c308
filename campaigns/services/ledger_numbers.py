"""Ledger numbers: <district code>-<YYYYMM>-<4-digit sequence>, gapless and never reused."""

from django.db import transaction
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
    sequence, _ = LedgerSequence.objects.select_for_update().get_or_create(district=district, period=period)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return ledger_number_format(district.code, period, sequence.last)
