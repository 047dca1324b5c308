"""A district admin sets up a district without the Django admin: the overview with what is
next, units, work groups and a campaign with its checklist (people: test_setup_people.py). Only
the district's admins (and its city's) may; anyone else in the district gets 403, another
district 404."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    AccountProfile,
    AuditEvent,
    AuditKind,
    Campaign,
    ChecklistItem,
    InspectionPoint,
    Membership,
    OrgUnit,
    ProblemCategory,
    Role,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)

from .factories import UserFactory, form_key, member

pytestmark = pytest.mark.django_db
User = get_user_model()


def pages(d):
    """Every GET page of the setup, filled with district `d`'s objects."""
    code = d.unit.code
    return [
        reverse("campaigns:setup", args=[code]),
        reverse("campaigns:setup-units", args=[code]),
        reverse("campaigns:setup-unit-new", args=[code]),
        reverse("campaigns:setup-unit", args=[code, d.community.pk]),
        reverse("campaigns:setup-units-template", args=[code]),
        reverse("campaigns:setup-units-import", args=[code]),
        reverse("campaigns:setup-people", args=[code]),
        reverse("campaigns:setup-person-new", args=[code]),
        reverse("campaigns:setup-person", args=[code, d.staff.pk]),
        reverse("campaigns:setup-people-template", args=[code]),
        reverse("campaigns:setup-people-import", args=[code]),
        reverse("campaigns:setup-groups", args=[code]),
        reverse("campaigns:setup-group-new", args=[code]),
        reverse("campaigns:setup-group", args=[code, d.work_line.pk]),
        reverse("campaigns:setup-campaign-new", args=[code]),
        reverse("campaigns:setup-campaign", args=[code, d.campaign.pk]),
    ]


def snapshot():
    return (
        OrgUnit.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
        WorkGroup.objects.count(),
        Campaign.objects.count(),
        list(OrgUnit.objects.values_list("id", "name", "is_active", "contact_person").order_by("id")),
    )


