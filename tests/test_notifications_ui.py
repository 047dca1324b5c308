"""The bell: unread count, the list, opening and marking read — each person sees only their own."""

from django.urls import reverse

from campaigns.models import Notification, NotificationKind
from campaigns.services.notifications import Message, notify


def tell(tx, user, occasion, link="/my/"):
    notify(
        Message(
            district_id=tx.unit.pk,
            kind=NotificationKind.TICKET_DUE_SOON,
            occasion=occasion,
            title=f"提醒 {occasion}",
            body="内容",
            link=link,
            user_ids=[user.pk],
        )
    )
    return Notification.objects.get(recipient=user, occasion=occasion)


def test_bell_counts_unread(client, tx):
    tell(tx, tx.staff, "a")
    tell(tx, tx.staff, "b")
    tell(tx, tx.supervisor, "c")
    client.force_login(tx.staff)
    response = client.get(reverse("campaigns:my-tasks"))
    assert response.context["nav_unread"] == 2
    assert 'class="bell-count">2<' in response.content.decode()


def test_open_marks_read_and_follows_the_link(client, tx):
    note = tell(tx, tx.staff, "a", link="/tickets/?overdue=on")
    client.force_login(tx.staff)
    response = client.post(reverse("campaigns:notification-open", args=[note.pk]))
    assert response["Location"] == "/tickets/?overdue=on"
    note.refresh_from_db()
    assert note.read_at is not None


def test_links_off_site_are_not_followed(client, tx):
    note = tell(tx, tx.staff, "a", link="https://evil.example.com/")
    client.force_login(tx.staff)
    response = client.post(reverse("campaigns:notification-open", args=[note.pk]))
    assert response["Location"] == reverse("campaigns:notifications")


def test_someone_elses_notification_is_404(client, tx):
    note = tell(tx, tx.supervisor, "a")
    client.force_login(tx.staff)
    assert client.post(reverse("campaigns:notification-open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    assert list(client.get(reverse("campaigns:notifications")).context["page"].object_list) == []


def test_read_all_and_unread_filter(client, tx):
    tell(tx, tx.staff, "a")
    tell(tx, tx.staff, "b")
    other = tell(tx, tx.supervisor, "c")
    client.force_login(tx.staff)
    assert len(client.get(reverse("campaigns:notifications"), {"unread": 1}).context["page"].object_list) == 2
    client.post(reverse("campaigns:notifications-read-all"))
    assert list(client.get(reverse("campaigns:notifications"), {"unread": 1}).context["page"].object_list) == []
    other.refresh_from_db()
    assert other.read_at is None
    assert "没有未读消息" in client.get(reverse("campaigns:notifications"), {"unread": 1}).content.decode()
