"""What a district's 整改报告 for a round says: each finding in 序号 order with its fix, its
photos and where it stands, and the counts by 责任单位 and by 方面.

Read in three queries whatever the number of findings (the findings with their tickets and
names, the tickets' before/after photos, their 提交整改 events); the printable page, the
.docx and the frozen counts of a version all come from here, so they never disagree.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    CLOCK_STATES,
    FindingOutcome,
    InspectionRound,
    OrgUnit,
    PhotoKind,
    RoundFinding,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
)

FIXED, FIXING, NOT_FIXED, VOIDED = "fixed", "fixing", "not_fixed", "voided"
STATUS_LABELS: dict[str, Promise] = {
    FIXED: _("已整改"),
    FIXING: _("整改中"),
    NOT_FIXED: _("未整改"),
    VOIDED: _("已撤销"),
}
COUNTED = (FIXED, FIXING, NOT_FIXED)  # a voided finding is not a problem of the reply
# Shown under the counts on the page and in the document: how each finding is counted.
STATUS_RULES_TEXT = [
    _("已整改：问题的工单已核验销号，且此后的复查没有判定为未整改或反弹。"),
    _("未整改：复查判定未整改或反弹、此后还没有再次销号的；或已过整改时限仍未销号的。"),
    _("整改中：其余还没有销号的问题（在整改时限内，或经批准挂账）。"),
    _("已撤销：工单经核实撤销（重复或不属实），不计入问题数。整改率 = 已整改 ÷ 问题数。"),
]
BAD_OUTCOMES = (FindingOutcome.NOT_FIXED, FindingOutcome.RELAPSED)
NO_ASPECT = _("未对应标准")
NO_UNIT = _("未交办")


def finding_status(finding: RoundFinding, ticket: Ticket | None, today: datetime.date) -> str:
    """Where a finding stands (STATUS_RULES_TEXT)."""
    if ticket is None:
        return NOT_FIXED if finding.outcome in BAD_OUTCOMES else FIXING
    if ticket.state == TicketState.VOIDED:
        return VOIDED
    bad_outcome = finding.outcome in BAD_OUTCOMES
    if ticket.state == TicketState.CLOSED:
        closed_after_outcome = (
            finding.outcome_at is None or ticket.closed_at is None or ticket.closed_at > finding.outcome_at
        )
        if not bad_outcome or closed_after_outcome:
            return FIXED
        return NOT_FIXED
    if bad_outcome:
        return NOT_FIXED
    if ticket.state in CLOCK_STATES and ticket.deadline is not None and ticket.deadline < today:
        return NOT_FIXED
    return FIXING


@dataclass
class ReportEntry:
    """One finding as the reply tells it."""

    finding: RoundFinding
    ticket: Ticket | None
    status: str
    measures: str
    before: TicketPhoto | None
    after: TicketPhoto | None
    unit: str
    person: str
    place: str
    done_on: datetime.date | None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def aspect_name(self) -> str:
        item = self.finding.item
        return f"{item.article.aspect.code} {item.article.aspect.name}" if item is not None else str(NO_ASPECT)


@dataclass
class CountRow:
    name: str
    total: int = 0
    fixed: int = 0
    fixing: int = 0
    not_fixed: int = 0

    def add(self, status: str) -> None:
        self.total += 1
        setattr(self, status, getattr(self, status) + 1)

    @property
    def rate(self) -> float | None:
        """整改率 (%), one decimal."""
        return round(100 * self.fixed / self.total, 1) if self.total else None


@dataclass
class RoundReport:
    inspection_round: InspectionRound
    district: OrgUnit
    today: datetime.date
    entries: list[ReportEntry]
    total: CountRow
    voided: int = 0
    by_unit: list[CountRow] = field(default_factory=list)
    by_aspect: list[CountRow] = field(default_factory=list)

    @property
    def counted(self) -> list[ReportEntry]:
        return [entry for entry in self.entries if entry.status != VOIDED]

    def frozen_counts(self) -> dict[str, int]:
        return {
            "total": self.total.total,
            "fixed": self.total.fixed,
            "fixing": self.total.fixing,
            "not_fixed": self.total.not_fixed,
            "voided": self.voided,
        }


def _findings(inspection_round: InspectionRound, district: OrgUnit) -> list[RoundFinding]:
    photos = TicketPhoto.objects.filter(kind__in=[PhotoKind.BEFORE, PhotoKind.AFTER]).order_by("id")
    fixes = TicketEvent.objects.filter(action=TicketAction.SUBMIT_FIX).order_by("-at", "-id")
    return list(
        RoundFinding.objects.filter(inspection_round=inspection_round, district=district)
        .select_related(
            "ticket",
            "ticket__street",
            "ticket__point",
            "ticket__responsible_unit",
            "category",
            "item",
            "item__article",
            "item__article__aspect",
        )
        .prefetch_related(
            Prefetch("ticket__photos", queryset=photos, to_attr="report_photos"),
            Prefetch("ticket__events", queryset=fixes, to_attr="fixes"),
        )
        .order_by("serial", "id")
    )


def _entry(finding: RoundFinding, today: datetime.date) -> ReportEntry:
    ticket = finding.ticket
    photos: list[TicketPhoto] = getattr(ticket, "report_photos", []) if ticket else []
    fixes: list[TicketEvent] = getattr(ticket, "fixes", []) if ticket else []
    before = next((photo for photo in photos if photo.kind == PhotoKind.BEFORE), None)
    # The after-photo of the fix that was accepted: the latest one, not a fix that was returned.
    after = next((photo for photo in reversed(photos) if photo.kind == PhotoKind.AFTER), None)
    fix_note = next((event.note for event in fixes if event.note), "")
    place = ""
    if ticket is not None:
        place = "".join(part for part in (ticket.street.name, ticket.place_display) if part)
    closed = ticket.closed_at if ticket is not None and ticket.state == TicketState.CLOSED else None
    return ReportEntry(
        finding=finding,
        ticket=ticket,
        status=finding_status(finding, ticket, today),
        measures=finding.measures.strip() or fix_note,
        before=before,
        after=after,
        unit=ticket.responsible_unit.name if ticket is not None and ticket.responsible_unit else "",
        person=ticket.responsible_person if ticket is not None else "",
        place=place,
        done_on=timezone.localtime(closed).date() if closed is not None else None,
    )


def _rows(entries: Iterable[ReportEntry], key: Callable[[ReportEntry], str]) -> list[CountRow]:
    rows: dict[str, CountRow] = {}
    for entry in entries:
        name = key(entry)
        rows.setdefault(name, CountRow(name)).add(entry.status)
    return sorted(rows.values(), key=lambda row: (-row.total, row.name))


def _aspect_order(entry: ReportEntry) -> tuple[int, int, str]:
    item = entry.finding.item
    if item is None:
        return (1, 0, "")
    return (0, item.article.aspect.order, item.article.aspect.code)


def round_report(
    inspection_round: InspectionRound, district: OrgUnit, today: datetime.date | None = None
) -> RoundReport:
    """The district's part of the round, as its 整改报告 tells it."""
    today = today or timezone.localdate()
    entries = [_entry(finding, today) for finding in _findings(inspection_round, district)]
    counted = [entry for entry in entries if entry.status != VOIDED]
    total = CountRow(str(_("合计")))
    for entry in counted:
        total.add(entry.status)
    # 方面 in the standard's order, those without a 项 last.
    order = {entry.aspect_name: _aspect_order(entry) for entry in counted}
    by_aspect = sorted(_rows(counted, lambda entry: entry.aspect_name), key=lambda row: order[row.name])
    return RoundReport(
        inspection_round=inspection_round,
        district=district,
        today=today,
        entries=entries,
        total=total,
        voided=len(entries) - len(counted),
        by_unit=_rows(counted, lambda entry: entry.unit or str(NO_UNIT)),
        by_aspect=by_aspect,
    )
