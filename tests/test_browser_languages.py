"""The staffer's day in each of the three languages, at phone width, in a real browser:
switch the language, log a problem with a photo, send the fix, file the daily report.

Every step's words are looked up in the catalogue of that language, so the journey proves
the page really speaks it (and not the Simplified Chinese the templates are written in).
"""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns import workflow
from campaigns.models import AccountProfile, DailyReport, Ticket, TicketState

from .factories import jpeg_bytes
from .test_browser import PHONE, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def words(language, text, **values):
    with translation.override(language):
        return _(text) % values if values else _(text)


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_the_staffers_day(browser, live_server, tx, duties, tmp_path, language):  # noqa: F811
    photo = tmp_path / "street.jpg"
    photo.write_bytes(jpeg_bytes(size=(1200, 900), color=(120, 90, 60)))
    after = tmp_path / "fixed.jpg"
    after.write_bytes(jpeg_bytes(size=(1200, 900), color=(60, 150, 90)))
    tag = language.replace("-", "_")

    # 1. The staffer picks the language at the foot of the page; it stays with the account.
    page = open_as(browser, live_server, tx.staff, PHONE)
    if language != "zh-hans":  # picking the language already shown changes nothing, so nothing loads
        with page.expect_navigation():
            page.select_option("#language-select", language)
    else:
        page.select_option("#language-select", language)
        with page.expect_navigation():
            page.click(".language-switch button[type=submit]")
    assert page.get_attribute("html", "lang") == language
    assert AccountProfile.objects.get(user=tx.staff).language == language

    # 2. A problem, with a photo, in three taps plus the photo.
    page.click(".log-button")
    page.set_input_files("#id_photos", str(photo))
    page.select_option("#id_point", str(tx.point.pk))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_description", "Market gate: bins overflowing")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / f"lang-{tag}-1-log.png", full_page=True)
    page.click("#main form button[type=submit]")
    page.wait_for_selector(".ticket-title")
    number = page.inner_text(".ticket-title").strip()
    assert words(language, "已登记，台账编号 %(number)s。", number=number) in page.inner_text(".messages")
    page.screenshot(path=SHOTS / f"lang-{tag}-2-logged.png", full_page=True)
    page.context.close()

    ticket = Ticket.objects.get(number=number)
    workflow.ticket_assign(
        ticket=ticket,
        actor=tx.supervisor,
        unit=tx.department,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )

    # 3. The unit's liaison — the same language, remembered with the account — sends the fix.
    AccountProfile.objects.update_or_create(user=tx.unit_liaison, defaults={"language": language})
    page = open_as(browser, live_server, tx.unit_liaison, PHONE)
    assert page.get_attribute("html", "lang") == language
    page.goto(f"{live_server.url}/tickets/{number}/")
    page.click("form[action$='/sign/'] button[type=submit]")  # 签收 first
    page.wait_for_selector(".messages")
    page.fill("#id_submit_fix_note", "Cleared, bins emptied twice a day now")
    page.set_input_files("#id_submit_fix_photos", str(after))
    page.click("form[action$='/submit-fix/'] button[type=submit]")
    page.wait_for_selector(".messages")
    assert words(language, "待核验") in page.inner_text(".page-head")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / f"lang-{tag}-3-fix-sent.png", full_page=True)
    page.context.close()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED

    # 4. The staffer files the daily report.
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.goto(f"{live_server.url}/reports/")
    assert words(language, "提交日报") in page.inner_text("#main")
    page.fill("input[name=points_visited]", "6")
    page.click("form[action*='/reports/duty/'] button[type=submit]:not([name])")
    page.wait_for_selector(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / f"lang-{tag}-4-report.png", full_page=True)
    page.context.close()
    assert DailyReport.objects.filter(duty=duties.street, date=timezone.localdate()).exists()
