"""Photos from phones: checked by content, not by name, stored without their metadata.

A phone photo's EXIF/XMP carries where it was taken, the phone's make, model and serial
number, sometimes the owner's name (个人信息保护法: collect no more than the purpose needs).
The file is kept and served without any of it; what the ledger needs (when and where it
was taken) is kept as fields of the photo. JPEGs are not re-encoded: the metadata segments
are cut out byte by byte, so the picture is bit-identical and the cost is a scan of the
file, not a decode.
"""

import datetime
import io
import math
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import IO, Any, SupportsFloat
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from campaigns.models import Ticket, TicketEvent, TicketPhoto
from campaigns.queue import enqueue_on_commit

from .photo_capture import MICRODEGREE, Capture, capture_fields
from .photo_evidence import phash_fields, phash_of, photo_caption, photo_reuse_check, sha256_of, upright, watermark

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def photo_inspect(uploaded: File) -> str:
    """Return the content type of an acceptable photo, or raise ValidationError saying why not."""
    name = getattr(uploaded, "name", "") or _("照片")
    if uploaded.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”大小为 %(size)s，超过 %(limit)s 的上限，请压缩后再上传。")
            % {
                "name": name,
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.PHOTO_MAX_BYTES),
            },
            code="too_large",
        )
    if uploaded.size == 0:
        raise ValidationError(_("“%(name)s”是空文件。") % {"name": name}, code="empty")
    not_image = ValidationError(
        _("“%(name)s”不是照片。请上传 JPG、PNG 或 WebP 格式的图片。") % {"name": name}, code="not_image"
    )
    uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise not_image
                if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                    raise ValidationError(
                        _("“%(name)s”的像素过大（%(w)s×%(h)s），请缩小后再上传。")
                        % {"name": name, "w": image.width, "h": image.height},
                        code="too_many_pixels",
                    )
                image.verify()
                content_type = ACCEPTED_FORMATS[image.format]
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("“%(name)s”的像素过大，无法处理。") % {"name": name}, code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_image from None
    finally:
        uploaded.seek(0)
    return content_type


# --- metadata -------------------------------------------------------------------------

# EXIF keeps a wall-clock time without a zone; phones here are on Beijing time.
CAPTURE_ZONE = ZoneInfo("Asia/Shanghai")
EXIF_ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003


class PhotoStructureError(ValueError):
    """The file could not be walked segment by segment (it still opened as a picture)."""


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _taken_at(value: object) -> datetime.datetime | None:
    text = _exif_text(value)[:19]
    try:
        moment = datetime.datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # "0000:00:00 00:00:00", blanks, garbage: unknown
    # A year a phone cannot have meant would also overflow once stored in UTC.
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.replace(tzinfo=CAPTURE_ZONE)


def _degrees(values: Iterable[SupportsFloat], ref: object, negative: str) -> Decimal:
    degrees, minutes, seconds = (float(part) for part in tuple(values)[:3])
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        raise ValueError(value)
    if _exif_text(ref).upper()[:1] == negative:
        value = -value
    return Decimal(value).quantize(MICRODEGREE)


def _location(gps: Mapping[int, Any]) -> tuple[Decimal | None, Decimal | None]:
    try:
        latitude = _degrees(gps[2], gps.get(1), "S")
        longitude = _degrees(gps[4], gps.get(3), "W")
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None, None
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None, None  # impossible, or a phone without a fix writing zeros
    return latitude, longitude


def _read_exif(raw: bytes | None) -> tuple[Capture, int]:
    """(Capture, orientation) from EXIF bytes (TIFF, with or without the "Exif\\0\\0" header).

    Phones and editing apps write broken EXIF often enough: every part that cannot be read
    is simply unknown, never an error.
    """
    if not raw:
        return Capture(), 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exif = Image.Exif()
        try:
            exif.load(raw)
        except Exception:  # Pillow raises struct, value, key and type errors for broken EXIF
            return Capture(), 1
        parts: dict[str, Any] = {}
        for name, read in (
            ("orientation", lambda: exif.get(EXIF_ORIENTATION)),
            ("taken_at", lambda: _taken_at(exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL))),
            ("location", lambda: _location(exif.get_ifd(GPS_IFD))),
        ):
            try:
                parts[name] = read()
            except Exception:
                parts[name] = None
    orientation = parts["orientation"]
    orientation = orientation if isinstance(orientation, int) and 2 <= orientation <= 8 else 1
    latitude, longitude = parts["location"] or (None, None)
    return Capture(taken_at=parts["taken_at"], latitude=latitude, longitude=longitude), orientation


