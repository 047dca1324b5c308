"""Checking the record: every ticket's events must chain, hash by hash, as they were written."""

from dataclasses import dataclass

from campaigns.models import OrgUnit, TicketEvent, TicketPhoto
from campaigns.models.ticket import event_hash

from .photo_evidence import sha256_of_file


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


@dataclass
class SwappedFile:
    ticket_number: str
    photo_id: int
    reason: str


def files_verify(district: OrgUnit, limit: int = 20) -> tuple[int, list[SwappedFile]]:
    """(photo files checked, the first `limit` that differ from the SHA-256 on record).

    The record is the SHA-256 in the event that took the photo (chained, so it cannot be
    changed without breaking the chain); a photo stored before issue 18 is checked against
    the SHA-256 its row got when it was fingerprinted.
    """
    checked = 0
    found: list[SwappedFile] = []
    photos = (
        TicketPhoto.objects.filter(ticket__district=district)
        .select_related("ticket", "event")
        .only("id", "image", "sha256", "ticket__number", "event__details")
        .order_by("id")
    )
    for photo in photos.iterator(chunk_size=2000):
        on_record = (photo.event.details.get("files") or {}) if photo.event else {}
        expected = on_record.get(str(photo.pk)) or photo.sha256
        if not expected:
            continue  # never fingerprinted: `photo_fingerprints` first
        checked += 1
        number = photo.ticket.number if photo.ticket is not None else "-"
        try:
            with photo.image.open("rb") as handle:
                actual = sha256_of_file(handle)
        except (FileNotFoundError, OSError):
            found.append(SwappedFile(number, photo.pk, "文件缺失"))
        else:
            if actual != expected:
                found.append(SwappedFile(number, photo.pk, "文件与记录的 SHA-256 不符（被替换或改动）"))
        if len(found) >= limit:
            break
    return checked, found