class TestWhoMaySetUp:
    def test_the_district_admin_reaches_every_page(self, client, tx):
        client.force_login(tx.admin)
        for url in pages(tx):
            assert client.get(url).status_code == 200, url

    def test_a_city_admin_sets_up_every_district_of_the_city(self, client, tx, td, city_admin):
        client.force_login(city_admin)
        for url in pages(tx) + pages(td):
            assert client.get(url).status_code == 200, url

    @pytest.mark.parametrize("who", ["staff", "unit_liaison", "supervisor", "leader"])
    def test_other_roles_of_the_district_are_refused(self, client, tx, who):
        client.force_login(getattr(tx, who))
        for url in pages(tx):
            assert client.get(url).status_code == 403, url

    @pytest.mark.parametrize("who", ["staff", "supervisor", "leader"])
    def test_refused_writes_change_nothing(self, client, tx, who):
        client.force_login(getattr(tx, who))
        before = snapshot()
        posts = {
            reverse("campaigns:setup-unit-new", args=["TX"]): {"name": "越权街道", "kind": "street"},
            reverse("campaigns:setup-unit-active", args=["TX", tx.community.pk]): {"active": "0"},
            reverse("campaigns:setup-person-new", args=["TX"]): {
                "full_name": "越权",
                "username": "sneaky",
                "unit": tx.street.pk,
                "role": "admin",
            },
            reverse("campaigns:setup-person-role-add", args=["TX", tx.staff.pk]): {
                "unit": tx.unit.pk,
                "role": "admin",
            },
            reverse("campaigns:setup-group-new", args=["TX"]): {"kind": "work_line", "name": "越权专线", "order": 0},
            reverse("campaigns:setup-campaign-new", args=["TX"]): {
                "name": "越权活动",
                "kind": "create",
                "status": "running",
                "start_date": "2026-01-01",
            },
        }
        for url, data in posts.items():
            assert client.post(url, data).status_code == 403, url
        assert snapshot() == before

    def test_another_district_does_not_exist(self, client, tx, td):
        client.force_login(td.admin)
        for url in pages(tx):
            assert client.get(url).status_code == 404, url
        before = snapshot()
        response = client.post(reverse("campaigns:setup-unit-new", args=["TX"]), {"name": "越界街道", "kind": "street"})
        assert response.status_code == 404 and snapshot() == before

    def test_another_districts_objects_do_not_exist_in_mine(self, client, tx, td):
        client.force_login(tx.admin)
        for url in [
            reverse("campaigns:setup-unit", args=["TX", td.community.pk]),
            reverse("campaigns:setup-unit", args=["TX", tx.unit.pk]),  # the district itself is no unit to edit
            reverse("campaigns:setup-person", args=["TX", td.staff.pk]),
            reverse("campaigns:setup-group", args=["TX", td.work_line.pk]),
            reverse("campaigns:setup-campaign", args=["TX", td.campaign.pk]),
            reverse("campaigns:setup-groups", args=["TX"]) + f"?campaign={td.campaign.pk}",
        ]:
            assert client.get(url).status_code == 404, url
        before = snapshot()
        assert client.post(reverse("campaigns:setup-unit-active", args=["TX", td.street.pk])).status_code == 404
        assert (
            client.post(
                reverse("campaigns:setup-person-role-remove", args=["TX", td.staff.pk, td.staff.memberships.get().pk])
            ).status_code
            == 404
        )
        assert snapshot() == before

    def test_people_without_a_district_find_nothing(self, client, tx):
        from campaigns.models import Duty

        security = UserFactory(username="security_admin")
        AccountProfile.objects.create(user=security, duty=Duty.SECURITY)
        client.force_login(security)
        assert client.get(reverse("campaigns:setup", args=["TX"])).status_code == 404

    def test_the_board_links_the_setup_for_admins_only(self, client, tx):
        setup = reverse("campaigns:setup", args=["TX"])
        client.force_login(tx.admin)
        assert setup in client.get(reverse("campaigns:board", args=["TX"])).content.decode()
        client.force_login(tx.supervisor)
        assert setup not in client.get(reverse("campaigns:board", args=["TX"])).content.decode()


@pytest.fixture
def fresh(city):
    """A brand-new district: the district unit and one admin, nothing else."""
    district = OrgUnit.objects.create(name="铁北区", kind=UnitKind.DISTRICT, code="TB", parent=city)
    admin = member(UserFactory(username="tb_admin", first_name="新管理员"), district, Role.ADMIN)
    return type("Fresh", (), {"unit": district, "admin": admin})


