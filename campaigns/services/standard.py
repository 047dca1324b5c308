"""The national assessment standard (国家卫生城市标准) as default data for a campaign.

`data/sanitary_standard.json` is a compiled copy of the standard's areas and items, the
typical point types and problem categories, with the sources each came from.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from campaigns.models import AssessmentArea, Campaign, PointType, ProblemCategory

STANDARD_FILE = Path(__file__).resolve().parent.parent / "data" / "sanitary_standard.json"

# The standard lists problem categories without an area; this is where each is scored.
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


@lru_cache(maxsize=1)
def load_standard() -> dict[str, Any]:
    with STANDARD_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def point_types_ensure() -> list[PointType]:
    """The standard's point types, created once and shared by every district."""
    types: list[PointType] = []
    for order, entry in enumerate(load_standard()["point_types"], start=1):
        point_type, _ = PointType.objects.get_or_create(
            name=entry["name"], defaults={"notes": entry.get("notes", ""), "order": order}
        )
        types.append(point_type)
    return types


def campaign_apply_standard(campaign: Campaign) -> dict[str, AssessmentArea]:
    """Give a campaign the standard's assessment areas and problem categories (idempotent)."""
    standard = load_standard()
    areas: dict[str, AssessmentArea] = {}
    for order, entry in enumerate(standard["categories"], start=1):
        area, _ = AssessmentArea.objects.get_or_create(
            campaign=campaign, code=entry["code"], defaults={"name": entry["name"], "order": order}
        )
        areas[area.code] = area
    for order, entry in enumerate(standard["problem_categories"], start=1):
        code = CATEGORY_AREA_CODE.get(entry["name"], "3")
        ProblemCategory.objects.get_or_create(
            campaign=campaign,
            name=entry["name"],
            defaults={
                "area": areas[code],
                "order": order,
                "default_deadline_days": CATEGORY_DEADLINE_DAYS.get(code, 3),
            },
        )
    return areas
