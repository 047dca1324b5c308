"""挂牌督办 beyond the act itself: proposing a ticket for it."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import NotificationKind, Role, Ticket

from .notifications import Message, deliveries_send, notify
from .reminders import district_people


def supervision_propose(ticket: Ticket, reason: str = "") -> list[int]:
    """Tell the district's supervisors this ticket is proposed for 挂牌督办 (a 复查 found it
    relapsed again, say); they decide. Once per ticket and day, however often it is proposed."""
    if ticket.supervised_at is not None:
        return []
    today = timezone.localdate()
    message = Message(
        district_id=ticket.district_id,
        kind=NotificationKind.SUPERVISION_PROPOSED,
        occasion=f"supervision-propose:{ticket.pk}:{today.isoformat()}",
        title=(_("拟挂牌督办：%(n)s") % {"n": ticket.number})[:200],
        body=(reason or ticket.description)[:200],
        link=reverse("campaigns:ticket-detail", args=[ticket.number]),
        user_ids=district_people(ticket.district_id, (Role.SUPERVISOR,)),
    )
    ids = notify(message)
    transaction.on_commit(lambda: deliveries_send(ids))
    return ids
