"""The whole 交办 chain in a real browser, through the pages only (issue 15's journey).

A two-level 销号 chain (专班复核 by a supervisor, 创卫办销号 by an admin). 黄 at the desk hands
the ticket to the wrong unit; its liaison 退单 on a phone, naming the right one; 黄 hands it
to that unit with a 协办单位; the unit signs, asks for more time, gets it; the co-unit sends
its part, the lead unit its fix; 黄 reviews, the admin strikes it off; a week later the
street's 网格员 re-inspects and finds it kept. The server runs in this process, so the week
passes with time_machine around the last step (and everyone logs in again after the jump).
"""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import (
    ClosingLevel,
    OrgUnit,
    PhotoKind,
    Role,
    Ticket,
    TicketAction,
    TicketState,
    UnitKind,
)

from .factories import UserFactory, jpeg_bytes, member
from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def two_level_chain(tx):
    ClosingLevel.objects.create(campaign=tx.campaign, order=1, name="专班复核", role=Role.SUPERVISOR)
    ClosingLevel.objects.create(campaign=tx.campaign, order=2, name="创卫办销号", role=Role.ADMIN)


def panel_of(page, label):
    return page.locator("details.action").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )


def act(page, label, fields=(), photos=None):
    """Open the act's panel on the ticket page and fill it in (send() sends it)."""
    panel = panel_of(page, label)
    if not panel.evaluate("details => details.open"):  # the likeliest act may be open already
        panel.locator("summary").click()
    for selector, value in fields:
        element = page.locator(selector)
        if element.evaluate("e => e.tagName") == "SELECT":
            element.select_option(value)
        else:
            element.fill(value)
    if photos:
        panel.locator("input[type=file]").set_input_files(photos)
    return panel


def send(page, panel):
    panel.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    return page.inner_text(".messages")


def shot(page, name):
    page.screenshot(path=SHOTS / f"chain-{name}.png", full_page=True)


def state_of(number):
    return Ticket.objects.get(number=number)


