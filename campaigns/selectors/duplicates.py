"""疑似重复 as pages read them: the district's queue, the marks on a list, a ticket's pairs and sources."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from campaigns.access import undecided_duplicates
from campaigns.models import (
    OPEN_STATES,
    DuplicateSuggestion,
    OrgUnit,
    PhotoKind,
    Ticket,
    TicketAction,
    TicketEvent,
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
class DuplicateSources:
    """What the ticket page shows of merging, the same for everyone who sees the ticket."""

    # The tickets merged into this one, with their reporters, sources and photos.
    merged: list[Ticket] = field(default_factory=list)
    merged_into: Ticket | None = None


def duplicate_sources(ticket: Ticket, events: Iterable[TicketEvent]) -> DuplicateSources:
    """The tickets merged into this one (read only when its timeline, `events`, shows a merge)
    and the one it was merged into."""
    merged = []
    if any(event.action == TicketAction.MERGE_IN for event in events):
        merged = list(
            Ticket.objects.filter(merged_into=ticket)
            .select_related(*TICKET_RELATIONS)
            .prefetch_related(_photos(""))
            .order_by("reported_at", "id")
        )
    into = None
    if ticket.merged_into_id:
        into = Ticket.objects.filter(pk=ticket.merged_into_id).only("number", "state").first()
    return DuplicateSources(merged=merged, merged_into=into)


def duplicate_suggestions(ticket: Ticket) -> list[tuple[DuplicateSuggestion, Ticket]]:
    """(suggestion, the other ticket) for each undecided suggestion about this ticket."""
    rows = (
        undecided_duplicates(ticket.pk)
        .select_related(*[f"{side}__{name}" for side in ("ticket", "candidate") for name in TICKET_RELATIONS])
        .prefetch_related(_photos("ticket__"), _photos("candidate__"))
        .order_by("-created_at", "-id")
    )
    return [(row, row.candidate if row.ticket_id == ticket.pk else row.ticket) for row in rows]
