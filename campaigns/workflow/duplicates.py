"""重复问题合并: a supervisor merges a duplicate into the ticket kept, or keeps both.

The duplicate leaves the ledger as 已撤销 with a link to the kept ticket (so no board, ranking,
KPI or rollup counts the problem twice: they all leave voided tickets out), and the kept one
records what it took in; its page lists every merged ticket's source, reporter and photos.
"""

from contextlib import ExitStack
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from infra.fragments import district_touch
from security.audit import audit_record

from ..access import scope_for
from ..models import AuditKind, DuplicateDecision, DuplicateSuggestion, Ticket, TicketAction
from ..policy import ActionForbidden, TransitionRefused
from .core import TicketRef, act, record, transition


def _source(ticket: Ticket) -> dict[str, object]:
    """Who found the duplicate and where it came from, as the kept ticket's event keeps it."""
    details: dict[str, object] = {
        "duplicate": ticket.number,
        "reported_by": ticket.reported_by.get_full_name() or ticket.reported_by.get_username(),
        "reported_at": timezone.localtime(ticket.reported_at).isoformat(),
    }
    if ticket.inspection_round_id:
        details["round"] = str(ticket.inspection_round)
    return details


def ticket_merge(*, duplicate: Ticket | TicketRef, into: Ticket | TicketRef, actor: User, note: str = "") -> Ticket:
    """合并: close `duplicate` as a repeat of `into` (both open, in one district) and return
    the kept ticket. A merge sent again finds the duplicate closed and is refused."""
    pair = sorted([("duplicate", duplicate), ("into", into)], key=lambda item: item[1].number)
    if pair[0][1].number == pair[1][1].number:
        raise TransitionRefused(_("不能把工单合并到它自己。"))
    actions = {"duplicate": TicketAction.MERGE, "into": TicketAction.MERGE_IN}
    with transaction.atomic(), ExitStack() as stack:
        # Both rows locked in one order (by number), so two supervisors merging the same pair
        # in opposite directions wait for each other: the second finds a closed ticket.
        locked = {role: stack.enter_context(act(ticket, actions[role], actor)) for role, ticket in pair}
        kept, merged = locked["into"], locked["duplicate"]
        if kept.district_id != merged.district_id:
            raise TransitionRefused(_("不同区的工单不能合并。"))
        gathered = list(Ticket.objects.filter(merged_into=merged).values_list("number", flat=True))
        # Tickets merged into the duplicate before now follow it into the kept ticket: every
        # source stays one hop from the ticket that lives on.
        Ticket.objects.filter(merged_into=merged).update(merged_into=kept)
        merged.merged_into = kept
        transition(
            merged, TicketAction.MERGE, actor, fields=["merged_into"], note=note.strip(), details={"into": kept.number}
        )
        details = _source(merged)
        if gathered:
            details["also"] = gathered
        record(kept, TicketAction.MERGE_IN, actor, kept.state, note=note.strip(), details=details)
        DuplicateSuggestion.objects.filter(
            ticket_id__in=(kept.pk, merged.pk), candidate_id__in=(kept.pk, merged.pk), decision=""
        ).update(decision=DuplicateDecision.MERGED, decided_by=actor, decided_at=timezone.now(), note=note.strip())
        audit_record(
            AuditKind.TICKET_MERGE, user=actor, district=kept.district_id, target=f"{merged.number} → {kept.number}"
        )
    return kept


def duplicate_keep_both(*, suggestion: DuplicateSuggestion, actor: User, note: str = "") -> DuplicateSuggestion:
    """保留两张: the two tickets are different problems; the suggestion is closed, on record.
    Deciding again changes nothing (the first decision stands)."""
    if not scope_for(actor).can_manage(suggestion.district_id):
        raise ActionForbidden(_("只有督导和管理员可以判断疑似重复。"))
    with transaction.atomic():
        locked = DuplicateSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.decision:
            return locked
        locked.decision = DuplicateDecision.KEPT_BOTH
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.note = note.strip()
        locked.save(update_fields=["decision", "decided_by", "decided_at", "note"])
        transaction.on_commit(partial(district_touch, locked.district_id))
    return locked
