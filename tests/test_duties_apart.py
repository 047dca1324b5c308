"""三权分立, round two (issue 13 §3): the security admin cannot break the separation of duties.

Stories: 安全管理员 anquan manages accounts; 审计管理员 shenji reads the audit log. On
2026-12-03 anquan gave shenji an admin role in 铁西区, created an audit account with a ledger
role, and reset shenji's password and read the new one off the page. Each of those paths is
refused here, and the database refuses the combination for every writer the paths miss.
"""

import datetime
import io
import threading
import time
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from openpyxl import Workbook

from campaigns.models import AccountProfile, AuditEvent, AuditKind, Duty, Membership, Role, SetupImport
from security.accounts import AccountRefused, account_create, account_update, membership_grant

from .factories import PASSWORD, UserFactory, form_key

pytestmark = pytest.mark.django_db
User = get_user_model()
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 3, 19, 22, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def duty_holder(username, duty, email=""):
    user = UserFactory(username=username, first_name=username, email=email)
    AccountProfile.objects.create(user=user, duty=duty)
    return user


@pytest.fixture
def security_admin(db):
    return duty_holder("anquan", Duty.SECURITY, "anquan@ledger.example")


@pytest.fixture
def audit_admin(db):
    return duty_holder("shenji", Duty.AUDIT, "shenji@ledger.example")


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- no account holds a duty and a ledger role -------------------------------------------------


class TestGrantingARole:
    def test_the_security_admin_cannot_give_the_auditor_a_district_role(self, client, tx, security_admin, audit_admin):
        ticket = tx.log()
        client.force_login(security_admin)
        response = client.post(
            reverse("security-membership-add", args=[audit_admin.pk]),
            {"unit": tx.unit.pk, "role": Role.ADMIN},
            follow=True,
        )
        assert any("三权分立" in text and "审计管理员" in text for text in messages_of(response))
        assert not Membership.objects.filter(user=audit_admin).exists()
        # ... so the auditor still finds no ledger: no board, no export.
        client.force_login(audit_admin)
        assert client.get(reverse("campaigns:board", args=["TX"])).status_code in (403, 404)
        export = client.get(reverse("campaigns:ticket-export", args=["csv"]))
        assert export.status_code in (403, 404) or ticket.number not in b"".join(export.streaming_content).decode()
        void = client.post(reverse("campaigns:ticket-void", args=[ticket.number]), {"reason": "重复"})
        assert void.status_code in (403, 404)

    def test_the_account_page_offers_no_role_form_to_a_duty_holder(self, client, security_admin, audit_admin):
        client.force_login(security_admin)
        page = client.get(reverse("security-account", args=[audit_admin.pk])).content.decode()
        assert reverse("security-membership-add", args=[audit_admin.pk]) not in page
        assert "三权分立" in page

    def test_the_service_refuses_it_from_the_shell(self, tx, security_admin, audit_admin):
        with pytest.raises(AccountRefused, match="三权分立"):
            membership_grant(actor=security_admin, user=audit_admin, unit=tx.unit, role=Role.ADMIN)
        assert not Membership.objects.filter(user=audit_admin).exists()


class TestCreatingAnAccount:
    def test_a_duty_and_a_role_in_one_new_account_are_refused(self, client, tx, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account-new"),
            {
                "username": "shenji2",
                "full_name": "审计二",
                "email": "shenji2@ledger.example",
                "duty": Duty.AUDIT,
                "unit": tx.unit.pk,
                "role": Role.ADMIN,
                "submission": form_key(),
            },
        )
        assert response.status_code == 200
        assert "三权分立" in response.content.decode()
        assert not User.objects.filter(username="shenji2").exists()

    def test_the_service_refuses_it_from_the_shell(self, tx, security_admin):
        with pytest.raises(AccountRefused, match="三权分立"):
            account_create(
                actor=security_admin,
                username="shenji2",
                full_name="审计二",
                email="shenji2@ledger.example",
                duty=Duty.AUDIT,
                unit=tx.unit,
                role=Role.ADMIN,
            )
        assert not User.objects.filter(username="shenji2").exists()


