"""疑似重复 in a real browser: the supervisor sees the pair on the ticket page and merges it;
the kept ticket lists both reporters. Desktop and a 390 px phone."""

import pytest

from campaigns.models import DuplicateSuggestion, Role, Ticket, TicketState

from .factories import UserFactory, member
from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_supervisor_merges_the_bin_logged_twice(browser, live_server, tx):  # noqa: F811 - the fixture
    li = member(UserFactory(username="tx_li", first_name="李敏"), tx.street, Role.STAFF)
    first = tx.log()  # committed: the comparison runs after it (Celery inline in tests)
    second = tx.log(actor=li, description="市场门口垃圾桶满了，垃圾散落一地")
    assert DuplicateSuggestion.objects.filter(ticket=second, candidate=first).exists()

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_as(browser, live_server, tx.supervisor, viewport)
        page.goto(f"{live_server.url}/tickets/{second.number}/")
        panel = page.locator("section.duplicates")
        assert panel.is_visible() and first.number in panel.inner_text()
        assert no_sideways_scroll(page)
        page.screenshot(path=SHOTS / f"dup-01-suggested-{name}.png", full_page=True)
        if name == "phone":
            page.goto(f"{live_server.url}/board/TX/duplicates/")
            assert no_sideways_scroll(page)
            page.screenshot(path=SHOTS / "dup-02-queue-phone.png", full_page=True)
        page.context.close()

    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/duplicates/")
    page.screenshot(path=SHOTS / "dup-02-queue-desktop.png", full_page=True)
    page.fill("input[name=note]", "同一个垃圾桶")
    page.click("button[name=keep][value=candidate]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/tickets/{first.number}/")
    sources = page.locator("table.sources").inner_text()
    assert second.number in sources and "李敏" in sources and "网格员" in sources
    page.screenshot(path=SHOTS / "dup-03-merged-sources-desktop.png", full_page=True)
    page.context.close()

    page = open_as(browser, live_server, tx.supervisor, PHONE)
    page.goto(f"{live_server.url}/tickets/{first.number}/")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "dup-03-merged-sources-phone.png", full_page=True)
    page.goto(f"{live_server.url}/tickets/{second.number}/")
    page.screenshot(path=SHOTS / "dup-04-duplicate-phone.png", full_page=True)
    page.context.close()
    assert Ticket.objects.get(pk=second.pk).state == TicketState.VOIDED