def test_wrong_unit_to_recheck_kept_through_the_pages(browser, live_server, tx, tmp_path):  # noqa: PLR0915
    two_level_chain(tx)
    wrong_liaison = member(UserFactory(username="tx_health", first_name="卫健局联络员"), tx.department2, Role.STAFF)
    sanitation = OrgUnit.objects.create(name="铁西区环卫处", kind=UnitKind.DEPARTMENT, parent=tx.unit)
    co_liaison = member(UserFactory(username="tx_sanitation", first_name="环卫处联络员"), sanitation, Role.STAFF)
    number = tx.log().number  # the staffer's logging has its own journey (test_browser)
    today = timezone.localdate()
    photos = {}
    for name, color in {"part": (90, 90, 160), "after": (60, 150, 90), "evidence": (150, 120, 60)}.items():
        photos[name] = tmp_path / f"{name}.jpg"
        photos[name].write_bytes(jpeg_bytes(size=(1200, 900), color=color))
    url = f"{live_server.url}/tickets/{number}/"

    # 1. 黄 at the desk hands it to the 卫健局 — the wrong unit.
    desk = open_as(browser, live_server, tx.supervisor, DESKTOP)
    desk.goto(url)
    panel = act(
        desk,
        "交办",
        [
            ("#id_assign_responsible_unit", str(tx.department2.pk)),
            ("#id_assign_deadline", (today + datetime.timedelta(days=5)).isoformat()),
        ],
    )
    shot(desk, "01-supervisor-assign-wrong-desktop")
    assert "交办完成" in send(desk, panel)
    assert state_of(number).state == TicketState.ASSIGNED
    assert state_of(number).responsible_unit == tx.department2

    # 2. The 卫健局's liaison says "not ours" on a phone and names the 执法局.
    phone = open_as(browser, live_server, wrong_liaison, PHONE)
    phone.goto(url)
    panel = act(
        phone,
        "退单",
        [("#id_decline_reason", "市场垃圾清运属执法局职责"), ("#id_decline_suggested_unit", str(tx.department.pk))],
    )
    assert no_sideways_scroll(phone)
    shot(phone, "02-wrong-unit-decline-phone")
    assert "退单完成" in send(phone, panel)
    assert no_sideways_scroll(phone)
    shot(phone, "03-wrong-unit-declined-phone")
    phone.context.close()
    ticket = state_of(number)
    assert ticket.state == TicketState.REPORTED and ticket.responsible_unit is None

    # 3. 黄 sees why and 改派s it to the 执法局 (the unit the 退单 named is offered), with the
    # 环卫处 as 协办单位.
    desk.goto(url)
    said = desk.inner_text(".timeline")
    assert "市场垃圾清运属执法局职责" in said and f"建议责任单位：{tx.department.name}" in said
    assert desk.input_value("#id_reassign_responsible_unit") == str(tx.department.pk)
    panel = act(
        desk,
        "改派",
        [
            ("#id_reassign_responsible_person", "王队长"),
            ("#id_reassign_deadline", (today + datetime.timedelta(days=3)).isoformat()),
            ("#id_reassign_reason", "按退单建议改派执法局，环卫处协办清运"),
        ],
    )
    panel.locator("#id_reassign_co_units").select_option([str(sanitation.pk)])
    shot(desk, "04-supervisor-reassign-desktop")
    assert "改派完成" in send(desk, panel)
    ticket = state_of(number)
    assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.department

    # 4. The 执法局 signs for it and asks for more time, on a phone.
    lead = open_as(browser, live_server, tx.unit_liaison, PHONE)
    lead.goto(url)
    shot(lead, "05-lead-unit-to-sign-phone")
    assert "签收完成" in send(lead, act(lead, "签收"))
    assert state_of(number).state == TicketState.RECTIFYING
    # Just signed: the page does not greet the unit with an open 退单 form.
    assert not panel_of(lead, "退单").evaluate("details => details.open")
    assert panel_of(lead, "申请延期").evaluate("details => details.open")
    until = (today + datetime.timedelta(days=10)).isoformat()
    panel = act(
        lead, "申请延期", [("#id_ext_request_until", until), ("#id_ext_request_reason", "需采购新垃圾桶，供货需一周")]
    )
    assert no_sideways_scroll(lead)
    shot(lead, "06-lead-unit-extension-request-phone")
    assert "申请延期完成" in send(lead, panel)
    assert state_of(number).extension_requested_until.isoformat() == until
    lead.context.close()

    # 5. 黄 agrees.
    desk.goto(url)
    assert desk.get_by_text("待审批").first.is_visible()
    panel = act(desk, "同意延期", [("#id_ext_approve_note", "同意，务必按期完成")])
    shot(desk, "07-supervisor-extension-approve-desktop")
    assert "同意延期完成" in send(desk, panel)
    ticket = state_of(number)
    assert ticket.deadline.isoformat() == until and ticket.extensions_used == 1

    # 6. The 环卫处 sends its part with a photo, on a phone.
    co = open_as(browser, live_server, co_liaison, PHONE)
    co.goto(url)
    panel = act(co, "提交协办部分", [("#id_submit_part_note", "已增派清运车辆，每日两次清运")], [photos["part"]])
    assert no_sideways_scroll(co)
    shot(co, "08-co-unit-part-phone")
    assert "提交协办部分完成" in send(co, panel)
    shot(co, "09-co-unit-part-sent-phone")
    co.context.close()

    # 7. The 执法局 sends the fix with an after-photo.
    lead = open_as(browser, live_server, tx.unit_liaison, PHONE)
    lead.goto(url)
    panel = act(lead, "提交整改", [("#id_submit_fix_note", "新垃圾桶已到位，地面已清扫")], [photos["after"]])
    assert no_sideways_scroll(lead)
    shot(lead, "10-lead-unit-fix-phone")
    assert "提交整改完成" in send(lead, panel)
    lead.context.close()
    assert state_of(number).state == TicketState.SUBMITTED

    # 8. 黄 reviews (level 1 of 2).
    desk.goto(url)
    panel = act(desk, "复核", [("#id_review_note", "现场复核，整改到位")])
    shot(desk, "11-supervisor-review-desktop")
    assert "复核完成" in send(desk, panel)
    ticket = state_of(number)
    assert ticket.state == TicketState.SUBMITTED and ticket.review_level == 1
    desk.context.close()

    # 9. The admin strikes it off (level 2 of 2).
    office = open_as(browser, live_server, tx.admin, DESKTOP)
    office.goto(url)
    panel = act(office, "核验销号", [("#id_close_out_note", "同意销号")])
    shot(office, "12-admin-close-out-desktop")
    assert "核验销号完成" in send(office, panel)
    assert "已销号" in office.inner_text(".page-head")
    shot(office, "13-closed-desktop")
    office.context.close()
    ticket = state_of(number)
    assert ticket.state == TicketState.CLOSED and ticket.closed_by == tx.admin

    # 10. A week later the street's 网格员 goes back: it is kept.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, hours=1), tick=True):
        street = open_as(browser, live_server, tx.staff, PHONE)
        street.goto(f"{live_server.url}/my/")
        assert number in street.inner_text("main")
        shot(street, "14-street-recheck-due-phone")
        street.goto(url)
        panel = act(street, "复查：保持", [("#id_recheck_kept_note", "复查无反弹")], [photos["evidence"]])
        assert no_sideways_scroll(street)
        shot(street, "15-street-recheck-phone")
        assert "复查：保持完成" in send(street, panel)
        shot(street, "16-street-recheck-kept-phone")
        street.context.close()

    ticket = state_of(number)
    assert ticket.state == TicketState.CLOSED
    assert ticket.rechecks.filter(result="kept", days_after=7).count() == 1
    assert ticket.photos.filter(kind=PhotoKind.RECHECK).count() == 1
    assert [e.action for e in ticket.events.order_by("at", "id")] == [
        TicketAction.LOG,
        TicketAction.ASSIGN,
        TicketAction.DECLINE,
        TicketAction.REASSIGN,
        TicketAction.SIGN,
        TicketAction.REQUEST_EXTENSION,
        TicketAction.APPROVE_EXTENSION,
        TicketAction.SUBMIT_PART,
        TicketAction.SUBMIT_FIX,
        TicketAction.REVIEW,
        TicketAction.CLOSE_OUT,
        TicketAction.RECHECK_KEPT,
    ]
