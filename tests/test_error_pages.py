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
