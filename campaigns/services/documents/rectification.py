"""The 整改报告: per problem 问题 – 整改措施 – 整改前后照片 – 责任单位/责任人 – 完成时间.

Two ways in, one head (the district's settings, the 文号) and one wording:

- the skeleton for a selection of tickets (`rectification_document`): the view passes the ticket
  list's filter inside one district (the tickets of a 通报's period, of a month, or any
  selection); a table per problem, at most MAX_TICKETS, oldest first, with the photos' small
  copies; the report says when there were more;
- the reply to an inspection round (`round_rectification_document`): a district's part of the
  round, the counts by 责任单位 and by 方面, then every finding in 序号 order, a row each, with
  the photos themselves resized for print within a byte budget, so a report of 300 problems
  stays a file one can send.

What the ledger does not know yet is marked 待填写 for the office to complete before sending.
"""

import datetime
from collections.abc import Callable, Iterator

from django.db.models import Prefetch, QuerySet

from campaigns.models import DocumentKind, OrgUnit, PhotoKind, Ticket, TicketAction, TicketEvent, TicketPhoto
from campaigns.selectors.round_report import FIXED, STATUS_RULES_TEXT, CountRow, ReportEntry, RoundReport
from infra.gongwen import Cell, Gongwen, Picture, arabic_date
from infra.print_photos import PRINT_LONGEST, print_jpeg

from .common import head_for, local_day, ordinal, photo_picture, render
from .numbers import document_number_draft, document_settings_for

MAX_TICKETS = 50
PHOTO_MM = 50  # two side by side in the 120 mm column
TO_FILL = "（待填写）"
# A round's report keeps its photos within this many bytes together (the promise is 30 MB a
# report; the rest is room for the text and the template).
PHOTO_BUDGET_BYTES = 26 * 1024 * 1024


def _tickets(tickets: QuerySet[Ticket]) -> list[Ticket]:
    return list(
        tickets.select_related("street", "category", "area", "point", "responsible_unit")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=TicketPhoto.objects.filter(kind__in=[PhotoKind.BEFORE, PhotoKind.AFTER]).order_by("id"),
                to_attr="report_photos",
            ),
            Prefetch(
                "events",
                queryset=TicketEvent.objects.filter(action=TicketAction.SUBMIT_FIX).order_by("-at", "-id"),
                to_attr="fixes",
            ),
        )
        .order_by("reported_at", "id")[:MAX_TICKETS]
    )


def _photos(ticket: Ticket) -> list[str | Picture]:
    """The first photo before and the first after, side by side; a missing one is asked for."""
    cells: list[str | Picture] = []
    for kind, missing in ((PhotoKind.BEFORE, "（整改前照片待补充）"), (PhotoKind.AFTER, "（整改后照片待补充）")):
        found = next(
            (
                picture
                for photo in ticket.report_photos  # type: ignore[attr-defined]
                if photo.kind == kind and (picture := photo_picture(photo, PHOTO_MM)) is not None
            ),
            None,
        )
        cells.append(found if found is not None else missing)
    return cells


def _rows(ticket: Ticket) -> list[tuple[str, Cell]]:
    fixes = ticket.fixes  # type: ignore[attr-defined]
    place = "".join(part for part in (ticket.street.name, ticket.place_display) if part)
    unit = ticket.responsible_unit.name if ticket.responsible_unit else "—"
    if ticket.closed_at is not None:
        done = arabic_date(local_day(ticket.closed_at))
    elif ticket.deadline is not None:
        done = f"尚未完成（整改时限 {arabic_date(ticket.deadline)}）"
    else:
        done = "尚未完成"
    return [
        ("问题", f"{ticket.description}\n（{place}，{arabic_date(local_day(ticket.reported_at))}发现）"),
        ("整改措施", fixes[0].note if fixes and fixes[0].note else TO_FILL),
        ("整改前后照片", _photos(ticket)),
        ("责任单位/责任人", f"{unit} / {ticket.responsible_person or '—'}"),
        ("完成时间", done),
    ]


def _scope(found: tuple[datetime.date, datetime.date] | None) -> str:
    """Which tickets, in words: "2026年11月1日至11月30日发现的" or "所选的"."""
    if found is None:
        return "所选的"
    start, end = found
    last = f"{end.month}月{end.day}日" if end.year == start.year else arabic_date(end)
    return f"{arabic_date(start)}至{last}发现的"


def rectification_document(
    *, district: OrgUnit, tickets: QuerySet[Ticket], found: tuple[datetime.date, datetime.date] | None = None
) -> bytes:
    """`tickets` are the district's, as the reader may see them; `found`, the period they were
    found in when the selection was one."""
    scope = _scope(found)
    office = document_settings_for(district)
    day = local_day(None)
    total = tickets.count()
    chosen = _tickets(tickets)
    head = head_for(
        office,
        number=document_number_draft(office.number_prefix, day.year),
        title=f"关于{district.name}创卫问题整改情况的报告",
        day=day,
        addressee=office.superior,
    )

    def body(document: Gongwen) -> None:
        document.paragraph(f"现将{scope}{total}件问题的整改情况报告如下。")
        if total > len(chosen):
            document.paragraph(
                f"（本报告列出最早发现的{len(chosen)}件；其余{total - len(chosen)}件请缩小范围另行生成。）"
            )
        document.heading(1, "一、整改情况")
        for number, ticket in enumerate(chosen, start=1):
            document.heading(2, f"（{ordinal(number)}）{ticket.number} {ticket.category.name}")
            document.table(("项目", "内容"), _rows(ticket), (36, 120))
        if not chosen:
            document.paragraph("所选范围内没有问题。")
        document.heading(1, "二、存在的问题和下一步工作")
        document.paragraph(TO_FILL)

    return render(DocumentKind.RECTIFICATION, head, body)


