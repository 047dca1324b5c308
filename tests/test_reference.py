"""Reference data kept in the process is never older than the database.

A log validates its point, category and street against data kept per choices version; any
change to points, categories, units, areas, work groups or campaigns moves that version on.
"""

import pytest
from django.urls import reverse

from campaigns.models import CampaignStatus, InspectionPoint, ProblemCategory, Ticket

from .factories import form_key, photo_upload

pytestmark = pytest.mark.django_db


def log(client, tx, **changes):
    data = {
        "point": tx.point.pk,
        "place": "",
        "category": tx.category.pk,
        "description": "垃圾桶满溢",
        "photos": [photo_upload()],
        "submission": form_key(),
        **changes,
    }
    return client.post(reverse("campaigns:ticket-log"), data)


def test_a_point_switched_off_is_refused_at_once(client, tx):
    client.force_login(tx.staff)
    assert log(client, tx).status_code == 302
    InspectionPoint.objects.filter(pk=tx.point.pk).update(is_active=False)  # behind the signals' back …
    point = InspectionPoint.objects.get(pk=tx.point.pk)
    point.save()  # … and through the model, as every page that changes points does
    response = log(client, tx)
    assert response.status_code == 400 and "点位" in response.content.decode()
    assert Ticket.objects.count() == 1


def test_a_new_category_is_accepted_at_once(client, tx):
    client.force_login(tx.staff)
    assert log(client, tx).status_code == 302
    fresh = ProblemCategory.objects.create(campaign=tx.campaign, area=tx.area, name="新增：占道经营")
    assert log(client, tx, category=fresh.pk).status_code == 302
    assert Ticket.objects.filter(category=fresh).exists()


def test_another_districts_point_is_not_in_the_kept_choices(client, tx, td):
    client.force_login(tx.staff)
    assert log(client, tx).status_code == 302
    response = log(client, tx, point=td.point.pk)
    assert response.status_code == 400
    assert Ticket.objects.count() == 1


def test_a_finished_campaign_stops_logging_at_once(client, tx):
    client.force_login(tx.staff)
    assert log(client, tx).status_code == 302
    tx.campaign.status = CampaignStatus.FINISHED
    tx.campaign.save()
    response = client.get(reverse("campaigns:ticket-log"))
    assert response.status_code == 200 and 'name="description"' not in response.content.decode()
