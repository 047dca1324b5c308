"""照片证据核验: the fingerprints of a stored photo, its watermarked display copy, and the
earlier photo an after-photo was found to repeat.

A 督查 team's first question of an after-photo is whether it is last month's photo again.
Byte hashes cannot answer it (a photo resized or saved again has other bytes); a perceptual
hash can: 64 bits that stay nearly the same when the picture is scaled or re-encoded.

At a million tickets the district's photos cannot be compared one by one. The hash is also
stored as four 16-bit bands, each indexed: two hashes at most REUSE_MAX_BITS (3) bits apart
differ in at most three bands, so at least one band is equal (pigeonhole). One indexed query
on the four bands finds the candidates; the exact Hamming distance is checked here.
"""

import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO

import imagehash
from django.db.models import Q
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps, ImageStat

from campaigns.models import PhotoKind, TicketPhoto
from infra.fragments import district_touch

# Bits two perceptual hashes may differ by and still be "the same photo". A phone photo
# scaled to 80 % and saved again at another JPEG quality moves 0–2 bits (tests/test_photo_evidence.py);
# two different scenes differ by about 32. More than 3 would break the band lookup's guarantee.
REUSE_MAX_BITS = 3
BANDS = 4
# A pathological band value (a black frame, a blank wall) could match thousands: look at the
# nearest ones in time, which is where a reused photo comes from.
CANDIDATES_MAX = 500


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


# A picture with (almost) nothing in it — a lens cap, a blank wall, one flat colour — hashes
# to noise that every other such picture shares; it proves nothing either way, so it is
# marked PLAIN and never compared.
PLAIN = "-"
PLAIN_MAX_STDDEV = 2.0


def phash_of(image: Image.Image) -> str:
    """The 64-bit perceptual hash of an (upright) picture as 16 hex digits, or PLAIN."""
    small = image.convert("L").resize((64, 64))
    if ImageStat.Stat(small).stddev[0] < PLAIN_MAX_STDDEV:
        return PLAIN
    return str(imagehash.phash(image))


def phash_bands(phash: str) -> list[int]:
    return [int(phash[i * 4 : i * 4 + 4], 16) for i in range(BANDS)]


def phash_fields(phash: str) -> dict[str, object]:
    """The model fields a perceptual hash is stored in."""
    if phash == PLAIN:
        return {"phash": PLAIN, **{f"phash_b{i}": None for i in range(BANDS)}}
    return {"phash": phash, **{f"phash_b{i}": band for i, band in enumerate(phash_bands(phash))}}


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _coordinate(value: Decimal | None, positive: str, negative: str) -> str:
    if value is None:
        return ""
    return f"{abs(value):.4f}{positive if value >= 0 else negative}"


def photo_caption(photo: TicketPhoto) -> str:
    """What the display copy carries: when and where it was taken, and the ledger number.

    ASCII only: the servers of a district network may have no CJK font, and Pillow's own font
    draws ASCII everywhere.
    """
    if photo.taken_at is not None:
        when = timezone.localtime(photo.taken_at).strftime("%Y-%m-%d %H:%M")
    else:
        when = timezone.localtime(photo.uploaded_at).strftime("%Y-%m-%d %H:%M") + " (uploaded)"
    if photo.latitude is not None and photo.longitude is not None:
        where = f"{_coordinate(photo.latitude, 'N', 'S')} {_coordinate(photo.longitude, 'E', 'W')}"
    else:
        where = "no GPS"
    number = photo.ticket.number if photo.ticket is not None else ""
    return " | ".join(part for part in (when, where, number) if part)


def watermark(image: Image.Image, caption: str) -> Image.Image:
    """The caption drawn on a dark band across the bottom of the picture (a copy is returned)."""
    marked = image.convert("RGB")
    width, height = marked.size
    size = max(9, width // 34)
    font = ImageFont.load_default(size=size)
    while size > 8 and ImageDraw.Draw(marked).textlength(caption, font=font) > width - 8:
        size -= 1
        font = ImageFont.load_default(size=size)
    band = size + 8
    overlay = Image.new("RGBA", marked.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, 150))
    draw.text((4, height - band + 4), caption, font=font, fill=(255, 255, 255, 255))
    return Image.alpha_composite(marked.convert("RGBA"), overlay).convert("RGB")


