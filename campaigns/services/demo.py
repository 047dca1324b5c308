"""The demo: 四平市 with 铁西区 (TX) as the newspapers describe it, and 铁东区 (TD) beside it.

Idempotent: units, people, groups and points are matched by name; tickets are generated
only for a district that has none yet. History (weeks of past events) is written the way
the workflow would have written it, so every ticket's state matches its timeline.
"""

import datetime
import io
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    InspectionPoint,
    Membership,
    OrgUnit,
    PhotoKind,
    ProblemCategory,
    Role,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.services.ledger_numbers import ledger_number_next
from campaigns.services.standard import campaign_apply_standard, point_types_ensure

DEMO_PASSWORD = "Demo@2026"
CITY = ("四平市", "SP")

TX_STREETS = {
    "英雄街道": ["英雄社区", "北铁社区", "文苑社区", "南沟社区", "铁西社区", "红光社区", "学府社区", "站北社区"],
    "北沟街道": ["北沟社区", "园北社区", "东煤社区", "西园社区", "北山社区", "丰收社区", "光明社区", "幸福社区"],
    "站前街道": ["迎宾社区", "站前社区", "南站社区", "西站社区", "兴业社区", "中心社区", "新华社区", "胜利社区"],
    "仁兴街道": ["海丰园社区", "仁兴社区", "民主社区", "和平社区", "建设社区", "长青社区", "阳光社区", "春城社区"],
    "地直街道": ["地直社区", "振兴社区", "康宁社区", "育才社区", "安居社区", "福康社区", "新村社区"],
    "平西乡": [],
}
TX_VILLAGES = [
    "平西村",
    "英雄村",
    "红旗村",
    "五一村",
    "群英村",
    "西湖村",
    "石门村",
    "新立村",
    "前进村",
    "农丰村",
    "永红村",
    "长发村",
    "兴隆村",
    "东风村",
    "太平村",
    "三道林子村",
    "小城子村",
    "马家村",
    "李家村",
    "张家村",
]
TX_DEPARTMENTS = [
    "区卫健局",
    "区执法局",
    "区民政局",
    "区环卫处",
    "区政务服务局",
    "区农业农村局",
    "区教育局",
    "区市场监管局",
]
WORK_LINES = [
    "城市管理",
    "住房建设",
    "集贸市场",
    "环境保护",
    "医疗卫生",
    "食品安全",
    "交通秩序",
    "公交站亭/车辆/出租车",
]

TD_STREETS = {
    "解放街道": ["解放社区", "北门社区", "平安社区"],
    "北门街道": ["北门东社区", "铁东社区", "兴华社区"],
    "七马路街道": ["七马路社区", "华南社区", "东方社区"],
    "黄土坑街道": ["黄土坑社区", "河东社区"],
    "平东街道": ["平东社区", "新城社区"],
}
TD_DEPARTMENTS = ["区卫健局", "区执法局", "区环卫处", "区市场监管局", "区教育局"]