class TestUpdatingAnAccount:
    def test_a_district_leader_cannot_become_the_auditor(self, client, tx, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account", args=[tx.leader.pk]),
            {"full_name": "区领导", "email": "", "is_active": "on", "duty": Duty.AUDIT},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "三权分立" in html and tx.unit.name in html
        assert not AccountProfile.objects.filter(user=tx.leader).exclude(duty="").exists()
        assert not AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, target=tx.leader.username).exists()

    def test_the_service_refuses_it_from_the_shell(self, tx, security_admin):
        with pytest.raises(AccountRefused, match="三权分立"):
            account_update(
                actor=security_admin, user=tx.leader, full_name="区领导", email="", is_active=True, duty=Duty.SECURITY
            )
        assert not AccountProfile.objects.filter(user=tx.leader).exclude(duty="").exists()


class TestPeopleImport:
    def test_a_district_admin_cannot_import_the_auditor_into_the_district(self, client, tx, audit_admin):
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(["姓名", "账号", "手机号", "所属单位", "角色"])
        sheet.append(["审计", audit_admin.username, "", tx.unit.name, "管理员"])
        content = io.BytesIO()
        workbook.save(content)
        client.force_login(tx.admin)
        response = client.post(
            reverse("campaigns:setup-people-import", args=["TX"]),
            {"file": SimpleUploadedFile("名单.xlsx", content.getvalue())},
        )
        preview = response.context["preview"]
        assert not preview.is_clean
        assert "已被占用" in response.content.decode()
        record = SetupImport.objects.get()
        client.post(reverse("campaigns:setup-people-import-confirm", args=["TX", record.pk]))
        assert not Membership.objects.filter(user=audit_admin).exists()


class TestDjangoAdmin:
    def test_a_superuser_cannot_give_the_auditor_a_membership(self, client, tx, audit_admin):
        root = UserFactory(username="root", is_staff=True, is_superuser=True)
        client.force_login(root)
        response = client.post(
            reverse("admin:campaigns_membership_add"),
            {"user": audit_admin.pk, "unit": tx.unit.pk, "role": Role.ADMIN, "phone": ""},
        )
        assert response.status_code == 200
        assert "三权分立" in str(response.context["adminform"].form.errors)
        assert not Membership.objects.filter(user=audit_admin).exists()

    def test_nor_through_the_accounts_roles_inline(self, client, tx, audit_admin):
        root = UserFactory(username="root", is_staff=True, is_superuser=True)
        client.force_login(root)
        url = reverse("admin:auth_user_change", args=[audit_admin.pk])
        form = client.get(url).context["adminform"].form
        data = {
            key: value
            for key, value in form.initial.items()
            if key in ("username", "first_name", "last_name", "email", "is_active") and value is not None
        }
        data.update(
            {
                "date_joined_0": "2026-01-01",
                "date_joined_1": "08:00:00",
                "memberships-TOTAL_FORMS": "1",
                "memberships-INITIAL_FORMS": "0",
                "memberships-MIN_NUM_FORMS": "0",
                "memberships-MAX_NUM_FORMS": "1000",
                "memberships-0-unit": tx.unit.pk,
                "memberships-0-role": Role.ADMIN,
                "memberships-0-phone": "",
            }
        )
        data["is_active"] = "on"
        response = client.post(url, data)
        assert response.status_code == 200
        assert "三权分立" in response.content.decode()
        assert not Membership.objects.filter(user=audit_admin).exists()

    def test_model_validation_says_why(self, tx, audit_admin):
        with pytest.raises(ValidationError, match="三权分立"):
            Membership(user=audit_admin, unit=tx.unit, role=Role.ADMIN).full_clean()
        with pytest.raises(ValidationError, match="三权分立"):
            AccountProfile(user=tx.leader, duty=Duty.AUDIT).full_clean(validate_unique=False)


