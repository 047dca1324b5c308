"""疑似重复 as pages read them: the district's queue, the marks on a list, a ticket's panel."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from campaigns.models import (
    OPEN_STATES,
    DuplicateSuggestion,
    OrgUnit,
    PhotoKind,
    Ticket,
    TicketPhoto,
)

# What a queue row or a panel shows of either ticket.
TICKET_RELATIONS = ("category", "street", "point", "reported_by", "inspection_round", "responsible_unit")


def _undecided() -> QuerySet[DuplicateSuggestion]:
    """Suggestions still waiting, whose two tickets are both still open (a ticket closed or
    merged meanwhile leaves nothing to decide)."""
    return DuplicateSuggestion.objects.filter(
        decision="", ticket__state__in=OPEN_STATES, candidate__state__in=OPEN_STATES
    )


def _photos(prefix: str) -> Prefetch:
    return Prefetch(
        f"{prefix}photos",
        queryset=TicketPhoto.objects.filter(kind=PhotoKind.BEFORE).order_by("id"),
        to_attr="before_photos",
    )


def duplicate_queue(district: OrgUnit) -> QuerySet[DuplicateSuggestion]:
    """The district's undecided suggestions, newest first, each with both tickets and their
    first photos (a fixed number of queries for a page of them)."""
    related = [f"{side}__{name}" for side in ("ticket", "candidate") for name in TICKET_RELATIONS]
    return (
        _undecided()
        .filter(district=district)
        .select_related("ticket", "candidate", *related)
        .prefetch_related(_photos("ticket__"), _photos("candidate__"))
        .order_by("-created_at", "-id")
    )


def suspected_ids(ticket_ids: Iterable[int]) -> set[int]:
    """Of these tickets, those in an undecided suggestion, on either side (one query)."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    pairs = _undecided().filter(Q(ticket_id__in=ids) | Q(candidate_id__in=ids)).values_list("ticket_id", "candidate_id")
    return {pk for pair in pairs for pk in pair} & set(ids)


@dataclass
class DuplicatePanel:
    """What the ticket page shows about duplicates."""

    # (suggestion, the other ticket) for each undecided suggestion: for supervisors only.
    suggestions: list[tuple[DuplicateSuggestion, Ticket]] = field(default_factory=list)
    # The tickets merged into this one, with their reporters, sources and photos.
    merged: list[Ticket] = field(default_factory=list)
    merged_into: Ticket | None = None

    def __bool__(self) -> bool:
        return bool(self.suggestions or self.merged or self.merged_into)


def duplicate_panel(ticket: Ticket, *, manager: bool) -> DuplicatePanel:
    """The suggestions about this ticket (for a manager), the tickets merged into it and the
    one it was merged into."""
    panel = DuplicatePanel()
    if manager and ticket.state in OPEN_STATES:
        rows = (
            _undecided()
            .filter(Q(ticket=ticket) | Q(candidate=ticket))
            .select_related(*[f"{side}__{name}" for side in ("ticket", "candidate") for name in TICKET_RELATIONS])
            .order_by("-created_at", "-id")
        )
        panel.suggestions = [(row, row.candidate if row.ticket_id == ticket.pk else row.ticket) for row in rows]
    panel.merged = list(
        Ticket.objects.filter(merged_into=ticket)
        .select_related(*TICKET_RELATIONS)
        .prefetch_related(_photos(""))
        .order_by("reported_at", "id")
    )
    if ticket.merged_into_id:
        panel.merged_into = Ticket.objects.filter(pk=ticket.merged_into_id).only("number", "state").first()
    return panel