class TestOverview:
    def test_an_empty_district_is_told_where_to_start(self, client, fresh):
        client.force_login(fresh.admin)
        response = client.get(reverse("campaigns:setup", args=["TB"]))
        steps = {step.number: step for step in response.context["steps"]}
        assert [n for n, step in steps.items() if step.is_next] == [1]
        assert not any(step.done for step in steps.values())
        assert steps[3].blocked  # groups belong to a campaign
        html = response.content.decode()
        assert "先建好本区的单位" in html and "工作组属于活动：请先完成第 5 步" in html
        assert "/board/TB/points/" in html  # the points pages (another branch) by plain path
        assert "0 个街道/乡镇，0 个社区/村，0 个部门" in html

    def test_the_next_step_follows_what_exists(self, client, fresh):
        client.force_login(fresh.admin)
        url = reverse("campaigns:setup", args=["TB"])
        street = OrgUnit.objects.create(name="新街道", kind=UnitKind.STREET, parent=fresh.unit)
        assert [s.number for s in client.get(url).context["steps"] if s.is_next] == [2]
        member(UserFactory(username="tb_staff"), street, Role.STAFF)
        # Step 3 (groups) needs a campaign: the campaign comes next.
        assert [s.number for s in client.get(url).context["steps"] if s.is_next] == [5]
        campaign = Campaign.objects.create(
            district=fresh.unit, name="创卫", kind="create", status="running", start_date=timezone.localdate()
        )
        steps = client.get(url).context["steps"]
        assert [s.number for s in steps if s.is_next] == [5]  # a campaign without a checklist
        assert "下一步生成任务清单" in steps[4].todo
        ChecklistItem.objects.create(
            campaign=campaign,
            area=campaign.areas.create(code="1", name="爱国卫生组织管理"),
            code="1.1",
            requirement="建立组织",
            full_score=5,
        )
        assert [s.number for s in client.get(url).context["steps"] if s.is_next] == [3]

    def test_the_overview_costs_the_same_however_big_the_district(self, client, tx, django_assert_max_num_queries):
        client.force_login(tx.admin)
        url = reverse("campaigns:setup", args=["TX"])
        client.get(url)
        with django_assert_max_num_queries(12):
            client.get(url)
        for n in range(30):
            street = OrgUnit.objects.create(name=f"街道{n}", kind=UnitKind.STREET, parent=tx.unit)
            member(UserFactory(), street, Role.STAFF)
            WorkGroup.objects.create(campaign=tx.campaign, kind=WorkGroupKind.FINDER_GROUP, name=f"第{n}组")
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert "32 个街道/乡镇" in response.content.decode()


