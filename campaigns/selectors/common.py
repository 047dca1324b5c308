"""Small pieces every aggregate shares: periods, the headline counts, medians, traffic lights."""

import datetime
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Case, Count, DurationField, Expression, F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import OPEN_STATES, Campaign, TicketState


def week_start(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=today.weekday())


def month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class Median(Aggregate):
    """PostgreSQL's ordered-set median, in the same query as the other counts.

    The ordered-set form has no place for Django's FILTER clause (whose position in the
    aggregate template changed in Django 6), so `filter` turns the rows outside it into NULL,
    which PERCENTILE_CONT skips: the same median on every Django version.
    """

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()
    allow_distinct = False

    def __init__(self, expression: Any, filter: Q | None = None, **extra: Any) -> None:
        if filter is not None:
            expression = Case(When(filter, then=expression), output_field=DurationField())
        super().__init__(expression, **extra)


def time_to_close() -> Expression:
    return F("closed_at") - F("reported_at")


def median_supported() -> bool:
    return connection.vendor == "postgresql"


def median_days(durations: Iterable[datetime.timedelta | None]) -> float | None:
    """Median of timedeltas in days (one decimal), or None."""
    values = [d.total_seconds() / 86400 for d in durations if d is not None]
    if not values:
        return None
    return round(statistics.median(values), 1)


def ticket_figures_q(today: datetime.date, median_since: datetime.datetime | None = None) -> dict[str, Aggregate]:
    """The headline counts as filtered aggregates, so a panel is one query."""
    open_q = Q(state__in=OPEN_STATES)
    closed_q = Q(state=TicketState.CLOSED)
    week, month = day_start(week_start(today)), day_start(month_start(today))
    figures: dict[str, Aggregate] = {
        "total": Count("id", filter=~Q(state=TicketState.VOIDED)),
        "open": Count("id", filter=open_q),
        "overdue": Count("id", filter=open_q & Q(deadline__lt=today)),
        "closed": Count("id", filter=closed_q),
        "found_this_week": Count("id", filter=Q(reported_at__gte=week) & ~Q(state=TicketState.VOIDED)),
        "found_this_month": Count("id", filter=Q(reported_at__gte=month) & ~Q(state=TicketState.VOIDED)),
        "closed_this_week": Count("id", filter=closed_q & Q(closed_at__gte=week)),
        "closed_this_month": Count("id", filter=closed_q & Q(closed_at__gte=month)),
        "returns": Sum("return_count", default=0),
        "reopens": Sum("reopen_count", default=0),
        **{state: Count("id", filter=Q(state=state)) for state in TicketState.values},
    }
    if median_since is not None and median_supported():
        figures["median_close"] = Median(time_to_close(), filter=closed_q & Q(closed_at__gte=median_since))
    return figures


def closure_rate(figures: Mapping[str, Any]) -> float | None:
    """Closed share of all real (non-voided) tickets, in percent, or None when there are none."""
    if not figures["total"]:
        return None
    return round(100 * figures["closed"] / figures["total"], 1)


@dataclass(frozen=True)
class Light:
    color: str  # "red", "yellow", "green"
    label: str


LIGHT_LABELS = {"red": _("红"), "yellow": _("黄"), "green": _("绿")}


def _light(color: str) -> Light:
    return Light(color, str(LIGHT_LABELS[color]))


def overdue_light(campaign: Campaign | None, overdue: int) -> Light | None:
    if campaign is None:
        return None
    if overdue >= campaign.light_overdue_red:
        return _light("red")
    if overdue >= campaign.light_overdue_yellow:
        return _light("yellow")
    return _light("green")


def closure_light(campaign: Campaign | None, rate: float | None) -> Light | None:
    if campaign is None or rate is None:
        return None
    if rate >= campaign.light_closure_green:
        return _light("green")
    if rate >= campaign.light_closure_yellow:
        return _light("yellow")
    return _light("red")