# --- the reply to an inspection round ---------------------------------------------------------

# One table for every finding, a row each (序号 | 问题及整改情况 | 整改前 | 整改后), as offices lay
# out a 整改台账: a row never breaks over two pages and the header repeats on each, so a problem
# is never parted from its photos, and five or six fit a page. (A table per problem kept whole
# with "keep with next" is Word's way, but LibreOffice then starts every such table on a page.)
ROUND_COLUMNS = ("序号", "问题及整改情况", "整改前照片", "整改后照片")
ROUND_WIDTHS = (12, 70, 37, 37)
ROUND_PHOTO_MM = 35  # inside the 37 mm column's 1 mm margins


def print_picture(photo: TicketPhoto | None, budget: int) -> Picture | None:
    """The photo itself (not its small copy) resized for print within `budget` bytes; None when
    there is none or its file is missing or unreadable."""
    if photo is None:
        return None
    try:
        with photo.image.open("rb") as handle:
            printed = print_jpeg(handle.read(), budget=budget)
    except (OSError, ValueError):
        return None
    return Picture(printed.data, ROUND_PHOTO_MM, longest=PRINT_LONGEST)


def round_report_title(report: RoundReport) -> str:
    return f"关于{report.inspection_round.name}反馈问题整改情况的报告"


def _rate(row: CountRow) -> str:
    return f"{row.rate}%" if row.rate is not None else "—"


def _intro(report: RoundReport) -> str:
    inspection_round, total = report.inspection_round, report.total
    letter = f"根据{inspection_round.letter_number}通报，" if inspection_round.letter_number else ""
    period = f"（{arabic_date(inspection_round.starts_on)}至{arabic_date(inspection_round.ends_on)}）"
    return (
        f"{letter}{inspection_round.name}{period}反馈{report.district.name}问题{total.total}个。"
        f"我区对照问题清单逐项整改，截至{arabic_date(report.today)}，已整改{total.fixed}个，"
        f"整改中{total.fixing}个，未整改{total.not_fixed}个，整改率{_rate(total)}。现将整改情况报告如下。"
    )


def _count_table(document: Gongwen, first: str, rows: list[CountRow], total: CountRow) -> None:
    document.table(
        (first, "问题数", "已整改", "整改中", "未整改", "整改率"),
        [
            (row.name, str(row.total), str(row.fixed), str(row.fixing), str(row.not_fixed), _rate(row))
            for row in [*rows, total]
        ],
        (56, 20, 20, 20, 20, 20),
    )


def _entry_row(entry: ReportEntry, budget: int) -> tuple[Cell, ...]:
    """One finding: its 序号, what and where, the 整改措施, who, when; the two photos beside."""
    finding, ticket = entry.finding, entry.ticket
    category = finding.category.name if finding.category else (ticket.category.name if ticket else "")
    where = "，".join(
        part
        for part in (
            entry.place,
            f"{finding.item.code} 项" if finding.item is not None else "",
            f"台账编号 {ticket.number}" if ticket is not None else "",
        )
        if part
    )
    if entry.status == FIXED:
        done = arabic_date(entry.done_on) if entry.done_on else entry.status_label
    else:
        deadline = ticket.deadline if ticket is not None else None
        done = entry.status_label + (f"（整改时限 {arabic_date(deadline)}）" if deadline else "")
    text = [
        f"问题：{category + '。' if category else ''}{finding.description}" + (f"（{where}）" if where else ""),
        f"整改措施：{entry.measures or TO_FILL}",
        f"责任单位/责任人：{entry.unit or '—'} / {entry.person or '—'}",
        f"完成时间：{done}",
    ]
    before, after = print_picture(entry.before, budget), print_picture(entry.after, budget)
    return (
        str(finding.serial),
        "\n".join(text),
        before if before is not None else "（待补充）",
        after if after is not None else "（待补充）",
    )


def round_rectification_document(
    report: RoundReport, *, number: str = "", progress: Callable[[int], None] | None = None
) -> bytes:
    """The district's reply to the round: `number` is its 文号 when issued (blank for the office
    otherwise); `progress(done)` is told after each finding is laid out."""
    office = document_settings_for(report.district)
    day = report.today
    entries = report.entries  # voided ones too: every 序号 of the list is answered
    photos = sum((entry.before is not None) + (entry.after is not None) for entry in entries)
    budget = PHOTO_BUDGET_BYTES // max(photos, 1)
    head = head_for(
        office,
        number=number or document_number_draft(office.number_prefix, day.year),
        title=round_report_title(report),
        day=day,
        addressee=office.superior,
    )

    def rows() -> Iterator[tuple[Cell, ...]]:
        for done, entry in enumerate(entries, start=1):
            yield _entry_row(entry, budget)
            if progress is not None:
                progress(done)

    def body(document: Gongwen) -> None:
        document.paragraph(_intro(report))
        document.heading(1, "一、整改总体情况")
        document.heading(2, "（一）按责任单位")
        _count_table(document, "责任单位", report.by_unit, report.total)
        document.heading(2, "（二）按方面")
        _count_table(document, "方面", report.by_aspect, report.total)
        document.paragraph("统计口径：" + "".join(str(rule) for rule in STATUS_RULES_TEXT))
        if report.voided:
            document.paragraph(f"另有{report.voided}个问题经核实撤销，未计入。")
        document.heading(1, "二、问题整改情况")
        if entries:
            document.table(ROUND_COLUMNS, rows(), ROUND_WIDTHS, dense=True)
        else:
            document.paragraph("本轮没有反馈本区的问题。")
        document.heading(1, "三、下一步工作")
        document.paragraph(TO_FILL)

    return render(DocumentKind.RECTIFICATION, head, body)
