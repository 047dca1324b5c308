"""测评标准 as versioned data: the national standard the migration installs, what campaigns take
from it, and the pages where 四平市's admin (city_admin) keeps it and everyone else reads it.

铁西区's supervisor and admin read the standard but may not change it; its leader reads it too.
"""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from campaigns import standard_data
from campaigns.models import (
    AuditEvent,
    AuditKind,
    ChecklistItem,
    Duty,
    PointType,
    PopulationBand,
    SampleQuota,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
)
from campaigns.services.checklist import checklist_apply_standard
from campaigns.services.standard import standard_default

from .factories import form_key
from .test_accounts import duty_holder
from .test_checklist_import import confirm as checklist_confirm
from .test_checklist_import import good_rows as checklist_rows
from .test_checklist_import import upload as checklist_upload
from .test_checklist_import import workbook_bytes as checklist_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(db):
    """The national standard: the migration installed it (a flushed database gets it from the file)."""
    return standard_default()


def item(standard, code):
    return StandardItem.objects.get(article__aspect__standard=standard, code=code)


def small_standard(version="2025版"):
    """A second standard, of one 方面, to move a campaign to."""
    rows = [
        standard_data.ItemRow("3", "市容环境卫生", "3.1", "道路整洁", "3.1.1", "道路整洁无垃圾"),
        standard_data.ItemRow("8", "病媒生物预防控制", "8.2", "防鼠设施", "8.2.1", "防鼠设施合格", is_gate=True),
    ]
    meta = standard_data.StandardMeta("本市创卫考评细则", version, "city")
    return standard_data.write_standard(apps.get_model, meta, rows, is_current=False)


class TestTheNationalStandard:
    def test_the_migration_installed_it_with_its_gates_and_quotas(self, national):
        meta = standard_data.national_meta()
        assert (national.name, national.version, national.issued_by) == (meta.name, "2021版", "全爱卫发〔2021〕6号")
        assert national.is_current and "2014版" in national.source  # where the text came from, in the data
        assert StandardAspect.objects.filter(standard=national).count() == 8
        assert StandardArticle.objects.filter(aspect__standard=national).count() == 41
        items = StandardItem.objects.filter(article__aspect__standard=national)
        assert items.count() == 86  # each 条 split at "；" into its 项
        gates = set(items.filter(is_gate=True).values_list("code", flat=True))
        assert len(gates) == 13
        assert {"1.4.2", "6.1.1", "8.1.3", "8.2.2"} <= gates
        satisfaction = item(national, "1.4.2")
        assert (satisfaction.requirement, satisfaction.method) == ("群众对卫生状况满意率≥90%", "survey")
        assert item(national, "1.1.1").method == "records" and item(national, "3.1.3").method == "site"

    def test_site_items_know_their_point_types_and_problem_category(self, national):
        litter = item(national, "3.1.3")  # 无乱搭乱建、乱堆乱摆 …
        names = set(litter.point_types.values_list("name", flat=True))
        assert {"主次干道", "背街小巷", "老旧小区、居民小区"} <= names
        assert litter.category_name == "乱堆乱放（乱堆乱摆）"
        assert set(item(national, "5.3.1").point_types.values_list("name", flat=True)) == {"学校、托幼机构"}
        assert not item(national, "1.1.1").point_types.exists()  # read in the binder, at no point

    def test_sample_quotas_by_population_band_cite_their_source(self, national):
        road = PointType.objects.get(name="主次干道")
        quotas = dict(SampleQuota.objects.filter(standard=national, point_type=road).values_list("band", "minimum"))
        assert quotas == {PopulationBand.SMALL: 8, PopulationBand.MEDIUM: 12, PopulationBand.LARGE: 15}
        assert SampleQuota.objects.filter(standard=national).count() == 21
        assert not SampleQuota.objects.filter(standard=national, source="").exists()

    def test_every_gate_and_category_in_the_file_lands_on_one_item(self):
        data = standard_data.load_file()
        rows = standard_data.national_rows(data)
        assert sum(row.is_gate for row in rows) == len(data["gates"])
        assert all(gate["source"] for gate in data["gates"])
        named = {row.category_name for row in rows if row.category_name}
        assert named <= {entry["name"] for entry in data["problem_categories"]}

    def test_the_migration_links_a_live_districts_campaign_and_tasks(self, tx):
        """As on a ledger in use: 铁西区's campaign and tasks exist before the standard does."""
        Standard.objects.all().delete()

        def task(code, area):
            return ChecklistItem.objects.create(campaign=tx.campaign, area=area, code=code, requirement=code)

        roads, rats, own, none, elsewhere = (
            task("3.1", tx.area),  # a 条 without a gate: its first 项
            task("8.2", tx.area2),  # a 条 with a gate: the gate
            task("3.1.5", tx.area),  # coded like a 项: that 项
            task("3.99", tx.area),  # no such 条
            task("8.1", tx.area),  # 8.1 is no 条 of 市容环境卫生 (area 3)
        )
        migration = importlib.import_module("campaigns.migrations.0032_standard_national")
        migration.install(apps, None)
        migration.install(apps, None)  # run again: nothing doubles
        national = Standard.objects.get()
        tx.campaign.refresh_from_db()
        assert tx.campaign.standard == national
        linked = {
            task.code: task.standard_item.code if task.standard_item else None
            for task in ChecklistItem.objects.filter(pk__in=[t.pk for t in (roads, rats, own, none, elsewhere)])
        }
        assert linked == {"3.1": "3.1.1", "8.2": "8.2.2", "3.1.5": "3.1.5", "3.99": None, "8.1": None}


