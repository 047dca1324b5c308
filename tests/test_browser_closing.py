"""The 销号 chain and 协办 parts on a phone (390 px): nothing scrolls sideways."""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow

from .test_browser import PHONE, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - the fixture
from .test_closing_chain import two_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_street_checker_sees_the_chain_on_a_phone(browser, live_server, tx):  # noqa: F811
    checker = two_levels(tx)
    checker.set_password("x")
    ticket = workflow.ticket_assign(
        ticket=tx.log(),
        actor=tx.supervisor,
        unit=tx.department,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
        co_units=[tx.street],
    )
    workflow.ticket_waive_part(ticket=ticket, actor=tx.supervisor, unit=tx.street, reason="不涉及")
    submitted = tx.submitted()
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert "主办单位" in page.content() and "已免除" in page.content()
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "closing-01-co-units-phone.png", full_page=True)
    page.context.close()
    page = open_as(browser, live_server, tx.supervisor, PHONE)
    page.goto(f"{live_server.url}/tickets/{submitted.number}/")
    assert "第1级：街道自查" in page.content()
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "closing-02-chain-phone.png", full_page=True)
    page.context.close()