class TestTheDatabase:
    """What the shell, a raw update or a forgotten path would do: the triggers refuse it."""

    def test_no_membership_for_a_duty_holder(self, tx, audit_admin):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(user=audit_admin, unit=tx.unit, role=Role.ADMIN)
        assert not Membership.objects.filter(user=audit_admin).exists()

    def test_no_moving_a_membership_onto_a_duty_holder(self, tx, audit_admin):
        membership = Membership.objects.get(user=tx.leader)
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.filter(pk=membership.pk).update(user=audit_admin)
        assert Membership.objects.get(pk=membership.pk).user_id == tx.leader.pk

    def test_no_duty_for_a_role_holder(self, tx):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountProfile.objects.update_or_create(user=tx.leader, defaults={"duty": Duty.AUDIT})
        assert not AccountProfile.objects.filter(user=tx.leader).exclude(duty="").exists()

    def test_no_duty_by_a_bulk_update_either(self, tx):
        AccountProfile.objects.get_or_create(user=tx.leader)
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountProfile.objects.filter(user=tx.leader).update(duty=Duty.SECURITY)
        assert AccountProfile.objects.get(user=tx.leader).duty == ""

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_a_role_and_a_duty_given_at_once_cannot_both_land(self, tx):
        """Two sessions each add one half; without the row lock neither would see the other's."""
        if connection.vendor != "postgresql":
            pytest.skip("concurrent transactions need PostgreSQL (SQLite runs one writer at a time)")
        person = UserFactory(username="xinren")
        AccountProfile.objects.create(user=person)
        role_written = threading.Event()
        results = {}

        def grant():
            try:
                with transaction.atomic():
                    Membership.objects.create(user=person, unit=tx.street, role=Role.STAFF)
                    role_written.set()
                    time.sleep(0.5)  # still uncommitted while the duty is being given
                results["role"] = "ok"
            finally:
                connections.close_all()

        def give_duty():
            role_written.wait(30)
            try:
                with transaction.atomic():
                    AccountProfile.objects.filter(user=person).update(duty=Duty.AUDIT)
                results["duty"] = "ok"
            except IntegrityError:
                results["duty"] = "refused"
            finally:
                connections.close_all()

        threads = [threading.Thread(target=grant), threading.Thread(target=give_duty)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert results == {"role": "ok", "duty": "refused"}
        assert AccountProfile.objects.get(user=person).duty == ""

    def test_what_is_allowed_still_is(self, tx, audit_admin):
        # A duty for someone without roles, a role for someone without a duty, and taking a duty away.
        AccountProfile.objects.filter(user=audit_admin).update(duty=Duty.SECURITY)
        Membership.objects.create(user=tx.leader, unit=tx.street, role=Role.STAFF)
        AccountProfile.objects.filter(user=audit_admin).update(duty="")
        Membership.objects.create(user=audit_admin, unit=tx.unit, role=Role.LEADER)
        assert Membership.objects.filter(user=audit_admin).count() == 1


# --- a duty holder's password goes to the holder, never to the page ---------------------------


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("no mail server")


class TestPasswordReset:
    def reset(self, client, security_admin, account):
        client.force_login(security_admin)
        return client.post(reverse("security-account-reset-password", args=[account.pk]), follow=True)

    def test_the_auditors_new_password_is_mailed_to_the_auditor_only(self, client, security_admin, audit_admin):
        response = self.reset(client, security_admin, audit_admin)
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["shenji@ledger.example"]
        password = message.body.split("一次性密码：")[1].split()[0]
        assert password not in response.content.decode()
        assert response.redirect_chain[-1][0] == reverse("security-account", args=[audit_admin.pk])
        assert any("s***@ledger.example" in text for text in messages_of(response))
        audit_admin.refresh_from_db()
        assert audit_admin.check_password(password) and not audit_admin.check_password(PASSWORD)
        assert AccountProfile.objects.get(user=audit_admin).must_change_password
        row = AuditEvent.objects.get(kind=AuditKind.PASSWORD_RESET, target="shenji")
        assert row.user == security_admin and row.details["mailed_to"] == "shenji@ledger.example"
        # The auditor signs in with it and must replace it at once.
        client.logout()
        client.post(reverse("login"), {"username": "shenji", "password": password})
        assert client.get(reverse("security-audit"))["Location"] == reverse("password_change")

    def test_without_an_address_the_reset_is_refused_and_says_why(self, client, security_admin):
        auditor = duty_holder("shenji", Duty.AUDIT)
        response = self.reset(client, security_admin, auditor)
        assert any("没有登记电子邮箱" in text for text in messages_of(response))
        assert not mail.outbox
        auditor.refresh_from_db()
        assert auditor.check_password(PASSWORD)
        assert not AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).exists()

    def test_the_security_admins_own_address_is_not_the_auditors(self, client, security_admin):
        auditor = duty_holder("shenji", Duty.AUDIT, "ANQUAN@ledger.example")
        response = self.reset(client, security_admin, auditor)
        assert any("也是账号“anquan”的邮箱" in text for text in messages_of(response))
        assert not mail.outbox
        auditor.refresh_from_db()
        assert auditor.check_password(PASSWORD)

    def test_without_mail_the_reset_is_refused(self, client, settings, security_admin, audit_admin):
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        response = self.reset(client, security_admin, audit_admin)
        assert any("未配置邮件发送" in text for text in messages_of(response))
        audit_admin.refresh_from_db()
        assert audit_admin.check_password(PASSWORD)

    def test_a_mail_that_does_not_go_out_changes_nothing(self, client, settings, security_admin, audit_admin):
        settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
        response = self.reset(client, security_admin, audit_admin)
        assert any("邮件没有发出" in text for text in messages_of(response))
        audit_admin.refresh_from_db()
        assert audit_admin.check_password(PASSWORD)
        assert not AccountProfile.objects.get(user=audit_admin).must_change_password
        assert not AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET).exists()

    def test_an_ordinary_account_keeps_the_one_time_password_on_the_page(self, client, tx, security_admin):
        response = self.reset(client, security_admin, tx.staff)
        password = response.context["password"]
        assert password in response.content.decode() and not mail.outbox
        tx.staff.refresh_from_db()
        assert tx.staff.check_password(password)

    def test_a_new_audit_account_gets_its_first_password_by_mail(self, client, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account-new"),
            {
                "username": "shenji2",
                "full_name": "审计二",
                "email": "shenji2@ledger.example",
                "duty": Duty.AUDIT,
                "submission": form_key(),
            },
            follow=True,
        )
        user = User.objects.get(username="shenji2")
        (message,) = mail.outbox
        assert message.to == ["shenji2@ledger.example"]
        password = message.body.split("一次性密码：")[1].split()[0]
        assert user.check_password(password) and password not in response.content.decode()
        assert AccountProfile.objects.get(user=user).duty == Duty.AUDIT

    def test_a_new_audit_account_needs_an_address(self, client, security_admin):
        client.force_login(security_admin)
        response = client.post(
            reverse("security-account-new"),
            {"username": "shenji2", "full_name": "审计二", "duty": Duty.AUDIT, "submission": form_key()},
        )
        assert "初始密码只发送到这个邮箱" in response.content.decode()
        assert not User.objects.filter(username="shenji2").exists()

    def change_address(self, client, security_admin, audit_admin, email):
        client.force_login(security_admin)
        return client.post(
            reverse("security-account", args=[audit_admin.pk]),
            {"full_name": "shenji", "email": email, "is_active": "on", "duty": Duty.AUDIT},
        )

    def test_the_old_address_hears_of_a_new_one_and_the_audit_log_keeps_both(self, client, security_admin, audit_admin):
        self.change_address(client, security_admin, audit_admin, "elsewhere@ledger.example")
        (notice,) = mail.outbox
        assert notice.to == ["shenji@ledger.example"] and "elsewhere@ledger.example" in notice.body
        row = AuditEvent.objects.get(kind=AuditKind.ACCOUNT_CHANGE, target="shenji")
        assert row.details["email"] == ["shenji@ledger.example", "elsewhere@ledger.example"]

    def test_the_security_admin_cannot_point_it_at_their_own_mailbox(self, client, security_admin, audit_admin):
        response = self.change_address(client, security_admin, audit_admin, "Anquan@ledger.example")
        assert "也是账号“anquan”的邮箱" in response.content.decode()
        audit_admin.refresh_from_db()
        assert audit_admin.email == "shenji@ledger.example" and not mail.outbox


