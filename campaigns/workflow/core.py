"""The machinery every verb shares: find and lock the ticket, check the policy, change the
state, record the chained event, keep the rollup. The verbs themselves live beside this
module (tickets.py, and one module per part of the 交办 chain)."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from infra.fragments import district_touch

from .. import policy
from ..access import scope_for
from ..models import OrgUnit, Ticket, TicketEvent, TicketPhoto
from ..models.ticket import chain_link
from ..policy import ALLOWED_TRANSITIONS, ActionForbidden, TransitionRefused, WorkflowError
from ..services.outbox import outbox_add_ticket_event
from ..services.photos import photos_mark_again
from ..services.tally import tally_follows

T = TypeVar("T")


class TicketNotFound(WorkflowError):
    """No such ticket among the districts the person may see (the page answers 404)."""


@dataclass(frozen=True)
class TicketRef:
    """A ticket named by its number, within the districts the acting person may see.

    A view hands this to a verb instead of a ticket it read first: the verb's locked read
    finds, scopes and locks the ticket in one query.
    """

    number: str
    district_ids: frozenset[int]


def role_allows(action: str, ticket: Ticket, user: User) -> bool:
    """Whether this person's role could ever do `action` to this ticket, whatever its state."""
    return policy.role_allows(action, ticket, scope_for(user))


def refusal(action: str, ticket: Ticket, user: User) -> WorkflowError | None:
    """Why `user` may not do `action` now, or None if they may."""
    return policy.refusal(action, ticket, scope_for(user), user.pk)


def actions_for(ticket: Ticket, user: User) -> list[str]:
    """The acts this person may do right now: drives the buttons on the ticket page."""
    return policy.actions_for(ticket, scope_for(user), user.pk)


def check(action: str, ticket: Ticket, user: User) -> None:
    problem = refusal(action, ticket, user)
    if problem is not None:
        raise problem


def check_state(action: str, ticket: Ticket) -> None:
    transition = ALLOWED_TRANSITIONS[action]
    if ticket.state not in transition.sources:
        raise TransitionRefused(
            _("工单当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": ticket.get_state_display(), "action": transition.label}
        )


def lock(ticket: Ticket | TicketRef) -> Ticket:
    """The ticket's row, locked until the transaction ends.

    Read with it, as `chain_head`, the newest link of the ticket's event chain: the act's
    event hangs on it, so no second read is needed before writing the event.
    """
    head = TicketEvent.objects.filter(ticket_id=OuterRef("pk")).order_by("-id").values("chain_hash")[:1]
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("campaign")  # its chain rules (max 延期, the 销号 levels) decide some acts
        .annotate(chain_head=Subquery(head))
        .order_by()
    )
    # get(), not first(): a unique key needs no ORDER BY, and building one is a tenth of an act.
    if isinstance(ticket, TicketRef):
        try:
            return locked.get(number=ticket.number, district_id__in=ticket.district_ids)
        except Ticket.DoesNotExist:
            raise TicketNotFound(_("没有这张工单，或您无权查看。")) from None
    try:
        return locked.get(pk=ticket.pk)
    except Ticket.DoesNotExist:
        raise Ticket.DoesNotExist(f"ticket {ticket.pk} is gone") from None


@contextmanager
def act(
    ticket: Ticket | TicketRef,
    action: str,
    actor: User,
    *,
    on_refusal: Callable[[Ticket, WorkflowError], None] | None = None,
    system: bool = False,
) -> Iterator[Ticket]:
    """One act on one ticket, in one transaction: lock it, check the person may do this now,
    hand it to the verb's body, and keep the rollup (TicketTally) with whatever the body did.

    `system` acts (the daily sweeps, with the system user) answer to the ticket's state only:
    nobody's role is asked, as nobody pressed a button.

    A refusal rolls the whole act back; `on_refusal(ticket, refusal)` runs after that, so
    whatever it writes is kept.
    """
    locked = None
    try:
        with transaction.atomic():
            locked = lock(ticket)
            if system:
                check_state(action, locked)
            else:
                check(action, locked, actor)
            with tally_follows(locked):
                yield locked
    except (ActionForbidden, TransitionRefused) as refused:
        if on_refusal is not None and locked is not None:
            on_refusal(locked, refused)
        raise


def transition(
    ticket: Ticket,
    action: str,
    actor: User,
    *,
    fields: Sequence[str] = (),
    note: str = "",
    details: Mapping[str, object] | None = None,
    at: datetime | None = None,
    photos: Sequence[TicketPhoto] = (),
) -> TicketEvent:
    """Move the ticket to the act's target state (acts without one leave it where it is), save
    it with the `fields` the act changed, and record the event."""
    from_state = ticket.state
    ticket.state = ALLOWED_TRANSITIONS[action].target or ticket.state
    ticket.save(update_fields=["state", *fields, "updated_at"])
    return record(ticket, action, actor, from_state, note=note, details=details, at=at, photos=photos)


def record(
    ticket: Ticket,
    action: str,
    actor: User,
    from_state: str,
    *,
    note: str = "",
    details: Mapping[str, object] | None = None,
    at: datetime | None = None,
    photos: Sequence[TicketPhoto] = (),
) -> TicketEvent:
    """Write the act's event, chained to the ticket's previous one, and what it owes.

    The SHA-256 of each photo the act takes is part of the event (`files`), so the chain also
    proves the stored files were not swapped (verify_ledger reads them again)."""
    details = dict(details or {})
    if photos:
        details["files"] = {str(photo.pk): photo.sha256 for photo in photos}
    event = TicketEvent(
        ticket=ticket,
        action=action,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=ticket.state,
        note=note,
        details=details,
    )
    event.chain_hash = chain_link(event, previous=ticket.chain_head)
    event.save()
    ticket.chain_head = event.chain_hash
    outbox_add_ticket_event(event)
    # Every page that shows the district is stale once this commits.
    transaction.on_commit(partial(district_touch, ticket.district_id))
    return event


def claim_photos(photos: Sequence[TicketPhoto], *, ticket: Ticket, event: TicketEvent, kind: str, actor: User) -> int:
    """Attach photos the actor uploaded and no ticket has claimed yet (those stored on this
    ticket already are its own)."""
    ids = [photo.pk for photo in photos if photo.ticket_id != ticket.pk or photo.event_id != event.pk]
    if not ids:
        return 0
    claimed = TicketPhoto.objects.filter(pk__in=ids, ticket__isnull=True, uploaded_by=actor).update(
        ticket=ticket, event=event, kind=kind
    )
    if claimed != len(ids):
        raise TransitionRefused(_("有照片已失效或不属于您，请重新选择照片。"))
    # Their display copy carries the ledger number, and an after-photo is looked up among the
    # district's earlier photos, once the claim commits.
    photos_mark_again(TicketPhoto.objects.filter(pk__in=ids).exclude(thumbnail="").only("id", "thumbnail"))
    return claimed


def require_unit_seen(ticket: Ticket, seen_unit: OrgUnit | None) -> None:
    """Refuse an act decided on a page that showed another unit: two supervisors deciding at
    once about one ticket must not both win (the second's decision was about the old unit)."""
    if seen_unit is not None and ticket.responsible_unit_id != seen_unit.pk:
        now = ticket.responsible_unit.name if ticket.responsible_unit else _("（未交办）")
        raise TransitionRefused(_("工单已被改派，现在的责任单位是“%(unit)s”，请核对后再操作。") % {"unit": now})


def require(value: T | None, message: str) -> T:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TransitionRefused(message)
    return value
