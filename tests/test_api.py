"""The API (issue 19): 铁西区's admin issues tokens to the city's 运管服 platform, which reads
the ledger, logs problems and does what its account's role allows — and nothing more."""

import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns import workflow
from campaigns.models import ApiScope, ApiToken, AuditEvent, AuditKind, ClosingLevel, Role, Ticket, TicketState
from campaigns.services.api_tokens import api_token_create

from .conftest import login
from .factories import form_key, photo_upload

pytestmark = pytest.mark.django_db


def issue(owner, district, scope=ApiScope.READ, name="市运管服平台"):
    _token, secret = api_token_create(name=name, owner=owner, districts=[district], scope=scope, created_by=None)
    return secret


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_admin_issues_a_token_sees_it_once_and_revokes_it(client, tx):
    login(client, tx.admin)
    page = client.post(
        reverse("campaigns:api-token-new"),
        {
            "name": "市运管服平台",
            "owner": tx.leader.pk,
            "districts": [tx.unit.pk],
            "scope": "read",
            "submission": form_key(),
        },
    )
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    secret = page.context["secret"]
    token = ApiToken.objects.get()
    # Only the digest is kept: the secret is nowhere in the row.
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    assert AuditEvent.objects.filter(kind=AuditKind.API_TOKEN_CREATE, user=tx.admin).count() == 1
    listing = client.get(reverse("campaigns:api-tokens"))
    assert "市运管服平台" in listing.content.decode() and secret not in listing.content.decode()

    assert client.get("/api/v1/tickets/", **bearer(secret)).status_code == 200
    client.post(reverse("campaigns:api-token-revoke", args=[token.pk]))
    client.post(reverse("campaigns:api-token-revoke", args=[token.pk]))  # a second click writes nothing
    assert AuditEvent.objects.filter(kind=AuditKind.API_TOKEN_REVOKE).count() == 1
    refused = client.get("/api/v1/tickets/", **bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated" and refused.json()["detail"]


def test_a_token_is_only_for_districts_its_account_works_in(client, tx, td):
    login(client, tx.admin)
    answer = client.post(
        reverse("campaigns:api-token-new"),
        {"name": "x", "owner": tx.leader.pk, "districts": [td.unit.pk], "scope": "read", "submission": form_key()},
    )
    assert answer.status_code == 400 and not ApiToken.objects.exists()
    login(client, tx.supervisor)
    assert client.get(reverse("campaigns:api-tokens")).status_code == 403


def test_the_command_prints_a_token_once(tx, capsys):
    call_command("api_token", "--user", tx.supervisor.username, "--districts", "tx", "--scope", "write")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert secret.startswith(f"ctl_{token.prefix}_") and token.scope == "write"
    assert list(token.districts.all()) == [tx.unit]


def test_the_platform_reads_its_district_and_never_the_other(client, tx, td):
    mine = tx.closed()
    theirs = td.log()
    secret = issue(tx.leader, tx.unit)
    listing = client.get("/api/v1/tickets/", **bearer(secret)).json()
    assert [row["number"] for row in listing["results"]] == [mine.number]
    assert client.get(f"/api/v1/tickets/{theirs.number}", **bearer(secret)).status_code == 404
    detail = client.get(f"/api/v1/tickets/{mine.number}", **bearer(secret)).json()
    assert [e["action"] for e in detail["events"]] == ["log", "assign", "sign", "submit_fix", "close_out"]
    assert {p["kind"] for p in detail["photos"]} == {"before", "after"}
    assert detail["actions"] == []  # a leader changes nothing
    photo = client.get(detail["photos"][0]["url"], **bearer(secret))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    # The list's filters, as on the page.
    assert client.get("/api/v1/tickets/?state=closed", **bearer(secret)).json()["count"] == 1
    assert client.get("/api/v1/tickets/?state=open", **bearer(secret)).json()["count"] == 0


def test_reads_carry_an_etag_and_an_unchanged_list_is_304(client, tx):
    tx.log()
    secret = issue(tx.leader, tx.unit)
    first = client.get("/api/v1/tickets/", **bearer(secret))
    etag = first["ETag"]
    again = client.get("/api/v1/tickets/", HTTP_IF_NONE_MATCH=etag, **bearer(secret))
    assert again.status_code == 304 and again.content == b""
    tx.log()
    changed = client.get("/api/v1/tickets/", HTTP_IF_NONE_MATCH=etag, **bearer(secret))
    assert changed.status_code == 200 and changed.json()["count"] == 2


def test_pages_are_capped_and_cost_the_same_at_any_length(client, tx, django_assert_max_num_queries):
    secret = issue(tx.leader, tx.unit)
    for _ in range(3):
        tx.log()
    page = client.get("/api/v1/tickets/?limit=2", **bearer(secret)).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next_offset"] == 2
    assert client.get("/api/v1/tickets/?limit=1000", **bearer(secret)).status_code == 422
    with django_assert_max_num_queries(12) as few:
        client.get("/api/v1/tickets/?limit=3", **bearer(secret))
    for _ in range(5):
        tx.log()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/tickets/?limit=8", **bearer(secret))


def _log_form(tx, **extra):
    return {
        "district": "TX",
        "category": tx.category.pk,
        "description": "市场入口垃圾桶满溢",
        "point": tx.point.pk,
        "photos": photo_upload(),
        **extra,
    }


def test_logging_a_problem_twice_with_one_key_makes_one_ticket(client, tx):
    secret = issue(tx.staff, tx.unit, ApiScope.WRITE)
    first = client.post(
        "/api/v1/tickets/", _log_form(tx), HTTP_IDEMPOTENCY_KEY="yunguanfu-000000000001", **bearer(secret)
    )
    assert first.status_code == 201, first.content
    again = client.post(
        "/api/v1/tickets/", _log_form(tx), HTTP_IDEMPOTENCY_KEY="yunguanfu-000000000001", **bearer(secret)
    )
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    ticket = Ticket.objects.get()
    assert ticket.reported_by == tx.staff and ticket.state == TicketState.REPORTED
    missing = client.post("/api/v1/tickets/", _log_form(tx), **bearer(secret))
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    no_photo = _log_form(tx)
    no_photo.pop("photos")
    refused = client.post("/api/v1/tickets/", no_photo, HTTP_IDEMPOTENCY_KEY="yunguanfu-000000000002", **bearer(secret))
    assert refused.status_code == 400 and "照片" in refused.json()["detail"]
    assert Ticket.objects.count() == 1


def test_a_read_token_writes_nothing(client, tx):
    secret = issue(tx.staff, tx.unit, ApiScope.READ)
    answer = client.post("/api/v1/tickets/", _log_form(tx), HTTP_IDEMPOTENCY_KEY="k" * 20, **bearer(secret))
    assert answer.status_code == 403 and answer.json()["code"] == "read_only_token"
    assert not Ticket.objects.exists()


def test_the_acts_follow_the_accounts_role(client, tx):
    ticket = tx.log()
    supervisor = issue(tx.supervisor, tx.unit, ApiScope.WRITE)
    unit = issue(tx.unit_liaison, tx.unit, ApiScope.WRITE)
    # The unit's account may not 交办.
    refused = client.post(
        f"/api/v1/tickets/{ticket.number}/assign",
        {"responsible_unit": tx.department.pk, "deadline_workdays": 3},
        **bearer(unit),
    )
    assert refused.status_code == 403
    assigned = client.post(
        f"/api/v1/tickets/{ticket.number}/assign",
        {"responsible_unit": tx.department.pk, "deadline_workdays": 3},
        **bearer(supervisor),
    )
    assert assigned.status_code == 200, assigned.content
    assert client.post(f"/api/v1/tickets/{ticket.number}/sign", {"note": "收到"}, **bearer(unit)).status_code == 200
    fixed = client.post(
        f"/api/v1/tickets/{ticket.number}/submit-fix", {"note": "已清理", "photos": photo_upload()}, **bearer(unit)
    )
    assert fixed.status_code == 200, fixed.content
    closed = client.post(f"/api/v1/tickets/{ticket.number}/close-out", {"note": "核验通过"}, **bearer(supervisor))
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    # An act the state no longer allows is a 409 in the same shape.
    late = client.post(f"/api/v1/tickets/{ticket.number}/sign", {}, **bearer(unit))
    assert late.status_code in (403, 409) and set(late.json()) == {"detail", "code"}


def test_too_many_calls_are_answered_429_with_retry_after(client, tx, settings):
    settings.API_RATE_PER_MINUTE = 3
    secret = issue(tx.leader, tx.unit)
    answers = [client.get("/api/v1/units", **bearer(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1 and answers[-1].json()["code"] == "throttled"


def test_points_units_categories_reports_and_the_board(client, tx, td):
    secret = issue(tx.leader, tx.unit)
    points = client.get("/api/v1/points", **bearer(secret)).json()
    assert [p["name"] for p in points["results"]] == [tx.point.name]
    units = client.get("/api/v1/units", **bearer(secret)).json()
    assert tx.department.name in {u["name"] for u in units["results"]}
    assert td.department.name not in {u["name"] for u in units["results"]}
    categories = client.get("/api/v1/categories", **bearer(secret)).json()
    assert {c["name"] for c in categories["results"]} == {"垃圾暴露", "鼠迹"}
    assert client.get("/api/v1/daily-reports", **bearer(secret)).json()["count"] == 0
    tx.log()
    board = client.get("/api/v1/board/TX", **bearer(secret)).json()
    assert board["figures"]["reported"] == 1
    assert client.get("/api/v1/board/TD", **bearer(secret)).status_code == 404


def test_open311_maps_categories_and_tickets(client, tx):
    secret = issue(tx.staff, tx.unit, ApiScope.WRITE)
    services = client.get(f"/api/open311/v2/services.json?api_key={secret}").json()
    assert {s["service_name"] for s in services} == {"垃圾暴露", "鼠迹"}
    created = client.post(
        "/api/open311/v2/requests.json",
        {
            "api_key": secret,
            "service_code": tx.category.pk,
            "description": "路边垃圾",
            "point_id": tx.point.pk,
            "media": photo_upload(),
        },
    )
    assert created.status_code == 201, created.content
    number = created.json()[0]["service_request_id"]
    again = client.post(
        "/api/open311/v2/requests.json",
        {
            "api_key": secret,
            "service_code": tx.category.pk,
            "description": "路边垃圾",
            "point_id": tx.point.pk,
            "media": photo_upload(),
        },
    )
    assert again.status_code == 200 and Ticket.objects.count() == 1
    found = client.get(f"/api/open311/v2/requests/{number}.json", **bearer(secret)).json()
    assert found[0]["status"] == "open" and found[0]["service_code"] == str(tx.category.pk)
    listing = client.get("/api/open311/v2/requests.json?status=open", **bearer(secret)).json()
    assert [r["service_request_id"] for r in listing] == [number]


def test_the_schema_and_the_docs_page(client, tx):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/tickets/" in schema["paths"]
    assert "Error" in schema["components"]["schemas"]
    login(client, tx.leader)
    page = client.get(reverse("campaigns:api-docs"))
    assert page.status_code == 200 and b"vendor/swagger-ui/swagger-ui-bundle.js" in page.content


def test_a_platform_posts_without_a_session_or_csrf_cookie(tx):
    """The token is the proof: no cookie rides along, so there is nothing for CSRF to protect."""
    secret = issue(tx.staff, tx.unit, ApiScope.WRITE)
    platform = Client(enforce_csrf_checks=True)
    answer = platform.post(
        "/api/v1/tickets/", _log_form(tx), HTTP_IDEMPOTENCY_KEY="csrf-free-000000000001", **bearer(secret)
    )
    assert answer.status_code == 201, answer.content


def test_the_unit_hands_back_a_wrongly_assigned_ticket_and_asks_for_time_on_another(client, tx):
    wrong = tx.assigned(signed=False)
    mine = tx.assigned()
    unit = issue(tx.unit_liaison, tx.unit, ApiScope.WRITE)
    declined = client.post(
        f"/api/v1/tickets/{wrong.number}/decline",
        {"reason": "公厕归区环卫处", "suggested_unit": tx.department2.pk},
        **bearer(unit),
    )
    assert declined.status_code == 200, declined.content
    assert declined.json()["state"] == "reported"
    asked = client.post(
        f"/api/v1/tickets/{mine.number}/ext-request",
        {"reason": "材料未到", "until": (mine.deadline + datetime.timedelta(days=7)).isoformat()},
        **bearer(unit),
    )
    assert asked.status_code == 200, asked.content
    assert asked.json()["events"][-1]["action"] == "ext_request"


def test_the_supervisor_presses_moves_and_answers_through_the_api_and_a_two_level_close(client, tx):
    """The city platform acts as 铁西区's supervisor: 改派 to the right unit, 催办, an answer to
    each 延期 request, and 复核 where the campaign closes in two levels (专班复核 → 创卫办销号)."""
    supervisor = issue(tx.supervisor, tx.unit, ApiScope.WRITE)
    admin = issue(tx.admin, tx.unit, ApiScope.WRITE, name="市运管服平台（销号）")
    unit = issue(tx.unit_liaison, tx.unit, ApiScope.WRITE, name="执法局对接")
    wrong = tx.assigned()
    moved = client.post(
        f"/api/v1/tickets/{wrong.number}/reassign",
        {"responsible_unit": tx.department2.pk, "deadline_workdays": 3, "reason": "属环卫职责"},
        **bearer(supervisor),
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["events"][-1]["action"] == "reassign"
    assert Ticket.objects.get(pk=wrong.pk).responsible_unit == tx.department2
    # The unit may not press itself; the supervisor may, and must say what for.
    slow = tx.assigned()
    assert client.post(f"/api/v1/tickets/{slow.number}/urge", {"note": "快"}, **bearer(unit)).status_code == 403
    blank = client.post(f"/api/v1/tickets/{slow.number}/urge", {"note": ""}, **bearer(supervisor))
    assert blank.status_code in (400, 422) and set(blank.json()) == {"detail", "code"}
    urged = client.post(f"/api/v1/tickets/{slow.number}/urge", {"note": "请本周内完成"}, **bearer(supervisor))
    assert urged.status_code == 200 and urged.json()["events"][-1]["action"] == "urge"
    # Two requests for time: one granted, one refused.
    later = (slow.deadline + datetime.timedelta(days=7)).isoformat()
    asked = client.post(
        f"/api/v1/tickets/{slow.number}/ext-request", {"reason": "材料未到", "until": later}, **bearer(unit)
    )
    assert asked.status_code == 200, asked.content
    granted = client.post(f"/api/v1/tickets/{slow.number}/ext-approve", {"note": "同意"}, **bearer(supervisor))
    assert granted.status_code == 200, granted.content
    assert Ticket.objects.get(pk=slow.pk).deadline.isoformat() == later
    other = tx.assigned()
    workflow.ticket_request_extension(
        ticket=other, actor=tx.unit_liaison, until=other.deadline + datetime.timedelta(days=30), reason="天冷"
    )
    refused = client.post(f"/api/v1/tickets/{other.number}/ext-reject", {"reason": "理由不足"}, **bearer(supervisor))
    assert refused.status_code == 200, refused.content
    other.refresh_from_db()
    assert other.extension_requested_until is None and other.extensions_used == 0
    # 复核 then 销号: the supervisor's level first, the admin's last.
    ClosingLevel.objects.create(campaign=tx.campaign, order=1, name="专班复核", role=Role.SUPERVISOR)
    ClosingLevel.objects.create(campaign=tx.campaign, order=2, name="创卫办销号", role=Role.ADMIN)
    fixed = tx.submitted()
    early = client.post(f"/api/v1/tickets/{fixed.number}/close-out", {"note": "通过"}, **bearer(admin))
    assert early.status_code in (403, 409) and set(early.json()) == {"detail", "code"}
    reviewed = client.post(f"/api/v1/tickets/{fixed.number}/review", {"note": "专班复核通过"}, **bearer(supervisor))
    assert reviewed.status_code == 200, reviewed.content
    closed = client.post(f"/api/v1/tickets/{fixed.number}/close-out", {"note": "核验通过"}, **bearer(admin))
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
