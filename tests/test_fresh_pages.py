"""Pages are never older than the database, whatever the cache keeps meanwhile.

Stories: 李督导 opens the same ticket again and again while 王督导 acts on it (the page moves
on at once); the act's flash message shows exactly once; a revoked membership closes the
door; the bell's count and the day both count; the CSRF token on the page is good for acting;
my tasks follows every write.
"""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import Membership, Notification, NotificationKind

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(client, ticket):
    response = client.get(reverse("campaigns:ticket-detail", args=[ticket.number]))
    return response, response.content.decode()


def test_the_token_on_the_page_is_good_for_acting(tx):
    ticket = tx.log()
    client = Client(enforce_csrf_checks=True)
    client.force_login(tx.supervisor)
    page(client, ticket)
    _, html = page(client, ticket)
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1
    response = client.post(
        reverse("campaigns:ticket-void", args=[ticket.number]),
        {"reason": "重复登记", "csrfmiddlewaretoken": tokens.pop()},
    )
    assert response.status_code == 302


def test_a_write_in_the_district_shows_at_once(client, tx, django_capture_on_commit_callbacks):
    ticket = tx.submitted()
    client.force_login(tx.supervisor)
    _, html = page(client, ticket)
    assert "待核验" in html
    with django_capture_on_commit_callbacks(execute=True):  # the version moves on when the act commits
        workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="核验通过")
    _, html = page(client, ticket)
    assert "已销号" in html and "核验通过" in html


def test_the_flash_message_shows_once(client, tx):
    ticket = tx.submitted()
    client.force_login(tx.supervisor)
    page(client, ticket)
    response = client.post(reverse("campaigns:ticket-close-out", args=[ticket.number]), {"note": ""}, follow=True)
    assert "核验销号完成" in response.content.decode()
    _, html = page(client, ticket)
    assert "核验销号完成" not in html


def test_another_person_gets_their_own_page(client, tx):
    ticket = tx.submitted()
    close_out = f'action="{reverse("campaigns:ticket-close-out", args=[ticket.number])}"'
    client.force_login(tx.supervisor)
    assert close_out in page(client, ticket)[1]
    client.force_login(tx.leader)
    assert close_out not in page(client, ticket)[1]


def test_the_kept_facts_never_show_a_masked_phone_in_full(client, tx):
    """李督导 sees the responsible person's phone in full; the leader, who opens the same ticket
    right after (the ticket's facts are kept as a fragment), sees it masked."""
    ticket = workflow.ticket_assign(
        ticket=tx.log(),
        actor=tx.supervisor,
        unit=tx.department,
        person="张三",
        phone="13843456789",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )
    client.force_login(tx.supervisor)
    assert "13843456789" in page(client, ticket)[1]
    client.force_login(tx.leader)
    html = page(client, ticket)[1]
    assert "138****6789" in html and "13843456789" not in html
    client.force_login(tx.supervisor)
    assert "13843456789" in page(client, ticket)[1]


def test_a_revoked_membership_closes_the_door(client, tx):
    ticket = tx.assigned()
    client.force_login(tx.leader)
    assert page(client, ticket)[0].status_code == 200
    Membership.objects.filter(user=tx.leader).delete()
    assert page(client, ticket)[0].status_code == 404


def test_the_bell_counts(client, tx):
    ticket = tx.assigned()
    client.force_login(tx.supervisor)
    page(client, ticket)
    Notification.objects.create(
        recipient=tx.supervisor, district=tx.unit, kind=NotificationKind.TICKET_LOGGED, occasion="x", title="新问题"
    )
    _, html = page(client, ticket)
    assert 'class="bell-count">1<' in html


def test_a_new_day_counts_overdue_again(client, tx):
    today = timezone.localdate()
    ticket = tx.assigned(deadline=today + datetime.timedelta(days=1))
    client.force_login(tx.supervisor)
    _, html = page(client, ticket)
    assert "逾期" not in html
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3), tick=False):
        client.force_login(tx.supervisor)  # three days idle: a new session
        _, html = page(client, ticket)
    assert "逾期 2 天" in html


def test_my_tasks_follows_every_write(client, tx, django_capture_on_commit_callbacks):
    ticket = tx.submitted()
    client.force_login(tx.supervisor)
    url = reverse("campaigns:my-tasks")
    assert ticket.number in client.get(url).content.decode()
    assert ticket.number in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor2, note="核验通过")
    assert ticket.number not in client.get(url).content.decode()
