"""Accounts as an assessed government system must keep them (等保 2.0, third level).

Stories: 小王 the street staffer mistypes his password; 李督导 must use a second factor
because 铁西区 requires it; the security admin manages accounts but not the audit log; the
audit admin reads the audit log and changes nothing.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import AccountProfile, AuditEvent, AuditKind, Duty, Membership, Role, SecondFactorPolicy
from security.passwords import password_record

from .factories import PASSWORD, UserFactory, form_key

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
NEW_PASSWORD = "Qingjie#2026road"


def duty_holder(username, duty):
    user = UserFactory(username=username)
    AccountProfile.objects.create(user=user, duty=duty)
    return user


@pytest.fixture
def security_admin(db):
    return duty_holder("anquan", Duty.SECURITY)


@pytest.fixture
def audit_admin(db):
    return duty_holder("shenji", Duty.AUDIT)


@pytest.fixture
def system_admin(db):
    user = duty_holder("xitong", Duty.SYSTEM)
    user.is_staff = True
    user.save()
    return user


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3", **extra)


def token_for(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


# --- passwords -----------------------------------------------------------------------


class TestPasswords:
    def change(self, client, old, new):
        return client.post(
            reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
        )

    @pytest.mark.parametrize(
        "weak,message",
        [
            ("Ab1!", "至少"),  # too short (Django says 至少包含 8 个字符)
            ("qingjieroad", "3 类"),  # one class
            ("qingjieroad2026", "3 类"),  # two classes
        ],
    )
    def test_weak_passwords_are_refused_with_the_rule(self, client, tx, weak, message):
        log_in(client, tx.staff.username)
        response = self.change(client, PASSWORD, weak)
        assert response.status_code == 200
        assert message in response.content.decode()
        tx.staff.refresh_from_db()
        assert tx.staff.check_password(PASSWORD)

    def test_none_of_the_last_five_may_return(self, client, tx):
        log_in(client, tx.staff.username)
        passwords = [PASSWORD] + [f"Qingjie#{n}road" for n in range(5)]
        for old, new in zip(passwords, passwords[1:], strict=False):
            assert self.change(client, old, new).status_code == 302, new
        current = passwords[-1]
        for reused in passwords[1:]:
            response = self.change(client, current, reused)
            assert "最近 5 次" in response.content.decode(), reused
        # The oldest one has dropped out of the last five.
        assert self.change(client, current, PASSWORD).status_code == 302
        assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGE, success=True).count() == 6
        assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_CHANGE, success=False).count() == 5

    def test_a_password_older_than_ninety_days_must_be_changed_first(self, client, tx):
        password_record(tx.staff, must_change=False)
        AccountProfile.objects.filter(user=tx.staff).update(
            password_changed_at=timezone.now() - datetime.timedelta(days=91)
        )
        assert log_in(client, tx.staff.username).status_code == 302
        response = client.get(reverse("campaigns:ticket-list"))
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
        assert self.change(client, PASSWORD, NEW_PASSWORD).status_code == 302
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200

    def test_eighty_nine_days_is_fine(self, client, tx):
        password_record(tx.staff, must_change=False)
        AccountProfile.objects.filter(user=tx.staff).update(
            password_changed_at=timezone.now() - datetime.timedelta(days=89)
        )
        log_in(client, tx.staff.username)
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200


# --- lockout -------------------------------------------------------------------------


class TestLockout:
    def test_five_failures_lock_the_account_for_thirty_minutes(self, client, tx):
        for attempt in range(4):
            response = log_in(client, tx.staff.username, "wrong-password")
            assert response.status_code == 200, attempt
            assert "连续 5 次错误将锁定" in response.content.decode()
        response = log_in(client, tx.staff.username, "wrong-password")
        assert response.status_code == 403
        assert "已锁定 30 分钟" in response.content.decode()
        # Even the right password is refused while locked.
        response = log_in(client, tx.staff.username)
        assert response.status_code == 403 and "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(kind=AuditKind.LOCKOUT, username=tx.staff.username).count() >= 1
        failures = AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED, username=tx.staff.username)
        assert failures.count() == 6 and not failures.filter(success=True).exists()
        assert failures.first().ip == "10.1.2.3"
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
            assert log_in(client, tx.staff.username).status_code == 302

    def test_failures_of_one_account_do_not_lock_a_colleague_on_the_same_network(self, client, tx):
        for _attempt in range(5):
            log_in(client, tx.staff.username, "wrong-password")
        assert log_in(client, tx.supervisor.username).status_code == 302

    def test_the_security_admin_unlocks(self, client, tx, security_admin):
        for _attempt in range(5):
            log_in(client, tx.staff.username, "wrong-password")
        client.force_login(security_admin)
        page = client.get(reverse("security-account", args=[tx.staff.pk]))
        assert "已锁定" in page.content.decode()
        client.post(reverse("security-account-unlock", args=[tx.staff.pk]))
        assert AuditEvent.objects.filter(kind=AuditKind.UNLOCK, target=tx.staff.username).exists()
        client.logout()
        assert log_in(client, tx.staff.username).status_code == 302

    def test_a_burst_of_lockouts_alerts_the_security_admins_once(self, client, tx, security_admin):
        from campaigns.models import Notification

        for person in (tx.staff, tx.supervisor, tx.leader, tx.admin):
            for _attempt in range(5):
                log_in(client, person.username, "wrong-password")
        alerts = Notification.objects.filter(recipient=security_admin, kind="security_alert")
        assert alerts.count() == 1
        assert tx.staff.username in alerts.get().body
        assert not Notification.objects.filter(kind="security_alert").exclude(recipient=security_admin).exists()


# --- idle sessions -------------------------------------------------------------------


def test_thirty_idle_minutes_end_the_session(client, tx):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        log_in(client, tx.staff.username)
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=58), tick=False):
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200  # 29 min since the last request
    with time_machine.travel(start + datetime.timedelta(minutes=89), tick=False):
        response = client.get(reverse("campaigns:ticket-list"))
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditKind.IDLE_LOGOUT, user=tx.staff).count() == 1


# --- second factor -------------------------------------------------------------------


class TestSecondFactor:
    def test_a_person_with_a_second_factor_must_give_it(self, client, tx):
        device = TOTPDevice.objects.create(user=tx.supervisor, name="phone", confirmed=True)
        log_in(client, tx.supervisor.username)
        response = client.get(reverse("campaigns:ticket-list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("second-factor"))
        wrong = client.post(reverse("second-factor"), {"token": "000000"})
        assert "动态口令不正确" in wrong.content.decode()
        assert client.get(reverse("campaigns:ticket-list")).status_code == 302
        # A wrong token slows the next try down (django-otp's throttle), so try again a bit later.
        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):
            right = client.post(reverse("second-factor"), {"token": token_for(device), "next": "/tickets/"})
            assert right.status_code == 302 and right["Location"] == "/tickets/"
            assert client.get(reverse("campaigns:ticket-list")).status_code == 200
        kinds = list(AuditEvent.objects.filter(kind=AuditKind.SECOND_FACTOR).values_list("success", flat=True))
        assert sorted(kinds) == [False, True]

    def test_a_district_can_require_it_of_supervisors(self, client, tx, td):
        SecondFactorPolicy.objects.create(district=tx.unit, required_for_supervisors=True)
        log_in(client, tx.supervisor.username)
        response = client.get(reverse("campaigns:board-default"))
        assert response["Location"].startswith(reverse("second-factor-setup"))
        page = client.get(reverse("second-factor-setup"))
        assert "<svg" in page.content.decode() and "要求督导和管理员使用动态口令" in page.content.decode()
        device = TOTPDevice.objects.get(user=tx.supervisor, confirmed=False)
        done = client.post(reverse("second-factor-setup"), {"token": token_for(device)})
        assert done.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200

    @pytest.mark.parametrize("who", ["staff", "leader", "admin"])
    def test_the_rule_binds_only_the_roles_it_names(self, client, tx, td, who):
        SecondFactorPolicy.objects.create(district=tx.unit, required_for_supervisors=True)
        SecondFactorPolicy.objects.create(district=td.unit, required_for_admins=True)
        log_in(client, getattr(tx, who).username)
        assert client.get(reverse("campaigns:ticket-list")).status_code == 200

    def test_logout_and_the_setup_page_stay_reachable(self, client, tx):
        SecondFactorPolicy.objects.create(district=tx.unit, required_for_admins=True)
        log_in(client, tx.admin.username)
        assert client.get(reverse("second-factor-setup")).status_code == 200
        assert client.post(reverse("logout")).status_code == 302
        assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, user=tx.admin).exists()


# --- separation of powers (三权分立) --------------------------------------------------


SECURITY_PAGES = ["security-accounts", "security-account-new", "security-second-factor"]


class TestSeparationOfPowers:
    @pytest.mark.parametrize("page", SECURITY_PAGES)
    def test_only_the_security_admin_manages_accounts(
        self, client, tx, security_admin, audit_admin, system_admin, page
    ):
        for outsider in (audit_admin, system_admin, tx.admin, tx.supervisor, tx.staff):
            client.force_login(outsider)
            assert client.get(reverse(page)).status_code == 403, outsider
        client.force_login(security_admin)
        assert client.get(reverse(page)).status_code == 200

    def test_only_the_audit_admin_reads_the_audit_log(self, client, tx, security_admin, audit_admin, system_admin):
        for outsider in (security_admin, system_admin, tx.admin, tx.leader):
            client.force_login(outsider)
            assert client.get(reverse("security-audit")).status_code == 403
            assert client.get(reverse("security-audit-export")).status_code == 403
        client.force_login(audit_admin)
        assert client.get(reverse("security-audit")).status_code == 200

    def test_the_audit_admin_changes_nothing(self, client, tx, audit_admin):
        client.force_login(audit_admin)
        assert client.post(reverse("security-account-reset-password", args=[tx.staff.pk])).status_code == 403
        assert client.post(reverse("security-audit")).status_code in (403, 405)
        assert client.get(reverse("admin:index")).status_code == 302  # no Django admin either

    def test_accounts_and_roles_are_not_in_the_django_admin(self, client, system_admin):
        client.force_login(system_admin)
        index = client.get(reverse("admin:index")).content.decode()
        for model in ("auth/user", "campaigns/membership", "otp_totp", "axes"):
            assert f"/admin/{model}" not in index
        assert client.get("/admin/auth/user/").status_code in (403, 404)
        assert client.get("/admin/auth/group/").status_code in (403, 404)

    def test_one_duty_per_person_and_none_for_oneself(self, client, tx, security_admin):
        client.force_login(security_admin)
        form = {"full_name": "安全员", "email": "", "is_active": "on", "duty": Duty.AUDIT}
        response = client.post(reverse("security-account", args=[security_admin.pk]), form)
        assert "另一位安全管理员" in response.content.decode()
        assert AccountProfile.objects.get(user=security_admin).duty == Duty.SECURITY
        # Giving a duty to someone else replaces whatever they held: one field, one power.
        # (An account without ledger roles: a duty and a role are never one account's.)
        newcomer = UserFactory(username="xinren")
        client.post(reverse("security-account", args=[newcomer.pk]), {**form, "full_name": "新人", "duty": Duty.SYSTEM})
        newcomer.refresh_from_db()
        assert newcomer.is_staff
        client.post(reverse("security-account", args=[newcomer.pk]), {**form, "full_name": "新人", "duty": Duty.AUDIT})
        profile = AccountProfile.objects.get(user=newcomer)
        assert profile.duty == Duty.AUDIT
        newcomer.refresh_from_db()
        assert not newcomer.is_staff
        changes = AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, target=newcomer.username)
        assert {tuple(row["duty"]) for row in changes.values_list("details", flat=True) if "duty" in row} == {
            ("", Duty.SYSTEM),
            (Duty.SYSTEM, Duty.AUDIT),
        }


class TestAccountPages:
    def test_a_new_account_gets_a_one_time_password_it_must_change(self, client, tx, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account-new"),
            {
                "username": "xiaozhang",
                "full_name": "小张",
                "unit": tx.street.pk,
                "role": Role.STAFF,
                "phone": "13800001111",
                "submission": form_key(),
            },
        )
        assert response.status_code == 200
        password = response.context["password"]
        user = get_user_model().objects.get(username="xiaozhang")
        assert Membership.objects.filter(user=user, unit=tx.street, role=Role.STAFF, phone="13800001111").exists()
        assert AccountProfile.objects.get(user=user).must_change_password
        client.logout()
        log_in(client, "xiaozhang", password)
        assert client.get(reverse("campaigns:ticket-list"))["Location"] == reverse("password_change")
        assert AuditEvent.objects.filter(kind=AuditKind.ACCOUNT_CREATE, target="xiaozhang").exists()
        assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, details__account="xiaozhang").exists()

    def test_duplicate_accounts_are_refused_and_the_form_keeps_what_was_typed(self, client, tx, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account-new"),
            {
                "username": tx.staff.username.upper(),
                "full_name": "重名的人",
                "duty": Duty.AUDIT,
                "email": "chongming@ledger.example",
                "submission": form_key(),
            },
        )
        assert "已存在" in response.content.decode() and "重名的人" in response.content.decode()

    def test_roles_are_granted_and_revoked_with_an_audit_row_each(self, client, tx, security_admin):
        client.force_login(security_admin)
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        client.post(
            reverse("security-membership-add", args=[tx.staff.pk]), {"unit": tx.unit.pk, "role": Role.SUPERVISOR}
        )
        membership = Membership.objects.get(user=tx.staff, unit=tx.unit, role=Role.SUPERVISOR)
        client.post(reverse("security-membership-remove", args=[tx.staff.pk, membership.pk]))
        assert not Membership.objects.filter(pk=membership.pk).exists()
        changes = list(
            AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, details__account=tx.staff.username, id__gt=before)
            .order_by("id")
            .values_list("details__change", "user")
        )
        assert changes == [("granted", security_admin.pk), ("revoked", security_admin.pk)]

    def test_account_list_costs_the_same_for_many_accounts(
        self, client, tx, td, security_admin, django_assert_max_num_queries
    ):
        client.force_login(security_admin)
        client.get(reverse("security-accounts"))
        with django_assert_max_num_queries(12):
            small = client.get(reverse("security-accounts"))
        for n in range(30):
            user = UserFactory(username=f"more{n}")
            Membership.objects.create(user=user, unit=tx.street, role=Role.STAFF)
        with django_assert_max_num_queries(12):
            large = client.get(reverse("security-accounts"))
        assert small.status_code == large.status_code == 200
        assert "more29" in large.content.decode()
