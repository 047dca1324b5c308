"""The Django admin is for setting up a district, and a district admin sets up only their own."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import InspectionPoint, OrgUnit, Supervision, Ticket, UnitKind


@pytest.fixture
def tx_admin(tx):
    tx.admin.is_staff = True
    tx.admin.save()
    return tx.admin


def test_district_admin_sees_only_their_units(client, tx, td, tx_admin):
    client.force_login(tx_admin)
    response = client.get(reverse("admin:campaigns_orgunit_changelist"))
    assert response.status_code == 200
    names = {unit.name for unit in response.context["cl"].result_list}
    assert tx.street.name in names and td.street.name not in names
    assert client.get(reverse("admin:campaigns_orgunit_change", args=[td.street.pk])).status_code == 302
    assert OrgUnit.objects.get(pk=td.street.pk).name == td.street.name


def test_district_admin_cannot_file_a_point_under_another_district(client, tx, td, tx_admin):
    client.force_login(tx_admin)
    response = client.post(
        reverse("admin:campaigns_inspectionpoint_add"),
        {"unit": td.community.pk, "point_type": tx.point.point_type.pk, "name": "越界点位", "is_active": "on"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "unit" in response.context["adminform"].form.errors
    assert not InspectionPoint.objects.filter(name="越界点位").exists()


def test_district_admin_adds_a_community(client, tx, tx_admin):
    client.force_login(tx_admin)
    response = client.post(
        reverse("admin:campaigns_orgunit_add"),
        {
            "name": "新建社区",
            "kind": UnitKind.COMMUNITY,
            "parent": tx.street.pk,
            "order": 0,
            "is_active": "on",
            "code": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit = OrgUnit.objects.get(name="新建社区")
    assert unit.district == tx.unit and unit.street == tx.street


def test_tickets_are_read_only_in_the_admin(client, tx, tx_admin):
    ticket = tx.submitted()
    client.force_login(tx_admin)
    url = reverse("admin:campaigns_ticket_change", args=[ticket.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"state": "closed"})
    ticket.refresh_from_db()
    assert ticket.state == "submitted"


@pytest.mark.parametrize("who", ["supervisor", "staff", "leader"])
def test_non_admins_have_no_admin(client, tx, who):
    user = getattr(tx, who)
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:campaigns_orgunit_changelist")).status_code == 403


# --- a district admin sets up units only inside the district -----------------------------------


class TestUnitsStayInTheDistrict:
    @pytest.fixture(autouse=True)
    def _signed_in(self, client, tx_admin):
        client.force_login(tx_admin)

    def add(self, client, **fields):
        return client.post(
            reverse("admin:campaigns_orgunit_add"),
            {"name": "越界单位", "order": 0, "is_active": "on", "code": "", **fields},
        )

    @pytest.mark.parametrize(
        "kind,parent",
        [
            ("city", None),  # a new city: outside every district
            ("district", "city"),  # a new district of the city
            ("street", "td_unit"),  # a street of the neighbouring district
            ("community", "td_street"),
            ("department", None),  # no parent at all
        ],
    )
    def test_the_django_admin_refuses_a_unit_outside(self, client, tx, td, city, tx_admin, kind, parent):
        parents = {None: "", "city": city.pk, "td_unit": td.unit.pk, "td_street": td.street.pk}
        before = OrgUnit.objects.count()
        response = self.add(client, kind=kind, parent=parents[parent])
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "parent" in errors or "kind" in errors
        assert OrgUnit.objects.count() == before

    def test_the_choices_offer_only_the_districts_place(self, client, tx, td, tx_admin):
        form = client.get(reverse("admin:campaigns_orgunit_add")).context["adminform"].form
        assert {k for k, _label in form.fields["kind"].choices} == {
            "street",
            "township",
            "community",
            "village",
            "department",
        }
        assert set(form.fields["parent"].queryset.values_list("district_id", flat=True)) == {tx.unit.pk}

    def test_the_message_says_why(self, client, tx, tx_admin):
        response = self.add(client, kind="department", parent="")
        assert "只能在本区内新建或调整单位" in response.content.decode()

    def test_inside_the_district_it_works_as_before(self, client, tx, tx_admin):
        response = self.add(client, name="新建部门", kind="department", parent=tx.unit.pk)
        assert response.status_code == 302
        assert OrgUnit.objects.get(name="新建部门").district == tx.unit

    def test_their_own_district_keeps_its_place_and_code(self, client, city, tx, tx_admin):
        url = reverse("admin:campaigns_orgunit_change", args=[tx.unit.pk])
        response = client.post(
            url,
            {"name": tx.unit.name, "kind": "city", "parent": "", "code": "XX", "contact_person": "王主任", "order": 0},
        )
        assert response.status_code == 302
        tx.unit.refresh_from_db()
        assert (tx.unit.kind, tx.unit.parent_id, tx.unit.code, tx.unit.contact_person) == (
            "district",
            city.pk,
            "TX",
            "王主任",
        )


def test_the_chain_in_the_admin(client, tx, td, tx_admin):
    """铁西区's admin sees the campaign's 销号 levels inline, the 交办 chain's records read-only and
    only their own district's, and filters tickets by 待签收 and by 超时未签收."""
    waiting = tx.assigned(signed=False)
    Supervision.objects.create(
        ticket=waiting,
        district=tx.unit,
        document_number="铁西创卫督〔2026〕1号",
        supervising_unit="区创卫办",
        leader="王区长",
        deadline=timezone.localdate() + datetime.timedelta(days=16),
        created_by=tx.admin,
    )
    elsewhere = td.assigned()
    Supervision.objects.create(
        ticket=elsewhere,
        district=td.unit,
        document_number="铁东督〔2026〕9号",
        supervising_unit="区创卫办",
        leader="李区长",
        deadline=timezone.localdate() + datetime.timedelta(days=16),
        created_by=td.admin,
    )
    client.force_login(tx_admin)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[tx.campaign.pk]))
    assert page.status_code == 200 and "closing_levels-TOTAL_FORMS" in page.content.decode()
    listed = client.get(reverse("admin:campaigns_supervision_changelist")).context["cl"].result_list
    assert [s.document_number for s in listed] == ["铁西创卫督〔2026〕1号"]
    assert client.get(reverse("admin:campaigns_supervision_add")).status_code == 403
    for model in ("recheck", "ticketcounit"):
        assert client.get(reverse(f"admin:campaigns_{model}_changelist")).status_code == 200
    tickets = client.get(reverse("admin:campaigns_ticket_changelist"), {"state__exact": "assigned"})
    assert [t.number for t in tickets.context["cl"].result_list] == [waiting.number]
    assert not client.get(reverse("admin:campaigns_ticket_changelist"), {"mark": "sign_late"}).context["cl"].result_list
    # An hour past its 签收时限:
    Ticket.objects.filter(pk=waiting.pk).update(sign_due_at=timezone.now() - datetime.timedelta(hours=1))
    late = client.get(reverse("admin:campaigns_ticket_changelist"), {"mark": "sign_late"})
    assert [t.number for t in late.context["cl"].result_list] == [waiting.number]
