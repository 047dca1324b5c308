"""Dates inside sentences, as the reader's language writes them.

Tables and forms keep the one shape every language shares (2026-11-01, ledger/formats); a
sentence or a title says 2026年11月1日 in Chinese and 1 November 2026 in English. The format
strings are Django's date-filter letters, translated like any other text.
"""

import datetime

from django.utils import dateformat
from django.utils.translation import gettext as _


def month_label(day: datetime.date) -> str:
    """2026年11月 · November 2026."""
    # Translators: a date format in Django's date-filter letters (Y year, n month, j day, F month name).
    return dateformat.format(day, _("Y年n月"))


def day_label(day: datetime.date) -> str:
    """2026年11月1日 · 1 November 2026."""
    # Translators: a date format in Django's date-filter letters (Y year, n month, j day, F month name).
    return dateformat.format(day, _("Y年n月j日"))


def month_day_label(day: datetime.date) -> str:
    """11月1日 · 1 November: a day of a year the sentence has already named."""
    # Translators: a date format in Django's date-filter letters (Y year, n month, j day, F month name).
    return dateformat.format(day, _("n月j日"))


def last_full_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the month before `today`'s: the period an office reports on
    by default — on the 4th, the month so far holds too little to rank or sum up."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last
