"""Small pieces every aggregate shares: periods and the headline counts."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import OPEN_STATES, TicketState


def week_start(today):
    return today - datetime.timedelta(days=today.weekday())


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def ticket_figures_q(today):
    """The headline counts as filtered aggregates, so a panel is one query."""
    open_q = Q(state__in=OPEN_STATES)
    return {
        "total": Count("id", filter=~Q(state=TicketState.VOIDED)),
        "open": Count("id", filter=open_q),
        "overdue": Count("id", filter=open_q & Q(deadline__lt=today)),
        "closed": Count("id", filter=Q(state=TicketState.CLOSED)),
        "closed_this_week": Count("id", filter=Q(state=TicketState.CLOSED, closed_at__gte=_aware(week_start(today)))),
        "found_this_week": Count("id", filter=Q(reported_at__gte=_aware(week_start(today)))),
        **{state: Count("id", filter=Q(state=state)) for state in TicketState.values},
    }


def closure_rate(figures):
    """Closed share of all real (non-voided) tickets, in percent, or None when there are none."""
    if not figures["total"]:
        return None
    return round(100 * figures["closed"] / figures["total"], 1)
