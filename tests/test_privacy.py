"""A responsible person's phone number reaches only those who chase the fix (个人信息保护法):
the district's supervisors and admins and the responsible unit. Others see it masked — on
the ticket page, in the ticket export and in the account list."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns import workflow
from campaigns.models import Duty
from campaigns.privacy import mask_phone

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "13843456789"
MASKED = "138****6789"


@pytest.mark.parametrize(
    "value,masked",
    [
        (PHONE, MASKED),
        ("0434-3212345", "****2345"),
        ("+86 138 4345 6789", "****6789"),
        ("110", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_masking(value, masked):
    assert mask_phone(value) == masked


@pytest.fixture
def ticket(tx):
    logged = tx.log()
    return workflow.ticket_assign(
        ticket=logged,
        actor=tx.supervisor,
        unit=tx.department,
        person="张三",
        phone=PHONE,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )


@pytest.mark.parametrize(
    "who,sees",
    [("supervisor", True), ("admin", True), ("unit_liaison", True), ("staff", False), ("leader", False)],
)
def test_ticket_page(client, tx, ticket, who, sees):
    # The page is cached per ticket version: whoever comes first must not decide what the next one sees.
    for first in ("supervisor", "leader"):
        client.force_login(getattr(tx, first))
        client.get(reverse("campaigns:ticket-detail", args=[ticket.number]))
    client.force_login(getattr(tx, who))
    html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
    assert (PHONE in html) is sees
    assert (MASKED in html) is not sees


def _csv_rows(client):
    response = client.get(reverse("campaigns:ticket-export", args=["csv"]))
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff"))))


def test_export_masks_for_leaders(client, tx, ticket):
    client.force_login(tx.leader)
    header, row = _csv_rows(client)
    assert header[-2:] == ["责任人", "责任人电话"]
    assert row[-2:] == ["张三", MASKED]


def test_export_shows_supervisors_the_number(client, tx, ticket):
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:ticket-export", args=["xlsx"]))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][-1] == "责任人电话" and rows[1][-1] == PHONE


def test_account_list_masks_and_the_account_page_shows(client, tx):
    from campaigns.models import AccountProfile, Membership

    Membership.objects.filter(user=tx.staff).update(phone=PHONE)
    security_admin = UserFactory(username="security_admin")
    AccountProfile.objects.update_or_create(user=security_admin, defaults={"duty": Duty.SECURITY})
    client.force_login(security_admin)
    listing = client.get(reverse("security-accounts")).content.decode()
    assert MASKED in listing and PHONE not in listing
    page = client.get(reverse("security-account", args=[tx.staff.pk])).content.decode()
    assert PHONE in page
