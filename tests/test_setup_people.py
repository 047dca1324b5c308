"""A district admin enrols the district's people one by one: the list (phones masked), a new
person with a one-time password, roles given and taken back — ledger roles only, in units of
the district; the system duties stay with the security admin (三权分立)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from campaigns.models import AccountProfile, AuditEvent, AuditKind, Membership, OrgUnit, Role, UnitKind

from .factories import UserFactory, form_key, member
from .test_setup import snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def fresh(city):
    """A brand-new district: the district unit and one admin, nothing else."""
    district = OrgUnit.objects.create(name="铁北区", kind=UnitKind.DISTRICT, code="TB", parent=city)
    admin = member(UserFactory(username="tb_admin", first_name="新管理员"), district, Role.ADMIN)
    return type("Fresh", (), {"unit": district, "admin": admin})


class TestPeople:
    def url(self, name, *args):
        return reverse(f"campaigns:{name}", args=["TX", *args])

    def test_the_list_masks_phones_the_persons_page_shows_them(self, client, tx):
        Membership.objects.filter(user=tx.staff).update(phone="13812345678")
        client.force_login(tx.admin)
        html = client.get(self.url("setup-people")).content.decode()
        assert "138****5678" in html and "13812345678" not in html
        assert tx.staff.username in html and tx.leader.username in html
        html = client.get(self.url("setup-person", tx.staff.pk)).content.decode()
        assert "13812345678" in html

    def test_the_list_is_filtered_paginated_and_costs_the_same(self, client, tx, django_assert_max_num_queries):
        client.force_login(tx.admin)
        for n in range(60):
            member(UserFactory(username=f"grid{n:02}", first_name=f"网格员{n}"), tx.community, Role.STAFF)
        url = self.url("setup-people")
        client.get(url)
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.context["page"].paginator.num_pages == 2
        with django_assert_max_num_queries(10):
            response = client.get(url + "?role=staff&page=2")
        with django_assert_max_num_queries(10):
            response = client.get(url + "?q=grid05")
        assert [m.user.username for m in response.context["page"]] == ["grid05"]
        response = client.get(url + "?role=leader")
        assert [m.user for m in response.context["page"]] == [tx.leader]

    def test_a_new_person_gets_a_one_time_password_shown_once(self, client, tx):
        client.force_login(tx.admin)
        response = client.post(
            self.url("setup-person-new"),
            {
                "full_name": "王五",
                "username": "tx_wangwu",
                "unit": tx.community.pk,
                "role": "staff",
                "phone": "13800001111",
                "submission": form_key(),
            },
        )
        assert response.status_code == 200
        password = response.context["password"]
        assert password in response.content.decode() and "只显示这一次" in response.content.decode()
        user = User.objects.get(username="tx_wangwu")
        assert user.first_name == "王五" and user.check_password(password) and not user.is_staff
        assert AccountProfile.objects.get(user=user).must_change_password
        assert AccountProfile.objects.get(user=user).duty == ""
        membership = Membership.objects.get(user=user)
        assert (membership.unit, membership.role, membership.phone) == (tx.community, "staff", "13800001111")
        assert AuditEvent.objects.filter(kind=AuditKind.ACCOUNT_CREATE, target="tx_wangwu", user=tx.admin).exists()
        assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, details__account="tx_wangwu").exists()
        # The person page never shows it again.
        assert password not in client.get(self.url("setup-person", user.pk)).content.decode()
        assert "尚未首次登录" in client.get(self.url("setup-person", user.pk)).content.decode()
        # The person logs in with it and must set their own first.
        other = type(client)()
        assert other.post(reverse("login"), {"username": "tx_wangwu", "password": password}).status_code == 302
        assert other.get(reverse("campaigns:my-tasks"))["Location"] == reverse("password_change")

    def test_a_name_in_use_elsewhere_is_taken_and_nothing_more(self, client, tx, td):
        client.force_login(tx.admin)
        before = snapshot()
        data = {
            "full_name": "冒名",
            "username": td.staff.username.upper(),
            "unit": tx.street.pk,
            "role": "staff",
            "submission": form_key(),
        }
        response = client.post(self.url("setup-person-new"), data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "已被占用" in html and td.unit.name not in html
        assert response.context["form"]["full_name"].value() == "冒名"
        assert snapshot() == before

    def test_someone_already_here_gets_roles_on_their_own_page(self, client, tx):
        client.force_login(tx.admin)
        data = {
            "full_name": "网格员",
            "username": tx.staff.username,
            "unit": tx.street2.pk,
            "role": "staff",
            "submission": form_key(),
        }
        response = client.post(self.url("setup-person-new"), data)
        assert response.status_code == 400 and "已在本区" in response.content.decode()
        assert self.url("setup-person", tx.staff.pk) in response.content.decode()
        response = client.post(
            self.url("setup-person-role-add", tx.staff.pk), {"unit": tx.street2.pk, "role": "staff", "phone": ""}
        )
        assert response.status_code == 302
        assert set(Membership.objects.filter(user=tx.staff).values_list("unit", flat=True)) == {
            tx.street.pk,
            tx.street2.pk,
        }
        removed = Membership.objects.get(user=tx.staff, unit=tx.street2)
        client.post(self.url("setup-person-role-remove", tx.staff.pk, removed.pk))
        assert not Membership.objects.filter(pk=removed.pk).exists()
        assert AuditEvent.objects.filter(kind=AuditKind.ROLE_CHANGE, details__change="revoked").exists()

    def test_only_ledger_roles_in_own_units(self, client, tx, td):
        client.force_login(tx.admin)
        before = snapshot()
        for data in [
            {"full_name": "甲", "username": "tx_jia", "unit": td.street.pk, "role": "staff"},
            {"full_name": "甲", "username": "tx_jia", "unit": tx.street.pk, "role": "security"},
            {"full_name": "甲", "username": "tx_jia", "unit": tx.street.pk, "role": "staff", "phone": "12345"},
            {"full_name": "甲", "username": "甲", "unit": tx.street.pk, "role": "staff"},
        ]:
            response = client.post(self.url("setup-person-new"), {**data, "submission": form_key()})
            assert response.status_code == 400, data
        assert snapshot() == before
        response = client.post(self.url("setup-person-role-add", tx.staff.pk), {"unit": td.unit.pk, "role": "admin"})
        assert response.status_code == 400 and snapshot() == before

    def test_nobody_changes_their_own_roles(self, client, tx):
        client.force_login(tx.admin)
        response = client.get(self.url("setup-person", tx.admin.pk))
        assert "自己的角色不能自己修改" in response.content.decode()
        before = snapshot()
        response = client.post(self.url("setup-person-role-add", tx.admin.pk), {"unit": tx.street.pk, "role": "staff"})
        assert response.status_code == 400 and "不能修改自己的账号权限" in response.content.decode()
        own = Membership.objects.get(user=tx.admin)
        response = client.post(self.url("setup-person-role-remove", tx.admin.pk, own.pk), follow=True)
        assert "不能修改自己的账号权限" in response.content.decode()
        assert snapshot() == before

    def test_a_system_duty_holder_is_no_one_to_give_roles(self, client, tx):
        from campaigns.models import Duty

        # A duty holder has no ledger role anywhere (三权分立), so is no person of the district.
        auditor = UserFactory(username="shenji")
        AccountProfile.objects.create(user=auditor, duty=Duty.AUDIT)
        client.force_login(tx.admin)
        response = client.post(self.url("setup-person-role-add", auditor.pk), {"unit": tx.unit.pk, "role": "admin"})
        assert response.status_code == 404
        assert not Membership.objects.filter(user=auditor).exists()

    def test_an_empty_district_says_what_to_do(self, client, fresh):
        client.force_login(fresh.admin)
        html = client.get(reverse("campaigns:setup-people", args=["TB"])).content.decode()
        assert "新管理员" in html  # the admin is the district's only person so far
        Membership.objects.filter(user=fresh.admin).delete()
        city_admin = member(UserFactory(username="city_admin"), fresh.unit.parent, Role.ADMIN)
        client.force_login(city_admin)
        html = client.get(reverse("campaigns:setup-people", args=["TB"])).content.decode()
        assert "本区还没有人员" in html and "下载导入模板" in html
