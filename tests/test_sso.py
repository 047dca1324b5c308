"""Single sign-on (统一身份认证) beside the password (issue 19, part 6).

Stories: 李四 of 铁西区's street signs in through the city's CAS server; a CAS ticket that the
server does not know, an account that was switched off and one that is locked are refused;
the security admin and 铁西区's admin tie identities to accounts (and 铁东区's admin cannot
touch 铁西区's); with SSO_ONLY the staffer is sent to the SSO button while the security and
audit admins keep their passwords; the settings refuse a half-configured service.
"""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import AuditEvent, AuditKind, Duty, Role, SsoLink, SsoProvider
from security.sso import sso_link_create

from .factories import PASSWORD, UserFactory, member
from .sso_world import ROOT, CasServer, cas_settings
from .test_accounts import duty_holder

pytestmark = pytest.mark.django_db
CAS_LOGIN = "/accounts/sso/cas/login/"
REFUSED = "统一身份认证账号尚未关联本系统账号，请联系管理员"


@pytest.fixture
def cas(settings):
    with CasServer() as server:
        for name, value in cas_settings(server).items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def security_admin(db):
    return duty_holder("anquan", Duty.SECURITY)


@pytest.fixture
def audit_admin(db):
    return duty_holder("shenji", Duty.AUDIT)


# --- CAS: the ticket validated against the CAS server (serviceValidate) --------------------


def test_a_mapped_staffer_signs_in_through_cas(client, cas, tx):
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="lisi01", user=tx.staff)

    away = client.get(CAS_LOGIN)
    assert away.status_code == 302 and away["Location"].startswith(f"{cas.url}login?service=")

    cas.issue("ST-1-tiexi", "lisi01")
    back = client.get(CAS_LOGIN, {"ticket": "ST-1-tiexi"})

    assert back.status_code == 302 and back["Location"] == "/"
    assert client.get("/my/").status_code == 200
    (ticket, service), *_ = cas.validated
    assert ticket == "ST-1-tiexi" and service.startswith("http://testserver/accounts/sso/cas/login/")
    login = AuditEvent.objects.get(kind=AuditKind.LOGIN)
    assert (login.username, login.details) == ("tx_staff", {"sso": "cas"})


@pytest.mark.parametrize("version", ["2", "3"])
def test_both_protocol_versions_validate(client, settings, tx, version):
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="lisi01", user=tx.staff)
    with CasServer() as server:
        for name, value in cas_settings(server, version).items():
            setattr(settings, name, value)
        server.issue("ST-2", "lisi01")
        assert client.get(CAS_LOGIN, {"ticket": "ST-2"})["Location"] == "/"
    assert client.get("/my/").status_code == 200


def test_an_unmapped_cas_identity_is_refused_with_the_page_and_an_audit_row(client, cas, tx):
    cas.issue("ST-3", "zhaoliu")
    answer = client.get(CAS_LOGIN, {"ticket": "ST-3"}, follow=True)

    assert answer.status_code == 403 and REFUSED in answer.content.decode()
    refused = AuditEvent.objects.get(kind=AuditKind.SSO_REFUSED)
    assert (refused.success, refused.username, refused.details["reason"]) == (False, "zhaoliu", "unmapped")
    assert client.get("/my/")["Location"].startswith("/accounts/login/")


def test_a_ticket_the_cas_server_does_not_know_signs_nobody_in(client, cas, tx):
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="lisi01", user=tx.staff)
    answer = client.get(CAS_LOGIN, {"ticket": "ST-forged"}, follow=True)
    assert answer.status_code == 403 and "统一身份认证没有完成" in answer.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditKind.LOGIN).exists()
    refused = AuditEvent.objects.get(kind=AuditKind.SSO_REFUSED)
    assert (refused.target, refused.details["reason"]) == ("cas:", "invalid_ticket")


def test_a_switched_off_or_locked_account_is_refused_though_the_identity_is_mapped(client, cas, tx, settings):
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="lisi01", user=tx.staff)
    tx.staff.is_active = False
    tx.staff.save()
    cas.issue("ST-4", "lisi01")
    answer = client.get(CAS_LOGIN, {"ticket": "ST-4"}, follow=True)
    assert answer.status_code == 403 and "已停用" in answer.content.decode()

    tx.staff.is_active = True
    tx.staff.save()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):  # five wrong passwords lock tx_staff
        client.post("/accounts/login/", {"username": "tx_staff", "password": "wrong"})
    cas.issue("ST-5", "lisi01")
    answer = client.get(CAS_LOGIN, {"ticket": "ST-5"}, follow=True)
    assert answer.status_code == 403 and "已被锁定" in answer.content.decode()
    reasons = list(AuditEvent.objects.filter(kind=AuditKind.SSO_REFUSED).values_list("details__reason", flat=True))
    assert sorted(reasons) == ["inactive", "locked"]


def test_a_second_factor_is_still_asked_after_single_sign_on(client, cas, tx):
    """The ledger cannot see how the identity service checked the person: a bound 动态口令
    is asked as after a password."""
    SsoLink.objects.create(provider=SsoProvider.CAS, subject="sup01", user=tx.supervisor)
    TOTPDevice.objects.create(user=tx.supervisor, name="动态口令", confirmed=True)
    cas.issue("ST-6", "sup01")
    client.get(CAS_LOGIN, {"ticket": "ST-6"})
    assert client.get("/board/TX/")["Location"].startswith(reverse("second-factor"))


def test_the_sso_doors_are_not_found_while_nothing_is_configured(client, tx):
    for path in (CAS_LOGIN, "/accounts/sso/oidc/login/", "/accounts/sso/oidc/callback/"):
        assert client.get(path).status_code == 404
    assert "统一身份认证登录" not in client.get("/accounts/login/").content.decode()


