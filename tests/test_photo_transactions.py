"""A problem and its photos commit together, and a refused act loses no photo.

Logging a problem stores its photos and writes the ticket in one transaction (one commit,
not two). If the act is refused after the photos were stored, that transaction rolls back —
and the photos are stored again as the person's pending photos, so the form that comes back
still holds them and no file is left behind without its row.
"""

from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from campaigns import workflow
from campaigns.models import Ticket, TicketPhoto

from .factories import form_key, photo_upload

pytestmark = pytest.mark.django_db


def media_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def log_post(tx, n=2):
    return {
        "point": tx.point.pk,
        "place": "东门口",
        "category": tx.category.pk,
        "description": "市场东门垃圾桶满溢",
        "photos": [photo_upload(f"p{i}.jpg") for i in range(n)],
        "submission": form_key(),
    }


def test_logging_commits_the_photos_with_the_ticket(client, tx):
    client.force_login(tx.staff)
    client.get(reverse("campaigns:ticket-log"))  # warm the session and choices
    response = client.post(reverse("campaigns:ticket-log"), log_post(tx))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert list(TicketPhoto.objects.values_list("ticket_id", flat=True)) == [ticket.pk, ticket.pk]


def test_a_refused_log_keeps_the_photos_for_the_next_try(client, tx, settings, monkeypatch):
    def refused(**kwargs):
        with transaction.atomic():  # as the verb: the photos are stored inside its transaction
            photos = kwargs["photos"]()
            assert len(photos) == 2 and all(p.pk for p in photos)
            raise workflow.TransitionRefused("点位刚被停用，请重新选择。")

    monkeypatch.setattr(workflow, "ticket_log", refused)
    client.force_login(tx.staff)
    response = client.post(reverse("campaigns:ticket-log"), log_post(tx))
    assert response.status_code == 400
    html = response.content.decode()
    assert "点位刚被停用" in html and "市场东门垃圾桶满溢" in html
    kept = list(TicketPhoto.objects.filter(ticket__isnull=True, uploaded_by=tx.staff))
    assert len(kept) == 2, "the rolled-back rows were not stored again"
    for photo in kept:
        assert f'name="kept_photos" value="{photo.pk}"' in html
    assert len(media_files(settings)) == 2, "files of the rolled-back rows were left behind"
    assert not Ticket.objects.exists()


def test_a_log_refused_before_its_photos_were_stored_keeps_them_too(client, tx, settings, monkeypatch):
    def refused(**kwargs):
        raise workflow.TransitionRefused("点位刚被停用，请重新选择。")  # before the transaction opens

    monkeypatch.setattr(workflow, "ticket_log", refused)
    client.force_login(tx.staff)
    response = client.post(reverse("campaigns:ticket-log"), log_post(tx))
    assert response.status_code == 400
    kept = list(TicketPhoto.objects.filter(ticket__isnull=True, uploaded_by=tx.staff))
    assert len(kept) == 2
    for photo in kept:
        assert f'name="kept_photos" value="{photo.pk}"' in response.content.decode()
    assert len(media_files(settings)) == 2


def test_a_refused_fix_keeps_its_after_photos(client, tx, settings, monkeypatch):
    ticket = tx.assigned()
    before = len(media_files(settings))

    def refused(**kwargs):
        raise workflow.TransitionRefused("这张工单刚被撤销。")

    monkeypatch.setattr(workflow, "ticket_submit_fix", refused)
    client.force_login(tx.unit_liaison)
    response = client.post(
        reverse("campaigns:ticket-submit-fix", args=[ticket.number]),
        {"note": "已清理", "photos": [photo_upload("after.jpg")]},
    )
    assert response.status_code == 409
    kept = TicketPhoto.objects.get(ticket__isnull=True, uploaded_by=tx.unit_liaison)
    assert f'name="kept_photos" value="{kept.pk}"' in response.content.decode()
    assert len(media_files(settings)) == before + 1