# (street, point type prefix, name, address, responsible department)
TX_POINTS = [
    ("英雄街道", "农贸市场", "英雄农贸市场", "英雄大街与南五马路交会", "区市场监管局"),
    ("英雄街道", "背街小巷", "英雄街三委胡同", "英雄大街西侧", "区执法局"),
    ("英雄街道", "学校", "铁西区第一实验小学周边", "英雄大街120号", "区教育局"),
    ("英雄街道", "老旧小区", "北铁小区", "北铁社区内", "区执法局"),
    ("英雄街道", "公共厕所", "英雄广场公厕", "英雄广场东侧", "区环卫处"),
    ("英雄街道", "“九小”场所", "英雄街小餐饮一条街", "南五马路", "区市场监管局"),
    ("英雄街道", "主次干道", "英雄大街", "英雄大街全线", "区环卫处"),
    ("英雄街道", "垃圾中转站", "英雄垃圾中转站", "英雄大街北段", "区环卫处"),
    ("北沟街道", "农贸市场", "北沟农贸市场", "北沟路中段", "区市场监管局"),
    ("北沟街道", "背街小巷", "北沟后街", "北沟社区", "区执法局"),
    ("北沟街道", "建筑工地", "园北棚改工地", "园北社区北侧", "区执法局"),
    ("北沟街道", "老旧小区", "东煤小区", "东煤社区", "区执法局"),
    ("北沟街道", "医疗机构", "北沟社区卫生服务中心", "北沟路88号", "区卫健局"),
    ("北沟街道", "城中村", "北山城乡结合部", "北山社区外围", "区农业农村局"),
    ("北沟街道", "公园", "北沟游园", "北沟路南侧", "区环卫处"),
    ("站前街道", "车站", "四平站站前广场", "站前街道", "区执法局"),
    ("站前街道", "主次干道", "站前大街", "站前大街全线", "区环卫处"),
    ("站前街道", "住宿场所", "迎宾宾馆", "迎宾社区", "区卫健局"),
    ("站前街道", "餐饮店", "站前小吃街", "南站社区", "区市场监管局"),
    ("站前街道", "商场", "站前购物中心", "站前大街1号", "区市场监管局"),
    ("站前街道", "背街小巷", "迎宾胡同", "迎宾社区", "区执法局"),
    ("站前街道", "公共厕所", "站前广场公厕", "站前广场西侧", "区环卫处"),
    ("仁兴街道", "农贸市场", "仁兴农贸市场", "仁兴大路", "区市场监管局"),
    ("仁兴街道", "老旧小区", "海丰园小区", "海丰园社区", "区民政局"),
    ("仁兴街道", "学校", "仁兴中学周边", "仁兴大路66号", "区教育局"),
    ("仁兴街道", "“四小", "仁兴理发美容一条街", "民主社区", "区卫健局"),
    ("仁兴街道", "河道", "条子河仁兴段", "条子河沿岸", "区环卫处"),
    ("仁兴街道", "机关", "区政务服务中心", "仁兴大路8号", "区政务服务局"),
    ("地直街道", "背街小巷", "地直后身胡同", "地直社区", "区执法局"),
    ("地直街道", "单位食堂", "区直机关食堂", "地直社区", "区市场监管局"),
    ("地直街道", "医疗机构", "铁西区中心医院", "康宁社区", "区卫健局"),
    ("地直街道", "废品收购站", "振兴废品收购站", "振兴社区", "区执法局"),
    ("地直街道", "公园", "地直健身广场", "地直社区", "区环卫处"),
    ("地直街道", "建筑工地", "育才小区改造工地", "育才社区", "区执法局"),
    ("平西乡", "城中村", "平西村屯环境", "平西村", "区农业农村局"),
    ("平西乡", "农贸市场", "平西集贸市场", "平西乡政府东", "区市场监管局"),
    ("平西乡", "垃圾中转站", "平西垃圾收集点", "红旗村", "区环卫处"),
    ("平西乡", "学校", "平西乡中心学校周边", "平西村", "区教育局"),
    ("平西乡", "公共厕所", "平西集市公厕", "平西集贸市场内", "区环卫处"),
    ("平西乡", "河道", "条子河平西段", "五一村", "区环卫处"),
]
TD_POINTS = [
    ("解放街道", "农贸市场", "解放农贸市场", "解放大路", "区市场监管局"),
    ("解放街道", "背街小巷", "解放后街", "平安社区", "区执法局"),
    ("北门街道", "主次干道", "北门大街", "北门大街全线", "区环卫处"),
    ("北门街道", "学校", "铁东区实验小学周边", "兴华社区", "区教育局"),
    ("七马路街道", "餐饮店", "七马路小吃街", "七马路社区", "区市场监管局"),
    ("七马路街道", "老旧小区", "华南小区", "华南社区", "区执法局"),
    ("黄土坑街道", "建筑工地", "河东棚改工地", "河东社区", "区执法局"),
    ("黄土坑街道", "公共厕所", "黄土坑公厕", "黄土坑社区", "区环卫处"),
    ("平东街道", "医疗机构", "平东社区卫生服务中心", "平东社区", "区卫健局"),
    ("平东街道", "公园", "平东游园", "新城社区", "区环卫处"),
]