class TestCampaigns:
    def test_a_new_checklist_comes_from_the_campaigns_standard_linked_to_its_items(self, tx, national):
        assert checklist_apply_standard(campaign=tx.campaign, actor=tx.admin) == 41
        tx.campaign.refresh_from_db()
        assert tx.campaign.standard == national
        tasks = {task.code: task for task in ChecklistItem.objects.filter(campaign=tx.campaign)}
        assert tasks["8.2"].standard_item.code == "8.2.2"
        assert tasks["1.4"].standard_item.code == "1.4.2" and tasks["1.4"].area.code == "1"
        assert sum(task.full_score for task in tasks.values()) == Decimal("100")
        assert all(task.standard_item_id for task in tasks.values())

    def test_an_imported_checklist_is_linked_to_the_campaigns_standard(self, client, tx, national):
        tx.campaign.standard = national
        tx.campaign.save(update_fields=["standard"])
        client.force_login(tx.admin)
        record = checklist_upload(client, tx, checklist_workbook(checklist_rows(tx))).context["record"]
        checklist_confirm(client, tx, record)
        links = dict(ChecklistItem.objects.filter(campaign=tx.campaign).values_list("code", "standard_item__code"))
        assert links == {"3.1": "3.1.1", "8.1": "8.1.3", "8.2": "8.2.2"}

    def test_the_admin_chooses_the_standard_and_the_citys_population_band(self, client, tx, national):
        checklist_apply_standard(campaign=tx.campaign, actor=tx.admin)
        local = small_standard()
        client.force_login(tx.admin)
        url = reverse("campaigns:setup-campaign", args=["TX", tx.campaign.pk])
        page = client.get(url)
        assert "城市人口规模" in page.content.decode() and "本市创卫考评细则" in page.content.decode()
        data = {
            "name": tx.campaign.name,
            "kind": tx.campaign.kind,
            "status": tx.campaign.status,
            "start_date": tx.campaign.start_date.isoformat(),
            "standard": local.pk,
            "population_band": PopulationBand.MEDIUM,
        }
        assert client.post(url, data).status_code == 302
        tx.campaign.refresh_from_db()
        assert (tx.campaign.standard, tx.campaign.population_band) == (local, "50to200")
        # Its tasks follow it: 8.2 now points at the local standard's gate, 3.1 at its 项, 1.4 nowhere.
        links = dict(ChecklistItem.objects.filter(campaign=tx.campaign).values_list("code", "standard_item"))
        assert links["8.2"] == item(local, "8.2.1").pk and links["3.1"] == item(local, "3.1.1").pk
        assert links["1.4"] is None

    def test_a_new_campaign_form_offers_the_current_standard(self, client, tx, national):
        client.force_login(tx.admin)
        form = client.get(reverse("campaigns:setup-campaign-new", args=["TX"])).context["form"]
        assert form.initial["standard"] == national.pk
        response = client.post(
            reverse("campaigns:setup-campaign-new", args=["TX"]),
            {
                "name": "2027 年复审迎检",
                "kind": "review",
                "status": "running",
                "start_date": "2027-01-04",
                "standard": national.pk,
                "population_band": "gt200",
                "submission": form_key(),
            },
        )
        assert response.status_code == 302
        made = tx.unit.campaigns.get(name="2027 年复审迎检")
        assert (made.standard, made.population_band) == (national, "gt200")


