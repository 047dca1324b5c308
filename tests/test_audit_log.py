"""The security audit log: one row per security-relevant act, kept, readable, never rewritten.

Stories: 小王 logs in from the street office and out again; the admin exports the ledger and
downloads a photo; two supervisors try to strike the same line off; a district changes its
second-factor rule; the audit admin looks for last week's failures.
"""

import datetime

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import AuditEvent, AuditKind, SecondFactorPolicy, TicketPhoto
from security.audit import audit_purge, audit_record

from .factories import PASSWORD
from .test_accounts import duty_holder

pytestmark = pytest.mark.django_db


def rows(kind, **filters):
    return list(AuditEvent.objects.filter(kind=kind, **filters))


def test_login_and_logout_with_the_address_they_came_from(client, tx):
    response = client.post("/accounts/login/", {"username": "tx_staff", "password": PASSWORD}, REMOTE_ADDR="10.8.0.7")
    assert response.status_code == 302
    (login,) = rows(AuditKind.LOGIN, user=tx.staff)
    assert login.success and login.ip == "10.8.0.7" and len(login.request_id) == 32
    client.post("/accounts/logout/", REMOTE_ADDR="10.8.0.7")
    assert rows(AuditKind.LOGOUT, user=tx.staff)


def test_a_failed_login_names_the_account_typed(client, tx):
    client.post("/accounts/login/", {"username": "tx_staff", "password": "nope"}, REMOTE_ADDR="10.8.0.9")
    client.post("/accounts/login/", {"username": "nobody", "password": "nope"}, REMOTE_ADDR="10.8.0.9")
    failed = rows(AuditKind.LOGIN_FAILED)
    assert {(row.username, row.success, row.ip) for row in failed} == {
        ("tx_staff", False, "10.8.0.9"),
        ("nobody", False, "10.8.0.9"),
    }


def test_exports_and_downloads(client, tx):
    ticket = tx.closed()
    client.force_login(tx.admin)
    response = client.get(reverse("campaigns:ticket-export", args=["csv"]), {"state": "closed"})
    b"".join(response.streaming_content)
    (export,) = rows(AuditKind.EXPORT, user=tx.admin)
    assert export.target == "tickets.csv" and export.details["query"] == "state=closed"

    photo = TicketPhoto.objects.filter(ticket=ticket).first()
    client.get(reverse("campaigns:photo", args=[photo.pk]))
    (download,) = rows(AuditKind.DOWNLOAD, user=tx.admin)
    assert download.target == f"{ticket.number} photo {photo.pk}" and download.district_id == tx.unit.pk
    client.get(reverse("campaigns:photo-thumb", args=[photo.pk]))
    assert len(rows(AuditKind.DOWNLOAD)) == 1, "list-size copies are not downloads"


def test_every_close_out_attempt_is_recorded_the_refused_one_too(tx):
    ticket = tx.submitted(by=tx.unit_liaison)
    with pytest.raises(workflow.ActionForbidden):
        workflow.ticket_close_out(ticket=ticket, actor=tx.staff)
    workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor)
    attempts = AuditEvent.objects.filter(kind=AuditKind.CLOSE_OUT, target=ticket.number).order_by("id")
    assert [(row.user_id, row.success) for row in attempts] == [(tx.staff.pk, False), (tx.supervisor.pk, True)]
    assert attempts[0].details["reason"]
    assert attempts[1].district_id == tx.unit.pk


def test_a_settings_change_is_recorded(client, tx):
    security = duty_holder("anquan", "security")
    client.force_login(security)
    client.post(reverse("security-second-factor"), {f"supervisors-{tx.unit.pk}": "on"})
    assert SecondFactorPolicy.objects.get(district=tx.unit).required_for_supervisors
    assert rows(AuditKind.SETTINGS_CHANGE, user=security)


def test_rows_cannot_be_changed_or_deleted_through_the_code(tx):
    row = audit_record(AuditKind.LOGIN, user=tx.staff)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=row.pk).update(success=False)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=row.pk).delete()
    row.success = False
    with pytest.raises((TypeError, ValueError)):
        row.save()


@pytest.mark.postgres
@pytest.mark.parametrize("sql", ["UPDATE campaigns_auditevent SET success = false", "DELETE FROM campaigns_auditevent"])
def test_postgresql_refuses_rewrites_in_raw_sql(tx, sql):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger lives in PostgreSQL")
    audit_record(AuditKind.LOGIN, user=tx.staff)
    before = list(AuditEvent.objects.order_by("id").values_list("id", "success"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert list(AuditEvent.objects.order_by("id").values_list("id", "success")) == before


def test_kept_at_least_180_days(tx, settings):
    settings.AUDIT_RETENTION_DAYS = 30  # asked for less than the law allows: 180 still holds
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=181)):
        old = audit_record(AuditKind.LOGIN, user=tx.staff)
    with time_machine.travel(now - datetime.timedelta(days=179)):
        kept = audit_record(AuditKind.LOGIN, user=tx.staff)
    assert audit_purge(now=now) == 1
    assert list(AuditEvent.objects.filter(kind=AuditKind.LOGIN).values_list("pk", flat=True)) == [kept.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


class TestTheAuditAdminReads:
    @pytest.fixture
    def events(self, tx, td):
        audit_record(AuditKind.LOGIN_FAILED, username="tx_staff", success=False, district=tx.unit.pk)
        audit_record(AuditKind.LOGIN, user=tx.staff, district=tx.unit.pk)
        audit_record(AuditKind.EXPORT, user=td.admin, district=td.unit.pk, target="tickets.xlsx")

    def test_filters_by_kind_result_and_district(self, client, tx, events):
        client.force_login(duty_holder("shenji", "audit"))
        html = client.get(reverse("security-audit"), {"kind": "login_failed", "success": "false"}).content.decode()
        assert "tx_staff" in html and "tickets.xlsx" not in html
        html = client.get(reverse("security-audit"), {"district": tx.unit.pk}).content.decode()
        assert "tickets.xlsx" not in html and "tx_staff" in html

    def test_exports_as_csv_and_that_is_recorded_too(self, client, events):
        reader = duty_holder("shenji", "audit")
        client.force_login(reader)
        response = client.get(reverse("security-audit-export"))
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith("\ufeff时间,事件,账号") and "tickets.xlsx" in body
        assert rows(AuditKind.EXPORT, user=reader, target="audit-log")

    def test_the_page_costs_the_same_for_many_rows(self, client, tx, events, django_assert_max_num_queries):
        client.force_login(duty_holder("shenji", "audit"))
        for _ in range(60):
            audit_record(AuditKind.LOGIN, user=tx.staff, district=tx.unit.pk)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("security-audit")).status_code == 200