# --- passwords and the second factor -----------------------------------------------------------


def change_password(client, old, new):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


class TestPasswordRules:
    @pytest.mark.parametrize("password", ["Tx_Staff#2026", "#2026tx_staffQ", "Q9!TX_STAFF"])
    def test_a_password_with_the_account_name_in_it_is_refused(self, client, tx, password):
        client.force_login(tx.staff)
        response = change_password(client, PASSWORD, password)
        assert response.status_code == 200
        assert "密码不能包含账号名“tx_staff”" in response.content.decode()
        tx.staff.refresh_from_db()
        assert tx.staff.check_password(PASSWORD)

    def test_a_password_without_it_is_fine(self, client, tx):
        client.force_login(tx.staff)
        assert change_password(client, PASSWORD, "Qingjie#2026road").status_code == 302


class TestSecondFactorFirst:
    def test_the_password_change_asks_for_the_second_factor_first(self, client, tx):
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=tx.supervisor, name="phone", confirmed=True)
        client.post(reverse("login"), {"username": tx.supervisor.username, "password": PASSWORD})
        page = client.get(reverse("password_change"))
        assert page.status_code == 302 and page["Location"].startswith(reverse("second-factor"))
        # Someone holding only the password cannot replace it.
        assert change_password(client, PASSWORD, "Qingjie#2026road").status_code == 302
        tx.supervisor.refresh_from_db()
        assert tx.supervisor.check_password(PASSWORD)
        # Nor through the Django admin's own password page (a district admin is staff).
        tx.supervisor.is_staff = True
        tx.supervisor.save()
        admin_change = client.get(reverse("admin:password_change"))
        assert admin_change.status_code == 302 and reverse("second-factor") in admin_change["Location"]

        token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        verified = client.post(reverse("second-factor"), {"token": token, "next": reverse("password_change")})
        assert verified["Location"] == reverse("password_change")
        assert client.get(reverse("password_change")).status_code == 200
        assert change_password(client, PASSWORD, "Qingjie#2026road").status_code == 302

    def test_without_a_second_factor_the_page_opens_at_once(self, client, tx):
        client.force_login(tx.staff)
        assert client.get(reverse("password_change")).status_code == 200


