"""A small standard with quotas, points to sample and rounds, for the stories of inspection rounds.

The national standard's data arrives with its own migration; these stories make the few 方面,
条 and 项 they need, with the codes of the districts' assessment areas ("3" 市容环境卫生, "8"
病媒生物预防控制) so a failed 项 finds its problem category.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from campaigns.models import (
    AssessmentMethod,
    InspectionPoint,
    InspectionRound,
    PointType,
    PopulationBand,
    RoundKind,
    RoundLevel,
    SampleQuota,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
)
from campaigns.selectors.rounds import running_campaigns
from campaigns.services.rounds import round_save

MARKET = "农贸市场"  # the District fixture's own point is one
ALLEY = "背街小巷"


def point_type(name):
    found, _ = PointType.objects.get_or_create(name=name)
    return found


class SmallStandard:
    """测试标准（2021版）: three 项 at markets (one a 必备条件), one in alleys, one on records only."""

    def __init__(self):
        market, alley = point_type(MARKET), point_type(ALLEY)
        self.standard = Standard.objects.create(
            name="国家卫生城市和国家卫生县标准（测试）", version="2021版", source="测试数据"
        )
        city_look = StandardAspect.objects.create(standard=self.standard, code="3", name="市容环境卫生", order=3)
        pests = StandardAspect.objects.create(standard=self.standard, code="8", name="病媒生物预防控制", order=8)
        organisation = StandardAspect.objects.create(standard=self.standard, code="1", name="爱国卫生组织管理", order=1)
        street_article = StandardArticle.objects.create(aspect=city_look, code="（十）", text="市容环境", order=1)
        pest_article = StandardArticle.objects.create(aspect=pests, code="（三十）", text="病媒防制", order=1)
        office_article = StandardArticle.objects.create(aspect=organisation, code="（一）", text="组织管理", order=1)
        self.bins = self._item(
            street_article, "3.1.1", "垃圾桶密闭，无满溢、无散落垃圾", [market, alley], "垃圾暴露", 1
        )
        self.clutter = self._item(street_article, "3.1.2", "无乱堆乱放", [market], "", 2)
        self.rats = self._item(pest_article, "8.1.1", "无鼠迹、防鼠设施完好", [market], "", 1, gate=True)
        self.records = self._item(office_article, "1.1.1", "爱卫会组织健全", [], "", 1, method=AssessmentMethod.RECORDS)
        SampleQuota.objects.create(standard=self.standard, point_type=market, band=PopulationBand.MEDIUM, minimum=2)
        SampleQuota.objects.create(standard=self.standard, point_type=alley, band=PopulationBand.MEDIUM, minimum=3)

    @staticmethod
    def _item(article, code, requirement, types, category, order, gate=False, method=AssessmentMethod.SITE):
        item = StandardItem.objects.create(
            article=article,
            code=code,
            requirement=requirement,
            method=method,
            score=Decimal(2),
            is_gate=gate,
            category_name=category,
            order=order,
        )
        item.point_types.set(types)
        return item

    def adopt(self, *districts):
        """The districts' campaigns assess against this standard, for a city of 50–200万."""
        for district in districts:
            district.campaign.standard = self.standard
            district.campaign.population_band = PopulationBand.MEDIUM
            district.campaign.save(update_fields=["standard", "population_band"])


def more_points(district, type_name, count, prefix):
    """`count` active points of a type in the district's community, named prefix1, prefix2 …"""
    kind = point_type(type_name)
    return [
        InspectionPoint.objects.create(
            unit=district.community,
            point_type=kind,
            name=f"{district.unit.name}{prefix}{n}",
            address=f"{prefix}{n}号",
            responsible_department=district.department,
        )
        for n in range(1, count + 1)
    ]


def make_round(districts, creator, team=(), *, standard=None, name="市督查第 3 期", level=RoundLevel.CITY, **fields):
    """A round set up the way its form saves one."""
    today = timezone.localdate()
    values = {
        "kind": RoundKind.SUPERVISION,
        "starts_on": today - datetime.timedelta(days=3),
        "ends_on": today + datetime.timedelta(days=4),
        "letter_number": "四创卫督〔2026〕3号",
        "letter_date": today - datetime.timedelta(days=1),
        "deadline_working_days": 5,
    }
    values.update(fields)
    inspection_round = InspectionRound(name=name, level=level, standard=standard, **values)
    units = [district.unit for district in districts]
    return round_save(
        inspection_round=inspection_round,
        actor=creator,
        districts=units,
        team=list(team),
        campaigns=running_campaigns(unit.pk for unit in units),
    )
