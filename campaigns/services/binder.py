"""迎检资料 as a .zip the assessors can read offline: a folder per 方面 and 条, each 项's files
in its 条's folder, a 台账 per 方面, and an index workbook at the top.

Streamed (infra/zip_stream.py): files are read from storage in chunks as the archive is sent,
so a binder of gigabytes costs the server no more memory than one of kilobytes. The index and
the ledgers are written through infra/cells.py, so text a person typed is never a formula.
"""

import datetime
import io
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from openpyxl import Workbook

from campaigns.models import AssessmentMethod, Campaign, ChecklistEvidence, PhotoKind, TicketPhoto
from campaigns.selectors.binder import (
    BINDER_RULES_TEXT,
    Binder,
    BinderAspect,
    BinderItem,
    binder_evidence,
    binder_photos,
    linked_tickets,
)
from infra.cells import xlsx_append
from infra.xlsx_stream import list_sheet, save_with_rows
from infra.zip_stream import CHUNK, Member

from .ticket_rows import TICKET_COLUMNS, ticket_header, ticket_rows

# What a folder or file name may not hold on Windows (and / anywhere), nor control characters.
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
KIND_NAMES: dict[str, str] = {PhotoKind.BEFORE: "整改前", PhotoKind.AFTER: "整改后"}
INDEX_COLUMNS = (
    ("方面", 18),
    ("条", 30),
    ("项", 8),
    ("要求", 50),
    ("评价方式", 10),
    ("分值", 6),
    ("必备条件", 8),
    ("佐证材料（份）", 10),
    ("问题照片（张）", 10),
    ("关联问题（件）", 10),
    ("已销号（件）", 10),
    ("资料齐全", 8),
    ("所在文件夹", 40),
)


def safe_name(text: str, limit: int = 40) -> str:
    """A folder or file name every system accepts: no separators or reserved characters, not too long."""
    cleaned = " ".join(UNSAFE_IN_NAMES.sub(" ", text).split()).strip(". ")
    return cleaned[:limit].rstrip(". ") or "_"


def binder_archive_name(campaign: Campaign, day: datetime.date) -> str:
    return safe_name(f"迎检资料-{campaign.district.name}-{day:%Y%m%d}", 80)


def _aspect_folder(aspect: BinderAspect) -> str:
    return safe_name(f"{aspect.aspect.code} {aspect.aspect.name}")


def _article_folder(code: str, text: str) -> str:
    return safe_name(f"{code} {text}", 30)


def _stored(field: FieldFile) -> Iterator[bytes]:
    """A stored file in chunks; a file missing from storage goes in empty rather than stop the archive."""
    try:
        handle = field.open("rb")
    except (OSError, ValueError):
        return
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _set_widths(sheet: Any, widths: list[int]) -> None:  # a write-only sheet (its class is private)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(65 + index)].width = width


def _complete(entry: BinderItem) -> str:
    if not entry.needs_records:
        return "不计"
    return "是" if entry.has_evidence else "否"