# --- /healthz tells strangers only ok or not ok ----------------------------------------------


class TestHealthz:
    @pytest.fixture(autouse=True)
    def _worker_beats(self, settings):
        from campaigns.models import Heartbeat

        settings.HEALTHZ_TOKEN = "monitor-7f3a9c"
        Heartbeat.objects.create(name="worker", at=NOW - datetime.timedelta(minutes=10))  # a dead worker

    def test_a_stranger_hears_only_not_ok(self, client):
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json() == {"ok": False}

    @pytest.mark.parametrize("how", ["header", "query"])
    def test_the_monitor_with_the_token_hears_which_part(self, client, how):
        if how == "header":
            response = client.get("/healthz", HTTP_X_HEALTHZ_TOKEN="monitor-7f3a9c")
        else:
            response = client.get("/healthz?token=monitor-7f3a9c")
        body = response.json()
        assert response.status_code == 503 and body["ok"] is False
        assert body["checks"]["worker"]["detail"] == "last heartbeat 600 s ago"

    def test_a_wrong_token_is_a_stranger(self, client):
        assert client.get("/healthz", HTTP_X_HEALTHZ_TOKEN="monitor-0000").json() == {"ok": False}

    def test_no_token_configured_means_no_token_works(self, client, settings):
        settings.HEALTHZ_TOKEN = ""
        assert client.get("/healthz?token=").json() == {"ok": False}

    def test_staff_and_the_security_admin_see_details_a_street_staffer_does_not(self, client, tx, security_admin):
        client.force_login(security_admin)
        assert "checks" in client.get("/healthz").json()
        system = UserFactory(username="xitong", is_staff=True)
        client.force_login(system)
        assert "checks" in client.get("/healthz").json()
        client.force_login(tx.staff)
        assert client.get("/healthz").json() == {"ok": False}


