"""Error pages speak the product's language and look."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from ledger.urls import handler500  # noqa: F401 - this module stands in as the URLconf
from ledger.urls import urlpatterns as real_patterns


def boom(request):
    raise RuntimeError("deliberate failure")


urlpatterns = [path("boom/", boom), *real_patterns]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_500_page_is_ours(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统出错了" in html and "创卫台账" in html and "ledger.css" in html
    # The id a person quotes to support is the one on the response and in the log lines.
    request_id = response["X-Request-ID"]
    assert len(request_id) >= 8 and request_id in html


@pytest.mark.parametrize("status,text", [(404, "找不到页面")])
def test_404_page_is_ours(client, tx, status, text):
    client.force_login(tx.staff)
    response = client.get("/nowhere/")
    assert response.status_code == status
    assert text in response.content.decode()


def test_403_for_a_leader_trying_an_act_says_why_and_where_to_go(client, tx):
    ticket = tx.log()
    client.force_login(tx.leader)
    response = client.post(f"/tickets/{ticket.number}/void/", {"reason": "重复登记"})
    assert response.status_code == 403
    html = response.content.decode()
    # In the product's frame (its stylesheet and menu), in its words, with a way on.
    assert "ledger.css" in html and 'class="mainnav"' in html
    assert "无权操作" in html and "什么都没有改动" in html and "联系本区创卫办管理员" in html
    assert 'href="/"' in html
    ticket.refresh_from_db()
    assert ticket.state == "reported"


def test_404_for_another_districts_ticket_gives_no_hint_of_it(client, tx, td):
    other = td.log()
    client.force_login(tx.staff)
    response = client.get(f"/tickets/{other.number}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到页面" in html and "ledger.css" in html and 'class="mainnav"' in html
    assert "不在您的管辖范围内" in html and 'href="/tickets/"' in html
    # Not even echoed back (the language switch goes home from here).
    assert other.number not in html and td.unit.name not in html


def test_a_stale_form_gets_our_page_not_djangos(tx):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tx.staff)
    response = client.post("/tickets/new/", {"description": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期，没有提交" in html and "ledger.css" in html and "CSRF" not in html