def binder_index(binder: Binder, root: str) -> bytes:
    """资料索引.xlsx: a sheet of every 项 and where its files are, and a sheet of the rates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("资料索引")
    _set_widths(sheet, [width for _label, width in INDEX_COLUMNS])
    list_sheet(sheet, columns=len(INDEX_COLUMNS))  # a list sheet like every other (frozen header, filters)
    xlsx_append(sheet, [label for label, _width in INDEX_COLUMNS])
    rows = 0
    for aspect in binder.aspects:
        folder = _aspect_folder(aspect)
        for article in aspect.articles:
            for entry in article.items:
                item = entry.item
                xlsx_append(
                    sheet,
                    [
                        f"{aspect.aspect.code} {aspect.aspect.name}",
                        f"{article.code} {article.text}",
                        item.code,
                        item.requirement,
                        str(AssessmentMethod(item.method).label),
                        float(item.score),
                        "是" if item.is_gate else "否",
                        entry.evidence,
                        entry.photos,
                        entry.tickets,
                        entry.closed,
                        _complete(entry),
                        f"{root}/{folder}/{_article_folder(article.code, article.text)}",
                    ],
                )
                rows += 1
    list_sheet(sheet, columns=len(INDEX_COLUMNS), last_row=1 + rows)
    rates = workbook.create_sheet("资料齐全率")
    _set_widths(rates, [24, 14, 14, 14])
    list_sheet(rates, columns=4, last_row=1 + len(binder.aspects))  # the 合计 row stays under the table
    xlsx_append(rates, ["方面", "需查阅资料的项", "有佐证的项", "资料齐全率（%）"])
    for aspect in binder.aspects:
        xlsx_append(rates, [f"{aspect.aspect.code} {aspect.aspect.name}", aspect.needed, aspect.complete, aspect.rate])
    xlsx_append(rates, ["合计", binder.needed, binder.complete, binder.rate])
    xlsx_append(rates, [])
    for rule in BINDER_RULES_TEXT:
        xlsx_append(rates, [str(rule)])
    return _workbook_bytes(workbook)


def _ledger(binder: Binder, aspect: BinderAspect) -> Iterator[bytes]:
    """The 台账 of the 方面: every ticket linked to one of its 项, as the ticket list exports it."""
    tickets = linked_tickets(binder.campaign, [entry.item.pk for entry in aspect.items])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("台账"))
    _set_widths(sheet, [width for _label, width in TICKET_COLUMNS])
    list_sheet(sheet, columns=len(TICKET_COLUMNS))  # save_with_rows stretches the filter over the rows
    xlsx_append(sheet, ticket_header())
    with tempfile.TemporaryFile() as handle:
        save_with_rows(workbook, sheet, ticket_rows(tickets), handle, columns=len(TICKET_COLUMNS))
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def _files_by_item(binder: Binder) -> tuple[dict[int, list[ChecklistEvidence]], dict[int, list[TicketPhoto]]]:
    evidence: defaultdict[int, list[ChecklistEvidence]] = defaultdict(list)
    for piece in binder_evidence(binder.campaign).select_related("item").order_by("uploaded_at", "id"):
        evidence[piece.item.standard_item_id or 0].append(piece)
    photos: defaultdict[int, list[TicketPhoto]] = defaultdict(list)
    for photo in binder_photos(binder.campaign).select_related("ticket").order_by("ticket_id", "id"):
        photos[photo.linked_item].append(photo)  # type: ignore[attr-defined]  # annotated
    return evidence, photos


def binder_members(binder: Binder, day: datetime.date) -> Iterator[Member]:
    """The archive's files, one at a time, each read only when the archive reaches it."""
    root = binder_archive_name(binder.campaign, day)
    yield Member(f"{root}/资料索引.xlsx", [binder_index(binder, root)])
    evidence, photos = _files_by_item(binder)
    for aspect in binder.aspects:
        folder = f"{root}/{_aspect_folder(aspect)}"
        yield Member(f"{folder}/{safe_name('台账-' + aspect.aspect.name)}.xlsx", _ledger(binder, aspect))
        for article in aspect.articles:
            article_folder = f"{folder}/{_article_folder(article.code, article.text)}"
            for entry in article.items:
                code = safe_name(entry.item.code, 16)
                for number, piece in enumerate(evidence.get(entry.item.pk, []), start=1):
                    stem = safe_name(piece.original_name.rsplit(".", 1)[0], 40)
                    name = f"{code} 佐证{number}-{stem}.{piece.extension}"
                    yield Member(f"{article_folder}/{name}", _stored(piece.file))
                for number, photo in enumerate(photos.get(entry.item.pk, []), start=1):
                    kind = KIND_NAMES.get(photo.kind, photo.kind)
                    ticket = photo.ticket.number if photo.ticket else ""
                    name = f"{code} 照片{number}-{ticket}-{kind}.{photo.extension}"
                    yield Member(f"{article_folder}/{name}", _stored(photo.image))