def _orientation_exif(orientation: int) -> bytes:
    """The smallest EXIF there is: only the Orientation tag, so portrait photos stay upright."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    return exif.tobytes()  # starts with b"Exif\0\0"


# JPEG: between SOI and the first scan, keep what decoding needs (JFIF, the ICC colour profile,
# Adobe's colour transform) and tables/frame headers; drop every other APPn (Exif and XMP in
# APP1, IPTC/Photoshop in APP13, maker blocks) and comments. After EOI a phone may append a
# motion-photo video or a second picture (MPO), and a crafted file a script: dropped too.
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# In scan data: a 0xFF that starts a marker, i.e. is followed by neither a stuffed 0x00, a
# restart marker (0xD0–0xD7) nor another 0xFF (fill).
NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def _jpeg_keeps(marker: int, payload: bytes) -> bool:
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker in (0xE0, 0xEE):
        return True
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)


def _jpeg_segment(data: bytes, pos: int) -> tuple[int, int, int]:
    """(marker, start, end) of the marker segment at pos, skipping fill bytes."""
    n = len(data)
    if pos + 1 >= n or data[pos] != 0xFF:
        raise PhotoStructureError("expected a marker")
    while data[pos + 1] == 0xFF:
        pos += 1
        if pos + 1 >= n:
            raise PhotoStructureError("fill bytes to the end")
    marker = data[pos + 1]
    if marker in JPEG_STANDALONE or marker in (0xD8, 0xD9):
        return marker, pos, pos + 2
    if pos + 4 > n:
        raise PhotoStructureError("segment length missing")
    length = int.from_bytes(data[pos + 2 : pos + 4], "big")
    end = pos + 2 + length
    if length < 2 or end > n:
        raise PhotoStructureError("segment runs past the end")
    return marker, pos, end


# A JPEG as its pieces: (marker, bytes), marker None for entropy-coded data.
JpegPieces = list[tuple[int | None, bytes]]


def _jpeg_scrub(data: bytes) -> tuple[JpegPieces, bytes | None]:
    if not data.startswith(b"\xff\xd8"):
        raise PhotoStructureError("no SOI")
    pieces: JpegPieces = []
    exif: bytes | None = None
    pos = 2
    seen_scan = False
    while True:
        marker, start, end = _jpeg_segment(data, pos)
        if marker in (0xD8, 0xD9) and not seen_scan:
            raise PhotoStructureError("no image before EOI")
        if marker == 0xD9:
            pieces.append((marker, data[start:end]))
            break  # whatever follows EOI is not part of the picture
        payload = data[start + 4 : end]
        if marker == 0xE1 and exif is None and payload.startswith(b"Exif\x00\x00"):
            exif = payload[6:]
        if _jpeg_keeps(marker, payload):
            pieces.append((marker, data[start:end]))
        pos = end
        if marker != 0xDA:
            continue
        seen_scan = True
        # Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte), a restart marker or
        # fill; anything else is the next marker (EOI, or tables and the next progressive scan).
        # One regex search finds it (a Python loop over every 0xFF of a phone photo costs more).
        next_marker = NEXT_MARKER.search(data, pos)
        if next_marker is None:
            pieces.append((None, data[end:]))  # truncated: keep what there is
            return pieces, exif
        found = next_marker.start()
        pieces.append((None, data[end:found]))
        pos = found
    return pieces, exif


def _jpeg_clean(data: bytes) -> tuple[bytes, Capture]:
    pieces, exif = _jpeg_scrub(data)
    capture, orientation = _read_exif(exif)
    out = [b"\xff\xd8"]
    rest = iter(pieces)
    first: tuple[int | None, bytes] = pieces[0] if pieces else (None, b"")
    if first[0] == 0xE0:  # JFIF stays first, as its spec wants
        out.append(next(rest)[1])
    if orientation != 1:
        payload = _orientation_exif(orientation)
        out.append(b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
    out.extend(piece for _marker, piece in rest)
    return b"".join(out), capture


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}  # XMP rides in an iTXt chunk


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + kind + payload + zlib.crc32(kind + payload).to_bytes(4, "big")


def _png_clean(data: bytes) -> tuple[bytes, Capture]:
    if not data.startswith(PNG_SIGNATURE):
        raise PhotoStructureError("no PNG signature")
    chunks: list[tuple[bytes, bytes]] = []
    exif: bytes | None = None
    pos, n = len(PNG_SIGNATURE), len(data)
    while True:
        if pos + 12 > n:
            raise PhotoStructureError("no IEND")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise PhotoStructureError("chunk runs past the end")
        if kind == b"eXIf" and exif is None:
            exif = data[pos + 8 : pos + 8 + length]
        if kind not in PNG_METADATA:
            chunks.append((kind, data[pos:end]))
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR":
        raise PhotoStructureError("IHDR is not first")
    capture, orientation = _read_exif(exif)
    out = [PNG_SIGNATURE, chunks[0][1]]
    if orientation != 1:  # eXIf must come before the image data: right after IHDR
        out.append(_png_chunk(b"eXIf", _orientation_exif(orientation)[6:]))
    out.extend(chunk for _kind, chunk in chunks[1:])
    return b"".join(out), capture


WEBP_EXIF_FLAG, WEBP_XMP_FLAG = 0x08, 0x04


def _webp_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + len(payload).to_bytes(4, "little") + payload + (b"\x00" if len(payload) % 2 else b"")


def _webp_clean(data: bytes) -> tuple[bytes, Capture]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise PhotoStructureError("not RIFF/WEBP")
    limit = 8 + int.from_bytes(data[4:8], "little")
    if limit > len(data):
        raise PhotoStructureError("RIFF runs past the end")
    chunks: list[list[bytes]] = []
    exif: bytes | None = None
    pos = 12
    while pos + 8 <= limit:
        fourcc = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + size
        if end > limit:
            raise PhotoStructureError("chunk runs past the end")
        payload = data[pos + 8 : end]
        if fourcc == b"EXIF" and exif is None:
            exif = payload
        elif fourcc != b"XMP ":
            chunks.append([fourcc, payload])
        pos = end + (size % 2)
    if not chunks:
        raise PhotoStructureError("no image chunk")
    capture, orientation = _read_exif(exif)
    if chunks[0][0] == b"VP8X" and len(chunks[0][1]) >= 10:
        flags = chunks[0][1][0] & ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG)
        if orientation != 1:
            flags |= WEBP_EXIF_FLAG
            chunks.append([b"EXIF", _orientation_exif(orientation)[6:]])
        chunks[0][1] = bytes([flags]) + chunks[0][1][1:]
    body = b"WEBP" + b"".join(_webp_chunk(fourcc, payload) for fourcc, payload in chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body, capture


def _reencode(data: bytes) -> tuple[bytes, Capture]:
    """The rare photo that opens but cannot be walked: decode it and save it without metadata."""
    with Image.open(io.BytesIO(data)) as image:
        try:
            capture, _orientation = _read_exif(image.getexif().tobytes())
        except Exception:
            capture = Capture()
        fmt = "JPEG" if image.format in ("JPEG", "MPO") else image.format
        icc = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
        if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.info = {}  # Pillow writes a JPEG's comment back from here unless told otherwise
        out = io.BytesIO()
        options: dict[str, Any] = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
        upright.save(out, fmt, icc_profile=icc, **options)
    return out.getvalue(), capture


CLEANERS: dict[str, Callable[[bytes], tuple[bytes, Capture]]] = {
    "image/jpeg": _jpeg_clean,
    "image/png": _png_clean,
    "image/webp": _webp_clean,
}


def photo_scrub(data: bytes, content_type: str) -> tuple[bytes, Capture]:
    """Return (the photo without EXIF/XMP/IPTC/comments, Capture of what the app keeps).

    `content_type` is what photo_inspect said; the picture itself is left as it was.
    """
    try:
        return CLEANERS[content_type](data)
    except PhotoStructureError:
        return _reencode(data)


def _thumbnail(uploaded: File | IO[bytes]) -> ContentFile:
    """A plain list-size copy (checklist evidence: a document, not a photo of a place)."""
    uploaded.seek(0)
    with Image.open(uploaded) as opened:
        opened.draft("RGB", (settings.PHOTO_THUMB_SIZE * 2, settings.PHOTO_THUMB_SIZE * 2))
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.thumbnail((settings.PHOTO_THUMB_SIZE, settings.PHOTO_THUMB_SIZE))
        image.info = {}  # no comment, EXIF or XMP carried into the small copy
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True)
    uploaded.seek(0)
    return ContentFile(out.getvalue())


def _display_copy(uploaded: File | IO[bytes], caption: str) -> tuple[ContentFile, str]:
    """(the watermarked list-size copy, the perceptual hash): one decode for both."""
    uploaded.seek(0)
    with Image.open(uploaded) as opened:
        opened.draft("RGB", (settings.PHOTO_THUMB_SIZE * 2, settings.PHOTO_THUMB_SIZE * 2))
        image = upright(opened)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        phash = phash_of(image)
        image.thumbnail((settings.PHOTO_THUMB_SIZE, settings.PHOTO_THUMB_SIZE))
        image = watermark(image, caption)  # a new image: no comment, EXIF or XMP carried over
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True)
    uploaded.seek(0)
    return ContentFile(out.getvalue()), phash


def photo_store(
    uploaded: File,
    *,
    user: User,
    kind: str,
    ticket: Ticket | None = None,
    event: TicketEvent | None = None,
    device: Capture | None = None,
) -> TicketPhoto:
    """Keep an uploaded photo (not yet on any ticket); its list-size copy is made off the request.

    `device` is what the phone noted when the photo was taken (device_capture), used where
    the photo's EXIF says nothing.

    Decoding and shrinking a phone photo costs more than everything else in logging a
    problem, so a Celery task does it once the photo is saved; until then lists show the
    original, scaled by the browser.
    """
    content_type = photo_inspect(uploaded)
    uploaded.seek(0)
    clean, capture = photo_scrub(uploaded.read(), content_type)
    uploaded.seek(0)
    photo = TicketPhoto(
        kind=kind,
        ticket=ticket,
        event=event,
        uploaded_by=user,
        content_type=content_type,
        size=len(clean),
        sha256=sha256_of(clean),
        original_name=(getattr(uploaded, "name", "") or "")[:200],
        **capture_fields(capture, device),
    )
    name = f"photo.{photo.extension}"
    # Named, so that the ImageField reads width and height from it (an unnamed file counts as none).
    photo.image.save(name, ContentFile(clean, name=name), save=False)
    photo.save()
    # With the broker down the photo is still saved; sweep_left_work makes the copy later.
    enqueue_on_commit(make_photo_thumbnail, photo.pk)
    return photo


def photo_thumbnail_create(photo_id: int) -> bool:
    """Make a photo's list-size copy if it has none yet (safe to run twice): watermarked with
    when and where it was taken and its ledger number; the perceptual hash comes from the
    same decode, and an after-photo is then looked up among the district's earlier photos."""
    photo = TicketPhoto.objects.filter(pk=photo_id).select_related("ticket").first()
    if photo is None or photo.thumbnail:
        return False
    with photo.image.open("rb") as handle:
        thumb, phash = _display_copy(handle, photo_caption(photo))
    photo.thumbnail.save("thumb.jpg", thumb, save=False)
    TicketPhoto.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name, **phash_fields(phash))
    photo_reuse_check(photo.pk)
    return True