DESCRIPTIONS = {
    "3": [
        "路边垃圾桶满溢，周边散落生活垃圾未及时清运",
        "楼道口堆放废旧家具和纸箱，影响通行",
        "墙面张贴大量“牛皮癣”小广告",
        "商户占道经营，货物摆到人行道上",
        "背街小巷有卫生死角，积存建筑垃圾",
        "工地围挡破损，渣土未覆盖有扬尘",
        "公厕有异味，洗手池水龙头损坏",
        "非机动车乱停乱放，堵塞消防通道",
        "沿街门头招牌破损、设置不规范",
        "绿化带内有垃圾，部分绿地被占用停车",
    ],
    "8": [
        "餐饮店后厨未安装挡鼠板，下水口无防鼠网",
        "小区毒饵站缺失，墙角发现鼠迹",
        "废旧轮胎和容器积水，有蚊虫孳生",
        "排风扇未加装防蝇网",
    ],
    "2": ["市场内未张贴禁烟标识，有人室内吸烟", "健康教育宣传栏内容未更新"],
    "4": ["河道水面有漂浮垃圾，岸坡有生活垃圾", "发现污水直排河道"],
    "5": ["理发店未亮证经营，卫生许可证过期", "从业人员无有效健康证明"],
    "6": ["熟食摊位未设防蝇防尘设施", "食品添加剂未专柜存放"],
    "7": ["预检分诊台无人值守", "医疗废物暂存点未上锁、标识不全"],
}
FIX_NOTES = [
    "已组织人员清理完毕，安排专人每日巡查。",
    "已联系商户整改到位，并签订门前三包责任书。",
    "已拆除并恢复原貌，加强日常管控。",
    "已加装防鼠设施，经检查符合要求。",
    "已完成清运，垃圾桶增加清运频次。",
]
RETURN_REASONS = [
    "整改后照片看不清，现场仍有残留垃圾。",
    "仅做了表面清理，源头问题未解决。",
    "防鼠网规格不符合要求，请重新安装。",
]
REOPEN_REASONS = ["复查发现问题反弹，又有垃圾堆放。", "暗访再次发现同样问题。"]
VOID_REASONS = ["经核实不属于本区管辖范围。", "与已登记问题重复。", "现场核实不存在该问题。"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文博",
    "雪",
    "晓楠",
    "鑫",
    "英博",
]


@dataclass
class DistrictSpec:
    name: str
    code: str
    streets: dict
    villages: list
    departments: list
    points: list
    campaign_name: str
    campaign_kind: str
    ticket_count: int
    users: list  # (username, full name, unit name or None for district, role, finder group index)
    finder_groups: int = 6
    extra: dict = field(default_factory=dict)


def _specs():
    return [
        DistrictSpec(
            name="铁西区",
            code="TX",
            streets=TX_STREETS,
            villages=TX_VILLAGES,
            departments=TX_DEPARTMENTS,
            points=TX_POINTS,
            campaign_name="铁西区全面巩固国家卫生城市成果攻坚行动",
            campaign_kind=CampaignKind.CONSOLIDATE,
            ticket_count=300,
            users=[
                ("tx_staff", "付雪", "英雄街道", Role.STAFF, 0),
                ("tx_unit", "南禹帆", "区执法局", Role.STAFF, None),
                ("tx_supervisor", "孙晓楠", None, Role.SUPERVISOR, None),
                ("tx_admin", "金鑫", None, Role.ADMIN, None),
                ("tx_leader", "聂英博", None, Role.LEADER, None),
            ],
        ),
        DistrictSpec(
            name="铁东区",
            code="TD",
            streets=TD_STREETS,
            villages=[],
            departments=TD_DEPARTMENTS,
            points=TD_POINTS,
            campaign_name="铁东区巩固国家卫生城市专项整治行动",
            campaign_kind=CampaignKind.CONSOLIDATE,
            ticket_count=110,
            users=[
                ("td_staff", "王丽", "解放街道", Role.STAFF, 0),
                ("td_supervisor", "赵刚", None, Role.SUPERVISOR, None),
                ("td_admin", "钱敏", None, Role.ADMIN, None),
            ],
            finder_groups=3,
        ),
    ]


