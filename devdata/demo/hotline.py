"""铁西区's link to the 12345 hotline, and a week of 工单 it pushed, some with their 回访.

Taken in through the same verb a push uses (hotline_order_receive), so each 工单 is a ticket
handed to its street, due by the hotline's 办理时限; no 回传地址 is set (the demo sends nothing
out), so admins see where it would go in /admin/ → 12345热线对接.
"""

import datetime

from django.utils import timezone

from campaigns.models import Campaign, HotlineCategory, HotlineSettings, HotlineSource, HotlineStreet, OrgUnit, UnitKind
from campaigns.workflow.hotline import hotline_order_receive

# 诉求类型 → the start of a category's name in the demo's table (devdata/demo/problems.py).
KINDS = {"垃圾清运": "垃圾暴露", "环境卫生": "卫生死角", "占道经营": "占道经营"}
ORDERS = [
    # (days ago, hour, 诉求类型, 诉求内容, 所属街道, 地址, 回访结果)
    (6, 9, "垃圾清运", "市民反映小区门口垃圾堆放多日无人清运，气味很大。", "英雄街道办事处", "英雄路 18 号", "满意"),
    (6, 15, "占道经营", "早市商贩占道经营，散落垃圾无人清扫。", "北沟街道办事处", "北沟早市", "基本满意"),
    (5, 10, "环境卫生", "背街小巷积存建筑垃圾，长期无人清理。", "站前街道办事处", "站前小巷 3 号", "不满意"),
    (4, 11, "垃圾清运", "垃圾桶满溢，周边散落生活垃圾。", "英雄街道办事处", "英雄街道文苑社区", "满意"),
    (3, 9, "环境卫生", "楼道堆放杂物，卫生死角多。", "北沟街道办事处", "北沟社区 5 号楼", ""),
    (2, 14, "垃圾清运", "垃圾中转站周边散落垃圾，有异味。", "站前街道办事处", "站前垃圾中转站", ""),
    (1, 16, "占道经营", "学校周边流动摊贩占道，影响通行。", "英雄街道办事处", "英雄小学门口", ""),
]


def build_demo_hotline(*, log=print) -> None:
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code="TX").first()
    campaign = Campaign.objects.filter(district=district).order_by("pk").first()
    if district is None or campaign is None:
        return
    if HotlineSettings.objects.filter(district=district).exists():
        log(f"{district.name}: 已有12345热线对接，跳过。")
        return
    link = HotlineSettings.objects.create(district=district, enabled=True, campaign=campaign, default_days=5)
    categories = list(campaign.problem_categories.filter(is_active=True))
    for kind, start in KINDS.items():
        category = next((c for c in categories if c.name.startswith(start)), categories[0] if categories else None)
        if category is not None:
            HotlineCategory.objects.create(settings=link, hotline_name=kind, category=category)
    streets = OrgUnit.objects.filter(district=district, kind__in=(UnitKind.STREET, UnitKind.TOWNSHIP))
    for street in streets:
        HotlineStreet.objects.create(settings=link, hotline_name=f"{street.name}办事处", street=street)
    today = timezone.localdate()
    for n, (ago, hour, kind, content, street, address, visit) in enumerate(ORDERS, start=1):
        day = today - datetime.timedelta(days=ago)
        called = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
        hotline_order_receive(
            settings=link,
            raw={
                "order_no": f"12345-{day:%Y%m%d}-{n:04d}",
                "called_at": called.isoformat(),
                "kind": kind,
                "content": content,
                "street": street,
                "address": address,
                "time_limit_days": 5,
                "visit_result": visit,
            },
            source=HotlineSource.PUSH,
        )
    log(f"{district.name}: 12345热线对接和 {len(ORDERS)} 张热线工单。")
