"""The assessment standard (测评标准): what a new campaign starts from, and the edits a city
office's admin makes to it — a 项, the sample quotas — each audited.

The standard is data: campaigns/standard_data.py reads data/sanitary_standard.json (the
standard's 方面, 条 and 项, gates, point types and sample quotas, with the sources each came
from) into the tables, and migration 0032 did so once. The problem categories a patrol logs
with are the campaign's own vocabulary, kept beside it in the same file.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction

from campaigns import standard_data
from campaigns.access import require_standard_keeper
from campaigns.models import (
    AssessmentArea,
    AuditKind,
    Campaign,
    ChecklistItem,
    PointType,
    ProblemCategory,
    SampleQuota,
    Standard,
    StandardAspect,
    StandardItem,
    StandardScope,
)
from campaigns.selectors.board import board_invalidate
from security.audit import audit_record

# The file lists problem categories without an area; this is where each is scored.
CATEGORY_AREA_CODE = {
    "垃圾暴露/散落、垃圾满溢、未日产日清": "3",
    "垃圾容器未加盖、破损、不密闭或配置不足": "3",
    "乱堆乱放（乱堆乱摆）": "3",
    "乱搭乱建": "3",
    "乱贴乱画/“牛皮癣”小广告": "3",
    "乱停乱放": "3",
    "乱扔乱倒、乱泼乱倒、乱拉乱挂（“十乱”）": "3",
    "占道经营、店外经营": "3",
    "卫生死角、保洁不到位": "3",
    "积水、易涝点、容器积水致蚊虫孳生": "8",
    "鼠迹、鼠粪、活鼠，蟑螂/蟑迹，室内有蝇": "8",
    "防鼠防蝇设施缺失或不合格（挡鼠板、防鼠网、纱门纱窗、孔洞未封堵、排风扇无网）": "8",
    "毒饵站缺失、被遮挡或投药不规范、无警示标识": "8",
    "直接入口食品“三防”（防尘、防蝇、防鼠）设施不到位": "6",
    "证照不全、未亮证经营、无卫生许可证营业": "5",
    "从业人员无有效健康合格证明、未穿戴工作衣帽口罩": "5",
    "划行归市不规范、违规活禽交易/宰杀": "3",
    "公示缺失（卫生制度、功能分区图、健康教育栏、农残检测、禁烟标识）": "3",
    "室内吸烟、禁烟标识缺失、烟头多、烟草广告": "2",
    "健康教育宣传栏缺失或未更新、创卫宣传氛围不足": "2",
    "违规饲养、放养家禽家畜": "3",
    "建筑工地未规范围挡、扬尘、建筑/生活垃圾堆积或乱倒": "3",
    "户外广告、招牌设置不规范": "3",
    "公厕脏乱、有臭味、设施缺损、旱厕、未免费开放、杂物堆放": "3",
    "河道水面漂浮物、岸坡垃圾、污水直排、下水道堵塞": "4",
    "绿化带内垃圾、绿地损毁或被占用停车": "3",
    "医疗机构预检分诊无人值守、医疗废物处置不规范": "7",
    "物品、食品添加剂存放不规范": "6",
}

# Street-level problems get days; licences and facilities take longer to put right.
CATEGORY_DEADLINE_DAYS = {"3": 3, "8": 5, "2": 7, "4": 7, "5": 10, "6": 7, "7": 10}


def load_standard() -> dict[str, Any]:
    """The file as it is: areas, items, point types, problem categories and their sources."""
    return standard_data.load_file()


def standard_default(scope: str = StandardScope.CITY) -> Standard:
    """The standard a new campaign starts from: the current one for its scope — for a city,
    the national standard, installed from the file if this database has none yet."""
    found = Standard.objects.filter(scope=scope, is_current=True).order_by("-created_at", "-id").first()
    if found is not None:
        return found
    return standard_data.install_national(apps.get_model)


def point_types_ensure() -> list[PointType]:
    """The standard's point types, created once and shared by every district."""
    return list(standard_data.ensure_point_types(apps.get_model).values())


def campaign_apply_standard(campaign: Campaign) -> dict[str, AssessmentArea]:
    """Give a campaign its standard (the default one if it has none), an assessment area for
    each of the standard's 方面 (same code and name) and the problem categories (idempotent)."""
    standard = campaign.standard
    if standard is None:
        campaign.standard = standard = standard_default()
        campaign.save(update_fields=["standard"])
    areas: dict[str, AssessmentArea] = {}
    for aspect in StandardAspect.objects.filter(standard=standard).order_by("order", "code"):
        area, _ = AssessmentArea.objects.get_or_create(
            campaign=campaign, code=aspect.code, defaults={"name": aspect.name, "order": aspect.order}
        )
        areas[area.code] = area
    fallback = next(iter(areas.values()), None)
    for order, entry in enumerate(load_standard()["problem_categories"], start=1):
        code = CATEGORY_AREA_CODE.get(entry["name"], "3")
        # A standard of other 方面 files the category under its first.
        filed_under = areas.get(code) or fallback
        if filed_under is None:
            break
        ProblemCategory.objects.get_or_create(
            campaign=campaign,
            name=entry["name"],
            defaults={
                "area": filed_under,
                "order": order,
                "default_deadline_days": CATEGORY_DEADLINE_DAYS.get(code, 3),
            },
        )
    return areas


