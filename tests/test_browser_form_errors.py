"""A form that comes back with an error, on a phone 360–414 px wide (issue 16).

The unit's liaison taps 确认提交整改 without an after-photo. The page comes back drawn from the
top, with the error a screen and more below: she thinks nothing happened. Now the list of
errors at the top of that form is on the screen, the cursor is on the first field in trouble
(or on the list, when no field is), and the address is the ticket's again, not the act's
/submit-fix/. Every act of the ticket page, the 登记问题 form, the daily report and the inspector's
point form (我的检查), at each width.

Each form is made to fail the way a person makes it fail: a required photo left out, a date
already past, a reason left empty on an old phone that does not check required fields (the
form's `noValidate`), a note pasted far past its length, a level that wants its own photo.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.forms.acts import ACTION_FORMS
from campaigns.models import ClosingLevel, DailyReport, Recheck, Role, RoundCheck, RoundPoint, Ticket
from campaigns.services.rounds import round_point_add

from .rounds_world import MARKET, SmallStandard, make_round, point_type
from .test_browser import SHOTS, browser, open_as
from .test_phone_pages import TOUCH, WIDTHS, phone

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOO_LONG = "很长的说明" * 500  # 2,500 characters: past every note's and reason's limit


@dataclass
class Failing:
    """One act's form, who sends it, on which ticket, and how it is filled in wrong."""

    action: str
    user: Any
    number: str
    how: str  # "empty": required fields left empty; "long": a note past its limit; "fill": as given
    fields: tuple[tuple[str, str], ...] = ()


# What the page shows after the send: which form failed, where its errors and the focus are.
WHERE_JS = """
() => {
  const failed = document.querySelector('[data-failed-form]');
  if (!failed) return null;
  const summary = failed.querySelector('.error-summary');
  const active = document.activeElement;
  const firstInvalid = failed.querySelector('[aria-invalid=true]');
  const box = (el) => { const b = el.getBoundingClientRect(); return [b.top, b.bottom]; };
  return {
    failed: failed.id,
    path: location.pathname,
    height: innerHeight,
    summary: box(summary),
    focused: box(active.closest('.field') || active),
    activeIsFirstInvalid: firstInvalid !== null && active === firstInvalid,
    activeIsSummary: active === summary,
    hasFieldError: firstInvalid !== null,
    summaryText: summary.innerText,
  };
}
"""

# The send as it comes from a phone that checks nothing itself: required fields emptied.
EMPTY_JS = """
(form) => {
  form.noValidate = true;
  const typed = 'textarea, input[type=text], input[type=date], input[type=number]';
  form.querySelectorAll(typed).forEach((el) => { el.value = ''; });
  form.querySelectorAll('select').forEach((el) => { el.selectedIndex = -1; el.value = ''; });
}
"""

LONG_JS = """
(form, text) => { form.noValidate = true; form.querySelector('textarea').value = text; }
"""


def in_view(box, height):
    top, bottom = box
    return top >= 0 and bottom <= height


