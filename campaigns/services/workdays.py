"""Working days in China: statutory holidays and make-up working days (调休).

The calendar comes from the maintained `chinesecalendar` package, which follows the State
Council's yearly notice. A year it does not cover yet (the notice comes out each
November) falls back to Monday–Friday, and `calendar_covers()` lets pages say so.
"""

import datetime

import chinese_calendar


def calendar_covers(day):
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def holiday_name(day):
    """The holiday's English name from the calendar, or None (used only for display hints)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return name if on_holiday else None


def add_working_days(start, days):
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start, end):
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + datetime.timedelta(offset)))
