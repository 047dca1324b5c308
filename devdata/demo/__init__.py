"""The demo: 四平市 with 铁西区 (TX) as the newspapers describe it, and 铁东区 (TD) beside it.

Idempotent: units, people, groups and points are matched by name; tickets are generated
only for a district that has none yet. History (weeks of past events) is written the way
the workflow would have written it, so every ticket's state matches its timeline.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from campaigns.models import (
    AccountProfile,
    Campaign,
    CampaignKind,
    CampaignStatus,
    ClosingLevel,
    DocumentSettings,
    Duty,
    InspectionPoint,
    Membership,
    OrgUnit,
    ProblemCategory,
    Role,
    Ticket,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.services.standard import campaign_apply_standard, point_types_ensure
from campaigns.services.tally import tally_rebuild

from .checklist import build_demo_checklist
from .history import PhotoBank, generate_tickets
from .hotline import build_demo_hotline
from .paperwork import build_demo_paperwork
from .places import (
    TD_DEPARTMENTS,
    TD_POINTS,
    TD_STREETS,
    TX_DEPARTMENTS,
    TX_POINTS,
    TX_STREETS,
    TX_VILLAGES,
    WORK_LINES,
    person_name,
    phone_number,
)
from .problem_list import build_demo_problem_list
from .reports import build_demo_reports
from .rounds import build_demo_rounds
from .standard import build_demo_standard

DEMO_PASSWORD = "Demo@2026"  # nosec B105 # the documented demo password
CITY = ("四平市", "SP")


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
    closing_levels: list = field(default_factory=list)  # (name, role), in order
    heads: dict = field(default_factory=dict)  # department name → (username, full name) of its head
    extra: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)  # the district's 公文设置 (DocumentSettings)


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
            # 销号 in two levels: the task force reviews, the office strikes off (issue 15).
            closing_levels=[("专班复核", Role.SUPERVISOR), ("创卫办销号", Role.ADMIN)],
            # 单位负责人, told on 催办 and at the ladder's second step: logins of their own, so the
            # demo shows what reaches a head.
            heads={"区执法局": ("tx_head1", "郑国强"), "区环卫处": ("tx_head2", "鲁卫东")},
            documents={
                "mark": "铁西区创建国家卫生城市工作领导小组办公室",
                "signature": "铁西区创建国家卫生城市工作领导小组办公室",
                "number_prefix": "铁西创卫办",
                "printer": "铁西区创卫办",
                "addressee": "各街道（乡镇）、区直各有关部门",
                "superior": "四平市创建国家卫生城市工作领导小组办公室",
                "copy_to": "区委办公室，区政府办公室，四平市创卫办",
            },
            users=[
                ("tx_staff", "付雪", "英雄街道", Role.STAFF, 0),
                ("tx_unit", "南禹帆", "区执法局", Role.STAFF, None),
                ("tx_unit2", "韩冬梅", "区环卫处", Role.STAFF, None),
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
            documents={
                "mark": "铁东区创建国家卫生城市工作领导小组办公室",
                "signature": "铁东区创建国家卫生城市工作领导小组办公室",
                "number_prefix": "铁东创卫办",
                "printer": "铁东区创卫办",
                "addressee": "各街道、区直各有关部门",
                "superior": "四平市创建国家卫生城市工作领导小组办公室",
                "copy_to": "区委办公室，区政府办公室",
            },
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
    if spec.documents:
        DocumentSettings.objects.update_or_create(district=district, defaults=spec.documents)
    for order, (name, role) in enumerate(spec.closing_levels, start=1):
        ClosingLevel.objects.get_or_create(campaign=campaign, order=order, defaults={"name": name, "role": role})

    # People: the named demo logins, then one liaison account for every street and department.
    users = {}
    for username, full_name, unit_name, role, _group in spec.users:
        unit = district if unit_name is None else (streets.get(unit_name) or departments.get(unit_name))
        user = _user(username, full_name, password, is_staff=role == Role.ADMIN)
        _member(user, unit, role, phone_number(rng))
        users[username] = user
    for unit_name, (username, full_name) in spec.heads.items():
        head = _user(username, full_name, password)
        _member(head, departments[unit_name], Role.STAFF, phone_number(rng))
        OrgUnit.objects.filter(pk=departments[unit_name].pk, head__isnull=True).update(head=head)
    liaisons = {}
    prefix = spec.code.lower()
    for index, unit in enumerate([*streets.values(), *departments.values()], start=1):
        user = _user(f"{prefix}_u{index:02d}", person_name(rng), password)
        _member(user, unit, Role.STAFF, phone_number(rng))
        liaisons[unit.pk] = user
    finders = []
    for index in range(1, spec.finder_groups * 2 + 1):
        user = _user(f"{prefix}_finder{index:02d}", person_name(rng), password)
        street = list(streets.values())[(index - 1) % len(streets)]
        _member(user, street, Role.STAFF, phone_number(rng))
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
            defaults={
                "kind": kind,
                "leader": leader,
                "leader_name": "" if leader else person_name(rng),
                "order": order,
            },
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
    street_order = list(dict.fromkeys(row[0] for row in spec.points))
    for index, (street_name, type_prefix, name, address, department) in enumerate(spec.points):
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
            point.latitude, point.longitude = demo_place(spec.code, street_order.index(street_name), index)
            point.full_clean()
            point.save()
        points.append(point)

    checklist = build_demo_checklist(
        campaign=campaign, admin=admin, departments=departments, streets=streets, liaisons=liaisons, rng=rng
    )

    if Ticket.objects.filter(district=district).exists():
        log(f"{spec.name}: 已有工单，跳过生成。")
    else:
        categories = list(ProblemCategory.objects.filter(campaign=campaign).select_related("area"))
        reporters = [u for u in [staff_user, *finders] if u is not None]
        managers = [supervisor, admin]
        responsible_pool = [*departments.values(), *streets.values(), *communities[:12]]
        count = generate_tickets(
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
            demo_users=users,
            photos=photos,
            checklist=checklist,
        )
        log(f"{spec.name}: 生成 {count} 件工单。")
    build_demo_reports(
        campaign=campaign,
        streets=streets,
        finder_groups=finder_groups,
        reporters_by_unit=dict(liaisons),
        on_rest_days=spec.code == "TX",
        rng=rng,
    )
    return district


def seed_demo(*, password=DEMO_PASSWORD, seed=20261122, log=print):
    rng = random.Random(seed)  # nosec B311 # made-up demo data, repeatable by seed
    photos = PhotoBank(rng)
    # Hashing is slow by design; the demo accounts share one password, so hash it once.
    password = make_password(password)
    with transaction.atomic():
        city = _unit(CITY[0], UnitKind.CITY, None, code=CITY[1])
        city_admin = _user("city_admin", "四平市创卫办", password, is_staff=True)
        _member(city_admin, city, Role.ADMIN)
        # The other two of the three separate powers (三权分立): accounts and the audit log.
        # They hold no district, so they see no ledger data.
        for username, full_name, duty in (
            ("security_admin", "安全管理员", Duty.SECURITY),
            ("audit_admin", "审计管理员", Duty.AUDIT),
        ):
            AccountProfile.objects.get_or_create(user=_user(username, full_name, password), defaults={"duty": duty})
        point_types_ensure()
    districts = [_build_district(spec, city, rng, password, photos, log) for spec in _specs()]
    # The standard and the city's band first: the rounds draw their sample by its quotas.
    build_demo_standard(Campaign.objects.filter(district__in=districts))
    build_demo_problem_list(log=log)
    build_demo_hotline(log=log)
    build_demo_rounds(photos=photos, log=log)
    # The demo's history is written directly, not through the verbs: recount the rollup.
    tally_rebuild([district.pk for district in districts])
    build_demo_paperwork(districts, log=log)  # last: it files evidence on the standard's 项 and answers rounds
    return districts


DEMO_LOGINS = [
    ("tx_staff", "铁西区 英雄街道 网格员（手机登记问题、复查）"),
    ("tx_unit", "铁西区 区执法局 联络员（签收、退单、申请延期、提交整改）"),
    ("tx_unit2", "铁西区 区环卫处 联络员（改派来的工单、协办）"),
    ("tx_head1", "铁西区 区执法局 负责人（收催办、逾期升级通知）"),
    ("tx_supervisor", "铁西区 创卫办督导（交办、改派、同意延期、专班复核）"),
    ("tx_admin", "铁西区 创卫办管理员（创卫办销号、挂牌督办）"),
    ("tx_leader", "铁西区 区领导（只读）"),
    ("td_staff", "铁东区 解放街道 网格员"),
    ("td_supervisor", "铁东区 创卫办督导"),
    ("td_admin", "铁东区 创卫办管理员"),
    ("city_admin", "四平市创卫办管理员（看全部区）"),
    ("security_admin", "安全管理员：账号、角色、解锁、动态口令（不看台账）"),
    ("audit_admin", "审计管理员：只读安全审计日志（不看台账）"),
]


# Where the demo's points stand on the map: each street a block of its own a kilometre or so
# from the next, around the district's centre (WGS-84). Illustrative, not surveyed places.
DEMO_CENTRES = {"TX": (Decimal("43.1580"), Decimal("124.3380")), "TD": (Decimal("43.1700"), Decimal("124.3950"))}


def demo_place(code: str, street: int, index: int) -> tuple[Decimal | None, Decimal | None]:
    centre = DEMO_CENTRES.get(code)
    if centre is None:
        return None, None
    lat = centre[0] + Decimal("0.011") * (street // 3) + Decimal("0.0016") * (index % 5)
    lng = centre[1] + Decimal("0.014") * (street % 3) + Decimal("0.0021") * (index // 5 % 4)
    return lat.quantize(Decimal("0.000001")), lng.quantize(Decimal("0.000001"))
