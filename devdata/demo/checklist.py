"""The demo campaign's task checklist: the national standard, spread over the district's units."""

import datetime
from decimal import Decimal

from django.utils import timezone

from campaigns.models import ChecklistItem, ChecklistStatus, ChecklistUpdate, ChecklistUpdateKind
from campaigns.services.checklist import checklist_apply_standard

from .places import person_name

# Which department leads each assessment area in the demo (the first that exists in the district).
AREA_LEADS = {
    "1": ["区卫健局"],
    "2": ["区卫健局", "区教育局"],
    "3": ["区执法局", "区环卫处"],
    "4": ["区环卫处", "区执法局"],
    "5": ["区市场监管局", "区卫健局"],
    "6": ["区市场监管局"],
    "7": ["区卫健局"],
    "8": ["区卫健局", "区环卫处"],
}
PROGRESS_NOTES = [
    "已制定工作方案，明确责任分工。",
    "完成辖区摸底排查，建立问题清单。",
    "组织专项整治行动，正在逐项销号。",
    "已召开推进会，部署下一阶段工作。",
    "相关佐证材料已整理归档。",
]


def build_demo_checklist(*, campaign, admin, departments, streets, liaisons, rng):
    """Create the checklist once; later runs leave what people changed alone."""
    if ChecklistItem.objects.filter(campaign=campaign).exists():
        return list(ChecklistItem.objects.filter(campaign=campaign).select_related("area"))
    checklist_apply_standard(campaign=campaign, actor=admin)
    today = timezone.localdate()
    units = list(departments.values())
    street_list = list(streets.values())
    items = list(ChecklistItem.objects.filter(campaign=campaign).select_related("area").order_by("order"))
    for item in items:
        names = AREA_LEADS.get(item.area.code, [])
        lead = next((departments[name] for name in names if name in departments), rng.choice(units))
        cooperating = rng.sample([u for u in units if u.pk != lead.pk], k=min(2, len(units) - 1))
        if rng.random() < 0.4:
            cooperating.append(rng.choice(street_list))
        item.lead_unit = lead
        item.responsible_person = person_name(rng)
        item.deadline = campaign.start_date + datetime.timedelta(days=rng.randrange(45, 160))
        roll = rng.random()
        if roll < 0.35:
            item.status, item.progress = ChecklistStatus.DONE, 100
        elif roll < 0.8:
            item.status, item.progress = ChecklistStatus.IN_PROGRESS, rng.randrange(20, 95, 5)
        elif roll < 0.9:
            item.status, item.progress = ChecklistStatus.AT_RISK, rng.randrange(10, 60, 5)
        else:
            item.status, item.progress = ChecklistStatus.NOT_STARTED, 0
        if item.status == ChecklistStatus.NOT_STARTED:
            # Nothing begun yet: give it room, so the demo's overdue tasks are the believable ones.
            item.deadline = max(item.deadline, today + datetime.timedelta(days=rng.randrange(10, 40)))
        if item.progress:
            share = Decimal(item.progress) / 100 * Decimal(str(rng.uniform(0.85, 1.0)))
            item.self_score = (item.full_score * share).quantize(Decimal("0.5"))
        item.save()
        item.cooperating_units.set(cooperating)
        if item.progress:
            actor = liaisons.get(lead.pk, admin)
            ChecklistUpdate.objects.create(
                item=item,
                kind=ChecklistUpdateKind.PROGRESS,
                actor=actor,
                at=timezone.now() - datetime.timedelta(days=rng.randrange(1, 20), hours=rng.randrange(0, 10)),
                note=rng.choice(PROGRESS_NOTES),
                changes={
                    "status": [str(ChecklistStatus.NOT_STARTED.label), str(item.get_status_display())],
                    "progress": ["0", str(item.progress)],
                },
            )
    return items
