"""延期 and 挂牌督办 in a real browser: the unit's request on a phone, the 督办单 printed to PDF."""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow

from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pending_request_on_a_phone_and_the_supervision_sheet_in_print(browser, live_server, tx):
    today = timezone.localdate()
    ticket = tx.assigned(deadline=today + datetime.timedelta(days=3))
    workflow.ticket_request_extension(
        ticket=ticket, actor=tx.unit_liaison, until=today + datetime.timedelta(days=12), reason="需采购新垃圾桶"
    )
    workflow.ticket_supervise(
        ticket=ticket,
        actor=tx.supervisor,
        document_number="铁创督〔2026〕7号",
        supervising_unit="铁西区创建国家卫生城市工作办公室",
        leader="李副区长",
        deadline=today + datetime.timedelta(days=15),
        reason="该点位垃圾暴露问题多次反弹，群众反映强烈，现予挂牌督办。",
    )

    page = open_as(browser, live_server, tx.supervisor, PHONE)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert page.get_by_text("待审批").is_visible()
    assert page.get_by_text("同意延期", exact=True).first.is_visible()
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "hold-ticket-phone.png"), full_page=True)

    page = open_as(browser, live_server, tx.unit_liaison, DESKTOP)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/supervision/")
    assert page.get_by_role("heading", name="挂牌督办督办单").is_visible()
    page.screenshot(path=str(SHOTS / "supervision-sheet.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".doc-actions").is_visible()  # the buttons stay off the paper
    page.pdf(path=str(SHOTS / "supervision-sheet.pdf"), format="A4")
