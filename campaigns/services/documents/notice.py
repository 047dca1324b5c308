"""The 通报 as a document: drafted from the rankings, edited on its page, issued with its 文号."""

from campaigns.models import DocumentKind, Notice
from infra.gongwen import Gongwen

from .common import head_for, local_day, ordinal, render
from .numbers import document_number_draft, document_settings_for

# A line of a list that ends with a colon and is short names a group ("街道/乡镇："): a 二级标题.
GROUP_LINE_MAX = 20


def _list(document: Gongwen, text: str) -> None:
    groups = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.endswith(("：", ":")) and len(stripped) <= GROUP_LINE_MAX:
            groups += 1
            document.heading(2, f"（{ordinal(groups)}）{stripped.rstrip('：:')}")
        else:
            document.paragraph(stripped)


def notice_document(notice: Notice) -> bytes:
    """The 通报 as the office sends it; before 印发 its 文号 is left blank for the number."""
    office = document_settings_for(notice.district)
    day = local_day(notice.issued_at)
    head = head_for(
        office,
        number=notice.doc_number if notice.issued_at else document_number_draft(office.number_prefix, day.year),
        title=notice.title,
        day=day,
        addressee=office.addressee,
        signature=notice.issuer,
    )

    def body(document: Gongwen) -> None:
        document.paragraph(notice.intro)
        sections = (("红榜", notice.red_list), ("黑榜", notice.black_list), ("逾期未整改问题", notice.overdue_list))
        number = 0
        for title, text in sections:
            if text.strip():
                number += 1
                document.heading(1, f"{ordinal(number)}、{title}")
                _list(document, text)
        document.paragraph(notice.closing)

    return render(DocumentKind.NOTICE, head, body)