class TestPages:
    def test_the_leader_reads_the_tree_with_gates_and_totals(self, client, tx, national):
        client.force_login(tx.leader)
        response = client.get(reverse("campaigns:standard", args=[national.pk]))
        text = response.content.decode()
        assert response.status_code == 200
        tree = response.context["tree"]
        assert [node.aspect.code for node in tree.aspects] == [str(n) for n in range(1, 9)]
        vectors = tree.aspects[7]
        assert (vectors.items, vectors.gates) == (5, 2)
        assert "必备条件" in text and "群众对卫生状况满意率≥90%" in text and "问卷调查" in text
        assert reverse("campaigns:standard-item-edit", args=[item(national, "1.4.2").pk]) not in text
        assert client.get(reverse("campaigns:standards")).status_code == 200

    @pytest.mark.parametrize("who", ["supervisor", "admin", "leader"])
    def test_a_district_may_not_change_the_standard(self, client, tx, national, who):
        client.force_login(getattr(tx, who))
        gate = item(national, "8.2.2")
        url = reverse("campaigns:standard-item-edit", args=[gate.pk])
        assert client.get(url).status_code == 403
        post = {"requirement": "改掉", "method": "site", "score": "1", "category_name": ""}
        assert client.post(url, post).status_code == 403
        assert client.get(reverse("campaigns:standard-import", args=[national.pk])).status_code == 403
        assert client.post(reverse("campaigns:sample-quotas-save", args=[national.pk]), {}).status_code == 403
        gate.refresh_from_db()
        assert gate.is_gate and gate.requirement.startswith("重点行业")

    def test_the_city_admin_edits_an_item_and_it_is_audited(self, client, tx, city_admin, national):
        client.force_login(city_admin)
        clean = item(national, "3.1.4")  # 及时保洁
        url = reverse("campaigns:standard-item-edit", args=[clean.pk])
        assert client.get(url).status_code == 200
        road = PointType.objects.get(name="主次干道")
        data = {
            "requirement": "主次干道及时保洁，无垃圾积存",
            "method": "site",
            "score": "2.5",
            "is_gate": "on",
            "point_types": [road.pk],
            "category_name": "卫生死角、保洁不到位",
        }
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].endswith(f"#item-{clean.pk}")
        clean.refresh_from_db()
        assert (clean.requirement, clean.score, clean.is_gate) == ("主次干道及时保洁，无垃圾积存", Decimal("2.5"), True)
        assert list(clean.point_types.all()) == [road]
        event = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, user=city_admin)
        assert event.target.endswith("3.1.4") and set(event.details["fields"]) >= {"requirement", "is_gate"}

    def test_a_bad_item_keeps_what_was_typed(self, client, city_admin, national):
        client.force_login(city_admin)
        clean = item(national, "3.1.4")
        url = reverse("campaigns:standard-item-edit", args=[clean.pk])
        response = client.post(url, {"requirement": "新的要求", "method": "guess", "score": "-1"})
        assert response.status_code == 400
        text = response.content.decode()
        assert "新的要求" in text and "分值不能为负数" in text
        clean.refresh_from_db()
        assert clean.requirement == "及时保洁"

    def test_people_without_a_district_may_not_read_it(self, client, national):
        client.force_login(duty_holder("anquan", Duty.SECURITY))
        assert client.get(reverse("campaigns:standard", args=[national.pk])).status_code == 403
        assert client.get(reverse("campaigns:sample-quotas", args=[national.pk])).status_code == 403


class TestSampleQuotaPage:
    def quota_post(self, form, **changes):
        data = {name: ("" if field.initial is None else field.initial) for name, field in form.fields.items()}
        data.update(changes)
        return data

    def test_the_city_admin_saves_the_table_and_the_leader_reads_it(self, client, tx, city_admin, national):
        client.force_login(city_admin)
        url = reverse("campaigns:sample-quotas", args=[national.pk])
        form = client.get(url).context["form"]
        road = PointType.objects.get(name="主次干道")
        toilets = PointType.objects.get(name="公共厕所")
        data = self.quota_post(
            form, **{f"q_{road.pk}_gt200": "16", f"s_{road.pk}": "本市细则", f"q_{toilets.pk}_lt50": ""}
        )
        response = client.post(reverse("campaigns:sample-quotas-save", args=[national.pk]), data)
        assert response.status_code == 302
        assert SampleQuota.objects.get(standard=national, point_type=road, band="gt200").minimum == 16
        assert not SampleQuota.objects.filter(standard=national, point_type=toilets, band="lt50").exists()
        assert AuditEvent.objects.filter(kind=AuditKind.SETTINGS_CHANGE, details__change="sample_quotas").exists()
        client.force_login(tx.leader)
        page = client.get(url)
        assert page.context["form"] is None and "16" in page.content.decode()

    def test_a_bad_number_saves_nothing_and_keeps_the_table(self, client, city_admin, national):
        client.force_login(city_admin)
        form = client.get(reverse("campaigns:sample-quotas", args=[national.pk])).context["form"]
        road = PointType.objects.get(name="主次干道")
        data = self.quota_post(form, **{f"q_{road.pk}_lt50": "九", f"q_{road.pk}_gt200": "20"})
        response = client.post(reverse("campaigns:sample-quotas-save", args=[national.pk]), data)
        assert response.status_code == 400
        assert "请填整数" in response.content.decode() and 'value="20"' in response.content.decode()
        assert SampleQuota.objects.get(standard=national, point_type=road, band="gt200").minimum == 15

    def test_a_post_without_the_table_clears_nothing(self, client, city_admin, national):
        client.force_login(city_admin)
        response = client.post(reverse("campaigns:sample-quotas-save", args=[national.pk]), {})
        assert response.status_code == 400
        assert SampleQuota.objects.filter(standard=national).count() == 21
