"""What the ticket page shows of the 交办 chain: the 销号 levels, the 协办 parts, the 复查."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.models import Recheck, Ticket, TicketCoUnit, TicketState


@dataclass(frozen=True)
class LevelShown:
    number: int
    label: str
    passed: bool
    current: bool

    @property
    def title(self) -> str:
        return _("第%(n)s级：%(label)s") % {"n": self.number, "label": self.label}


def chain_shown(ticket: Ticket) -> dict[str, object]:
    """The chain's levels (with where a submitted fix stands), the parts and the 复查 planned."""
    levels = ticket.chain_rules.review_levels
    submitted = ticket.state == TicketState.SUBMITTED
    shown = [
        LevelShown(
            number=index + 1,
            label=str(level.label),
            passed=(submitted and index < ticket.review_level) or ticket.state == TicketState.CLOSED,
            current=submitted and index == min(ticket.review_level, len(levels) - 1),
        )
        for index, level in enumerate(levels)
    ]
    now = next((level for level in shown if level.current), None)
    parts = list(TicketCoUnit.objects.filter(ticket=ticket).select_related("unit")) if ticket.co_units_count else []
    rechecks = list(Recheck.objects.filter(ticket=ticket)) if ticket.closed_at or ticket.reopen_count else []
    return {
        "chain_levels": shown if len(shown) > 1 else [],
        "chain_now": now.title if now is not None and len(shown) > 1 else "",
        "co_parts": parts,
        "rechecks": rechecks,
    }