def reuse_candidates(photo: TicketPhoto, district_id: int) -> list[TicketPhoto]:
    """Photos of the district stored before this one (or the ticket's own before-photos)
    sharing at least one band of its hash: one indexed query."""
    bands = phash_bands(photo.phash)
    same_band = Q()
    for index, band in enumerate(bands):
        same_band |= Q(**{f"phash_b{index}": band})
    earlier = Q(pk__lt=photo.pk) | Q(ticket_id=photo.ticket_id, kind=PhotoKind.BEFORE)
    return list(
        TicketPhoto.objects.filter(same_band, earlier, ticket__district_id=district_id)
        .exclude(pk=photo.pk)
        .exclude(event_id=photo.event_id)  # the same submission's other shots of the fix
        .only("id", "phash", "ticket_id")
        .order_by("-id")[:CANDIDATES_MAX]
    )


def reuse_match(photo: TicketPhoto, district_id: int) -> TicketPhoto | None:
    """The closest earlier photo within REUSE_MAX_BITS, preferring the ticket's own."""
    if photo.phash in ("", PLAIN):
        return None
    found = [
        (hamming(photo.phash, other.phash), other.ticket_id != photo.ticket_id, -other.pk, other)
        for other in reuse_candidates(photo, district_id)
        if other.phash not in ("", PLAIN)
    ]
    found = [item for item in found if item[0] <= REUSE_MAX_BITS]
    return min(found, key=lambda item: item[:3])[3] if found else None


def photo_reuse_check(photo_id: int) -> TicketPhoto | None:
    """Look for the photo an after-photo repeats and record it (or that there is none).

    Safe to run again: the answer is written over the last one.
    """
    photo = TicketPhoto.objects.filter(pk=photo_id).select_related("ticket").first()
    ticket = photo.ticket if photo is not None else None
    if photo is None or ticket is None or photo.kind != PhotoKind.AFTER or not photo.phash:
        return None  # not an after-photo of a ticket, or its fingerprint is still being made
    match = reuse_match(photo, ticket.district_id)
    TicketPhoto.objects.filter(pk=photo.pk).update(reused_of=match, evidence_checked_at=timezone.now())
    district_touch(ticket.district_id)  # the ticket page shows the answer
    return match


def fingerprints_missing() -> Iterator[int]:
    """Ids of stored photos without a file hash or a perceptual hash (made before issue 18)."""
    missing = TicketPhoto.objects.filter(Q(sha256="") | Q(phash="")).order_by("id")
    yield from missing.values_list("id", flat=True).iterator(chunk_size=2000)


def photo_fingerprint(photo_id: int) -> bool:
    """Compute a stored photo's SHA-256 and perceptual hash from its file (the backfill).

    The SHA-256 of a photo stored before issue 18 is taken from the file as it is now: the
    chain proves it unchanged from this day on, not before.
    """
    photo = TicketPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return False
    try:
        with photo.image.open("rb") as handle:
            sha = sha256_of_file(handle)
            handle.seek(0)
            with Image.open(handle) as opened:
                phash = phash_of(upright(opened))
    except (FileNotFoundError, OSError):
        return False
    TicketPhoto.objects.filter(pk=photo.pk).update(sha256=photo.sha256 or sha, **phash_fields(phash))
    if photo.kind == PhotoKind.AFTER and photo.ticket_id is not None:
        photo_reuse_check(photo.pk)
    return True


def fingerprints_backfill(progress: Callable[[int, int], None] | None = None, every: int = 500) -> int:
    """Fingerprint every photo that has none; `progress(done, total)` every `every` photos."""
    ids = list(fingerprints_missing())
    done = 0
    for done, photo_id in enumerate(ids, start=1):
        photo_fingerprint(photo_id)
        if progress is not None and (done % every == 0 or done == len(ids)):
            progress(done, len(ids))
    return done


def upright(image: Image.Image) -> Image.Image:
    """The picture as it is seen (EXIF orientation applied): a reused photo turned by the phone
    is the same photo."""
    return ImageOps.exif_transpose(image)
