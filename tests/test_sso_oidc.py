"""Single sign-on through a real OpenID Connect provider (issue 19, part 6).

The provider is django-oauth-toolkit in its own process on loopback (tests/oidc_provider);
the ledger is the live server. The whole redirect dance runs over HTTP: the ledger sends the
browser to the provider, the person signs in there, the provider sends a code back, and the
ledger exchanges it (server to server), checks the signed ID token against the provider's
keys and asks for the person's claims. Then the ledger looks for the account the identity is
tied to — and only that.

Both processes keep the real clock (`real_clock`): the ID token's expiry is written by one
and checked by the other.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from campaigns.models import AuditEvent, AuditKind, SsoLink, SsoProvider

from .sso_world import PROVIDER_PASSWORD, oidc_provider, oidc_settings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


@pytest.fixture
def provider(live_server, settings):
    callback = f"{live_server.url}/accounts/sso/oidc/callback/"
    with oidc_provider(callback, "zhangsan", "wangwu") as address:
        for name, value in oidc_settings(address).items():
            setattr(settings, name, value)
        yield address


def sign_in_at_provider(live_server, name):
    """Press 统一身份认证登录 on the ledger, sign in at the provider; the browser's session and
    the page it ends on."""
    browser = requests.Session()
    at_provider = browser.get(f"{live_server.url}/accounts/sso/oidc/login/", timeout=30)
    assert at_provider.url.startswith("http://127.0.0.1:") and "/login/" in at_provider.url
    assert "统一身份认证平台" in at_provider.text
    authorize = parse_qs(urlsplit(parse_qs(urlsplit(at_provider.url).query)["next"][0]).query)
    assert authorize["client_id"] == ["ledger-tiexi"] and authorize["code_challenge_method"] == ["S256"]
    landed = browser.post(at_provider.url, data={"username": name, "password": PROVIDER_PASSWORD}, timeout=30)
    return browser, landed


def test_a_mapped_staffer_signs_in_through_the_identity_service(live_server, provider, tx):
    """网格员 tx_staff is 张三 (gov:zhangsan) at the identity service: a security admin tied them."""
    SsoLink.objects.create(provider=SsoProvider.OIDC, subject="gov:zhangsan", user=tx.staff)

    browser, landed = sign_in_at_provider(live_server, "zhangsan")

    assert landed.status_code == 200
    assert landed.url == f"{live_server.url}/my/"  # a staffer's home: signed in as tx_staff
    login = AuditEvent.objects.get(kind=AuditKind.LOGIN)
    assert (login.username, login.details) == ("tx_staff", {"sso": "oidc"})
    # The session is the ledger's own from here on.
    assert browser.get(f"{live_server.url}/tickets/", timeout=30).status_code == 200


def test_an_unmapped_person_is_refused_with_a_page_and_an_audit_row(live_server, provider, tx):
    """王五 passes the identity service, but nobody tied gov:wangwu to a ledger account; the
    same username exists nowhere either. The ledger neither lets them in nor makes an account."""
    accounts_before = get_user_model().objects.count()

    browser, landed = sign_in_at_provider(live_server, "wangwu")

    assert landed.status_code == 403
    assert landed.url == f"{live_server.url}/accounts/sso/refused/"
    assert "统一身份认证账号尚未关联本系统账号，请联系管理员" in landed.text
    refused = AuditEvent.objects.get(kind=AuditKind.SSO_REFUSED)
    assert (refused.success, refused.target, refused.details["reason"]) == (False, "oidc:gov:wangwu", "unmapped")
    assert not AuditEvent.objects.filter(kind__in=[AuditKind.LOGIN, AuditKind.LOGIN_FAILED]).exists()
    assert get_user_model().objects.count() == accounts_before
    assert browser.get(f"{live_server.url}/tickets/", timeout=30, allow_redirects=False).status_code == 302


def test_the_same_username_signs_in_only_when_the_setting_allows_it(live_server, provider, tx, settings):
    """SSO_MATCH_USERNAME: the identity service's preferred_username is a ledger username."""
    tx.staff.username = "zhangsan"
    tx.staff.save()

    _browser, refused = sign_in_at_provider(live_server, "zhangsan")
    assert refused.url.endswith("/accounts/sso/refused/")

    settings.SSO_MATCH_USERNAME = True
    _browser, landed = sign_in_at_provider(live_server, "zhangsan")
    assert landed.url == f"{live_server.url}/my/"
