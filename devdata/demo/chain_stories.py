"""The 交办 chain told in named tickets, so every part of it can be seen with the demo logins.

Each story is a real timeline (written with timeline.HistoryWriter, the shapes the verbs write)
around the demo people: 区执法局 (tx_unit) and 区环卫处 (tx_unit2), the supervisor who 交办s,
改派s and reviews (专班复核), the admin who strikes off (创卫办销号) and lists (挂牌督办), and the
英雄街道 staffer (tx_staff) who goes back for the 复查.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.models import PhotoKind, Supervision, TicketAction, TicketPhoto, TicketState
from campaigns.services.system_actor import system_user
from campaigns.workflow.tickets import sign_due

from .problems import PROBLEMS
from .timeline import HistoryWriter, at_most, local_moment, ticket_new

HERO_STREET = "英雄街道"


class _Stories:
    def __init__(self, *, district, campaign, users, departments, points, categories, photos, levels, now):
        self.district, self.campaign, self.photos, self.levels, self.now = district, campaign, photos, levels, now
        self.today = timezone.localdate(now)
        self.staff, self.unit, self.unit2 = users["tx_staff"], users["tx_unit"], users["tx_unit2"]
        self.supervisor, self.admin = users["tx_supervisor"], users["tx_admin"]
        self.leader = users.get("tx_leader")
        self.enforcement, self.sanitation = departments["区执法局"], departments["区环卫处"]
        self.points = points
        city_look = [c for c in categories if c.area.code == "3"] or categories
        self.categories = city_look
        self.count = 0

    def at(self, days_ago, hour, minute=0):
        return at_most(local_moment(self.today - datetime.timedelta(days=days_ago), hour, minute), self.now)

    def day(self, offset):
        return self.today + datetime.timedelta(days=offset)

    def new(self, days_ago, description, kind, *, hero=False):
        """A ticket logged `days_ago` by tx_staff, of the first category whose name has `kind`, at
        a point where that problem is found and `description` fits (problems.py)."""
        category = next(c for c in self.categories if kind in c.name)
        problem = PROBLEMS[category.name]
        fitting = [p for p in self.points if description in problem.descriptions_for(p.point_type.name)]
        near = [p for p in fitting if (p.unit.name == HERO_STREET) == hero] or fitting
        point = near[self.count % len(near)]
        ticket = ticket_new(
            district=self.district,
            campaign=self.campaign,
            category=category,
            reporter=self.staff,
            reported_at=self.at(days_ago, 8, 40),
            point=point,
            description=description,
        )
        self.count += 1
        history = HistoryWriter(ticket, self.photos)
        history.event(
            TicketAction.LOG, self.staff, ticket.reported_at, TicketState.REPORTED, photo_kind=PhotoKind.BEFORE
        )
        return history

    def assign(self, history, days_ago, unit, deadline, *, hour=10, co_units=()):
        at = self.at(days_ago, hour)
        person = "南禹帆" if unit == self.enforcement else "韩冬梅"
        history.assign(
            self.supervisor,
            at,
            unit,
            person=person,
            phone="",
            deadline=deadline,
            sign_due_at=sign_due(at, self.campaign),
            co_units=co_units,
        )

    def closed(self, history, closed_days_ago):
        """Fixed by 区执法局, passed by the task force, struck off by the office."""
        self.assign(history, closed_days_ago + 6, self.enforcement, self.day(-closed_days_ago + 2))
        history.sign(self.unit, self.at(closed_days_ago + 6, 14))
        history.submit_fix(self.unit, self.at(closed_days_ago + 1, 16), "已清理完毕，恢复整洁。")
        history.review(self.supervisor, self.at(closed_days_ago, 9), self.levels)
        history.close_out(self.admin, self.at(closed_days_ago, 15), self.levels)
        return history.plan_rechecks(self.campaign.recheck_offsets)


def _dispatch_stories(s):
    # 退单: 区执法局 hands back a cleaning job; the office 改派s it to 区环卫处, which signs.
    h = s.new(9, "垃圾收集点周边散落垃圾未及时清运，有异味。", "垃圾暴露", hero=True)
    s.assign(h, 9, s.enforcement, s.day(3))
    h.decline(
        s.unit,
        s.at(9, 15),
        "经核实，该处为垃圾收运点保洁问题，属区环卫处职责，非我局执法范围。",
        suggested=s.sanitation,
    )
    h.reassign(
        s.supervisor,
        s.at(8, 9),
        s.sanitation,
        deadline=s.day(3),
        sign_due_at=sign_due(s.at(8, 9), s.campaign),
        reason="按退单建议改派区环卫处。",
        person="韩冬梅",
    )
    h.sign(s.unit2, s.at(8, 11))
    h.ticket.save()
    # 改派: handed to the wrong unit; the supervisor reassigns it; 区环卫处 signs and fixes it.
    h = s.new(5, "道路两侧绿化带内积存生活垃圾。", "绿化带")
    s.assign(h, 5, s.enforcement, s.day(5))
    h.reassign(
        s.supervisor,
        s.at(5, 14),
        s.sanitation,
        deadline=s.day(5),
        sign_due_at=sign_due(s.at(5, 14), s.campaign),
        reason="交办有误：绿化带保洁属环卫作业范围，改派区环卫处。",
        person="韩冬梅",
    )
    h.sign(s.unit2, s.at(4, 9))
    h.submit_fix(s.unit2, s.at(1, 16), "已安排保洁人员清理绿化带垃圾，并增加巡回保洁频次。")
    h.ticket.save()
    # A wrong 交办 waiting now: 区执法局 may 退单 it, or the supervisor 改派 it.
    h = s.new(1, "公厕保洁不到位，地面有积水、异味大。", "公厕")
    s.assign(h, 0, s.enforcement, s.day(4), hour=8)
    h.ticket.save()
    # 超时未签收: assigned three days ago, never signed.
    h = s.new(4, "沿街商户门前乱堆杂物，占用人行道。", "乱堆乱放")
    s.assign(h, 3, s.enforcement, s.day(4))
    h.ticket.save()


def _extension_stories(s):
    # 同意延期: the road needs a works crew; the deadline moves once.
    h = s.new(20, "人行道路面破损、坑洼积水，行人通行不便。", "卫生死角")
    s.assign(h, 20, s.enforcement, s.day(-10))
    h.sign(s.unit, s.at(20, 15))
    h.request_extension(s.unit, s.at(12, 10), s.day(10), "涉及破损路面修复，需协调市政施工队进场，申请延期。")
    h.approve_extension(s.supervisor, s.at(11, 9), "情况属实，同意延期。")
    h.ticket.save()
    # 驳回延期: not much work; the deadline stays.
    h = s.new(8, "墙体张贴小广告，乱涂乱画。", "乱贴乱画")
    s.assign(h, 8, s.enforcement, s.day(1))
    h.sign(s.unit, s.at(8, 14))
    h.request_extension(s.unit, s.at(2, 10), s.day(15), "近期人手紧张，申请延期。")
    h.reject_extension(s.supervisor, s.at(1, 9), "整改工作量不大，请按原时限完成。")
    h.ticket.save()
    # A request waiting for the supervisor's answer.
    h = s.new(6, "背街小巷私搭乱建雨棚，影响市容。", "乱搭乱建")
    s.assign(h, 6, s.enforcement, s.day(2))
    h.sign(s.unit, s.at(6, 13))
    h.request_extension(s.unit, s.at(0, 8), s.day(12), "需当事人自行拆除，已下达限期整改通知书，申请延期。")
    h.ticket.save()


def _co_unit_stories(s):
    # 主办 区执法局, 协办 区环卫处: the part is in; the lead unit may submit the fix.
    h = s.new(7, "早市占道经营，散落垃圾无人清扫。", "占道经营")
    s.assign(h, 7, s.enforcement, s.day(4), co_units=[s.sanitation])
    h.sign(s.unit, s.at(7, 15))
    h.submit_part(s.unit2, s.at(2, 10), s.sanitation, "已清运周边积存垃圾，配合执法局整治占道经营。")
    h.ticket.save()
    # The part still due: in 区环卫处's 协办 list.
    h = s.new(3, "河道沿岸违规倾倒建筑垃圾。", "乱扔乱倒")
    s.assign(h, 3, s.enforcement, s.day(6), co_units=[s.sanitation])
    h.sign(s.unit, s.at(3, 14))
    h.ticket.save()


def _pressure_stories(s):
    # 催办, then the ladder up to the 黄牌.
    h = s.new(26, "小区楼道堆放杂物，存在消防隐患。", "乱堆乱放")
    s.assign(h, 26, s.enforcement, s.day(-16))
    h.sign(s.unit, s.at(26, 15))
    h.event(
        TicketAction.URGE,
        s.supervisor,
        s.at(15, 9),
        note="已超期，请尽快整改并上报。",
        details={"unit": s.enforcement.name, "unit_id": s.enforcement.pk},
    )
    h.escalate(system_user(), s.campaign.escalation_ladder, s.now)
    h.ticket.save()
    # 挂牌督办: struck off, back at the 7-day 复查 (反弹), then listed with its 督办单.
    h = s.new(40, "农贸市场周边垃圾乱堆乱放，屡清屡现。", "垃圾暴露")
    rechecks = s.closed(h, 30)
    h.recheck_relapsed(s.staff, s.at(23, 10), rechecks[0], "复查发现问题反弹，垃圾再次堆积。", deadline=s.day(7))
    at = s.at(22, 10)
    number = f"铁西创卫督〔{s.today.year}〕3号"
    reason = "该点位销号后复查反弹，问题反复出现，列入挂牌督办。"
    leader = f"{s.leader.first_name}（分管副区长）" if s.leader else "分管副区长"
    supervision = Supervision.objects.create(
        ticket=h.ticket,
        district=s.district,
        document_number=number,
        supervising_unit="铁西区创卫办",
        leader=leader,
        deadline=s.day(7),
        reason=reason,
        created_by=s.admin,
    )
    event = h.event(
        TicketAction.SUPERVISE,
        s.admin,
        at,
        note=reason,
        details={"document_number": number, "supervision_deadline": s.day(7).isoformat(), "leader": leader},
    )
    Supervision.objects.filter(pk=supervision.pk).update(created_at=event.at)  # listed then, not now
    h.ticket.supervised_at = event.at
    h.ticket.save()


def _recheck_stories(s):
    # 英雄街道's 复查: one due today, one two days late, one done (保持).
    due = ((7, "街巷路面油污，清洗不彻底。", "卫生死角"), (9, "绿地内枯枝落叶堆积未清。", "绿化带"))
    for closed_days_ago, description, kind in due:
        h = s.new(closed_days_ago + 7, description, kind, hero=True)
        s.closed(h, closed_days_ago)
        h.ticket.save()
    h = s.new(17, "居民区外墙乱贴乱画。", "乱贴乱画", hero=True)
    rechecks = s.closed(h, 10)
    h.recheck_kept(s.staff, s.at(3, 10), rechecks[0])
    h.ticket.save()


def _evidence_stories(s):
    # 照片证据核验: 区执法局 sends an earlier fix's picture again, smaller and saved anew; it
    # waits in 待核验 with 疑似重复使用照片 and both pictures side by side.
    earlier = (
        TicketPhoto.objects.filter(ticket__district=s.district, kind=PhotoKind.AFTER, ticket__point__isnull=False)
        .order_by("-pk")
        .first()
    )
    if earlier is None:
        return
    h = s.new(4, "垃圾收集点周边散落垃圾未及时清运，有异味。", "垃圾暴露", hero=True)
    s.assign(h, 4, s.enforcement, s.day(2))
    h.sign(s.unit, s.at(4, 14))
    h.submit_fix(s.unit, s.at(0, 8), "已清理完毕，恢复整洁。", again=earlier)
    h.ticket.save()


def write_chain_stories(**context):
    """Write the stories; returns how many tickets they added."""
    stories = _Stories(**context)
    for write in (
        _dispatch_stories,
        _extension_stories,
        _co_unit_stories,
        _pressure_stories,
        _recheck_stories,
        _evidence_stories,
    ):
        with transaction.atomic():
            write(stories)
    return stories.count