class TestUnits:
    def url(self, name, *args):
        return reverse(f"campaigns:{name}", args=["TX", *args])

    def test_streets_communities_and_departments_are_added(self, client, tx):
        client.force_login(tx.admin)
        response = client.post(
            self.url("setup-unit-new"),
            {
                "name": "英雄街道",
                "kind": "street",
                "contact_person": "王主任",
                "contact_phone": "0434-3261234",
                "submission": form_key(),
            },
        )
        assert response.status_code == 302
        street = OrgUnit.objects.get(name="英雄街道")
        assert (street.parent, street.district, street.street) == (tx.unit, tx.unit, street)
        response = client.post(
            self.url("setup-unit-new"),
            {"name": "迎宾社区", "kind": "community", "parent": street.pk, "again": "1", "submission": form_key()},
        )
        assert response.status_code == 302 and response["Location"].endswith(f"?parent={street.pk}")
        community = OrgUnit.objects.get(name="迎宾社区")
        assert (community.parent, community.district, community.street) == (street, tx.unit, street)
        client.post(
            self.url("setup-unit-new"),
            {"name": "区民政局", "kind": "department", "parent": street.pk, "submission": form_key()},
        )
        department = OrgUnit.objects.get(name="区民政局")
        assert department.parent == tx.unit  # a department sits under the district, whatever was picked
        html = client.get(self.url("setup-units")).content.decode()
        assert "英雄街道" in html and "迎宾社区" in html
        assert "区民政局" in client.get(self.url("setup-units") + "?show=departments").content.decode()

    def test_mistakes_are_explained_and_what_was_typed_stays(self, client, tx, td):
        client.force_login(tx.admin)
        before = snapshot()
        response = client.post(
            self.url("setup-unit-new"), {"name": "无主社区", "kind": "community", "contact_person": "李书记"}
        )
        assert response.status_code == 400
        assert "社区和村要选所属的街道或乡镇" in response.content.decode()
        assert response.context["form"]["contact_person"].value() == "李书记"
        # A street of another district is not among the choices.
        response = client.post(
            self.url("setup-unit-new"), {"name": "越界社区", "kind": "community", "parent": td.street.pk}
        )
        assert response.status_code == 400 and "parent" in response.context["form"].errors
        # The same name twice under one parent.
        response = client.post(
            self.url("setup-unit-new"), {"name": tx.street.name, "kind": "township", "submission": form_key()}
        )
        assert response.status_code == 400
        assert f"“{tx.unit.name}”下已有名为“{tx.street.name}”的单位" in response.content.decode()
        response = client.post(self.url("setup-unit-new"), {"name": "", "kind": "street", "contact_phone": "打电话"})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "name" in errors and "联系电话只能包含数字" in errors["contact_phone"][0]
        assert snapshot() == before

    def test_an_edit_keeps_the_unit_at_its_level(self, client, tx):
        client.force_login(tx.admin)
        response = client.get(self.url("setup-unit", tx.street.pk))
        assert [value for value, _label in response.context["form"].fields["kind"].choices] == ["street", "township"]
        response = client.post(self.url("setup-unit", tx.street.pk), {"name": tx.street.name, "kind": "community"})
        assert response.status_code == 400
        response = client.post(
            self.url("setup-unit", tx.street.pk), {"name": "第一街道（改）", "kind": "township", "code": "J1"}
        )
        assert response.status_code == 302
        tx.street.refresh_from_db()
        assert (tx.street.name, tx.street.kind, tx.street.code) == ("第一街道（改）", "township", "J1")

    def test_a_community_moved_to_another_street_takes_its_points(self, client, tx):
        client.force_login(tx.admin)
        response = client.post(
            self.url("setup-unit", tx.community.pk),
            {"name": tx.community.name, "kind": "community", "parent": tx.street2.pk},
        )
        assert response.status_code == 302
        tx.community.refresh_from_db()
        assert tx.community.street == tx.street2
        assert InspectionPoint.objects.get(pk=tx.point.pk).street_id == tx.street2.pk

    def test_units_are_deactivated_never_deleted(self, client, tx):
        client.force_login(tx.admin)
        url = self.url("setup-unit-active", tx.street.pk)
        response = client.post(url, {"active": "0"}, follow=True)
        assert "还有 1 个启用的社区/村" in response.content.decode()
        assert OrgUnit.objects.get(pk=tx.street.pk).is_active
        client.post(self.url("setup-unit-active", tx.community.pk), {"active": "0"})
        client.post(url, {"active": "0"})
        assert not OrgUnit.objects.get(pk=tx.street.pk).is_active
        assert OrgUnit.objects.filter(pk=tx.community.pk, is_active=False).exists()
        # The street's staff lose what the street gave them, which is why it is audited.
        events = AuditEvent.objects.filter(kind=AuditKind.SETTINGS_CHANGE, details__model="campaigns.orgunit")
        assert events.count() == 2 and {e.details["change"] for e in events} == {"deactivated"}
        inactive = client.get(self.url("setup-units") + "?show=inactive").content.decode()
        assert tx.street.name in inactive and tx.community.name in inactive
        # A community cannot come back under a street that is off.
        response = client.post(self.url("setup-unit-active", tx.community.pk), {"active": "1"}, follow=True)
        assert "请先启用它" in response.content.decode()
        client.post(url, {"active": "1"})
        client.post(self.url("setup-unit-active", tx.community.pk), {"active": "1"})
        assert OrgUnit.objects.get(pk=tx.community.pk).is_active

    def test_the_tree_is_paginated_and_costs_the_same_however_long(self, client, tx, django_assert_max_num_queries):
        client.force_login(tx.admin)
        for n in range(25):
            street = OrgUnit.objects.create(name=f"测试街道{n:02}", kind=UnitKind.STREET, parent=tx.unit)
            for m in range(3):
                OrgUnit.objects.create(name=f"测试社区{n:02}-{m}", kind=UnitKind.COMMUNITY, parent=street)
        url = self.url("setup-units")
        client.get(url)
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.context["page"].paginator.num_pages == 2
        assert "下一页" in response.content.decode()
        with django_assert_max_num_queries(10):
            response = client.get(url + "?show=streets&page=2")
        assert "测试社区24-2" in response.content.decode()
        with django_assert_max_num_queries(10):
            response = client.get(url + "?q=测试社区1")
        assert "测试社区10-0" in response.content.decode()

    def test_an_empty_district_says_what_to_add_first(self, client, fresh):
        client.force_login(fresh.admin)
        html = client.get(reverse("campaigns:setup-units", args=["TB"])).content.decode()
        assert "本区还没有单位" in html and "先添加街道和乡镇" in html and "下载导入模板" in html