# --- SSO_ONLY: the password for the security and audit admins only --------------------------


def test_sso_only_sends_the_staffer_to_the_sso_button_but_not_the_security_admin(
    client, cas, tx, settings, security_admin, audit_admin
):
    settings.SSO_ONLY = True
    page = client.get("/accounts/login/").content.decode()
    assert "统一身份认证登录" in page and "管理员密码登录" in page

    refused = client.post("/accounts/login/", {"username": "tx_staff", "password": PASSWORD})
    assert refused.status_code == 200 and "请点击“统一身份认证登录”按钮登录" in refused.content.decode()
    assert client.get("/my/").status_code == 302
    row = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert (row.username, row.details["reason"]) == ("tx_staff", "sso_only")

    for admin in (security_admin, audit_admin):
        signed_in = client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
        assert signed_in.status_code == 302, admin
        client.post("/accounts/logout/")


def test_without_sso_only_both_doors_are_open(client, cas, tx):
    page = client.get("/accounts/login/").content.decode()
    assert "统一身份认证登录" in page and reverse("sso-cas-login") in page
    assert client.post("/accounts/login/", {"username": "tx_staff", "password": PASSWORD}).status_code == 302


# --- tying identities to accounts -----------------------------------------------------------


def test_the_security_admin_ties_an_identity_to_an_existing_account_and_it_is_audited(client, security_admin, tx):
    client.force_login(security_admin)
    answer = client.post(
        reverse("security-sso-links"), {"provider": "oidc", "subject": "gov:zhangsan", "username": "tx_staff"}
    )
    assert answer.status_code == 302
    link = SsoLink.objects.get()
    assert (link.user, link.created_by) == (tx.staff, security_admin)
    row = AuditEvent.objects.get(kind=AuditKind.SSO_LINK)
    assert (row.user, row.target, row.details["change"]) == (security_admin, "tx_staff", "linked")

    # The same identity again: no second row, and the page says whose it is.
    again = client.post(
        reverse("security-sso-links"), {"provider": "oidc", "subject": "gov:zhangsan", "username": "tx_admin"}
    )
    assert again.status_code == 200 and "tx_staff" in again.content.decode()
    assert SsoLink.objects.count() == 1

    # No account is ever made from here.
    missing = client.post(reverse("security-sso-links"), {"provider": "cas", "subject": "x", "username": "nobody"})
    assert missing.status_code == 200 and not get_user_model().objects.filter(username="nobody").exists()

    assert client.post(reverse("security-sso-link-remove", args=[link.pk])).status_code == 302
    assert not SsoLink.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.SSO_LINK, details__change="unlinked").count() == 1


def test_a_district_admin_ties_only_their_own_districts_people(client, tx, td):
    client.force_login(tx.admin)
    page = reverse("district-sso-links", args=["TX"])
    assert client.post(page, {"provider": "cas", "subject": "lisi01", "username": "tx_staff"}).status_code == 302
    outsider = client.post(page, {"provider": "cas", "subject": "td01", "username": "td_staff"})
    assert outsider.status_code == 200 and "不是本区的人员" in outsider.content.decode()
    assert client.get(reverse("district-sso-links", args=["TD"])).status_code == 404

    theirs = sso_link_create(actor=td.admin, provider="cas", subject="td01", user=td.staff)
    assert client.post(reverse("district-sso-link-remove", args=["TX", theirs.pk])).status_code == 404
    assert SsoLink.objects.filter(pk=theirs.pk).exists()

    client.force_login(tx.supervisor)
    assert client.get(page).status_code == 403


# --- settings: loud on half-configured values -------------------------------------------------


def _settings_error(**env):
    code = "import ledger.settings"
    result = subprocess.run(  # nosec B603 # our own interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
    )
    return result.stderr.strip().splitlines()[-1] if result.returncode else ""


def test_half_configured_sso_settings_stop_the_start():
    assert "OIDC_RP_CLIENT_SECRET" in _settings_error(OIDC_RP_CLIENT_ID="ledger")
    assert "OIDC_OP_TOKEN_ENDPOINT" in _settings_error(
        OIDC_RP_CLIENT_ID="ledger", OIDC_RP_CLIENT_SECRET="s", OIDC_OP_AUTHORIZATION_ENDPOINT="https://id.example/a"
    )
    assert "SSO_ONLY" in _settings_error(SSO_ONLY="1")
    assert "CAS_SERVER_URL" in _settings_error(CAS_SERVER_URL="cas.example.gov.cn")
    assert (
        _settings_error(
            OIDC_RP_CLIENT_ID="ledger",
            OIDC_RP_CLIENT_SECRET="s",
            OIDC_OP_DISCOVERY_URL="https://id.example/.well-known",
        )
        == ""
    )


def test_the_mapping_pages_cost_the_same_for_three_links_or_thirty(
    client, security_admin, tx, django_assert_max_num_queries
):
    def tie(count):
        for _n in range(count):
            person = UserFactory(username=f"tx_person{SsoLink.objects.count()}")
            member(person, tx.street, Role.STAFF)
            sso_link_create(actor=tx.admin, provider="cas", subject=f"sub{person.pk}", user=person)

    for who, page in ((security_admin, reverse("security-sso-links")), (tx.admin, "/setup/TX/sso/")):
        client.force_login(who)
        tie(3)
        client.get(page)  # the session and the scope, first read
        with django_assert_max_num_queries(12) as few:
            assert client.get(page).status_code == 200
        counted = len(few.captured_queries)  # now: the next request empties the log
        tie(27)
        client.get(page)  # new memberships moved the scope version on: read afresh once
        with django_assert_max_num_queries(counted):
            assert client.get(page).status_code == 200