def ticket_page_world(tx, td):
    """A ticket in every state the page offers an act in, and who acts on it."""
    today = timezone.localdate()
    reported = tx.log()
    unsigned = tx.assigned(signed=False)
    rectifying = tx.assigned()
    helped = workflow.ticket_assign(
        ticket=tx.log(),
        actor=tx.supervisor,
        unit=tx.department,
        deadline=today + datetime.timedelta(days=3),
        co_units=[tx.street],
    )
    asked = tx.assigned(deadline=today + datetime.timedelta(days=3))
    asked = workflow.ticket_request_extension(
        ticket=asked, actor=tx.unit_liaison, until=today + datetime.timedelta(days=10), reason="需采购新垃圾桶"
    )
    held = workflow.ticket_hold(
        ticket=tx.assigned(), actor=tx.supervisor, until=today + datetime.timedelta(days=30), reason="冬季无法施工"
    )
    submitted = tx.submitted()
    closed = tx.closed()
    rechecked = tx.closed()
    # Seven days on: its first 复查 is due today.
    Recheck.objects.filter(ticket=rechecked, days_after=7).update(due_on=today)
    Ticket.objects.filter(pk=rechecked.pk).update(next_recheck_on=today)
    # 铁东区 checks in two levels, the first on site with its own photo.
    ClosingLevel.objects.create(
        campaign=td.campaign, order=1, name="专班复核", role=Role.SUPERVISOR, photo_required=True
    )
    ClosingLevel.objects.create(campaign=td.campaign, order=2, name="创卫办销号", role=Role.ADMIN)
    reviewed = td.submitted()

    past = (today - datetime.timedelta(days=1)).isoformat()
    return [
        Failing("assign", tx.supervisor, reported.number, "empty"),
        Failing("void", tx.supervisor, reported.number, "empty"),
        Failing("sign", tx.unit_liaison, unsigned.number, "long"),
        Failing("decline", tx.unit_liaison, unsigned.number, "empty"),
        Failing("reassign", tx.supervisor, unsigned.number, "empty"),
        Failing("urge", tx.supervisor, rectifying.number, "empty"),
        Failing("submit_fix", tx.unit_liaison, rectifying.number, "fill", (("note", "已清理完毕，增加清运频次"),)),
        Failing(
            "ext_request",
            tx.unit_liaison,
            rectifying.number,
            "fill",
            (("until", today.isoformat()), ("reason", "需采购新垃圾桶")),
        ),
        Failing("hold", tx.supervisor, rectifying.number, "fill", (("until", today.isoformat()), ("reason", "冬季"))),
        Failing("supervise", tx.supervisor, rectifying.number, "empty"),
        Failing("submit_part", tx.staff, helped.number, "fill", (("note", "街道已配合清理"),)),
        Failing("waive_part", tx.supervisor, helped.number, "empty"),
        Failing("ext_approve", tx.supervisor, asked.number, "fill", (("deadline", past),)),
        Failing("ext_reject", tx.supervisor, asked.number, "empty"),
        Failing("resume", tx.supervisor, held.number, "long"),
        Failing("close_out", tx.supervisor2, submitted.number, "long"),
        Failing("return", tx.supervisor2, submitted.number, "empty"),
        Failing("reopen", tx.supervisor, closed.number, "empty"),
        Failing("recheck_kept", tx.staff, rechecked.number, "long"),
        Failing("recheck_relapse", tx.staff, rechecked.number, "fill", (("note", "又有垃圾堆放"),)),
        Failing("review", td.supervisor, reviewed.number, "fill", (("note", "现场已看过"),)),
    ]


def send_wrong(page, live_server, failing):
    page.goto(f"{live_server.url}/tickets/{failing.number}/")
    panel = page.locator(f"#act-{failing.action}")
    if not panel.evaluate("details => details.open"):
        panel.locator("summary").click()
    form = panel.locator("form")
    if failing.how == "empty":
        form.evaluate(EMPTY_JS)
    elif failing.how == "long":
        form.evaluate(LONG_JS, TOO_LONG)
    for name, value in failing.fields:
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_every_act_brings_its_error_into_view_on_every_phone(browser, live_server, tx, td):  # noqa: F811
    world = ticket_page_world(tx, td)
    assert {failing.action for failing in world} == set(ACTION_FORMS)  # a new act gets a line here
    before = {ticket.number: (ticket.state, ticket.events.count()) for ticket in Ticket.objects.all()}
    problems = []
    for width in WIDTHS:
        for user in dict.fromkeys(failing.user for failing in world):
            page = open_as(browser, live_server, user, phone(width), **TOUCH)
            for failing in (f for f in world if f.user == user):
                send_wrong(page, live_server, failing)
                where = page.evaluate(WHERE_JS)
                name = f"{width}px {failing.action}"
                if where is None:
                    problems.append(f"{name}: no form came back with an error")
                    continue
                page.screenshot(path=SHOTS / f"form-error-{width}-{failing.action}.png")
                if where["failed"] != f"act-{failing.action}":
                    problems.append(f"{name}: {where['failed']} came back instead")
                if where["path"] != f"/tickets/{failing.number}/":
                    problems.append(f"{name}: the address is {where['path']}")
                if not in_view(where["summary"], where["height"]):
                    problems.append(f"{name}: the list of errors is at {where['summary']}, off the screen")
                if not in_view(where["focused"], where["height"]):
                    problems.append(f"{name}: the focused field is at {where['focused']}, off the screen")
                if where["hasFieldError"] and not where["activeIsFirstInvalid"]:
                    problems.append(f"{name}: the focus is not on the first field with an error")
                if not where["hasFieldError"] and not where["activeIsSummary"]:
                    problems.append(f"{name}: the focus is not on the list of errors")
            page.context.close()
    assert not problems, "\n".join(problems)
    # Nothing was done by a form that failed.
    assert {ticket.number: (ticket.state, ticket.events.count()) for ticket in Ticket.objects.all()} == before


