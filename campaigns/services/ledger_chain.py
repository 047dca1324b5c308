"""Checking the record: every ticket's events must chain, hash by hash, as they were written."""

from dataclasses import dataclass

from campaigns.models import OrgUnit, TicketEvent
from campaigns.models.ticket import event_hash


@dataclass
class BrokenLink:
    ticket_number: str
    event_id: int
    action: str
    reason: str


def ledger_verify(district: OrgUnit) -> tuple[int, BrokenLink | None]:
    """(events checked, first broken link or None) for one district, streamed in ticket order."""
    checked = 0
    previous_ticket: int | None = None
    previous_hash = ""
    events = (
        TicketEvent.objects.filter(ticket__district=district)
        .select_related("ticket")
        .only(
            "id",
            "ticket_id",
            "ticket__number",
            "action",
            "actor_id",
            "at",
            "from_state",
            "to_state",
            "note",
            "details",
            "chain_hash",
        )
        .order_by("ticket_id", "id")
    )
    for event in events.iterator(chunk_size=5000):
        if event.ticket_id != previous_ticket:
            previous_ticket, previous_hash = event.ticket_id, ""
        expected = event_hash(previous_hash, event)
        checked += 1
        if event.chain_hash != expected:
            reason = "内容被改动或记录被插入/删除" if event.chain_hash else "缺少校验值"
            return checked, BrokenLink(event.ticket.number, event.pk, event.action, reason)
        previous_hash = expected
    return checked, None
