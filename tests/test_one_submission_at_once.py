"""One form, one record, at the same instant: on real PostgreSQL connections, twenty copies of one
log form, five of any other create form and five confirms of one import make one record each."""

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from campaigns.models import SubmissionKey, Ticket, TicketPhoto

from .factories import form_key
from .test_one_submission import EVERY_OTHER_FORM, IMPORTS, LOG_URL, NOW, log_post, previewed
from .together import run_together

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("a race on the unique key needs PostgreSQL (CI runs this with DATABASE_URL)")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_copies_of_one_log_form_sent_at_once_make_one_ticket(tx, settings):
    postgres_only()
    key = form_key()
    clients = []
    for _ in range(20):
        client = Client()
        client.force_login(tx.staff)
        clients.append(client)

    def send(client):
        return lambda: client.post(LOG_URL, log_post(tx, key))

    results = run_together(*[send(client) for client in clients])
    assert all(kind == "ok" for kind, _ in results), results
    ticket = Ticket.objects.get()
    answers = {(response.status_code, response["Location"]) for _, response in results}
    assert answers == {(302, reverse("campaigns:ticket-detail", args=[ticket.number]))}
    assert TicketPhoto.objects.count() == 1  # the nineteen copies stored no photo at all
    assert SubmissionKey.objects.get().object_id == ticket.pk
    assert int(ticket.number[-4:]) == 1
    assert tx.log().number[-4:] == "0002"  # and took no ledger number


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", EVERY_OTHER_FORM)
def test_five_copies_of_a_create_form_sent_at_once_make_one(tx, form):
    postgres_only()
    who, url, data, made = EVERY_OTHER_FORM[form](tx)
    key = form_key()
    clients = []
    for _ in range(5):
        client = Client(raise_request_exception=False)
        client.force_login(who)
        clients.append(client)
    results = run_together(*[lambda client=client: client.post(url, {**data, "submission": key}) for client in clients])
    assert all(kind == "ok" for kind, _ in results), results
    assert made.count() == 1
    first = SubmissionKey.objects.get()
    assert first.object_id == made.get().pk
    assert all(response.status_code in (200, 302) for _, response in results)  # a new person: 200, the password
    # The four that lost open what the first made (the winner goes where a save always goes).
    assert [response.get("Location") for _, response in results].count(first.response_url) >= 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", IMPORTS)
def test_five_confirms_of_one_import_at_once_import_once(tx, which):
    postgres_only()
    admin = Client()
    admin.force_login(tx.admin)
    confirm, made = previewed(admin, tx, which)
    clients = []
    for _ in range(5):
        client = Client(raise_request_exception=False)
        client.force_login(tx.admin)
        clients.append(client)
    results = run_together(*[lambda client=client: client.post(confirm) for client in clients])
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(response.status_code < 500 for _, response in results) == [True] * 5
    assert made.count() == 1