class TestWorkGroups:
    def url(self, name, *args):
        return reverse(f"campaigns:{name}", args=["TX", *args])

    def test_groups_of_the_campaign_are_listed_and_added(self, client, tx):
        client.force_login(tx.admin)
        html = client.get(self.url("setup-groups")).content.decode()
        assert "城市管理专线" in html and "发现问题第一组" in html
        response = client.post(
            self.url("setup-group-new") + f"?campaign={tx.campaign.pk}",
            {
                "kind": WorkGroupKind.SUPERVISION_GROUP,
                "name": "第一督导组",
                "leader": tx.supervisor.pk,
                "members": [tx.supervisor.pk, tx.supervisor2.pk],
                "streets": [tx.street.pk],
                "schedule": "每周二、四下午",
                "order": 1,
                "submission": form_key(),
            },
        )
        assert response.status_code == 302
        group = WorkGroup.objects.get(name="第一督导组")
        assert group.campaign == tx.campaign and group.leader == tx.supervisor
        assert set(group.members.all()) == {tx.supervisor, tx.supervisor2} and list(group.streets.all()) == [tx.street]
        response = client.post(
            self.url("setup-group", group.pk),
            {"kind": WorkGroupKind.SUPERVISION_GROUP, "name": "第一督导组", "leader_name": "张局长", "order": 1},
        )
        assert response.status_code == 302
        group.refresh_from_db()
        assert group.leader is None and group.leader_display == "张局长" and group.members.count() == 0

    def test_people_and_streets_of_another_district_are_no_choice(self, client, tx, td):
        client.force_login(tx.admin)
        before = snapshot()
        for extra in ({"leader": td.supervisor.pk}, {"members": [td.staff.pk]}, {"streets": [td.street.pk]}):
            response = client.post(
                self.url("setup-group-new"),
                {"kind": "work_line", "name": "越界专线", "order": 0, "submission": form_key(), **extra},
            )
            assert response.status_code == 400, extra
            assert response.context["form"]["name"].value() == "越界专线"
        response = client.post(
            self.url("setup-group-new"),
            {"kind": "work_line", "name": "城市管理专线", "order": 0, "submission": form_key()},
        )
        assert response.status_code == 400 and "已有名为“城市管理专线”的工作组" in response.content.decode()
        assert snapshot() == before

    def test_without_a_campaign_the_page_says_to_create_one(self, client, fresh):
        client.force_login(fresh.admin)
        html = client.get(reverse("campaigns:setup-groups", args=["TB"])).content.decode()
        assert "本区还没有活动" in html and reverse("campaigns:setup-campaign-new", args=["TB"]) in html
        response = client.get(reverse("campaigns:setup-group-new", args=["TB"]))
        assert response.status_code == 302 and response["Location"] == reverse(
            "campaigns:setup-campaign-new", args=["TB"]
        )

    def test_the_list_costs_the_same_however_long(self, client, tx, django_assert_max_num_queries):
        client.force_login(tx.admin)
        url = self.url("setup-groups")
        client.get(url)
        with django_assert_max_num_queries(10):
            client.get(url)
        for n in range(20):
            group = WorkGroup.objects.create(
                campaign=tx.campaign, kind=WorkGroupKind.FINDER_GROUP, name=f"发现问题第{n + 2}组", leader=tx.staff
            )
            group.streets.add(tx.street, tx.street2)
            group.members.add(tx.staff)
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert "发现问题第21组" in response.content.decode()


