"""Hostile input on the standard's forms: whatever 四平市's admin (or a script in her session)
sends to a 项's edit form or the sample-quota table, the answer is a saved change that makes
sense, or a 400 that says in Chinese what is wrong and changes nothing."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from campaigns.models import PointType, SampleQuota, StandardItem
from campaigns.services.standard import standard_default

from .hostile import FEW, apply, assert_says_why_in_chinese, form_value, overrides

pytestmark = pytest.mark.django_db


def standard_rows(standard):
    items = StandardItem.objects.filter(article__aspect__standard=standard).order_by("pk")
    quotas = SampleQuota.objects.filter(standard=standard).order_by("pk")
    return list(items.values_list()), list(quotas.values_list())


@pytest.fixture
def keeper(client, tx, city_admin):
    client.force_login(city_admin)
    return client


@FEW
@given(data=st.data())
def test_an_items_form_saves_sense_or_says_why(keeper, data):
    national = standard_default()
    item = StandardItem.objects.get(article__aspect__standard=national, code="3.1.4")
    road = PointType.objects.get(name="主次干道")
    fields = {
        "requirement": form_value(),
        "method": form_value(),
        "score": form_value(),
        "is_gate": form_value(),
        "point_types": form_value(road.pk, 0),
        "category_name": form_value(),
    }
    base = {"requirement": "及时保洁", "method": "site", "score": "1", "point_types": [road.pk], "category_name": ""}
    post = apply(base, data.draw(overrides(fields)))
    before = standard_rows(national)
    response = keeper.post(reverse("campaigns:standard-item-edit", args=[item.pk]), post)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert_says_why_in_chinese(response)
        assert standard_rows(national) == before
    else:
        item.refresh_from_db()
        assert item.requirement.strip() and item.score >= 0 and item.method in ("records", "site", "survey", "data")


@FEW
@given(data=st.data())
def test_the_quota_table_saves_sense_or_says_why(keeper, data):
    national = standard_default()
    road = PointType.objects.get(name="主次干道")
    form = keeper.get(reverse("campaigns:sample-quotas", args=[national.pk])).context["form"]
    base = {name: ("" if field.initial is None else field.initial) for name, field in form.fields.items()}
    fields = {
        f"q_{road.pk}_lt50": form_value(),
        f"q_{road.pk}_gt200": form_value(),
        f"s_{road.pk}": form_value(),
        "shown": form_value(road.pk),
    }
    post = apply(base, data.draw(overrides(fields)))
    before = standard_rows(national)
    response = keeper.post(reverse("campaigns:sample-quotas-save", args=[national.pk]), post)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert_says_why_in_chinese(response)
        assert standard_rows(national) == before
    else:
        assert all(0 <= quota.minimum <= 9999 for quota in SampleQuota.objects.filter(standard=national))
