"""A previewed 问题清单 imported: every row a finding of its round and a ticket, or none at all.

The rows are checked again as the ledger is now (with the admin's choices), then each becomes
a ticket through finding_record — tagged with its round, its 序号 the list's, straight to its
unit when the row names one (else 待交办), its photos stored from the zip — all in one
transaction. A row refused on the way undoes every row before it. A confirm sent twice finds
the record handled and imports nothing (the record's status is the one-time key).
"""

import zipfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from security.audit import audit_record

from ..models import (
    AuditKind,
    InspectionRound,
    OrgUnit,
    PhotoKind,
    ProblemListImport,
    RoundFinding,
    TicketPhoto,
    UnitKind,
)
from ..policy import WorkflowError
from ..services.photos import photo_store
from ..services.problem_list import Choices, ListRow, problem_list_check, problem_list_preview, round_from
from ..services.problem_list_read import LAYOUT, photo_file, photos_archive
from ..services.xlsx_import import ImportPreview, record_confirm
from .findings import finding_record


class _RowRefused(Exception):
    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number, self.message = number, message


def problem_list_confirm(*, record: ProblemListImport, actor: User, choices: Choices | None = None) -> ImportPreview:
    """Import a previewed list: every row, or — if anything is wrong now — none of them.

    Imports of one office run one at a time (its row is locked); `record` is updated in place.
    """
    try:
        return record_confirm(
            record=record,
            layout=LAYOUT,
            lock_owner=lambda: OrgUnit.objects.select_for_update().get(pk=record.office_id),
            # Lists do not overwrite one another: a 序号 taken meanwhile is caught by the check.
            siblings=ProblemListImport.objects.none(),
            changed_message="",
            check=lambda sheet: problem_list_check(sheet, record, choices),
            write=lambda locked, preview, office, now: _import_rows(locked, preview, actor),
        )
    except _RowRefused as refused:
        preview = problem_list_preview(record, choices)
        preview.confirm_errors = [
            _("第 %(row)s 行未能导入：%(why)s 这次一行也没有导入。") % {"row": refused.number, "why": refused.message}
        ]
        return preview


def _round_create(record: ProblemListImport, rows: Sequence[ListRow], actor: User) -> InspectionRound:
    """The round the list came from, made with its first rows: it had no record in the ledger."""
    inspection_round = round_from(record)
    standards = {row.campaign.standard_id for row in rows if row.campaign is not None}
    inspection_round.standard_id = standards.pop() if len(standards) == 1 else None
    inspection_round.created_by = actor
    inspection_round.save()
    inspection_round.districts.add(*{row.district for row in rows if row.district is not None})
    return inspection_round


def _photos(
    zipped: zipfile.ZipFile | None, archive: Any, keys: Sequence[str], actor: User
) -> Callable[..., list[TicketPhoto]]:
    def store(*, ticket: Any, event: Any) -> list[TicketPhoto]:
        # Stored inside the ticket's transaction: they commit with it or not at all.
        return [
            photo_store(
                photo_file(zipped, archive.entries[key], key),
                user=actor,
                kind=PhotoKind.BEFORE,
                ticket=ticket,
                event=event,
            )
            for key in keys
            if zipped is not None
        ]

    return store


def _import_rows(record: ProblemListImport, preview: ImportPreview, actor: User) -> None:
    rows = [row for row in preview.rows if isinstance(row, ListRow)]
    inspection_round = record.inspection_round or _round_create(record, rows, actor)
    findings: list[RoundFinding] = []
    with ExitStack() as stack:
        zipped, archive = None, None
        if record.photos:
            zipped, archive = photos_archive(stack.enter_context(record.photos.open("rb")))
            stack.enter_context(zipped)
        for row in rows:
            findings.append(_import_row(row, inspection_round, actor, _photos(zipped, archive, row.photo_keys, actor)))
    inspection_round.campaigns.add(*{row.campaign for row in rows if row.campaign is not None})
    record.inspection_round = inspection_round
    record.save(update_fields=["inspection_round"])
    record.findings.add(*findings)
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        district=record.office_id if record.office.kind == UnitKind.DISTRICT else None,
        target=f"problem list import: {record.original_name} → {inspection_round.name}"[:200],
        model="campaigns.roundfinding",
        round=inspection_round.pk,
        added=len(findings),
        assigned=sum(1 for row in rows if row.cleaned["unit"] is not None),
        photos=sum(len(row.photo_keys) for row in rows),
    )


def _import_row(
    row: ListRow, inspection_round: InspectionRound, actor: User, photos: Callable[..., list[TicketPhoto]]
) -> RoundFinding:
    clean = row.cleaned
    point, place, unit = clean["point"], clean["place"], clean["unit"]
    if row.campaign is None or clean["category"] is None:  # a clean row has both; never refused silently
        raise _RowRefused(row.number, _("没有对应的活动或问题类别。"))
    try:
        return finding_record(
            inspection_round=inspection_round,
            actor=actor,
            campaign=row.campaign,
            category=clean["category"],
            description=clean["description"],
            point=point,
            street=clean["street"],
            # The list's own words for where, unless they only repeat the point's name.
            place="" if point is not None and place == point.name else place,
            photos=photos,
            item=clean["item"],
            assignment={"unit": unit, "deadline": clean["deadline"], "person": clean["person"]} if unit else None,
            serial=clean["serial"],
        )
    except (WorkflowError, ValidationError) as refused:
        why = refused.message if isinstance(refused, WorkflowError) else " ".join(refused.messages)
        raise _RowRefused(row.number, why) from None