class TestCampaign:
    def test_a_campaign_is_created_then_the_standard_checklist(self, client, fresh):
        client.force_login(fresh.admin)
        today = timezone.localdate()
        response = client.post(
            reverse("campaigns:setup-campaign-new", args=["TB"]),
            {
                "name": "铁北区创建国家卫生城市",
                "kind": "create",
                "status": "running",
                "start_date": today.isoformat(),
                "inspection_date": (today + datetime.timedelta(days=120)).isoformat(),
                "end_date": (today + datetime.timedelta(days=365)).isoformat(),
                "submission": form_key(),
            },
        )
        campaign = Campaign.objects.get(district=fresh.unit)
        assert response["Location"] == reverse("campaigns:setup-campaign", args=["TB", campaign.pk])
        assert AuditEvent.objects.filter(kind=AuditKind.SETTINGS_CHANGE, details__model="campaigns.campaign").exists()
        html = client.get(response["Location"]).content.decode()
        assert "下一步：生成任务清单" in html and "按国家标准生成任务清单" in html
        assert reverse("campaigns:checklist-import", args=[campaign.pk]) in html
        response = client.post(reverse("campaigns:checklist-apply-standard", args=[campaign.pk]))
        assert response.status_code == 302
        assert ChecklistItem.objects.filter(campaign=campaign).count() > 20
        assert ProblemCategory.objects.filter(campaign=campaign).exists()  # staff can log problems now
        html = client.get(reverse("campaigns:setup-campaign", args=["TB", campaign.pk])).content.decode()
        assert "查看任务清单" in html
        steps = client.get(reverse("campaigns:setup", args=["TB"])).context["steps"]
        assert steps[4].done
        # The board now has its running campaign.
        assert "铁北区创建国家卫生城市" in client.get(reverse("campaigns:board", args=["TB"])).content.decode()

    @pytest.mark.parametrize(
        "dates,field,message",
        [
            ({"end_date": "2026-01-01"}, "end_date", "结束日期不能早于开始日期。"),
            ({"inspection_date": "2026-02-01"}, "inspection_date", "迎检日期不能早于开始日期。"),
            ({"start_date": ""}, "start_date", "这个字段是必填项。"),
            ({"start_date": "三月初"}, "start_date", "输入一个有效的日期。"),
        ],
    )
    def test_dates_are_checked_with_clear_messages(self, client, fresh, dates, field, message):
        client.force_login(fresh.admin)
        data = {"name": "铁北区巩固", "kind": "consolidate", "status": "planning", "start_date": "2026-03-01", **dates}
        response = client.post(reverse("campaigns:setup-campaign-new", args=["TB"]), data)
        assert response.status_code == 400
        assert message in response.context["form"].errors[field]
        assert response.context["form"]["name"].value() == "铁北区巩固"
        assert not Campaign.objects.exists()

    def test_two_campaigns_of_one_name_would_be_confused(self, client, tx):
        client.force_login(tx.admin)
        data = {"name": tx.campaign.name, "kind": "create", "status": "running", "start_date": "2026-03-01"}
        response = client.post(reverse("campaigns:setup-campaign-new", args=["TX"]), data)
        assert response.status_code == 400 and "本区已有名为" in response.content.decode()

    def test_a_campaign_is_edited_in_place(self, client, tx):
        client.force_login(tx.admin)
        url = reverse("campaigns:setup-campaign", args=["TX", tx.campaign.pk])
        data = {
            "name": tx.campaign.name,
            "kind": "review",
            "status": "running",
            "start_date": tx.campaign.start_date.isoformat(),
            "end_date": (tx.campaign.start_date - datetime.timedelta(days=1)).isoformat(),
        }
        response = client.post(url, data)
        assert response.status_code == 400 and "结束日期不能早于开始日期" in response.content.decode()
        data["end_date"] = ""
        assert client.post(url, data).status_code == 302
        tx.campaign.refresh_from_db()
        assert tx.campaign.kind == "review"
