"""The main navigation: each person sees the links their roles open, the page they are on is
marked, in their language, although the markup is kept in each process's memory once made."""

import re

import pytest
from django.urls import reverse

from campaigns.context_processors import nav_section

pytestmark = pytest.mark.django_db


def links(response):
    """The main navigation's (text, marked as the current page) pairs."""
    nav = re.search(r'<nav class="mainnav".*?</nav>', response.content.decode(), re.S).group(0)
    return [
        (re.sub(r"<[^>]+>", "", text).strip(), "aria-current" in attrs)
        for attrs, text in re.findall(r"<a ([^>]*)>(.*?)</a>", nav, re.S)
    ]


def test_a_supervisor_and_an_admin_on_the_same_page_see_their_own_links(client, tx):
    client.force_login(tx.supervisor)
    supervisor_links = links(client.get("/tickets/"))
    client.force_login(tx.admin)
    admin_links = links(client.get("/tickets/"))
    client.force_login(tx.supervisor)
    assert links(client.get("/tickets/")) == supervisor_links  # the admin's kept markup is not theirs
    assert ("工单台账", True) in supervisor_links and ("工单台账", True) in admin_links
    assert "节假日安排" in dict(admin_links) and "节假日安排" not in dict(supervisor_links)
    assert "登记问题" in client.get("/tickets/").content.decode()


def test_the_page_a_person_is_on_is_the_one_marked(client, tx):
    client.force_login(tx.admin)
    for url, marked in (
        ("/board/TX/", "作战图"),
        ("/board/TX/rankings/", "作战图"),
        ("/tickets/", "工单台账"),
        ("/checklist/", "任务清单"),
        ("/holidays/", "节假日安排"),
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert [text for text, current in links(response) if current] == [marked], url


def test_a_unit_on_its_own_tasks_sees_only_that_link_marked(client, tx):
    client.force_login(tx.unit_liaison)
    assert nav_section("/checklist/mine/") == "checklist-mine"
    # Before, “我的任务” and “任务清单” were both marked on /checklist/mine/.
    marked = [text for text, current in links(client.get("/checklist/mine/", follow=True)) if current]
    assert marked == ["我的任务"]


def test_each_language_has_its_own_navigation(client, tx):
    client.force_login(tx.admin)
    assert "工单台账" in dict(links(client.get("/tickets/")))
    client.post(reverse("language"), {"language": "en"})  # the footer's language switch
    english = dict(links(client.get("/tickets/")))
    assert "工单台账" not in english and any(text.isascii() and text for text in english)


@pytest.mark.parametrize(
    "path,section",
    [
        ("/board/", "board"),
        ("/board/TX/map/", "board"),
        ("/tickets/", "list"),
        ("/tickets/TX-202612-0001/", ""),
        ("/my/", "my"),
        ("/reports/", "reports"),
        ("/reports/TX/", ""),
        ("/checklist/3/", "checklist"),
        ("/scoring/3/", "checklist"),
        ("/checklist/mine/", "checklist-mine"),
        ("/rounds/4/", "rounds"),
        ("/inspect/7/", "inspect"),
        ("/security/accounts/12/roles/", "security-accounts"),
        ("/security/audit/", "security-audit"),
        ("/", ""),
    ],
)
def test_every_address_belongs_to_at_most_one_entry(path, section):
    assert nav_section(path) == section
