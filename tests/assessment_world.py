"""A small assessment world for the stories of the 整改报告, the 迎检资料 binder and 迎检模拟:
a standard of two 方面, inspection rounds over 铁西区 (and 铁东区), their checks and findings.

Findings become tickets through workflow.finding_record and are fixed through the verbs, as
the inspectors' pages and the 问题清单 import will make them; the checks of a sampled point
are written directly (the inspectors' flow that writes them is its own part of the issue).
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    AssessmentMethod,
    CheckResult,
    InspectionPoint,
    InspectionRound,
    PhotoKind,
    PointType,
    RoundCheck,
    RoundKind,
    RoundLevel,
    RoundPoint,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
    TicketState,
)

from .factories import pending_photo

SITE, RECORDS = AssessmentMethod.SITE, AssessmentMethod.RECORDS
# (方面 code, name, order) → (条 code, text) → (项 code, requirement, method, score, gate)
STANDARD = {
    ("3", "市容环境卫生", 3): {
        ("3.1", "城市道路和背街小巷保洁"): [
            ("3.1.1", "主次干道和背街小巷路面平整，无垃圾暴露、无乱堆乱放", SITE, "4", False),
            ("3.1.2", "建立环卫保洁制度和作业台账", RECORDS, "2", False),
        ],
        ("3.2", "农贸市场规范管理"): [
            ("3.2.1", "农贸市场划行归市，环境整洁，设施完好", SITE, "3", True),
            ("3.2.2", "农贸市场卫生管理制度健全，有专人负责", RECORDS, "2", False),
        ],
    },
    ("8", "病媒生物预防控制", 8): {
        ("8.1", "病媒生物密度控制"): [
            ("8.1.1", "病媒生物防制工作方案和监测记录齐全", RECORDS, "2", False),
            ("8.1.2", "鼠、蚊、蝇、蟑螂密度达到国家标准C级要求", SITE, "5", True),
        ],
    },
}


def build_standard(name="国家卫生城市标准（测试用）", campaigns=()):
    """The standard, with `.items` by code; the campaigns given are scored on it."""
    standard = Standard.objects.create(name=name, version="2021版", source="测试数据")
    items = {}
    for (aspect_code, aspect_name, order), articles in STANDARD.items():
        aspect = StandardAspect.objects.create(standard=standard, code=aspect_code, name=aspect_name, order=order)
        for article_order, ((article_code, text), rows) in enumerate(articles.items(), start=1):
            article = StandardArticle.objects.create(aspect=aspect, code=article_code, text=text, order=article_order)
            for item_order, (code, requirement, method, score, gate) in enumerate(rows, start=1):
                items[code] = StandardItem.objects.create(
                    article=article,
                    code=code,
                    requirement=requirement,
                    method=method,
                    score=Decimal(score),
                    is_gate=gate,
                    order=item_order,
                )
    for campaign in campaigns:
        campaign.standard = standard
        campaign.save(update_fields=["standard"])
    return SimpleNamespace(standard=standard, items=items)


def city_round(districts, creator, name="市督查第 3 期", days_ago=10, **fields):
    """A 市督查 round over `districts` that ran `days_ago` days before today, its letter two days later."""
    today = timezone.localdate()
    starts = today - datetime.timedelta(days=days_ago)
    inspection_round = InspectionRound.objects.create(
        kind=fields.pop("kind", RoundKind.SUPERVISION),
        level=fields.pop("level", RoundLevel.CITY),
        name=name,
        starts_on=starts,
        ends_on=starts + datetime.timedelta(days=2),
        letter_number=fields.pop("letter_number", "四平创卫办〔2026〕9号"),
        letter_date=starts + datetime.timedelta(days=4),
        created_by=creator,
        **fields,
    )
    inspection_round.districts.add(*[d.unit for d in districts])
    return inspection_round


def found(
    d,
    inspection_round,
    *,
    item=None,
    description="农贸市场西侧垃圾桶满溢",
    photos=None,
    deadline=None,
    assign=True,
    **kwargs,
):
    """A finding of the round in d's district, handed straight to d's 执法局 (张三) as a 问题清单 row
    is (`assign=False`: left 待交办)."""
    actor = kwargs.pop("actor", d.supervisor)
    assignment = {
        "unit": kwargs.pop("unit", d.department),
        "person": "张三",
        "deadline": deadline or timezone.localdate() + datetime.timedelta(days=3),
    }
    return workflow.finding_record(
        inspection_round=inspection_round,
        actor=actor,
        campaign=d.campaign,
        category=kwargs.pop("category", d.category),
        description=description,
        point=kwargs.pop("point", d.point),
        photos=[pending_photo(actor)] if photos is None else photos,
        item=item,
        assignment=assignment if assign else None,
        **kwargs,
    )


def fixed(d, finding, note="已清理完毕，更换密闭式垃圾桶", photos=None):
    """The unit signs, fixes it with an after-photo, and the supervisor strikes it off (销号)."""
    ticket = finding.ticket
    if ticket.state == TicketState.ASSIGNED:
        ticket = workflow.ticket_sign(ticket=ticket, actor=d.supervisor, note="电话签收")
    ticket = workflow.ticket_submit_fix(
        ticket=ticket,
        actor=d.unit_liaison,
        note=note,
        photos=[pending_photo(d.unit_liaison, PhotoKind.AFTER)] if photos is None else photos,
    )
    workflow.ticket_close_out(ticket=ticket, actor=d.supervisor2, note="核验通过")
    finding.refresh_from_db()
    finding.ticket.refresh_from_db()
    return finding


def second_point(d, name="背街小巷（北二路）", street=None, point_type="背街小巷"):
    kind, _ = PointType.objects.get_or_create(name=point_type)
    community = d.community if street is None else street
    return InspectionPoint.objects.create(
        unit=community, point_type=kind, name=f"{d.unit.name}{name}", address="北二路"
    )


def checked(d, inspection_round, point, results, inspector=None, finding_items=(), photos=None):
    """Point `point` of d's district checked in the round: {项: result}. Failed 项 in
    `finding_items` become findings (tickets) the way the inspector's phone makes them, with
    the photos `photos` gives for the 项 (else a small one)."""
    inspector = inspector or d.supervisor
    now = timezone.now()
    round_point = RoundPoint.objects.create(
        inspection_round=inspection_round, point=point, district=d.unit, inspector=inspector, inspected_at=now
    )
    findings = []
    for item, result in results.items():
        check = RoundCheck.objects.create(
            round_point=round_point, item=item, result=result, checked_by=inspector, checked_at=now
        )
        if result == CheckResult.FAIL and item in finding_items:
            findings.append(
                found(
                    d,
                    inspection_round,
                    item=item,
                    point=point,
                    source_check=check,
                    description=f"{item.code} 不达标",
                    photos=(photos or {}).get(item),
                )
            )
    return round_point, findings
