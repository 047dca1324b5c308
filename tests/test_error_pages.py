"""Error pages speak the product's language and look."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from ledger.urls import handler500  # noqa: F401 - this module stands in as the URLconf
from ledger.urls import urlpatterns as real_patterns

from .conftest import LedgerClient, lists_url_patterns
from .test_settings import settings_probe


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


# --- the demo (make run) shows these pages too, never Django's debug pages ----------------------


def demo_debug_setting(tmp_path):
    """DEBUG as the settings read it in `make run`'s environment (DEMO=1, nothing else set)."""
    result = settings_probe({"DEMO": "1", "LEDGER_VAR_DIR": str(tmp_path)}, "s.DEBUG, s.DEVELOPMENT")
    assert result.returncode == 0, result.stderr
    debug, development = result.stdout.split()
    assert development == "True"  # the demo's accounts and defaults are there
    return debug == "True"


def test_with_the_demos_settings_refusals_and_wrong_addresses_get_our_pages(tmp_path, settings, client, tx, td):
    settings.DEBUG = demo_debug_setting(tmp_path)
    ticket, other = tx.log(), td.log()
    client.force_login(tx.leader)
    answers = {
        "another district's ticket": client.get(f"/tickets/{other.number}/"),
        "an unknown address": client.get("/nowhere/"),
        "an unknown board": client.get("/board/XX/"),
        "a leader's act": client.post(f"/tickets/{ticket.number}/void/", {"reason": "重复登记"}),
    }
    for name, response in answers.items():
        html = response.content.decode()
        assert response.status_code in (403, 404), name
        assert "ledger.css" in html and 'class="mainnav"' in html, name
        assert not lists_url_patterns(response.content), name
    assert "找不到页面" in answers["an unknown address"].content.decode()
    assert "无权操作" in answers["a leader's act"].content.decode()


def test_a_page_listing_url_patterns_fails_the_test_that_gets_it(settings, tx):
    """The check in the suite's test client is not idle: Django's debug 404 page trips it."""
    settings.DEBUG = True
    plain = Client()
    plain.force_login(tx.staff)
    assert lists_url_patterns(plain.get("/nowhere/").content)
    ledger_client = LedgerClient()
    ledger_client.force_login(tx.staff)
    with pytest.raises(pytest.fail.Exception, match="listing the URL patterns"):
        ledger_client.get("/nowhere/")


def test_a_paste_too_big_for_the_server_gets_our_page_in_chinese(client, tx):
    """Over Django's request limit (5 MB) a form is refused before any view runs: the page says
    so in the product's words and look, not Django's bare English "Bad Request"."""
    client.force_login(tx.staff)
    response = client.post("/tickets/new/", {"description": "垃圾" * 1_500_000})
    html = response.content.decode()
    assert response.status_code == 400
    assert "无法处理这次提交" in html and "创卫台账" in html and "ledger.css" in html
    assert "Bad Request" not in html