def test_the_missing_after_photo_is_said_where_the_liaison_looks_and_her_note_stays(browser, live_server, tx):  # noqa: F811
    """The issue's own story, looked at closely: 390 px, an iPhone's 844 px screen."""
    ticket = tx.assigned()
    page = open_as(browser, live_server, tx.unit_liaison, {"width": 390, "height": 844}, **TOUCH)
    send_wrong(
        page, live_server, Failing("submit_fix", tx.unit_liaison, ticket.number, "fill", (("note", "已清理完毕"),))
    )
    where = page.evaluate(WHERE_JS)
    assert "整改后照片：提交整改至少需要一张整改后照片。" in where["summaryText"]
    assert page.evaluate("document.activeElement.id") == "id_submit_fix_photos"
    assert page.input_value("#id_submit_fix_note") == "已清理完毕"
    # The anchor of the form joins the address once the page has loaded.
    page.wait_for_function(f"() => location.href.endsWith('/tickets/{ticket.number}/#act-submit_fix')")
    page.screenshot(path=SHOTS / "form-error-390-submit-fix-iphone.png")
    # A reload opens the ticket page (the act's URL takes only a POST).
    page.reload()
    assert page.locator(".ticket-title").inner_text().strip() == ticket.number
    page.context.close()


def test_without_scripts_the_browser_still_focuses_the_first_error(browser, live_server, tx):  # noqa: F811
    """An old phone, or scripts off: `autofocus` on the first field in trouble does the scrolling."""
    ticket = tx.assigned()
    page = open_as(browser, live_server, tx.unit_liaison, phone(360), java_script_enabled=False)
    send_wrong(page, live_server, Failing("submit_fix", tx.unit_liaison, ticket.number, "fill", (("note", "已清理"),)))
    where = page.evaluate(WHERE_JS)
    assert where["activeIsFirstInvalid"] and in_view(where["focused"], where["height"])
    page.screenshot(path=SHOTS / "form-error-360-submit-fix-no-script.png")
    page.context.close()


def test_the_log_form_and_the_daily_report_bring_their_errors_into_view(browser, live_server, tx, duties):  # noqa: F811
    problems = []
    for width in WIDTHS:
        page = open_as(browser, live_server, tx.staff, phone(width), **TOUCH)
        # 登记问题 without the photo and without saying where.
        page.goto(f"{live_server.url}/tickets/new/")
        page.select_option("#id_point", "")
        page.select_option("#id_category", str(tx.category.pk))
        page.fill("#id_description", "市场东门垃圾桶满溢")
        with page.expect_navigation():
            page.click("text=提交登记")
        where = page.evaluate(WHERE_JS)
        page.screenshot(path=SHOTS / f"form-error-{width}-log.png")
        if not (where and where["activeIsFirstInvalid"] and page.evaluate("document.activeElement.id") == "id_photos"):
            problems.append(f"{width}px log: the focus is not on the photo")
        elif not (in_view(where["summary"], where["height"]) and in_view(where["focused"], where["height"])):
            problems.append(f"{width}px log: the errors are off the screen: {where}")
        if page.input_value("#id_description") != "市场东门垃圾桶满溢":
            problems.append(f"{width}px log: the description was lost")

        # The daily report from an old phone that lets a minus sign through.
        page.goto(f"{live_server.url}/reports/")
        card = page.locator(f"#duty-{duties.street.pk}")
        card.locator("form").evaluate("form => { form.noValidate = true; }")
        card.locator("input[name=points_visited]").fill("-6")
        card.locator("textarea[name=notes]").fill("走访农贸市场两处")
        with page.expect_navigation():
            card.locator("button:has-text('提交日报')").click()
        where = page.evaluate(WHERE_JS)
        page.screenshot(path=SHOTS / f"form-error-{width}-daily-report.png")
        if where is None or where["failed"] != f"duty-{duties.street.pk}" or where["path"] != "/reports/":
            problems.append(f"{width}px daily report: came back as {where}")
        elif not (where["activeIsFirstInvalid"] and in_view(where["focused"], where["height"])):
            problems.append(f"{width}px daily report: the error is not in view and focused: {where}")
        elif page.input_value(f"#id_duty{duties.street.pk}_notes") != "走访农贸市场两处":
            problems.append(f"{width}px daily report: the notes were lost")
        page.context.close()

    # 零报告 from a page opened before a colleague logged a problem for the street today: the
    # refusal is about the whole report, so the list of errors itself takes the focus.
    page = open_as(browser, live_server, tx.staff, phone(390), **TOUCH)
    page.goto(f"{live_server.url}/reports/")
    tx.log()
    with page.expect_navigation():
        page.locator(f"#duty-{duties.street.pk} button[name=nothing_found]").click()
    where = page.evaluate(WHERE_JS)
    page.screenshot(path=SHOTS / "form-error-390-daily-report-nothing-found.png")
    if where is None or not (where["activeIsSummary"] and in_view(where["summary"], where["height"])):
        problems.append(f"390px 零报告: the refusal is not in view and focused: {where}")
    elif "不能报“零报告”" not in where["summaryText"]:
        problems.append(f"390px 零报告: says {where['summaryText']}")
    page.context.close()
    assert not problems, "\n".join(problems)
    assert not DailyReport.objects.exists() and Ticket.objects.count() == 1