def photos_mark_again(photos: Iterable[TicketPhoto]) -> None:
    """Photos kept from a failed form got their display copy before they had a ledger number:
    make it again once they are claimed (the old copy goes after the commit)."""
    stale = {photo.pk: photo.thumbnail.name for photo in photos if photo.thumbnail}
    if not stale:
        return
    TicketPhoto.objects.filter(pk__in=stale).update(thumbnail="")
    storage = TicketPhoto._meta.get_field("thumbnail").storage

    def delete_old() -> None:
        for name in stale.values():
            storage.delete(name)

    transaction.on_commit(delete_old)
    for photo_id in stale:
        enqueue_on_commit(make_photo_thumbnail, photo_id)


@shared_task(name="campaigns.tasks.make_photo_thumbnail")
def make_photo_thumbnail(photo_id: int) -> bool:
    return photo_thumbnail_create(photo_id)


def photos_pending_for(user: User, ids: Iterable[object]) -> list[TicketPhoto]:
    """Photos this user uploaded on an earlier, failed attempt of a form."""
    # isdigit() alone lets "²" (ValueError in int()) and 30-digit numbers (past any id) through.
    clean = [int(i) for i in map(str, ids) if i.isascii() and i.isdigit() and len(i) <= 18]
    clean = clean[: settings.PHOTOS_PER_TICKET_MAX]
    if not clean:
        return []
    return list(TicketPhoto.objects.filter(pk__in=clean, uploaded_by=user, ticket__isnull=True).order_by("id"))


def photos_purge_abandoned(older_than: datetime.datetime) -> int:
    """Remove photos no ticket claimed; their files go with them."""
    removed = 0
    for photo in TicketPhoto.objects.filter(ticket__isnull=True, uploaded_at__lt=older_than).iterator():
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        photo.delete()
        removed += 1
    return removed


@shared_task(name="campaigns.tasks.purge_abandoned_uploads")
def purge_abandoned_uploads() -> int:
    return photos_purge_abandoned(timezone.now() - datetime.timedelta(days=1))
