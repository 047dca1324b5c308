"""The API's pages in a real browser: 铁西区's admin issues a token for the city's platform and
copies it from the one page that shows it; the docs page draws the schema under the CSP."""

import pytest

from campaigns.models import ApiToken

from .test_browser import DESKTOP, SHOTS, browser, open_as  # noqa: F401 (the browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_issues_a_token_and_reads_the_docs(browser, live_server, tx):  # noqa: F811
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api-tokens/new/")
    page.fill("#id_name", "市运管服平台")
    page.select_option("#id_owner", value=str(tx.leader.pk))
    page.check(f"input[name=districts][value='{tx.unit.pk}']")
    page.screenshot(path=SHOTS / "api-01-token-form-desktop.png", full_page=True)
    page.click("button:has-text('创建令牌')")
    page.wait_for_selector("#secret")
    secret = page.input_value("#secret")
    assert secret.startswith("ctl_") and ApiToken.objects.get().name == "市运管服平台"
    page.screenshot(path=SHOTS / "api-02-token-shown-once-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/api-tokens/")
    assert secret not in page.content()
    page.screenshot(path=SHOTS / "api-03-token-list-desktop.png", full_page=True)

    page.goto(f"{live_server.url}/api-docs/")
    page.wait_for_selector(".opblock", timeout=30000)  # Swagger UI drew the operations
    assert page.locator(".opblock").count() >= 10
    page.screenshot(path=SHOTS / "api-04-docs-desktop.png", full_page=False)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.context.close()
