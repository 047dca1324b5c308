"""The assessment cycle in the demo: 四平市's 督查第 3 期 over 铁西区, finished three weeks ago with
twelve problems (half fixed and struck off, the rest in the 交办 chain), and its 复查 under way —
two points done (one problem back: 反弹, reopened), the others waiting in tx_staff's 我的检查.

The sample is drawn by the service (seeded, so the demo is the same every time); the past is
written the way the workflow writes it (timeline.HistoryWriter), as the rest of the demo is.
If the campaign has no standard yet, a small one is made for the demo from the point types.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from campaigns.models import (
    AssessmentMethod,
    CampaignStatus,
    CheckResult,
    ClosingLevel,
    FindingOutcome,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    PhotoKind,
    PopulationBand,
    RoundCheck,
    RoundFinding,
    RoundKind,
    RoundLevel,
    RoundPoint,
    RoundStatus,
    SampleQuota,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
    TicketAction,
    TicketPhoto,
    TicketState,
    UnitKind,
)
from campaigns.selectors.rounds import campaign_categories, category_for_item, point_items
from campaigns.services.rounds import RoundRefused, recheck_round_create, round_draw, round_inspectors_split
from campaigns.services.standard import point_types_ensure
from campaigns.workdays import add_working_days
from campaigns.workflow.tickets import sign_due

from .problems import PROBLEMS
from .timeline import HistoryWriter, at_most, local_moment, ticket_new

ROUND_NAME = "四平市创卫督查第 3 期"
SEED = "sp20263"
FINDINGS = 12

# A few 项 for the demo standard: (方面 code, 方面, 项 code, requirement, point types by prefix, category, gate)
DEMO_ITEMS = [
    (
        "3",
        "市容环境卫生",
        "3.1.1",
        "垃圾容器密闭、无满溢，地面无暴露垃圾",
        ["主次干道", "背街小巷", "农贸", "老旧小区"],
        "垃圾暴露/散落、垃圾满溢、未日产日清",
        False,
    ),
    (
        "3",
        "市容环境卫生",
        "3.1.2",
        "无乱堆乱放、乱搭乱建、乱贴乱画",
        ["背街小巷", "老旧小区", "城中村"],
        "乱堆乱放（乱堆乱摆）",
        False,
    ),
    (
        "3",
        "市容环境卫生",
        "3.5.1",
        "垃圾中转站密闭，日产日清，场地整洁",
        ["垃圾中转站"],
        "垃圾暴露/散落、垃圾满溢、未日产日清",
        False,
    ),
    (
        "3",
        "市容环境卫生",
        "3.7.1",
        "公厕干净整洁，无明显臭味，设施完好，免费开放",
        ["公共厕所"],
        "公厕脏乱、有臭味、设施缺损、旱厕、未免费开放、杂物堆放",
        False,
    ),
    (
        "6",
        "食品和生活饮用水安全",
        "6.2.1",
        "直接入口食品“三防”设施到位",
        ["农贸", "餐饮店"],
        "直接入口食品“三防”（防尘、防蝇、防鼠）设施不到位",
        False,
    ),
    (
        "8",
        "病媒生物预防控制",
        "8.1.1",
        "无鼠迹，防鼠设施完好",
        ["农贸", "餐饮店", "单位食堂"],
        "鼠迹、鼠粪、活鼠，蟑螂/蟑迹，室内有蝇",
        True,
    ),
    (
        "2",
        "健康教育和健康促进",
        "2.4.1",
        "禁烟标识齐全，室内无吸烟、无烟头",
        ["医疗机构", "车站", "学校"],
        "室内吸烟、禁烟标识缺失、烟头多、烟草广告",
        False,
    ),
    ("1", "爱国卫生组织管理", "1.2.1", "爱卫会组织健全，成员单位分工明确", [], "", False),
]
DEMO_QUOTAS = {"主次干道": 2, "背街小巷": 3, "农贸": 2, "公共厕所": 2, "老旧小区": 2, "垃圾中转站": 1, "餐饮店": 1}
NOTES = ["西侧垃圾桶满溢，地面散落垃圾", "楼道口堆放杂物", "蹲位污渍明显，洗手台损坏", "熟食摊无防蝇罩"]


def _types_by_prefix(prefixes):
    types = point_types_ensure()
    return [t for prefix in prefixes for t in types if t.name.startswith(prefix) or prefix in t.name][: len(prefixes)]


def _demo_standard():
    """The current city standard, or a small one for the demo (the real one is loaded as data)."""
    standard = Standard.objects.filter(is_current=True, scope="city").order_by("id").first()
    if standard is not None:
        return standard
    standard, _ = Standard.objects.get_or_create(
        name="国家卫生城市和国家卫生县标准",
        version="演示",
        defaults={"source": "演示数据：从 sanitary_standard.json 的点位类型和问题类别拼出的几项，仅供演示。"},
    )
    for order, (aspect_code, aspect_name, code, requirement, prefixes, category, gate) in enumerate(DEMO_ITEMS, 1):
        aspect, _ = StandardAspect.objects.get_or_create(
            standard=standard, code=aspect_code, defaults={"name": aspect_name, "order": int(aspect_code)}
        )
        article, _ = StandardArticle.objects.get_or_create(
            aspect=aspect, code=code.rsplit(".", 1)[0], defaults={"text": requirement}
        )
        item, created = StandardItem.objects.get_or_create(
            article=article,
            code=code,
            defaults={
                "requirement": requirement,
                "method": AssessmentMethod.SITE if prefixes else AssessmentMethod.RECORDS,
                "score": 2,
                "is_gate": gate,
                "category_name": category,
                "order": order,
            },
        )
        if created:
            item.point_types.set(_types_by_prefix(prefixes))
    for prefix, minimum in DEMO_QUOTAS.items():
        for point_type in _types_by_prefix([prefix]):
            SampleQuota.objects.get_or_create(
                standard=standard, point_type=point_type, band=PopulationBand.MEDIUM, defaults={"minimum": minimum}
            )
    return standard


def build_demo_rounds(*, photos, log):
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT, code="TX").first()
    if district is None:
        return
    if InspectionRound.objects.filter(name=ROUND_NAME, districts=district).exists():
        log(f"{district.name}: 已有“{ROUND_NAME}”，跳过。")
        return
    campaign = district.campaigns.filter(status=CampaignStatus.RUNNING).order_by("-start_date").first()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["city_admin", "tx_staff", "tx_supervisor", "tx_admin", "tx_unit"]
        )
    }
    if campaign is None or len(users) < 5:
        return
    with transaction.atomic():
        if campaign.standard_id is None:
            campaign.standard = _demo_standard()
        campaign.population_band = campaign.population_band or PopulationBand.MEDIUM
        campaign.save(update_fields=["standard", "population_band"])
        original = _original_round(district, campaign, users, photos)
        _recheck_round(district, original, users, photos)
    found = original.findings.count()
    log(f"{district.name}: 检查轮次“{ROUND_NAME}”（已结束，{found} 个问题）及其复查。")


def _original_round(district, campaign, users, photos):
    today = timezone.localdate()
    now = timezone.now()
    original = InspectionRound.objects.create(
        standard=campaign.standard,
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.CITY,
        name=ROUND_NAME,
        starts_on=today - datetime.timedelta(days=24),
        ends_on=today - datetime.timedelta(days=22),
        letter_number=f"四创卫办督〔{today.year}〕3号",
        letter_date=today - datetime.timedelta(days=21),
        deadline_working_days=10,
        sample_seed=SEED,
        created_by=users["city_admin"],
    )
    original.districts.set([district])
    original.campaigns.set([campaign])
    original.team.set([users["tx_staff"], users["tx_supervisor"]])
    try:
        round_draw(inspection_round=original, actor=users["city_admin"])
    except RoundRefused:
        # A standard without quotas for the band: the city chose a dozen points by hand.
        for point in InspectionPoint.objects.filter(district=district, is_active=True).order_by("id")[:14]:
            RoundPoint.objects.create(inspection_round=original, point=point, district=district, drawn=False)
    round_inspectors_split(inspection_round=original, district_ids=[district.pk])
    categories = campaign_categories(campaign)
    levels = list(ClosingLevel.objects.filter(campaign=campaign).order_by("order"))
    deadline = add_working_days(original.letter_date, original.deadline_working_days)
    points = list(
        RoundPoint.objects.filter(inspection_round=original)
        .select_related("point", "point__point_type", "point__responsible_department", "inspector")
        .order_by("point__street__order", "point__name")
    )
    items = {rp.pk: point_items(original.standard_id, rp.point.point_type) for rp in points}

    # Twelve problems spread over the sample (fewer if the standard asks little at these points).
    # Only failures whose problem category happens at such a point (the demo's problem table).
    def plausible(round_point, item):
        problem = PROBLEMS.get(category_for_item(item, categories).name)
        return problem is None or problem.fits(round_point.point.point_type.name)

    pairs = [(rp.pk, item.pk) for rp in points for item in items[rp.pk] if plausible(rp, item)]
    step = max(1, len(pairs) // FINDINGS)
    failing = set(pairs[::step][:FINDINGS])
    story = {"count": len(failing), "levels": levels, "deadline": deadline, "users": users, "photos": photos}
    serial = 0
    for index, round_point in enumerate(points):
        moment = at_most(local_moment(original.starts_on + datetime.timedelta(days=index % 3), 9 + index % 6, 10), now)
        inspector = round_point.inspector or users["tx_supervisor"]
        for item in items[round_point.pk]:
            fails = (round_point.pk, item.pk) in failing
            check = RoundCheck.objects.create(
                round_point=round_point,
                item=item,
                result=CheckResult.FAIL if fails else CheckResult.PASS,
                note=NOTES[serial % len(NOTES)] if fails else "",
                checked_by=inspector,
                checked_at=moment,
            )
            if fails:
                serial += 1
                _finding(
                    original, campaign, round_point, item, check, serial, category_for_item(item, categories), story
                )
        RoundPoint.objects.filter(pk=round_point.pk).update(inspected_at=moment, inspector=inspector)
    InspectionRound.objects.filter(pk=original.pk).update(status=RoundStatus.FINISHED)
    original.status = RoundStatus.FINISHED
    return original


def _finding(original, campaign, round_point, item, check, serial, category, story):
    """One problem's ticket, as the workflow would have written it: the first half fixed and
    struck off, two fixes waiting for 销号, the rest being fixed, the last not yet signed for."""
    users, levels, count = story["users"], story["levels"], story["count"]
    point = round_point.point
    ticket = ticket_new(
        district=campaign.district,
        campaign=campaign,
        category=category,
        reporter=check.checked_by,
        reported_at=check.checked_at,
        point=point,
        description=f"【{item.code}】{check.note}",
        inspection_round=original,
    )
    history = HistoryWriter(ticket, story["photos"])
    history.event(
        TicketAction.LOG, check.checked_by, check.checked_at, TicketState.REPORTED, photo_kind=PhotoKind.BEFORE
    )
    assigned_at = local_moment(original.letter_date, 15)
    unit = point.responsible_department or OrgUnit.objects.get(district=campaign.district, name="区执法局")
    history.assign(
        users["tx_supervisor"],
        assigned_at,
        unit,
        person="",
        phone="",
        deadline=story["deadline"],
        sign_due_at=sign_due(assigned_at, campaign),
    )
    now = timezone.now()
    fixed = count // 2
    if serial < count:
        history.sign(users["tx_unit"], assigned_at + datetime.timedelta(hours=18))
    if serial <= fixed + 2:
        fix_at = at_most(assigned_at + datetime.timedelta(days=4 + serial % 3), now)
        history.submit_fix(users["tx_unit"], fix_at, "已按督查要求整改到位。")
    if serial <= fixed:
        moment = at_most(assigned_at + datetime.timedelta(days=6 + serial % 3), now)
        if len(levels) > 1:
            history.review(users["tx_supervisor"], moment, levels)
        history.close_out(users["tx_admin"], moment + datetime.timedelta(hours=3), levels)
        history.plan_rechecks(campaign.recheck_offsets)
    ticket.save()
    RoundCheck.objects.filter(pk=check.pk).update(ticket=ticket)
    RoundFinding.objects.create(
        inspection_round=original,
        district=campaign.district,
        serial=serial,
        description=ticket.description,
        item=item,
        category=category,
        ticket=ticket,
        source_check=check,
    )


def _recheck_round(district, original, users, photos):
    """The 复查, two days in: the first two points done, one problem back (反弹, reopened)."""
    today = timezone.localdate()
    recheck = recheck_round_create(original=original, actor=users["city_admin"], district_ids=[district.pk])
    InspectionRound.objects.filter(pk=recheck.pk).update(
        starts_on=today - datetime.timedelta(days=2),
        ends_on=today + datetime.timedelta(days=5),
        letter_number=f"四创卫办督〔{today.year}〕5号",
        letter_date=today - datetime.timedelta(days=2),
        status=RoundStatus.INSPECTING,
    )
    moment = at_most(local_moment(today - datetime.timedelta(days=1), 10), timezone.now())
    staff = users["tx_staff"]
    done = list(RoundPoint.objects.filter(inspection_round=recheck).select_related("point").order_by("id")[:2])
    relapsed = False
    for round_point in done:
        for finding in RoundFinding.objects.filter(
            inspection_round=original, ticket__point=round_point.point
        ).select_related("ticket"):
            ticket = finding.ticket
            outcome = FindingOutcome.FIXED
            if ticket.state != TicketState.CLOSED:
                outcome = FindingOutcome.NOT_FIXED
            elif not relapsed:
                outcome, relapsed = FindingOutcome.RELAPSED, True
            photo = None
            if outcome == FindingOutcome.RELAPSED:
                photo = _reopen(ticket, recheck, staff, moment, photos)
            elif outcome == FindingOutcome.NOT_FIXED:
                photo = _recheck_photo(ticket, staff, moment, photos)
            RoundFinding.objects.filter(pk=finding.pk).update(
                outcome=outcome,
                outcome_round=recheck,
                outcome_at=moment,
                outcome_by=staff,
                outcome_note="" if outcome == FindingOutcome.FIXED else "复查发现问题仍在。",
            )
            if photo is not None:
                finding.outcome_photos.add(photo)
        RoundPoint.objects.filter(pk=round_point.pk).update(inspected_at=moment, inspector=staff)


def _reopen(ticket, recheck, actor, moment, photos):
    history = HistoryWriter(ticket, photos)
    history.last_at = max(history.last_at, ticket.closed_at or moment)
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    event = history.event(
        TicketAction.REOPEN,
        actor,
        moment,
        TicketState.RECTIFYING,
        note=f"{recheck.name}：反弹。复查发现问题仍在。",
        details={
            "round": recheck.name,
            "deadline": deadline.isoformat(),
            "previous_closed_at": timezone.localtime(ticket.closed_at).isoformat(),
        },
        photo_kind=PhotoKind.RECHECK,
    )
    ticket.rechecks.filter(result="", cancelled=False).update(cancelled=True)
    ticket.reopen_count += 1
    ticket.deadline = deadline
    ticket.closed_at = ticket.closed_by = None
    ticket.next_recheck_on = None
    ticket.save()
    return event.photos.first()


def _recheck_photo(ticket, actor, moment, photos):
    return TicketPhoto.objects.create(
        ticket=ticket,
        kind=PhotoKind.RECHECK,
        uploaded_by=actor,
        uploaded_at=moment,
        **photos.fields(PhotoKind.RECHECK),
        **photos.taken(ticket.point, moment),
    )
