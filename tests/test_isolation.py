"""District isolation: 铁东区 people never see or touch 铁西区 tickets, anywhere."""

import pytest
from django.urls import reverse

from campaigns.models import TicketEvent, TicketState

ACTIONS = ["assign", "submit-fix", "close-out", "return", "reopen", "void"]


@pytest.fixture
def tx_tickets(tx):
    return {
        "reported": tx.log(),
        "rectifying": tx.assigned(),
        "submitted": tx.submitted(),
        "closed": tx.closed(),
    }


@pytest.mark.parametrize("who", ["staff", "unit_liaison", "supervisor", "admin", "leader"])
def test_outsider_gets_404_for_every_ticket_page_and_action(client, tx, td, tx_tickets, who):
    client.force_login(getattr(td, who))
    for ticket in tx_tickets.values():
        assert client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).status_code == 404
        for action in ACTIONS:
            url = reverse(f"campaigns:ticket-{action}", args=[ticket.number])
            response = client.post(url, {"reason": "x", "note": "x", "deadline": "2099-01-01"})
            assert response.status_code == 404, (action, ticket.state)
        for photo in ticket.photos.all():
            assert client.get(reverse("campaigns:photo", args=[photo.pk])).status_code == 404
            assert client.get(reverse("campaigns:photo-thumb", args=[photo.pk])).status_code == 404
    # Nothing moved.
    for state, ticket in tx_tickets.items():
        ticket.refresh_from_db()
        assert ticket.state == state


def test_outsider_never_sees_tx_in_lists_counts_or_boards(client, tx, td, tx_tickets):
    td_ticket = td.submitted()
    client.force_login(td.supervisor)
    listing = client.get(reverse("campaigns:ticket-list")).content.decode()
    assert td_ticket.number in listing
    assert "TX-" not in listing
    # Trying to filter into the other district is ignored, not obeyed.
    listing = client.get(
        reverse("campaigns:ticket-list"), {"district": tx.unit.pk, "street": tx.street.pk}
    ).content.decode()
    assert "TX-" not in listing
    assert client.get(reverse("campaigns:board", args=["TX"])).status_code == 404
    board = client.get(reverse("campaigns:board", args=["TD"]))
    assert board.status_code == 200
    assert board.context["board"].figures["open"] == 1
    assert board.context["board"].figures["total"] == 1
    assert "TX-" not in board.content.decode()
    tasks = client.get(reverse("campaigns:my-tasks"))
    numbers = {t.number for task_list in tasks.context["task_lists"] for t in task_list.tickets}
    assert numbers == {td_ticket.number}


def test_outsider_cannot_log_into_another_district(client, tx, td):
    client.force_login(td.staff)
    assert client.get(reverse("campaigns:ticket-log"), {"district": "TX"}).status_code == 404


def test_city_admin_sees_every_district_of_the_city(client, tx, td, city_admin, tx_tickets):
    td_ticket = td.log()
    client.force_login(city_admin)
    listing = client.get(reverse("campaigns:ticket-list")).content.decode()
    assert td_ticket.number in listing and tx_tickets["closed"].number in listing
    assert client.get(reverse("campaigns:board", args=["TX"])).status_code == 200
    assert client.get(reverse("campaigns:board", args=["TD"])).status_code == 200


def test_city_admin_of_another_city_sees_nothing(client, tx, tx_tickets):
    from campaigns.models import OrgUnit, Role, UnitKind

    from .factories import UserFactory, member

    other_city = OrgUnit.objects.create(name="长春市", kind=UnitKind.CITY, code="CC")
    stranger = member(UserFactory(username="cc_admin"), other_city, Role.ADMIN)
    client.force_login(stranger)
    assert client.get(reverse("campaigns:ticket-detail", args=[tx_tickets["reported"].number])).status_code == 404
    assert "TX-" not in client.get(reverse("campaigns:ticket-list")).content.decode()


def test_read_only_leader_gets_403_on_every_action(client, tx, tx_tickets):
    client.force_login(tx.leader)
    for ticket in tx_tickets.values():
        assert client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).status_code == 200
        for action in ACTIONS:
            response = client.post(reverse(f"campaigns:ticket-{action}", args=[ticket.number]), {"reason": "x"})
            assert response.status_code == 403, action
    assert client.get(reverse("campaigns:ticket-log")).status_code == 403
    assert TicketEvent.objects.filter(actor=tx.leader).count() == 0


def test_staff_cannot_close_out_through_the_page(client, tx, tx_tickets):
    client.force_login(tx.staff)
    response = client.post(reverse("campaigns:ticket-close-out", args=[tx_tickets["submitted"].number]))
    assert response.status_code == 403
    tx_tickets["submitted"].refresh_from_db()
    assert tx_tickets["submitted"].state == TicketState.SUBMITTED


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/board/",
        "/board/TX/",
        "/tickets/",
        "/tickets/new/",
        "/my/",
    ],
)
def test_anonymous_is_sent_to_login(client, tx, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_cannot_see_a_ticket_or_photo(client, tx):
    ticket = tx.log()
    response = client.get(reverse("campaigns:ticket-detail", args=[ticket.number]))
    assert response.status_code == 302
    response = client.get(reverse("campaigns:photo", args=[ticket.photos.get().pk]))
    assert response.status_code == 302


def test_user_without_membership_sees_an_explanation_not_data(client, tx):
    from .factories import UserFactory

    tx.log()
    client.force_login(UserFactory(username="newcomer"))
    response = client.get("/")
    assert "尚未分配单位" in response.content.decode()
    assert "TX-" not in client.get(reverse("campaigns:ticket-list")).content.decode()


def test_removing_a_membership_takes_effect_at_once(client, tx):
    """Scopes are cached; a membership change must still apply on the very next request."""
    from campaigns.models import Membership

    ticket = tx.log()
    client.force_login(tx.supervisor)
    url = reverse("campaigns:ticket-detail", args=[ticket.number])
    assert client.get(url).status_code == 200
    Membership.objects.get(user=tx.supervisor).delete()
    assert client.get(url).status_code == 404
    Membership.objects.create(user=tx.supervisor, unit=tx.unit, role="leader")
    assert client.get(url).status_code == 200
    assert client.post(reverse("campaigns:ticket-void", args=[ticket.number]), {"reason": "x"}).status_code == 403