def _unit(name, kind, parent, code="", order=0):
    unit = OrgUnit.objects.filter(parent=parent, name=name).first()
    if unit is None:
        unit = OrgUnit(name=name, kind=kind, parent=parent, code=code, order=order)
        unit.full_clean()
        unit.save()
    return unit


def _user(username, full_name, password_hash, is_staff=False):
    # Admins set up their district in the (district-scoped) Django admin too.
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=username, defaults={"first_name": full_name, "password": password_hash, "is_staff": is_staff}
    )
    return user


def _member(user, unit, role, phone=""):
    Membership.objects.get_or_create(user=user, unit=unit, role=role, defaults={"phone": phone})


def _phone(rng):
    return "13" + "".join(str(rng.randrange(10)) for _ in range(9))


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


class PhotoBank:
    """A few small generated pictures, stored once and shared by every demo ticket."""

    def __init__(self, rng):
        self.rng = rng
        self._bank = {PhotoKind.BEFORE: [], PhotoKind.AFTER: []}

    def _make(self, kind, index):
        palette = {
            PhotoKind.BEFORE: [(120, 98, 80), (96, 104, 90), (130, 110, 72)],
            PhotoKind.AFTER: [(92, 150, 110), (80, 140, 150), (120, 160, 100)],
        }
        base = palette[kind][index % 3]
        image = Image.new("RGB", (640, 480), base)
        draw = ImageDraw.Draw(image)
        for _ in range(14):
            x, y = self.rng.randrange(640), self.rng.randrange(480)
            w, h = self.rng.randrange(30, 180), self.rng.randrange(20, 120)
            shade = tuple(max(0, min(255, c + self.rng.randrange(-50, 50))) for c in base)
            draw.rectangle([x, y, x + w, y + h], fill=shade)
        draw.rectangle([0, 420, 640, 480], fill=(30, 30, 30))
        draw.text((16, 440), f"DEMO {kind.upper()} {index + 1}", fill=(255, 255, 255))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        full = default_storage.save(f"photos/demo/{kind}-{index + 1}.jpg", ContentFile(out.getvalue()))
        image.thumbnail((320, 320))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        thumb = default_storage.save(f"thumbs/demo/{kind}-{index + 1}.jpg", ContentFile(out.getvalue()))
        return full, thumb, len(out.getvalue())

    def pick(self, kind):
        if not self._bank[kind]:
            self._bank[kind] = [self._make(kind, i) for i in range(3)]
        return self.rng.choice(self._bank[kind])


class HistoryWriter:
    """Writes a ticket's past as the workflow would have: state, fields and events agree."""

    def __init__(self, ticket, photos):
        self.ticket = ticket
        self.photos = photos

    def event(self, action, actor, at, to_state, note="", details=None, photo_kind=None):
        event = TicketEvent.objects.create(
            ticket=self.ticket,
            action=action,
            actor=actor,
            at=at,
            from_state=self.ticket.state if action != TicketAction.LOG else "",
            to_state=to_state,
            note=note,
            details=details or {},
        )
        self.ticket.state = to_state
        if photo_kind:
            full, thumb, size = self.photos.pick(photo_kind)
            TicketPhoto.objects.create(
                ticket=self.ticket,
                event=event,
                kind=photo_kind,
                image=full,
                thumbnail=thumb,
                width=640,
                height=480,
                size=size,
                content_type="image/jpeg",
                original_name="demo.jpg",
                uploaded_by=actor,
                uploaded_at=at,
            )
        return event