def campaign_link_tasks(campaign: Campaign) -> int:
    """Link the campaign's unlinked tasks to their 项 (the rule: standard_data.task_items)."""
    if campaign.standard_id is None:
        return 0
    return standard_data.link_campaigns(apps.get_model, campaign.standard, [campaign.pk])


def campaign_standard_changed(campaign: Campaign) -> int:
    """A campaign moved to another standard (or none): its tasks' links to the old one's 项
    go, and they are linked to the new one's by the same rule. Returns the tasks linked."""
    ChecklistItem.objects.filter(campaign=campaign, standard_item__isnull=False).exclude(
        standard_item__article__aspect__standard_id=campaign.standard_id
    ).update(standard_item=None)
    board_invalidate(campaign.district_id)
    return campaign_link_tasks(campaign)


def standard_users_touch(standard_id: int) -> None:
    """The boards of the districts whose campaigns use this standard show its gates: stale now."""
    for district_id in set(Campaign.objects.filter(standard_id=standard_id).values_list("district_id", flat=True)):
        board_invalidate(district_id)


# --- a 项 edited by a city office's admin ---------------------------------------------------

ITEM_FIELDS = ("requirement", "method", "score", "is_gate", "category_name")


@transaction.atomic
def standard_item_save(*, item: StandardItem, actor: User, point_types: Iterable[PointType]) -> StandardItem:
    """Save a 项 as the form left it (its fields and its point types), with an audit row
    naming what changed. Only a city office's admin keeps the standard."""
    require_standard_keeper(actor)
    before = StandardItem.objects.select_for_update().select_related("article__aspect__standard").get(pk=item.pk)
    types_before = sorted(before.point_types.values_list("name", flat=True))
    chosen = list(point_types)
    types_after = sorted(point_type.name for point_type in chosen)
    changes = {
        name: [str(getattr(before, name)), str(getattr(item, name))]
        for name in ITEM_FIELDS
        if getattr(before, name) != getattr(item, name)
    }
    if types_before != types_after:
        changes["point_types"] = ["、".join(types_before), "、".join(types_after)]
    item.save(update_fields=list(ITEM_FIELDS))
    item.point_types.set(chosen)
    standard = before.article.aspect.standard
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        target=f"{standard} {item.code}"[:200],
        change="standard_item",
        fields={name: [old[:200], new[:200]] for name, (old, new) in changes.items()},
    )
    transaction.on_commit(lambda: standard_users_touch(standard.pk))
    return item


# --- sample quotas ----------------------------------------------------------------------------


@dataclass
class QuotaLine:
    """One point type's least samples by population band ({band: number or None}) and source."""

    point_type: PointType
    minimums: dict[str, int | None] = field(default_factory=dict)
    source: str = ""


@dataclass
class QuotaCounts:
    added: int = 0
    changed: int = 0
    removed: int = 0


@transaction.atomic
def sample_quotas_save(
    *, standard: Standard, actor: User, lines: Iterable[QuotaLine], how: str = "typed"
) -> QuotaCounts:
    """Set the quotas of the point types in `lines`, band by band: a number sets it, None
    removes it; point types not in `lines` keep theirs. All or nothing, audited."""
    require_standard_keeper(actor)
    Standard.objects.select_for_update().get(pk=standard.pk)  # one save of a standard's quotas at a time
    existing = {(quota.point_type_id, quota.band): quota for quota in SampleQuota.objects.filter(standard=standard)}
    counts = QuotaCounts()
    for line in lines:
        for band in standard_data.BANDS:
            minimum = line.minimums.get(band)
            quota = existing.get((line.point_type.pk, band))
            if minimum is None:
                if quota is not None:
                    quota.delete()
                    counts.removed += 1
            elif quota is None:
                SampleQuota.objects.create(
                    standard=standard, point_type=line.point_type, band=band, minimum=minimum, source=line.source
                )
                counts.added += 1
            elif (quota.minimum, quota.source) != (minimum, line.source):
                quota.minimum, quota.source = minimum, line.source
                quota.save(update_fields=["minimum", "source"])
                counts.changed += 1
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        target=f"{standard} 抽样数量"[:200],
        change="sample_quotas",
        how=how,
        added=counts.added,
        changed=counts.changed,
        removed=counts.removed,
    )
    return counts
