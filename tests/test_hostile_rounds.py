"""Hostile input on the rounds' forms: whatever an inspector's phone (or a script) sends for a point,
and whatever is typed into a new round or the list's filters, the answer is a result that makes
sense or a 4xx that says in Chinese what is wrong and changes nothing but the kept photos."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from campaigns.models import InspectionRound, RoundCheck, RoundFinding, Ticket, TicketPhoto
from campaigns.services.rounds import round_point_add

from .factories import form_key, pending_photo
from .hostile import FEW, TODAY, UPLOADS, apply, assert_says_why_in_chinese, form_value, overrides, upload
from .rounds_world import SmallStandard, make_round


@pytest.fixture
def standard(tx, td):
    small = SmallStandard()
    small.adopt(tx, td)
    return small


@FEW
@given(data=st.data())
def test_any_point_result_is_tickets_of_its_own_district_or_a_chinese_message(
    client, tx, td, city_admin, standard, settings, data
):
    inspection_round = make_round([tx], city_admin, [tx.staff], standard=standard.standard)
    round_point = round_point_add(inspection_round=inspection_round, point=tx.point)
    url = reverse("campaigns:inspect-point", args=[round_point.pk])
    client.force_login(tx.staff)
    bins, rats = standard.bins.pk, standard.rats.pk
    fields = {
        f"i{bins}-result": form_value(),
        f"i{bins}-note": form_value(),
        f"i{bins}-kept": form_value(pending_photo(td.staff).pk, pending_photo(tx.staff).pk),
        f"i{rats}-result": st.sampled_from(["pass", "fail", "na", "FAIL", "", "relapsed"]),
        "submission": form_value(),
    }
    base = {
        "submission": form_key(),
        f"i{bins}-result": "fail",
        f"i{bins}-note": "垃圾桶满溢",
        f"i{rats}-result": "pass",
    }
    post = apply(base, data.draw(overrides(fields)))
    files = data.draw(UPLOADS)
    post[f"i{bins}-photos"] = [upload(key) for key in files]
    tickets = Ticket.objects.count()
    pending = TicketPhoto.objects.filter(ticket__isnull=True).count()

    response = client.post(url, post)

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        for finding in RoundFinding.objects.select_related("ticket", "ticket__category"):
            assert finding.ticket.district_id == tx.unit.pk and finding.ticket.category.campaign_id == tx.campaign.pk
            assert all(photo.uploaded_by_id == tx.staff.pk for photo in finding.ticket.photos.all())
        return
    assert_says_why_in_chinese(response)
    assert Ticket.objects.count() == tickets and not RoundCheck.objects.filter(round_point=round_point).exists()
    assert TicketPhoto.objects.filter(ticket__isnull=True).count() - pending <= files.count("good")


@FEW
@given(data=st.data())
def test_any_new_round_is_made_in_reach_or_refused_in_chinese(client, tx, td, standard, data):
    client.force_login(tx.admin)
    fields = {
        "name": form_value(),
        "kind": form_value(),
        "level": st.sampled_from(["district", "street", "city", "national", "", "x"]),
        "districts": form_value(tx.unit.pk, td.unit.pk, tx.street.pk),
        "standard": form_value(standard.standard.pk),
        "starts_on": form_value(),
        "ends_on": form_value(),
        "letter_date": form_value(),
        "deadline_working_days": form_value(),
        "team": form_value(tx.staff.pk, td.staff.pk, tx.leader.pk),
    }
    base = {
        "submission": form_key(),
        "name": "四季度自查",
        "kind": "self",
        "level": "district",
        "districts": tx.unit.pk,
        "standard": standard.standard.pk,
        "starts_on": TODAY().isoformat(),
        "ends_on": TODAY().isoformat(),
        "deadline_working_days": 5,
    }
    post = apply(base, data.draw(overrides(fields)))
    response = client.post(reverse("campaigns:round-new"), post)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        made = InspectionRound.objects.order_by("-pk").first()
        assert list(made.districts.values_list("pk", flat=True)) == [tx.unit.pk]
        assert set(made.team.values_list("pk", flat=True)) <= {tx.staff.pk}
        assert made.level in ("district", "street")
    else:
        assert_says_why_in_chinese(response)


@FEW
@given(kind=st.text(max_size=20), level=st.text(max_size=20), status=st.text(max_size=20), page=st.text(max_size=8))
def test_the_list_ignores_filters_it_does_not_offer(client, tx, kind, level, status, page):
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:rounds"), {"kind": kind, "level": level, "status": status, "page": page})
    assert response.status_code == 200
