"""Every main page passes axe-core in a real browser, for the person who uses it, at their width.

axe (tests/vendor/axe.min.js, a test asset never served to users) is injected into each page
and run; a violation of impact "serious" or "critical" fails the test with its rule, the
element and axe's help text. The pages' own content-security policy forbids the inline script
Playwright injects, so these contexts — and only these — bypass it.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import AccountProfile, Duty

from .factories import PASSWORD
from .test_browser import DESKTOP, PHONE, browser, open_as  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# Moderate rules the pages are clean of today; a page that breaks one fails too.
KEPT_CLEAN = {"heading-order", "landmark-one-main", "landmark-unique", "page-has-heading-one", "region"}


def login_bypassing_csp(browser, live_server, user, viewport):  # noqa: F811
    if user is None:
        return browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True).new_page()
    return open_as(browser, live_server, user, viewport, bypass_csp=True)


def axe_problems(page, url, status=200):
    """What axe finds on the page at url, as readable lines; [] when the page is clean."""
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    page.wait_for_load_state("networkidle")
    # Folded parts (action forms, filters, "more") are checked open: closed, axe would skip them.
    page.evaluate("document.querySelectorAll('details').forEach((el) => { el.open = true; })")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems = []
    for violation in result["violations"]:
        if violation["impact"] not in FAILING_IMPACTS and violation["id"] not in KEPT_CLEAN:
            if os.environ.get("AXE_VERBOSE"):
                print(f"(moderate) {url} {violation['id']}: {violation['help']}")
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            problems.append(f"{url} [{violation['impact']}] {violation['id']} at {target}: {violation['help']}")
    return problems


@pytest.fixture
def world(tx, duties):
    """铁西区 with something on every page: tickets in each state, a checklist, reports, messages, a summary."""
    from campaigns.models import NotificationKind
    from campaigns.services.checklist import checklist_apply_standard
    from campaigns.services.monthly import summary_generate, summary_request
    from campaigns.services.notifications import Message, notify

    reported = tx.log()
    rectifying = tx.assigned(deadline=timezone.localdate() + datetime.timedelta(days=1))
    submitted = tx.submitted()
    closed = tx.closed()
    checklist_apply_standard(campaign=tx.campaign, actor=tx.admin)
    item = tx.campaign.checklist_items.order_by("pk").first()
    item.lead_unit = tx.department
    item.save(update_fields=["lead_unit"])
    for user in (tx.staff, tx.supervisor):
        notify(
            Message(
                district_id=tx.unit.pk,
                kind=NotificationKind.TICKET_DUE_SOON,
                occasion=f"a11y-{user.pk}",
                title="工单明天到期",
                body="请尽快提交整改",
                link="/my/",
                user_ids=[user.pk],
            )
        )
    today = datetime.date.today()
    summary = summary_generate(summary_request(district=tx.unit, month=today.replace(day=1), actor=tx.admin))
    User = get_user_model()
    security = User.objects.create_user("security_admin", password=PASSWORD)
    AccountProfile.objects.update_or_create(user=security, defaults={"duty": Duty.SECURITY})
    audit = User.objects.create_user("audit_admin", password=PASSWORD)
    AccountProfile.objects.update_or_create(user=audit, defaults={"duty": Duty.AUDIT})
    return type(
        "World",
        (),
        {
            "reported": reported,
            "rectifying": rectifying,
            "submitted": submitted,
            "closed": closed,
            "summary": summary,
            "item": item,
            "security": security,
            "audit": audit,
        },
    )


COLOUR_ONLY_JS = """() => [...document.querySelectorAll('.light, .badge, .status, [class*="state-"]')]
  .filter((el) => el.getBoundingClientRect().width > 0 && !el.innerText.trim())
  .map((el) => el.outerHTML.slice(0, 80))"""


# What axe no longer checks: an id given twice (two forms on one page), and a label or a
# description pointing at an element that is not there (or is a hidden input).
REFERENCES_JS = """() => {
  const bad = [];
  const counts = {};
  for (const el of document.querySelectorAll('[id]')) counts[el.id] = (counts[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(counts)) if (n > 1) bad.push(`id "${id}" is used ${n} times`);
  for (const el of document.querySelectorAll('label[for]')) {
    const target = document.getElementById(el.htmlFor);
    if (!target || target.type === 'hidden') bad.push(`label for "${el.htmlFor}" names no visible control`);
  }
  for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) bad.push(`${attr}="${id}" on ${el.tagName.toLowerCase()} points nowhere`);
      }
    }
  }
  return bad;
}"""


def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, tx, world):  # noqa: F811
    base = live_server.url
    campaign = tx.campaign.pk
    visits = [
        # (who, width, pages: a URL, or (URL, the status it answers with))
        (None, PHONE, ["/accounts/login/"]),
        (
            tx.staff,
            PHONE,
            [
                "/tickets/new/",
                "/my/",
                "/reports/",
                "/notifications/",
                "/tickets/",
                f"/tickets/{world.reported.number}/",
                ("/tickets/TX-209901-9999/", 404),
            ],
        ),
        (
            tx.unit_liaison,
            PHONE,
            ["/my/", f"/tickets/{world.rectifying.number}/", "/checklist/mine/", f"/checklist/items/{world.item.pk}/"],
        ),
        (
            tx.supervisor,
            DESKTOP,
            [
                "/board/TX/",
                "/board/TX/wall/",
                "/tickets/",
                f"/tickets/{world.reported.number}/",
                f"/tickets/{world.submitted.number}/",
                f"/tickets/{world.closed.number}/",
                "/my/",
                f"/campaigns/{campaign}/reports/",
                f"/campaigns/{campaign}/checklist/",
                f"/campaigns/{campaign}/scoring/",
                "/notifications/",
                "/board/TX/rankings/",
            ],
        ),
        (tx.admin, DESKTOP, ["/board/TX/summaries/", f"/summaries/{world.summary.pk}/"]),
        (
            tx.leader,
            DESKTOP,
            [
                "/board/TX/",
                f"/tickets/{world.submitted.number}/",
                ("/tickets/new/", 403),
                "/standards/",
                f"/standards/{tx.campaign.standard_id}/",
                f"/standards/{tx.campaign.standard_id}/quotas/",
            ],
        ),
        (world.security, DESKTOP, ["/security/accounts/"]),
        (world.audit, DESKTOP, ["/security/audit/"]),
    ]
    problems = []
    for user, viewport, urls in visits:
        page = login_bypassing_csp(browser, live_server, user, viewport)
        for url in urls:
            url, status = url if isinstance(url, tuple) else (url, 200)
            problems.extend(axe_problems(page, base + url, status))
            # Colour is never the only signal: every light and badge shown says it in words too.
            problems.extend(f"{url}: a badge without words: {html}" for html in page.evaluate(COLOUR_ONLY_JS))
            problems.extend(f"{url}: {problem}" for problem in page.evaluate(REFERENCES_JS))
        page.context.close()
    assert not problems, "axe found:\n" + "\n".join(problems)
