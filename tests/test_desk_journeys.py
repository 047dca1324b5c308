"""At a desk: a supervisor triages, verifies, returns and reopens; a leader reads and changes nothing.

Desktop width; screenshots in test-artifacts/screenshots/ start with "desk-". The error pages
are looked at here too, in the product's own frame.
"""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from campaigns.models import Ticket, TicketState

from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - fixture used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTION_BUTTONS = ".actions button[type=submit], .actions summary"


def open_action(page, label):
    """Unfold one act of the ticket page (the first one is unfolded already)."""
    page.locator(f"details.action:has(summary:has-text('{label}'))").evaluate("(el) => { el.open = true; }")


def test_supervisor_triages_verifies_returns_and_reopens_at_a_desk(browser, live_server, tx):  # noqa: F811
    new = tx.log(description="背街小巷堆放建筑垃圾")
    first_fix = tx.submitted(description="农贸市场门口污水横流")
    second_fix = tx.submitted(description="公厕保洁不到位")
    page = open_as(browser, live_server, tx.supervisor2, DESKTOP)

    # Triage: the new problem gets a unit, a person and a deadline.
    page.goto(f"{live_server.url}/my/")
    page.screenshot(path=SHOTS / "desk-supervisor-my-tasks.png", full_page=True)
    page.click(f"text={new.number}")
    page.select_option("#id_assign_responsible_unit", str(tx.department.pk))
    page.fill("#id_assign_responsible_person", "王队长")
    page.fill("#id_assign_deadline", (timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    page.screenshot(path=SHOTS / "desk-supervisor-assign.png", full_page=True)
    page.click("button:has-text('确认交办')")
    page.wait_for_selector(".messages")
    assert "待签收" in page.inner_text(".page-head")

    # Verify: photos side by side, then 销号.
    page.goto(f"{live_server.url}/tickets/{first_fix.number}/")
    assert page.locator(".photos-compare img").count() == 2
    page.fill("#id_close_out_note", "现场核验，整改到位")
    page.click("button:has-text('确认核验销号')")
    page.wait_for_selector(".messages")
    assert "已销号" in page.inner_text(".page-head")
    page.screenshot(path=SHOTS / "desk-supervisor-closed.png", full_page=True)

    # Return: the fix is not good enough; the reason is required.
    page.goto(f"{live_server.url}/tickets/{second_fix.number}/")
    open_action(page, "退回")
    page.fill("#id_return_reason", "照片看不清整改后的情况，请补拍")
    page.screenshot(path=SHOTS / "desk-supervisor-return.png", full_page=True)
    page.click("button:has-text('确认退回')")
    page.wait_for_selector(".messages")
    assert "整改中" in page.inner_text(".page-head") and "退回 1 次" in page.inner_text(".page-head")

    # Reopen: the closed problem came back (反弹).
    page.goto(f"{live_server.url}/tickets/{first_fix.number}/")
    open_action(page, "重新打开")
    page.fill("#id_reopen_reason", "复查发现污水再次外溢")
    page.click("button:has-text('确认重新打开（反弹）')")
    page.wait_for_selector(".messages")
    assert "反弹 1 次" in page.inner_text(".page-head")
    page.screenshot(path=SHOTS / "desk-supervisor-reopened.png", full_page=True)
    page.context.close()

    states = dict(Ticket.objects.values_list("number", "state"))
    assert states == {
        new.number: TicketState.ASSIGNED,  # 待签收 until its unit acknowledges it
        first_fix.number: TicketState.RECTIFYING,
        second_fix.number: TicketState.RECTIFYING,
    }
    assert [e.action for e in Ticket.objects.get(pk=first_fix.pk).events.order_by("at", "id")] == [
        "log",
        "assign",
        "sign",
        "submit_fix",
        "close_out",
        "reopen",
    ]


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map((el) => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)"""


def test_leader_reads_the_board_and_a_ticket_and_finds_nothing_to_press(browser, live_server, tx):  # noqa: F811
    tx.log()
    submitted = tx.submitted()
    tx.closed()
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    assert "销号率" in page.inner_text(".figures")
    assert page.locator("main form").count() == 0
    assert page.locator("text=登记问题").count() == 0
    page.screenshot(path=SHOTS / "desk-leader-board.png", full_page=True)
    page.goto(f"{live_server.url}/tickets/{submitted.number}/")
    assert page.locator(ACTION_BUTTONS).count() == 0
    assert page.locator("main form").count() == 0
    page.screenshot(path=SHOTS / "desk-leader-ticket.png", full_page=True)
    page.goto(f"{live_server.url}/board/TX/wall/")
    page.screenshot(path=SHOTS / "desk-leader-wall.png", full_page=True)
    page.context.close()

    # On a phone, too: the board reads without sideways scrolling.
    page = open_as(browser, live_server, tx.leader, PHONE)
    page.goto(f"{live_server.url}/board/TX/")
    page.screenshot(path=SHOTS / "phone-390-leader-board.png", full_page=True)
    assert no_sideways_scroll(page), page.evaluate(WIDEST)
    page.context.close()


def test_error_pages_look_like_the_product(browser, live_server, tx, td):  # noqa: F811
    ticket = tx.log()
    other = td.log()
    # 404: another district's ticket, in the product's frame with a way on.
    page = open_as(browser, live_server, tx.staff, PHONE)
    response = page.goto(f"{live_server.url}/tickets/{other.number}/")
    assert response.status == 404
    assert "找不到页面" in page.inner_text("main") and page.locator(".topbar .mainnav").count() == 1
    assert page.locator("main a[href='/tickets/']").count() == 1
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "phone-390-error-404.png", full_page=True)
    page.context.close()

    # 403: a leader trying an act (the form a leader never sees, sent by hand).
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"{live_server.url}/tickets/{ticket.number}/void/",
        form={"reason": "重复"},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 403 and "无权操作" in response.text()
    # The same page when a leader opens the log form: says why, and where to go instead.
    response = page.goto(f"{live_server.url}/tickets/new/")
    assert response.status == 403
    assert "只能查看，不能登记问题" in page.inner_text("main")
    assert "什么都没有改动" in page.inner_text("main") and page.locator("main a[href='/']").count() == 1
    page.screenshot(path=SHOTS / "desk-error-403.png", full_page=True)
    page.context.close()

    # 500: the page that needs nothing that could have failed.
    with override_settings(ROOT_URLCONF="tests.test_error_pages", DEBUG=False):
        page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        response = page.goto(f"{live_server.url}/boom/")
        assert response.status == 500
        assert "系统出错了" in page.inner_text("main")
        assert no_sideways_scroll(page)
        page.screenshot(path=SHOTS / "phone-390-error-500.png", full_page=True)
        page.context.close()
    assert Ticket.objects.get(pk=ticket.pk).state == TicketState.REPORTED


def test_the_wall_screen_refreshes_its_figures_in_place(browser, live_server, tx):  # noqa: F811
    tx.log()
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.clock.install()
    page.goto(f"{live_server.url}/board/TX/wall/")
    page.evaluate("() => { window.sameDocument = true; }")
    assert page.locator("head meta[http-equiv=refresh]").count() == 0  # a meta refresh only without scripts
    opened = page.locator(".figure:has-text('未办结') strong").inner_text()
    tx.log()
    tx.log()
    page.clock.run_for(121_000)
    page.wait_for_function(
        "(before) => document.querySelector('.figure strong').innerText !== before", arg=opened, timeout=10_000
    )
    assert page.locator(".figure:has-text('未办结') strong").inner_text() == str(int(opened) + 2)
    assert page.evaluate("() => window.sameDocument")  # swapped in place: no blank screen, no reload
    page.screenshot(path=SHOTS / "desk-wall-refreshed.png", full_page=True)
    page.context.close()