# --- files leave no copy on a shared office PC --------------------------------------------------


class TestDownloadsAreNotStored:
    """The supervisor exports on the office PC; whoever sits down next finds nothing in the cache."""

    def test_every_export_is_no_store(self, client, tx, audit_admin):
        from campaigns.services.monthly import summary_generate, summary_request

        tx.closed()
        summary = summary_generate(summary_request(district=tx.unit, month=datetime.date(2026, 11, 1), actor=tx.admin))
        client.force_login(tx.admin)
        urls = [
            reverse("campaigns:ticket-export", args=["csv"]),
            reverse("campaigns:ticket-export", args=["xlsx"]),
            reverse("campaigns:summary-download", args=[summary.pk]),
            reverse("campaigns:scoring-export", args=[tx.campaign.pk]),
            reverse("campaigns:checklist-template", args=[tx.campaign.pk]),
            reverse("campaigns:point-template", args=["TX"]),
            reverse("campaigns:setup-units-template", args=["TX"]),
            reverse("campaigns:setup-people-template", args=["TX"]),
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Disposition"].startswith("attachment"), url
            assert response["Cache-Control"] == "no-store", url
        client.force_login(audit_admin)
        audit = client.get(reverse("security-audit-export"))
        assert audit.status_code == 200 and audit["Cache-Control"] == "no-store"

    def test_photos_are_kept_privately_for_five_minutes(self, client, tx):
        photo = tx.log().photos.get()
        client.force_login(tx.supervisor)
        for name in ("campaigns:photo", "campaigns:photo-thumb"):
            response = client.get(reverse(name, args=[photo.pk]))
            assert response.status_code == 200
            assert response["Cache-Control"] == "private, max-age=300"


# --- a lockout says when it ends ----------------------------------------------------------------


class TestLockoutSaysWhen:
    def fail(self, client, username, times=1):
        for _attempt in range(times):
            response = client.post(
                reverse("login"), {"username": username, "password": "wrong-password"}, REMOTE_ADDR="10.1.2.3"
            )
        return response

    def test_the_message_gives_the_local_time_the_lock_ends(self, client, tx):
        response = self.fail(client, tx.staff.username, 5)  # 19:22 Beijing
        assert response.status_code == 403
        assert "已锁定 30 分钟，请于 19:52 后再试" in response.content.decode()

    def test_another_try_while_locked_moves_the_end(self, client, tx):
        self.fail(client, tx.staff.username, 5)
        with time_machine.travel(NOW + datetime.timedelta(minutes=8, seconds=20), tick=False):
            response = self.fail(client, tx.staff.username)
        assert "请于 20:01 后再试" in response.content.decode()  # 19:30:20 + 30 min, rounded up

    def test_past_midnight_it_gives_the_date(self, client, tx):
        with time_machine.travel(datetime.datetime(2026, 12, 3, 23, 50, tzinfo=BEIJING), tick=False):
            response = self.fail(client, tx.staff.username, 5)
        assert "请于 2026-12-04 00:20 后再试" in response.content.decode()

    def test_the_security_admin_sees_the_same_lock(self, client, tx, security_admin):
        from security.accounts import is_locked, lock_ends_at

        self.fail(client, tx.staff.username, 4)
        assert not is_locked(tx.staff.username)
        self.fail(client, tx.staff.username)
        assert lock_ends_at(tx.staff.username) == NOW + datetime.timedelta(minutes=30)
