"""Working days in China: statutory holidays and make-up working days (调休).

Every "N 个工作日" deadline, every overdue count in working days and every daily-report duty
asks this module. A year's calendar comes from the first source that knows the year:

1. the office's own 节假日安排 (HolidaySchedule), typed in or imported by a city admin —
   the State Council's notice comes out each November, before any package release;
2. the maintained `chinesecalendar` package;
3. the maintained `holidays` package, for a year whose notice it carries (it lists the
   year's 调休 working days; without them it only guesses from the fixed dates);
4. Monday to Friday, and every page that counts says so.

A deadline is stored as a date when it is given, so a schedule entered later never moves a
deadline already given; computations made after it use it.

It lives beside reference.py, below selectors and services: the daily-report reads, the
forms and the reminders all count working days, and it needs nothing but the calendar models.
"""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version

import chinese_calendar
import holidays
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import HolidayDay, HolidayDayKind, HolidaySchedule

OFFICE = "office"
CHINESECALENDAR = "chinesecalendar"
HOLIDAYS = "holidays"
WEEKDAYS = "weekdays"

VERSION_KEY = "workcal:version"
CACHE_SECONDS = 3600
# The State Council's notice for next year usually appears in late October or November;
# from this day admins are reminded while next year has no calendar.
REMINDER_FROM = (11, 1)


@dataclass(frozen=True)
class YearCalendar:
    """One year's days off that fall on weekdays and working days that fall on weekends."""

    year: int
    source: str
    days_off: frozenset = frozenset()
    working_weekends: frozenset = frozenset()

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off

    @property
    def is_known(self) -> bool:
        return self.source != WEEKDAYS

    @property
    def label(self) -> str:
        """Which source the year's working days come from, as a page says it."""
        if self.source == OFFICE:
            return _("本系统录入的%(year)s年节假日安排") % {"year": self.year}
        if self.source == WEEKDAYS:
            return _("%(year)s年节假日安排尚未录入，暂按周一至周五计算") % {"year": self.year}
        package = "chinesecalendar" if self.source == CHINESECALENDAR else "holidays"
        return _("%(year)s年国务院节假日安排（%(package)s %(version)s）") % {
            "year": self.year,
            "package": package,
            "version": version(package),
        }


# --- the packages ---------------------------------------------------------------------------


def chinesecalendar_year(year: int) -> YearCalendar | None:
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return None
    return YearCalendar(
        year,
        CHINESECALENDAR,
        frozenset(day for day in chinese_calendar.holidays if day.year == year),
        frozenset(day for day in chinese_calendar.workdays if day.year == year),
    )


def holidays_year(year: int) -> YearCalendar | None:
    calendar = holidays.China(years=year)
    working_weekends = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    if not working_weekends:
        return None
    return YearCalendar(year, HOLIDAYS, frozenset(day for day in calendar if day.year == year), working_weekends)


def package_year(year: int) -> YearCalendar:
    """The year as the maintained packages know it (Monday–Friday when neither does)."""
    return chinesecalendar_year(year) or holidays_year(year) or YearCalendar(year, WEEKDAYS)


# --- the office's schedule ------------------------------------------------------------------


def _office_year(year: int) -> YearCalendar | None:
    if not HolidaySchedule.objects.filter(year=year).exists():
        return None
    days_off: set[datetime.date] = set()
    working: set[datetime.date] = set()
    for day, kind in HolidayDay.objects.filter(schedule__year=year).values_list("date", "kind"):
        (days_off if kind == HolidayDayKind.HOLIDAY else working).add(day)
    return YearCalendar(year, OFFICE, frozenset(days_off), frozenset(working))


def _version() -> str:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        current = cache.get(VERSION_KEY) or "none"
    return current


def schedules_changed() -> None:
    """Called when a schedule is saved: every process reads the years afresh.

    Now, for the rest of this transaction, and again after commit, in case another request
    read the old rows in between and kept them under the new version.
    """

    def bump() -> None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def year_calendar(year: int) -> YearCalendar:
    key = f"workcal:{_version()}:{year}"
    calendar = cache.get(key)
    if calendar is None:
        calendar = _office_year(year) or package_year(year)
        cache.set(key, calendar, CACHE_SECONDS)
    return calendar


class WorkCalendar:
    """The calendar for one computation: each year is looked up once, however many days are asked."""

    def __init__(self) -> None:
        self._years: dict[int, YearCalendar] = {}

    def year(self, year: int) -> YearCalendar:
        if year not in self._years:
            self._years[year] = year_calendar(year)
        return self._years[year]

    def is_working_day(self, day: datetime.date) -> bool:
        return self.year(day.year).is_working_day(day)

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        if days < 0:
            raise ValueError("days must not be negative")
        day, counted = start, 0
        while counted < days:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        if end < start:
            return -self.working_days_between(end, start)
        one = datetime.timedelta(days=1)
        return sum(1 for offset in range(1, (end - start).days + 1) if self.is_working_day(start + offset * one))


# --- what the rest of the ledger asks -------------------------------------------------------


def calendar_covers(day: datetime.date) -> bool:
    return year_calendar(day.year).is_known


def calendar_label(day: datetime.date) -> str:
    return year_calendar(day.year).label


def basis_of(calendars: Iterable[YearCalendar]) -> str:
    """“工作日依据：…”, naming each year's source, in the reader's language."""
    return _("工作日依据：%(sources)s") % {"sources": "；".join(calendar.label for calendar in calendars)}


def period_calendars(start: datetime.date, end: datetime.date) -> tuple[YearCalendar, ...]:
    """The calendars of every year [start, end] spans (a KPI's period, a ranking's, a month)."""
    return tuple(year_calendar(year) for year in range(start.year, max(start.year, end.year) + 1))


def calendar_basis(start: datetime.date, end: datetime.date) -> str:
    """Which sources a count of working days over [start, end] uses, one per year it spans."""
    return basis_of(period_calendars(start, end))


def calendar_note(today: datetime.date | None = None) -> str:
    """Which sources a count of working days from today uses (next year's too from October,
    since 60 working days reach into it)."""
    today = today or timezone.localdate()
    return calendar_basis(today, datetime.date(today.year + 1, 1, 1) if today.month >= 10 else today)


def is_working_day(day: datetime.date) -> bool:
    return year_calendar(day.year).is_working_day(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself does not count)."""
    return WorkCalendar().add_working_days(start, days)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    return WorkCalendar().working_days_between(start, end)


def missing_schedule_year(today: datetime.date | None = None) -> int | None:
    """The year an admin should enter a schedule for now, or None.

    This year when no source knows it; next year from 1 November while none knows it.
    """
    today = today or timezone.localdate()
    if not year_calendar(today.year).is_known:
        return today.year
    if (today.month, today.day) >= REMINDER_FROM and not year_calendar(today.year + 1).is_known:
        return today.year + 1
    return None