def _build_district(spec, city, rng, password, photos, log):
    district = _unit(spec.name, UnitKind.DISTRICT, city, code=spec.code)
    streets, communities = {}, []
    for order, (street_name, community_names) in enumerate(spec.streets.items(), start=1):
        kind = UnitKind.TOWNSHIP if street_name.endswith("乡") or street_name.endswith("镇") else UnitKind.STREET
        street = _unit(street_name, kind, district, order=order)
        streets[street_name] = street
        for c_order, name in enumerate(community_names, start=1):
            communities.append(_unit(name, UnitKind.COMMUNITY, street, order=c_order))
    township = next((s for s in streets.values() if s.kind == UnitKind.TOWNSHIP), None)
    for v_order, name in enumerate(spec.villages, start=1):
        communities.append(_unit(name, UnitKind.VILLAGE, township, order=v_order))
    departments = {
        name: _unit(name, UnitKind.DEPARTMENT, district, order=order) for order, name in enumerate(spec.departments, 1)
    }

    today = timezone.localdate()
    campaign = Campaign.objects.filter(district=district, name=spec.campaign_name).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            district=district,
            name=spec.campaign_name,
            kind=spec.campaign_kind,
            status=CampaignStatus.RUNNING,
            start_date=today - datetime.timedelta(days=90),
            inspection_date=today + datetime.timedelta(days=45),
            end_date=today + datetime.timedelta(days=120),
        )
    campaign_apply_standard(campaign)

    # People: the named demo logins, then one liaison account for every street and department.
    users = {}
    for username, full_name, unit_name, role, _group in spec.users:
        unit = district if unit_name is None else (streets.get(unit_name) or departments.get(unit_name))
        user = _user(username, full_name, password, is_staff=role == Role.ADMIN)
        _member(user, unit, role, _phone(rng))
        users[username] = user
    liaisons = {}
    prefix = spec.code.lower()
    for index, unit in enumerate([*streets.values(), *departments.values()], start=1):
        user = _user(f"{prefix}_u{index:02d}", _name(rng), password)
        _member(user, unit, Role.STAFF, _phone(rng))
        liaisons[unit.pk] = user
    finders = []
    for index in range(1, spec.finder_groups * 2 + 1):
        user = _user(f"{prefix}_finder{index:02d}", _name(rng), password)
        street = list(streets.values())[(index - 1) % len(streets)]
        _member(user, street, Role.STAFF, _phone(rng))
        finders.append(user)

    # Work groups: leading group, task force, the work lines, finder groups, supervision group.
    supervisor = next(u for name, u in users.items() if name.endswith("_supervisor"))
    admin = next(u for name, u in users.items() if name.endswith("_admin"))
    groups = [(WorkGroupKind.LEADING_GROUP, f"{spec.name}创卫工作领导小组", admin, [])]
    groups.append((WorkGroupKind.TASK_FORCE, f"{spec.name}创卫专班", admin, []))
    groups += [(WorkGroupKind.WORK_LINE, f"{line}专线", None, []) for line in WORK_LINES]
    finder_groups = []
    street_list = list(streets.values())
    for index in range(spec.finder_groups):
        members = finders[index * 2 : index * 2 + 2]
        groups.append((WorkGroupKind.FINDER_GROUP, f"发现问题第{'一二三四五六七八九十'[index]}组", members[0], members))
    groups.append((WorkGroupKind.SUPERVISION_GROUP, f"{spec.name}创卫督导组", supervisor, [supervisor]))
    work_lines = []
    for order, (kind, name, leader, members) in enumerate(groups, start=1):
        group, created = WorkGroup.objects.get_or_create(
            campaign=campaign,
            name=name,
            defaults={"kind": kind, "leader": leader, "leader_name": "" if leader else _name(rng), "order": order},
        )
        if created:
            group.members.add(*members)
            if kind == WorkGroupKind.FINDER_GROUP:
                index = len(finder_groups)
                group.streets.add(street_list[index % len(street_list)], street_list[(index + 3) % len(street_list)])
        if kind == WorkGroupKind.FINDER_GROUP:
            finder_groups.append(group)
        if kind == WorkGroupKind.WORK_LINE:
            work_lines.append(group)
    staff_user = next((u for name, u in users.items() if name.endswith("_staff")), None)
    if staff_user is not None and finder_groups:
        finder_groups[0].members.add(staff_user)

    # Inspection points of the standard's point types.
    types = point_types_ensure()
    points = []
    for street_name, type_prefix, name, address, department in spec.points:
        point_type = next((t for t in types if t.name.startswith(type_prefix) or type_prefix in t.name), types[0])
        street = streets[street_name]
        point = InspectionPoint.objects.filter(unit=street, name=name).first()
        if point is None:
            point = InspectionPoint(
                unit=street,
                point_type=point_type,
                name=name,
                address=address,
                responsible_department=departments.get(department),
            )
            point.full_clean()
            point.save()
        points.append(point)

    if Ticket.objects.filter(district=district).exists():
        log(f"{spec.name}: 已有工单，跳过生成。")
        return district
    categories = list(ProblemCategory.objects.filter(campaign=campaign).select_related("area"))
    reporters = [u for u in [staff_user, *finders] if u is not None]
    managers = [supervisor, admin]
    responsible_pool = [*departments.values(), *streets.values(), *communities[:12]]
    count = _generate_tickets(
        spec,
        district=district,
        campaign=campaign,
        rng=rng,
        points=points,
        streets=list(streets.values()),
        categories=categories,
        reporters=reporters,
        managers=managers,
        responsible_pool=responsible_pool,
        liaisons=liaisons,
        departments=departments,
        work_lines=work_lines,
        finder_groups=finder_groups,
        unit_user=users.get(f"{prefix}_unit"),
        photos=photos,
    )
    log(f"{spec.name}: 生成 {count} 件工单。")
    return district


