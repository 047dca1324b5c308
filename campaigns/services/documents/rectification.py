"""The 整改报告 skeleton: per problem 问题 – 整改措施 – 整改前后照片 – 责任单位/责任人 – 完成时间.

It takes a set of tickets (the view passes the ticket list's filter inside one district: the
tickets of a 通报's period, of a month, or any selection) and lays out what the ledger knows of
each; what it does not know yet is marked 待填写 for the office to complete before sending it
upward. At most MAX_TICKETS, oldest first; the report says when there were more.
"""

import datetime

from django.db.models import Prefetch, QuerySet

from campaigns.models import DocumentKind, OrgUnit, PhotoKind, Ticket, TicketAction, TicketEvent, TicketPhoto
from infra.gongwen import Cell, Gongwen, Picture, arabic_date

from .common import head_for, local_day, ordinal, photo_picture, render
from .numbers import document_number_draft, document_settings_for

MAX_TICKETS = 50
PHOTO_MM = 50  # two side by side in the 120 mm column
TO_FILL = "（待填写）"


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
