"""准确派遣率: how often the district sends a ticket to the right unit the first time."""

from django.db.models import Exists, OuterRef, QuerySet

from campaigns.models import Ticket, TicketAction, TicketEvent


def dispatch_accuracy(tickets: QuerySet[Ticket]) -> float | None:
    """准确派遣率 (%) = tickets assigned whose first assignment was never 退单 or 改派 ÷ tickets
    assigned (ever 交办, the ones since voided or sent back included). None when none was assigned.

    Read from the events, so a ticket declined and assigned again still counts as a miss.
    """
    events = TicketEvent.objects.filter(ticket_id=OuterRef("pk"))
    assigned = tickets.filter(Exists(events.filter(action=TicketAction.ASSIGN)))
    total = assigned.count()
    if not total:
        return None
    missed = assigned.filter(Exists(events.filter(action__in=(TicketAction.DECLINE, TicketAction.REASSIGN)))).count()
    return round(100 * (total - missed) / total, 1)
