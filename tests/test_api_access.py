"""The API's access matrix: every API route × token (none, revoked, read, write) × district
(铁西区's own objects, 铁东区's). tests/test_access_matrix.py walks the pages and leaves the
API's routes to this file, which checks it has a row for every one of them.

The tokens are 铁西区's: a read token of its leader, a write token of its supervisor, and a
revoked one. Whatever the answer, a tx token never receives 铁东区's name or ledger numbers,
and never changes a td row.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import ApiScope, ApiToken, Ticket
from campaigns.services.api_tokens import api_token_create, api_token_revoke

from .access_rules import API_PREFIXES
from .factories import photo_upload
from .test_access_matrix import ENTRIES

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # filled from a district: {number}, {closed}, {photo}, {code}, {category}, {point}
    # What the write token gets on its own district (the role and the ticket's state decide).
    own_write: tuple = (200,)
    data: object = None  # a POST's form, filled from the district too
    scoped: bool = True  # names a district's object: another district's is a 404
    public: bool = False  # the schema: anyone
    public_status: tuple = (200,)
    # ninja's root of each API is no operation (nothing there, Django's own 404 page)
    plain: bool = False


def _log(side):
    return {
        "district": side["code"],
        "category": side["category"],
        "description": "入口垃圾",
        "point": side["point"],
        "photos": photo_upload(),
    }


def a_week_on():
    return (timezone.localdate() + timedelta(days=7)).isoformat()


ROUTES = {
    "api-v1:openapi-json": Route("GET", "/api/v1/openapi.json", scoped=False, public=True),
    "api-v1:api-root": Route("GET", "/api/v1/", scoped=False, public=True, public_status=(404,), plain=True),
    "api-v1:ticket_list": Route("GET", "/api/v1/tickets/?district={district}", scoped=False),
    "api-v1:ticket_create": Route("POST", "/api/v1/tickets/", (201,), data=_log),
    "api-v1:ticket_detail": Route("GET", "/api/v1/tickets/{number}"),
    "api-v1:act_assign": Route(
        "POST",
        "/api/v1/tickets/{number}/assign",
        data=lambda s: {"responsible_unit": s["unit"], "deadline_workdays": 3},
    ),
    "api-v1:act_sign": Route("POST", "/api/v1/tickets/{number}/sign", (403, 409), data=lambda s: {}),
    "api-v1:act_decline": Route(
        "POST", "/api/v1/tickets/{number}/decline", (403, 409), data=lambda s: {"reason": "不归我们"}
    ),
    "api-v1:act_request_extension": Route(
        "POST",
        "/api/v1/tickets/{number}/ext-request",
        (403, 409),
        data=lambda s: {"reason": "材料未到", "until": "2026-12-20"},
    ),
    "api-v1:act_submit_fix": Route(
        "POST",
        "/api/v1/tickets/{number}/submit-fix",
        (403, 409),
        data=lambda s: {"note": "已整改", "photos": photo_upload()},
    ),
    "api-v1:act_close_out": Route("POST", "/api/v1/tickets/{number}/close-out", (409,), data=lambda s: {"note": "好"}),
    "api-v1:act_return": Route("POST", "/api/v1/tickets/{number}/return", (409,), data=lambda s: {"reason": "不合格"}),
    "api-v1:act_reopen": Route(
        "POST",
        "/api/v1/tickets/{closed}/reopen",
        data=lambda s: {"reason": "反弹", "deadline": a_week_on()},
    ),
    "api-v1:act_void": Route("POST", "/api/v1/tickets/{number}/void", data=lambda s: {"reason": "重复"}),
    # A ticket just logged is not yet 交办: 改派, 催办, the answers to a 延期 and 复核 are refused
    # by its state (409) or by the form (400), never by the scope.
    "api-v1:act_reassign": Route(
        "POST",
        "/api/v1/tickets/{number}/reassign",
        (400, 409),
        data=lambda s: {"responsible_unit": s["unit"], "deadline_workdays": 3, "reason": "职责调整"},
    ),
    "api-v1:act_urge": Route("POST", "/api/v1/tickets/{number}/urge", (400, 409), data=lambda s: {"note": "抓紧"}),
    "api-v1:act_approve_extension": Route(
        "POST", "/api/v1/tickets/{number}/ext-approve", (400, 409), data=lambda s: {"note": "同意"}
    ),
    "api-v1:act_reject_extension": Route(
        "POST", "/api/v1/tickets/{number}/ext-reject", (400, 409), data=lambda s: {"reason": "理由不足"}
    ),
    "api-v1:act_review": Route("POST", "/api/v1/tickets/{number}/review", (400, 409), data=lambda s: {"note": "好"}),
    "api-v1:photo": Route("GET", "/api/v1/photos/{photo}"),
    "api-v1:photo_thumb": Route("GET", "/api/v1/photos/{photo}/thumb"),
    "api-v1:points": Route("GET", "/api/v1/points?district={code}", scoped=False),
    "api-v1:units": Route("GET", "/api/v1/units?district={code}", scoped=False),
    "api-v1:categories": Route("GET", "/api/v1/categories?district={code}", scoped=False),
    "api-v1:daily_reports": Route("GET", "/api/v1/daily-reports?district={code}", scoped=False),
    "api-v1:board": Route("GET", "/api/v1/board/{code}"),
    "open311:openapi-json": Route("GET", "/api/open311/v2/openapi.json", scoped=False, public=True),
    "open311:api-root": Route("GET", "/api/open311/v2/", scoped=False, public=True, public_status=(404,), plain=True),
    "open311:services": Route("GET", "/api/open311/v2/services.json", scoped=False),
    "open311:service_definition": Route("GET", "/api/open311/v2/services/{category}.json"),
    "open311:requests_list": Route("GET", "/api/open311/v2/requests.json?service_request_id={number}", scoped=False),
    "open311:requests_create": Route(
        "POST",
        "/api/open311/v2/requests.json",
        (201,),
        data=lambda s: {
            "service_code": s["category"],
            "description": "路边垃圾",
            "point_id": s["point"],
            "media": photo_upload(),
        },
    ),
    "open311:request_detail": Route("GET", "/api/open311/v2/requests/{number}.json"),
}


def test_every_api_route_has_a_row():
    api_keys = {e.key for e in ENTRIES if e.route.startswith(API_PREFIXES)}
    assert api_keys, "no API routes found"
    assert not sorted(api_keys - set(ROUTES)), f"API routes without a row here: {sorted(api_keys - set(ROUTES))}"
    assert not sorted(set(ROUTES) - api_keys), (
        f"rows for API routes that no longer exist: {sorted(set(ROUTES) - api_keys)}"
    )


def side_of(d):
    ticket = d.log()
    closed = d.closed()
    return {
        "code": d.unit.code,
        "district": d.unit.pk,
        "number": ticket.number,
        "closed": closed.number,
        "photo": ticket.photos.first().pk,
        "category": d.category.pk,
        "point": d.point.pk,
        "unit": d.department.pk,
        "markers": (d.unit.name, ticket.number, closed.number),
    }


def tokens_of(tx):
    def issue(owner, scope):
        return api_token_create(name="平台", owner=owner, districts=[tx.unit], scope=scope, created_by=tx.admin)

    revoked, revoked_secret = issue(tx.leader, ApiScope.READ)
    api_token_revoke(token=revoked, actor=tx.admin)
    return {
        "none": None,
        "revoked": revoked_secret,
        "read": issue(tx.leader, ApiScope.READ)[1],
        "write": issue(tx.supervisor, ApiScope.WRITE)[1],
    }


def expected(route, token, district):
    if route.public:
        return route.public_status
    if token in ("none", "revoked"):
        return (401,)
    if route.method == "POST" and token == "read":
        return (403,)
    if district == "other" and route.scoped:
        return (404,)
    if route.method == "POST":
        return route.own_write
    return (200,)


def td_rows():
    return set(Ticket.objects.filter(district__code="TD").values_list("id", "state", "updated_at"))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_api_route_access(client, tx, td, name, settings):
    settings.API_RATE_PER_MINUTE = 1000
    route = ROUTES[name]
    sides = {"own": side_of(tx), "other": side_of(td)}
    secrets = tokens_of(tx)
    before = td_rows()
    problems = []
    # The write token last, on its own district last: its act changes the ticket the others read.
    for token in ("none", "revoked", "read", "write"):
        for district in ("other", "own"):
            side = sides[district]
            path = route.path.format(**side)
            headers = {"HTTP_AUTHORIZATION": f"Bearer {secrets[token]}"} if secrets[token] else {}
            if route.method == "GET":
                answer = client.get(path, **headers)
            else:
                data = route.data(side) if route.data else {}
                answer = client.post(path, data, HTTP_IDEMPOTENCY_KEY=f"matrix-{token}-{district}-0001", **headers)
            where = f"{name}: {token} token, {district} district, {route.method} {path}"
            if answer.status_code not in expected(route, token, district):
                problems.append(f"{where}: expected {expected(route, token, district)}, got {answer.status_code}")
            if answer.status_code >= 400 and not route.plain:
                body = answer.json()
                if set(body) != {"detail", "code"}:
                    problems.append(f"{where}: an error not in the one shape: {body}")
            if not route.public and not getattr(answer, "streaming", False):
                seen = [m for m in sides["other"]["markers"] if m in answer.content.decode(errors="ignore")]
                if seen:
                    problems.append(f"{where}: 铁东区's data in the answer: {seen}")
    if td_rows() != before:
        problems.append(f"{name}: a tx token changed 铁东区's tickets")
    assert not problems, "\n".join(problems)


def test_a_token_of_one_district_of_a_city_admin_reaches_only_that_one(client, tx, td, city_admin):
    """The city admin sees both districts; a token issued for 铁西区 alone reads 铁西区 alone."""
    theirs = td.log()
    _token, secret = api_token_create(
        name="市平台", owner=city_admin, districts=[tx.unit], scope="read", created_by=None
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(f"/api/v1/tickets/{theirs.number}", **headers).status_code == 404
    assert client.get("/api/v1/board/TD", **headers).status_code == 404
    assert ApiToken.objects.count() == 1