def _fixer_for(unit, liaisons, unit_user):
    if unit_user is not None and unit.pk in {m.unit_id for m in unit_user.memberships.all()}:
        return unit_user
    key = unit.street_id if unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) else unit.pk
    return liaisons.get(key) or liaisons.get(unit.pk)


def _at_most(moment, now):
    return min(moment, now - datetime.timedelta(minutes=5))


def _generate_tickets(
    spec,
    *,
    district,
    campaign,
    rng,
    points,
    streets,
    categories,
    reporters,
    managers,
    responsible_pool,
    liaisons,
    departments,
    work_lines,
    finder_groups,
    unit_user,
    photos,
):
    now = timezone.now()
    moments = sorted(
        now - datetime.timedelta(days=rng.uniform(0, 60), minutes=rng.randrange(0, 600))
        for _ in range(spec.ticket_count)
    )
    unit_dept = departments.get("区执法局")
    for reported_at in moments:
        age_days = (now - reported_at).total_seconds() / 86400
        category = rng.choice(categories)
        point = rng.choice(points) if rng.random() < 0.8 else None
        street = streets[rng.randrange(len(streets))] if point is None else None
        reporter = rng.choice(reporters)
        area_code = category.area.code
        description = rng.choice(DESCRIPTIONS.get(area_code, DESCRIPTIONS["3"]))
        with transaction.atomic():
            ticket = Ticket.objects.create(
                number=ledger_number_next(district, reported_at),
                district=district,
                campaign=campaign,
                state=TicketState.REPORTED,
                point=point,
                place="" if point else f"{street.name}辖区 {rng.randrange(1, 300)}号附近",
                street_id=point.street_id if point else street.pk,
                area=category.area,
                category=category,
                description=description,
                reported_by=reporter,
                reported_at=reported_at,
                finder_group=rng.choice(finder_groups) if finder_groups else None,
            )
            history = HistoryWriter(ticket, photos)
            history.event(TicketAction.LOG, reporter, reported_at, TicketState.REPORTED, photo_kind=PhotoKind.BEFORE)

            roll = rng.random()
            if roll < 0.04:
                at = _at_most(reported_at + datetime.timedelta(hours=rng.uniform(1, 20)), now)
                history.event(
                    TicketAction.VOID, rng.choice(managers), at, TicketState.VOIDED, note=rng.choice(VOID_REASONS)
                )
                ticket.save()
                continue
            if (age_days < 3 and roll < 0.5) or (age_days < 10 and roll < 0.1):
                ticket.save()  # still waiting for triage
                continue

            # 交办
            if point is not None and point.responsible_department_id and rng.random() < 0.6:
                unit = next(d for d in departments.values() if d.pk == point.responsible_department_id)
            elif unit_dept is not None and rng.random() < 0.25:
                unit = unit_dept
            else:
                unit = rng.choice(responsible_pool)
            assigned_at = _at_most(reported_at + datetime.timedelta(hours=rng.uniform(0.5, 30)), now)
            deadline = timezone.localtime(assigned_at).date() + datetime.timedelta(days=category.default_deadline_days)
            ticket.responsible_unit = unit
            ticket.responsible_person = _name(rng)
            ticket.responsible_phone = _phone(rng)
            ticket.deadline = deadline
            ticket.assigned_at = assigned_at
            ticket.work_group = rng.choice(work_lines) if work_lines and rng.random() < 0.7 else None
            history.event(
                TicketAction.ASSIGN,
                rng.choice(managers),
                assigned_at,
                TicketState.RECTIFYING,
                details={
                    "unit": unit.name,
                    "unit_id": unit.pk,
                    "person": ticket.responsible_person,
                    "deadline": deadline.isoformat(),
                },
            )
            fixer = _fixer_for(unit, liaisons, unit_user) or rng.choice(managers)
            moment = assigned_at
            # Tickets past their time are mostly struck off; younger ones are still being worked on.
            stage = rng.random()
            if age_days > category.default_deadline_days + 1:
                still_rectifying, still_submitted = 0.12, 0.18
            else:
                still_rectifying, still_submitted = 0.5, 0.75
            if stage < still_rectifying:
                ticket.save()
                continue
            returned = rng.random() < 0.12
            for attempt in range(2 if returned else 1):
                moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(4, 70)), now)
                history.event(
                    TicketAction.SUBMIT_FIX,
                    fixer,
                    moment,
                    TicketState.SUBMITTED,
                    note=rng.choice(FIX_NOTES),
                    photo_kind=PhotoKind.AFTER,
                )
                ticket.fix_submitted_at, ticket.fix_submitted_by = moment, fixer
                if attempt == 0 and returned:
                    moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(1, 24)), now)
                    history.event(
                        TicketAction.RETURN,
                        rng.choice(managers),
                        moment,
                        TicketState.RECTIFYING,
                        note=rng.choice(RETURN_REASONS),
                    )
                    ticket.return_count += 1
            if stage < still_submitted:
                ticket.save()
                continue
            closer = next(m for m in managers if m.pk != fixer.pk)
            moment = _at_most(moment + datetime.timedelta(hours=rng.uniform(1, 40)), now)
            history.event(
                TicketAction.CLOSE_OUT, closer, moment, TicketState.CLOSED, note="经现场核验，整改到位，予以销号。"
            )
            ticket.closed_at, ticket.closed_by = moment, closer
            if rng.random() < 0.05 and age_days > 10:
                moment = _at_most(moment + datetime.timedelta(days=rng.uniform(2, 6)), now)
                new_deadline = timezone.localtime(moment).date() + datetime.timedelta(days=3)
                history.event(
                    TicketAction.REOPEN,
                    rng.choice(managers),
                    moment,
                    TicketState.RECTIFYING,
                    note=rng.choice(REOPEN_REASONS),
                    details={"deadline": new_deadline.isoformat()},
                )
                ticket.reopen_count += 1
                ticket.deadline = new_deadline
                ticket.closed_at = ticket.closed_by = None
            ticket.save()
    return spec.ticket_count


