"""The 督办单 of a 挂牌督办 as a document: the listing, the problem with its photos, the demands."""

from campaigns.models import DocumentKind, PhotoKind, Supervision, Ticket
from infra.gongwen import Cell, Gongwen

from .common import head_for, local_day, photo_picture, render
from .numbers import document_settings_for

PHOTOS = 2  # the first before-photos, side by side in the table


def supervision_document(supervision: Supervision, ticket: Ticket) -> bytes:
    """`ticket` comes with its street, category, area, point and responsible unit loaded."""
    office = document_settings_for(supervision.district)
    unit = ticket.responsible_unit.name if ticket.responsible_unit else ""
    head = head_for(
        office,
        number=supervision.document_number,
        title=f"关于对{ticket.category.name}问题（{ticket.number}）实行挂牌督办的通知",
        day=local_day(supervision.created_at),
        addressee=unit or office.addressee,
        signature=supervision.supervising_unit,
    )
    photos = [
        picture
        for photo in ticket.photos.filter(kind=PhotoKind.BEFORE).order_by("id")[:PHOTOS]
        if (picture := photo_picture(photo, 50)) is not None
    ]
    deadline = f"{supervision.deadline.year}年{supervision.deadline.month}月{supervision.deadline.day}日"
    place = "".join(part for part in (ticket.street.name, ticket.place_display) if part)

    def body(document: Gongwen) -> None:
        document.paragraph(
            f"{place}存在{ticket.category.name}问题（台账编号 {ticket.number}），"
            "经研究，决定对该问题实行挂牌督办。现将有关事项通知如下。"
        )
        document.heading(1, "一、督办事项")
        rows: list[tuple[str, Cell]] = [
            ("台账编号", ticket.number),
            ("问题描述", ticket.description),
            ("问题地点", place or "—"),
            ("问题类别", f"{ticket.area.name} · {ticket.category.name}"),
            ("责任单位", unit or "—"),
            ("责任人", ticket.responsible_person or "—"),
            ("督办单位", supervision.supervising_unit),
            ("责任领导", supervision.leader),
            ("督办时限", f"{deadline}前整改到位"),
            ("督办事由", supervision.reason or "—"),
        ]
        if photos:
            rows.append(("问题照片", photos))
        document.table(("项目", "内容"), rows, (32, 124))
        document.heading(1, "二、工作要求")
        document.paragraph(
            f"请{unit or '责任单位'}高度重视，由{supervision.leader}牵头，制定整改方案，明确责任人和时间节点，"
            f"于{deadline}前整改到位，并将整改情况（附整改前后照片）书面报送{supervision.supervising_unit}。"
            "逾期未整改到位的，将予以通报。"
        )

    return render(DocumentKind.SUPERVISION, head, body)
