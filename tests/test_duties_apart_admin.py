"""三权分立 in the Django admin (issue 13 §3): the system admin cannot take over another duty holder.

Stories: 系统管理员 xitong is the Django admin's superuser. The security admin's reset mails a
duty holder's new password to the holder and tells the old address when the address changes
(tests/test_duties_apart.py); the Django admin's own user pages let xitong type a new password
for 审计管理员 shenji, or point shenji's address at a mailbox of his own, and then sign in as
shenji. Both are refused there; xitong's own account, and the ledger's ordinary accounts, are
as before.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Duty

from .factories import PASSWORD
from .test_duties_apart import duty_holder

pytestmark = pytest.mark.django_db
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW = "Shenji#2026takeover"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 19, 40, tzinfo=BEIJING), tick=False):
        yield


@pytest.fixture
def xitong(client):
    root = duty_holder("xitong", Duty.SYSTEM, "xitong@ledger.example")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    return root


@pytest.fixture
def shenji(db):
    return duty_holder("shenji", Duty.AUDIT, "shenji@ledger.example")


def set_password(client, user):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return client.post(url, {"password1": NEW, "password2": NEW, "usable_password": "true"}, follow=True)


@pytest.mark.parametrize("duty", [Duty.AUDIT, Duty.SECURITY, Duty.SYSTEM])
def test_the_system_admin_cannot_set_another_duty_holders_password(client, xitong, duty):
    holder = duty_holder(f"holder_{duty}", duty, f"{duty}@ledger.example")
    page = client.get(reverse("admin:auth_user_password_change", args=[holder.pk]))
    assert page.status_code == 302 and page["Location"] == reverse("admin:auth_user_change", args=[holder.pk])
    response = set_password(client, holder)
    text = " ".join(str(message) for message in response.context["messages"])
    assert "三权分立" in text and "只发到本人邮箱" in text and str(duty.label) in text
    holder.refresh_from_db()
    assert holder.check_password(PASSWORD) and not holder.check_password(NEW)


def test_nor_point_the_auditors_mail_at_his_own_mailbox(client, xitong, shenji):
    url = reverse("admin:auth_user_change", args=[shenji.pk])
    form = client.get(url).context["adminform"].form
    assert "email" not in form.fields  # read-only: changed on the security admin's page
    data = {
        "username": shenji.username,
        "first_name": shenji.first_name,
        "last_name": "",
        "email": xitong.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    assert client.post(url, data).status_code == 302
    shenji.refresh_from_db()
    assert shenji.email == "shenji@ledger.example"


def test_his_own_account_and_ordinary_accounts_are_as_before(client, xitong, tx):
    assert "email" in client.get(reverse("admin:auth_user_change", args=[xitong.pk])).context["adminform"].form.fields
    assert set_password(client, xitong).status_code == 200
    xitong.refresh_from_db()
    assert xitong.check_password(NEW)
    client.force_login(xitong)
    set_password(client, tx.staff)
    tx.staff.refresh_from_db()
    assert tx.staff.check_password(NEW)
