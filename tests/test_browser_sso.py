"""统一身份认证 in a browser: 网格员 tx_staff presses the SSO button, signs in at the
identity service (a real OIDC provider on loopback) and lands on their tasks; 王五, whom
nobody tied to an account, reads why not; the security admin's mapping page."""

import pytest

from campaigns.models import SsoLink, SsoProvider

from .sso_world import PROVIDER_PASSWORD, oidc_provider, oidc_settings
from .test_accounts import duty_holder
from .test_browser import DESKTOP, PHONE, SHOTS, browser, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sso_button_provider_and_refusal_in_a_browser(browser, live_server, settings, tx):
    SsoLink.objects.create(provider=SsoProvider.OIDC, subject="gov:zhangsan", user=tx.staff)
    with oidc_provider(f"{live_server.url}/accounts/sso/oidc/callback/", "zhangsan", "wangwu") as provider:
        for name, value in oidc_settings(provider).items():
            setattr(settings, name, value)
        settings.SSO_ONLY = True
        for who, lands in (("zhangsan", "/my/"), ("wangwu", "/accounts/sso/refused/")):
            context = browser.new_context(viewport=PHONE, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            if who == "zhangsan":
                page.screenshot(path=SHOTS / "sso-01-login-phone.png", full_page=True)
            page.get_by_role("link", name="统一身份认证登录").click()
            page.wait_for_load_state()
            assert "统一身份认证平台" in page.content()
            page.fill("input[name=username]", who)
            page.fill("input[name=password]", PROVIDER_PASSWORD)
            page.click("button")
            page.wait_for_load_state()
            assert page.url == f"{live_server.url}{lands}"
            if who == "wangwu":
                assert "统一身份认证账号尚未关联本系统账号，请联系管理员" in page.content()
            page.screenshot(path=SHOTS / f"sso-02-{who}-landed-phone.png", full_page=True)
            context.close()


def test_the_security_admins_mapping_page_in_a_browser(browser, live_server, tx):
    security = duty_holder("anquan", "security")
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="lisi01", user=tx.staff, created_by=security)
    page = open_as(browser, live_server, security, DESKTOP)
    page.goto(f"{live_server.url}/security/sso/")
    page.fill("#id_subject", "gov:zhaoliu")
    page.fill("#id_username", "tx_supervisor")
    page.click("button[type=submit]:has-text('关联')")
    page.wait_for_load_state()
    assert "tx_supervisor" in page.content()
    page.screenshot(path=SHOTS / "sso-03-mapping-desktop.png", full_page=True)