def test_the_inspectors_point_form_brings_the_missing_photo_into_view(browser, live_server, tx, city_admin):  # noqa: F811
    """张伟 scores the market for 市督查第 3 期 on his phone: fourteen 项, and he taps 不达标 on
    the last and forgets its photo. The page comes back with that row's camera button on the
    screen and focused, its message under it; failing the first 项 instead, the list of errors
    at the top of the form is on the screen too."""
    standard = SmallStandard()
    standard.adopt(tx)
    market, article = point_type(MARKET), standard.clutter.article
    for n in range(11):  # a market is checked on a dozen 项 and more
        SmallStandard._item(article, f"3.2.{n + 1}", f"市场检查项目 {n + 1}", [market], "", 10 + n)
    last = SmallStandard._item(article, "3.9.9", "市场内无积存垃圾", [market], "", 99)
    inspection_round = make_round([tx], city_admin, [tx.staff], standard=standard.standard)
    round_point = round_point_add(inspection_round=inspection_round, point=tx.point)
    RoundPoint.objects.filter(pk=round_point.pk).update(inspector=tx.staff)
    url = f"{live_server.url}/inspect/points/{round_point.pk}/"
    problems = []
    for width in WIDTHS:
        page = open_as(browser, live_server, tx.staff, phone(width), **TOUCH)
        for item in (last, standard.bins):
            page.goto(url)
            row = page.locator("fieldset.check-row", has_text=item.requirement)
            row.locator("label.seg-fail").click()
            with page.expect_navigation():
                page.click("button:has-text('提交本点位结果')")
            where = page.evaluate(WHERE_JS)
            name = f"{width}px {item.code}"
            page.screenshot(path=SHOTS / f"form-error-{width}-inspect-{item.code}.png")
            if where is None or where["path"] != f"/inspect/points/{round_point.pk}/":
                problems.append(f"{name}: came back as {where}")
                continue
            if page.evaluate("document.activeElement.id") != f"id_i{item.pk}-photos":
                problems.append(f"{name}: the focus is on {page.evaluate('document.activeElement.id')!r}")
            message = row.locator(".photo-picker .error").bounding_box()
            top, bottom = where["focused"]  # scrolled to the screen's foot: within a sub-pixel of it
            if not (in_view((top, bottom - 1), where["height"]) and 0 <= message["y"] < where["height"]):
                problems.append(f"{name}: the camera button or its message is off the screen: {where}")
            if item == standard.bins and not in_view(where["summary"], where["height"]):
                problems.append(f"{name}: the list of errors is off the screen: {where}")
            if f"{item.code} 现场照片：不达标请至少拍一张照片。" not in where["summaryText"]:
                problems.append(f"{name}: the list says {where['summaryText']!r}")
        page.context.close()
    assert not problems, "\n".join(problems)
    assert not RoundCheck.objects.exists()