def seed_demo(*, password=DEMO_PASSWORD, seed=20261122, log=print):
    rng = random.Random(seed)
    photos = PhotoBank(rng)
    # Hashing is slow by design; the demo accounts share one password, so hash it once.
    password = make_password(password)
    with transaction.atomic():
        city = _unit(CITY[0], UnitKind.CITY, None, code=CITY[1])
        city_admin = _user("city_admin", "四平市创卫办", password, is_staff=True)
        _member(city_admin, city, Role.ADMIN)
        point_types_ensure()
    districts = [_build_district(spec, city, rng, password, photos, log) for spec in _specs()]
    return districts


DEMO_LOGINS = [
    ("tx_staff", "铁西区 英雄街道 网格员（手机登记问题）"),
    ("tx_unit", "铁西区 区执法局 联络员（提交整改）"),
    ("tx_supervisor", "铁西区 创卫办督导（交办、核验销号）"),
    ("tx_admin", "铁西区 创卫办管理员"),
    ("tx_leader", "铁西区 区领导（只读）"),
    ("td_staff", "铁东区 解放街道 网格员"),
    ("td_supervisor", "铁东区 创卫办督导"),
    ("td_admin", "铁东区 创卫办管理员"),
    ("city_admin", "四平市创卫办管理员（看全部区）"),
]
