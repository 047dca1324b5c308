"""What every document shares: its template, the district's settings, the language it speaks."""

import datetime
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from campaigns.models import DocumentSettings, TicketPhoto
from infra.gongwen import Gongwen, Head, Picture, arabic_date

from .numbers import written_date

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "documents"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A 公文 is written in Simplified Chinese whatever language the reader's pages are in: it goes
# upward as it is. Its fixed words are plain Chinese here, and the labels it borrows from the
# pages (the summary's rows, say) are rendered in Simplified Chinese too.
DOCUMENT_LANGUAGE = "zh-hans"

_ORDINAL_DIGITS = "零一二三四五六七八九"


def ordinal(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十: the numbers of 一、 and （一） headings."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _ORDINAL_DIGITS[ones]
    return ("" if tens == 1 else _ORDINAL_DIGITS[tens]) + "十" + (_ORDINAL_DIGITS[ones] if ones else "")


def template_path(kind: str) -> Path:
    return TEMPLATE_DIR / f"{kind}.docx"


def head_for(
    office: DocumentSettings, *, number: str, title: str, day: datetime.date, addressee: str = "", signature: str = ""
) -> Head:
    return Head(
        mark=office.mark,
        number=number,
        title=title,
        addressee=addressee,
        signature=signature or office.signature,
        date=written_date(office, day),
        copy_to=office.copy_to,
        printer=office.printer,
        print_date=arabic_date(day),
    )


def render(kind: str, head: Head, body: Callable[[Gongwen], None]) -> bytes:
    """The document of that kind: its template filled with the head, then the body."""
    with translation.override(DOCUMENT_LANGUAGE):
        document = Gongwen(str(template_path(kind)))
        document.fill(head, created=timezone.localtime().replace(microsecond=0))
        body(document)
        return document.to_bytes()


def photo_picture(photo: TicketPhoto, width_mm: float) -> Picture | None:
    """The photo's small copy (or the photo) for a document; None when its file is missing."""
    field = photo.thumbnail or photo.image
    try:
        with field.open("rb") as handle:
            return Picture(handle.read(), width_mm)
    except (OSError, ValueError):
        return None


def local_day(moment: datetime.datetime | None) -> datetime.date:
    return timezone.localtime(moment).date() if moment is not None else timezone.localdate()
