"""The demo: two districts as the newspapers describe them, loadable twice without change."""

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import RequestFactory, override_settings
from django.utils import timezone

from campaigns import workflow
from campaigns.access import scope_for
from campaigns.models import (
    AssessmentArea,
    Campaign,
    CampaignStatus,
    ClosingLevel,
    FindingOutcome,
    HotlineOrder,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    PhotoKind,
    ProblemCategory,
    ProblemListImport,
    Recheck,
    RecheckResult,
    RectificationReport,
    Role,
    RoundKind,
    RoundPoint,
    RoundStatus,
    SummaryStatus,
    Supervision,
    Ticket,
    TicketAction,
    TicketCoUnit,
    TicketEvent,
    TicketPhoto,
    TicketState,
    UnitKind,
    WorkGroup,
    WorkGroupKind,
)
from campaigns.selectors.binder import binder_for
from campaigns.selectors.evidence import photo_checks
from campaigns.selectors.rounds import inspector_rounds, recheck_rate
from campaigns.selectors.tasks import my_tasks
from campaigns.services.ledger_chain import files_verify
from campaigns.services.standard import load_standard
from devdata.demo import DEMO_LOGINS, DEMO_PASSWORD
from devdata.demo.places import TD_POINTS, TX_POINTS
from devdata.demo.problems import PROBLEMS
from devdata.demo.rounds import ROUND_NAME

from .conftest import BEIJING

pytestmark = pytest.mark.django_db


FRIDAY = datetime.datetime(2026, 12, 4, 10, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module inside a transaction rolled back at its end (each
    test runs in a savepoint of it): eleven loads of seven seconds were the slowest minute of
    every CI leg.

    Loaded as on an ordinary Friday (2026-12-04), not on the first half-hour of a month or
    inside Golden Week, where make test-clocks puts the process clock: a month 30 minutes old
    has nothing to rank yet.
    """
    media = str(tmp_path_factory.mktemp("demo-media"))
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(FRIDAY, tick=True):
                call_command("seed_demo", stdout=out)
            yield out.getvalue(), media
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_seeded, settings):
    """What seed_demo printed; the test reads the ledger an hour after the demo was loaded."""
    printed, media = _seeded
    settings.MEDIA_ROOT = media  # conftest gives each test an empty folder; the demo's photos are here
    with time_machine.travel(FRIDAY + datetime.timedelta(hours=1), tick=True):
        yield printed


def test_demo_logins_all_work_and_are_printed(demo):
    for username, _ in DEMO_LOGINS:
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None, username
        assert username in demo
    assert DEMO_PASSWORD in demo


def test_tiexi_is_built_as_described(demo):
    tx = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="TX")
    streets = set(OrgUnit.objects.filter(district=tx, kind=UnitKind.STREET).values_list("name", flat=True))
    assert {"英雄街道", "北沟街道", "站前街道", "仁兴街道"} <= streets
    assert OrgUnit.objects.filter(district=tx, kind=UnitKind.TOWNSHIP, name="平西乡").exists()
    assert OrgUnit.objects.filter(district=tx, kind=UnitKind.COMMUNITY).count() == 39
    assert OrgUnit.objects.filter(district=tx, kind=UnitKind.VILLAGE).count() == 20
    assert {"北沟社区", "迎宾社区", "海丰园社区"} <= set(
        OrgUnit.objects.filter(district=tx, kind=UnitKind.COMMUNITY).values_list("name", flat=True)
    )
    assert OrgUnit.objects.filter(district=tx, kind=UnitKind.DEPARTMENT, name="区执法局").exists()
    groups = WorkGroup.objects.filter(campaign__district=tx).values("kind").annotate(n=Count("id"))
    counts = {g["kind"]: g["n"] for g in groups}
    assert counts[WorkGroupKind.WORK_LINE] == 8 and counts[WorkGroupKind.FINDER_GROUP] == 6
    assert 35 <= InspectionPoint.objects.filter(district=tx).count() <= 45
    assert AssessmentArea.objects.filter(campaign__district=tx).count() == 8
    assert ProblemCategory.objects.filter(campaign__district=tx).count() == 28


def test_the_demo_points_stand_on_the_map_around_siping(demo):
    """Each street's points in a block of its own, near 四平 (WGS-84), so the demo map has a shape."""
    for code, (south, north, west, east) in {
        "TX": (43.15, 43.20, 124.33, 124.39),
        "TD": (43.16, 43.21, 124.39, 124.45),
    }.items():
        places = InspectionPoint.objects.filter(district__code=code).values_list("latitude", "longitude", "street_id")
        assert places and all(lat is not None and lng is not None for lat, lng, _ in places)
        assert all(south <= lat <= north and west <= lng <= east for lat, lng, _ in places), code
        assert len({(lat, lng) for lat, lng, _ in places}) == len(places)  # no two on one spot


def test_tickets_cover_every_state_and_story(demo):
    tx = Ticket.objects.filter(district__code="TX")
    # ~300 patrol finds, the chain's stories, the 督查 round's twelve and the 12345 hotline's seven
    assert 280 <= tx.count() <= 342
    assert set(tx.values_list("state", flat=True)) == set(TicketState.values)
    assert tx.overdue().exists()
    assert tx.filter(return_count__gt=0).exists() and tx.filter(reopen_count__gt=0).exists()
    assert Ticket.objects.filter(district__code="TD").count() > 50
    assert all(n.startswith("TX-") for n in tx.values_list("number", flat=True))


def test_every_ticket_state_matches_its_timeline(demo):
    events = {}
    for ticket_id, action, from_state, to_state in TicketEvent.objects.order_by("ticket_id", "at", "id").values_list(
        "ticket_id", "action", "from_state", "to_state"
    ):
        events.setdefault(ticket_id, []).append((action, from_state, to_state))
    for ticket in Ticket.objects.all():
        chain = events[ticket.pk]
        assert chain[0][0] == "log" and chain[-1][2] == ticket.state, ticket.number
        for action, from_state, to_state in chain[1:]:
            transition = workflow.ALLOWED_TRANSITIONS[action]
            target = transition.target or from_state  # acts without a target keep the state
            assert from_state in transition.sources and to_state == target, (ticket.number, action)
        if ticket.state == TicketState.CLOSED:
            assert ticket.closed_by_id != ticket.fix_submitted_by_id  # four eyes in the demo too


def test_the_chain_stories_are_there_on_real_timelines(demo):
    """What a supervisor and the units are shown: every part of the 交办 chain, with its details."""
    tx = Ticket.objects.filter(district__code="TX")
    events = TicketEvent.objects.filter(ticket__district__code="TX")
    assert tx.filter(state=TicketState.ASSIGNED, sign_due_at__lt=timezone.now()).exists()  # 超时未签收

    decline = events.get(action=TicketAction.DECLINE)
    assert decline.actor.username == "tx_unit" and decline.details["suggested_unit"] == "区环卫处"
    declined = decline.ticket
    assert declined.responsible_unit.name == "区环卫处" and declined.state == TicketState.RECTIFYING
    assert declined.events.filter(action=TicketAction.SIGN, actor__username="tx_unit2").exists()
    # Handed back, then 改派 to the unit the 退单 named.
    assert [e.action for e in declined.events.order_by("at", "id")][2:5] == [
        TicketAction.DECLINE,
        TicketAction.REASSIGN,
        TicketAction.SIGN,
    ]
    reassign = events.exclude(ticket=declined).get(action=TicketAction.REASSIGN)
    assert (reassign.details["from_unit"], reassign.details["to_unit"]) == ("区执法局", "区环卫处")
    assert reassign.ticket.responsible_unit.name == "区环卫处"

    approved = events.get(action=TicketAction.APPROVE_EXTENSION)
    assert approved.ticket.extensions_used == 1 and not approved.ticket.is_overdue
    assert approved.ticket.deadline.isoformat() == approved.details["deadline"] > approved.details["previous_deadline"]
    rejected = events.get(action=TicketAction.REJECT_EXTENSION)
    assert rejected.ticket.extensions_used == 0 and rejected.ticket.extension_requested_until is None
    assert tx.filter(extension_requested_until__isnull=False).exists()  # one waits for an answer

    part = TicketCoUnit.objects.get(ticket__district__code="TX", part_submitted_at__isnull=False)
    assert part.unit.name == "区环卫处" and part.part_event.action == TicketAction.SUBMIT_PART
    assert TicketCoUnit.objects.filter(unit__name="区环卫处", part_submitted_at=None, waived_at=None).exists()

    carded = tx.filter(yellow_card_at__isnull=False)
    assert carded.exists() and all(t.escalation_step == 3 and t.is_overdue for t in carded)
    for ticket in carded:
        steps = ticket.events.filter(action=TicketAction.ESCALATE).order_by("at", "id")
        assert [e.details["step"] for e in steps] == [1, 2, 3]

    supervision = Supervision.objects.get(district__code="TX")
    assert supervision.document_number.startswith("铁西创卫督〔") and supervision.ticket.supervised_at
    assert supervision.ticket.events.filter(action=TicketAction.SUPERVISE).exists()


def test_two_level_closing_and_rechecks(demo):
    """铁西区 closes in two levels: the task force's supervisor reviews, the admin strikes off."""
    levels = list(ClosingLevel.objects.filter(campaign__district__code="TX").values_list("name", "role"))
    assert levels == [("专班复核", Role.SUPERVISOR), ("创卫办销号", Role.ADMIN)]
    for ticket in Ticket.objects.filter(district__code="TX", state=TicketState.CLOSED).select_related("closed_by"):
        review = ticket.events.filter(action=TicketAction.REVIEW).latest("at", "id")
        assert review.actor.username == "tx_supervisor" and ticket.closed_by.username == "tx_admin"
        assert ticket.reviewed_by == [review.actor_id, ticket.closed_by_id]
    today = timezone.localdate()
    due = Recheck.objects.filter(result="", cancelled=False, due_on__lte=today)
    assert due.filter(street__name="英雄街道", due_on=today, ticket__state=TicketState.CLOSED).exists()
    assert Recheck.objects.filter(result=RecheckResult.KEPT, street__name="英雄街道").exists()
    assert Recheck.objects.filter(result=RecheckResult.RELAPSED).exists()
    staff = User.objects.get(username="tx_staff")
    assert "recheck" in [task.key for task in my_tasks(staff)]  # 待复查 in tx_staff's 我的待办
    heads = OrgUnit.objects.filter(district__code="TX", head__isnull=False).values_list("name", flat=True)
    assert {"区执法局", "区环卫处"} <= set(heads)


def test_the_board_and_rankings_show_figures(demo, client):
    client.force_login(User.objects.get(username="tx_supervisor"))
    board = re.sub(r"<[^>]+>|\s+", " ", client.get("/board/TX/").content.decode())
    for kpi in ("签收及时率", "按期处置率", "返工率", "延期率", "超期待处置率", "准确派遣率", "结案率", "反弹率"):
        assert re.search(kpi + r" +[0-9.]+%", board), kpi
    assert re.search(r"平均处置时长 +[0-9.]+ ", board) and re.search(r"加权综合指数 +[0-9.]+", board)
    rankings = re.sub(r"<[^>]+>|\s+", " ", client.get("/board/TX/rankings/").content.decode())
    assert "准确派遣率" in rankings and len(re.findall(r"[0-9.]+%", rankings)) > 50


def test_the_demos_assessment_paperwork_is_half_done(demo, client):
    """The issue's demo: the binder about half full, the finished 市督查 round answered with a
    整改报告, and 迎检模拟 on the board with its gates at risk."""
    tx = OrgUnit.objects.get(kind=UnitKind.DISTRICT, code="TX")
    campaign = Campaign.objects.get(district=tx, status=CampaignStatus.RUNNING)
    binder = binder_for(campaign)
    assert binder.needed >= 20 and 35 <= binder.rate <= 65
    finished = InspectionRound.objects.get(name=ROUND_NAME, districts=tx)
    assert finished.status == RoundStatus.FINISHED
    report = RectificationReport.objects.get(inspection_round=finished, district=tx)
    assert report.status == SummaryStatus.DONE and report.finding_count == finished.findings.count()
    client.force_login(User.objects.get(username="tx_leader"))
    board = re.sub(r"<[^>]+>|\s+", " ", client.get("/board/TX/").content.decode())
    assert re.search(r"迎检模拟.*预计得分 +[0-9.]+ +/ +[0-9.]+", board)
    assert "预计结论：不达标（必备条件）" in board


def test_the_rollup_agrees(demo):
    call_command("tally", stdout=io.StringIO())  # raises CommandError when a cell disagrees


def test_demo_ledger_chains_verify(demo):
    from campaigns.services.ledger_chain import ledger_verify

    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT):
        checked, broken = ledger_verify(district)
        assert broken is None and checked == TicketEvent.objects.filter(ticket__district=district).count() > 0


def test_every_demo_photo_is_its_own_picture_checked_and_found_clean(demo):
    """照片证据核验 on the demo: each after-photo is fingerprinted and checked, each was taken at
    its act near its point, its file is on record, and only the story's re-sent picture (an
    earlier fix's, smaller and saved anew) repeats another."""
    after = TicketPhoto.objects.filter(kind=PhotoKind.AFTER, ticket__isnull=False)
    assert after.count() > 100 and not after.filter(Q(phash="") | Q(evidence_checked_at=None)).exists()
    again = TicketPhoto.objects.get(reused_of__isnull=False)
    assert again.ticket.state == TicketState.SUBMITTED and again.ticket.district.code == "TX"
    assert again.reused_of.ticket_id != again.ticket_id and again.sha256 != again.reused_of.sha256
    assert [check.flags for check in photo_checks(again.ticket, [again])] == [["reused"]]
    assert TicketPhoto.objects.values("sha256").distinct().count() == TicketPhoto.objects.count()
    for ticket in (
        Ticket.objects.filter(district__code="TX", point__latitude__isnull=False)
        .exclude(state__in=[TicketState.REPORTED, TicketState.ASSIGNED, TicketState.RECTIFYING])
        .exclude(pk=again.ticket_id)[:40]
    ):
        photos = list(ticket.photos.select_related("reused_of"))
        assert all(check.flags == [] for check in photo_checks(ticket, photos)), ticket.number
    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT):
        checked, swapped = files_verify(district)
        assert checked > 0 and swapped == []


def test_seed_is_idempotent(demo, tmp_path):
    kept = (OrgUnit, Ticket, TicketEvent, WorkGroup, InspectionPoint, InspectionRound, RoundPoint, ProblemListImport)
    before = {model: model.objects.count() for model in kept}
    call_command("seed_demo", stdout=open(tmp_path / "again.txt", "w"))
    after = {model: model.objects.count() for model in before}
    assert before == after
    assert "跳过问题清单" in (tmp_path / "again.txt").read_text()  # the province's list is not imported twice


def test_the_demo_has_a_finished_city_round_with_findings_and_its_recheck_under_way(demo):
    original = InspectionRound.objects.get(name=ROUND_NAME)
    assert (original.status, original.level, original.sample_seed) == (RoundStatus.FINISHED, "city", "sp20263")
    findings = list(original.findings.select_related("ticket"))
    assert len(findings) == 12  # the standard asks enough at the demo's points for a dozen
    states = [finding.ticket.state for finding in findings]
    assert states.count(TicketState.CLOSED) >= 5 and states.count(TicketState.RECTIFYING) >= 2
    assert all(finding.ticket.inspection_round_id == original.pk for finding in findings)

    recheck = InspectionRound.objects.get(rechecks=original)
    assert (recheck.kind, recheck.status) == (RoundKind.RECHECK, RoundStatus.INSPECTING)
    rate = recheck_rate(recheck, [original.districts.get().pk])
    assert rate.relapsed == 1 and rate.rechecked < rate.to_recheck  # under way: some points still to go
    relapsed = original.findings.get(outcome=FindingOutcome.RELAPSED)
    assert relapsed.ticket.state == TicketState.RECTIFYING and relapsed.outcome_photos.count() == 1
    staff = User.objects.get(username="tx_staff")
    waiting = [rp for entry in inspector_rounds(staff) for rp in entry.mine + entry.unassigned if not rp.inspected_at]
    assert waiting and all(rp.inspection_round_id == recheck.pk for rp in waiting)
    assert RoundPoint.objects.filter(inspection_round=recheck, inspected_at__isnull=False).exists()


def test_the_demo_imports_the_provinces_list(demo):
    assert "导入“省暗访督查 2026 年第 4 期”问题清单 6 个问题" in demo
    made = InspectionRound.objects.get(name="省暗访督查 2026 年第 4 期")
    record = ProblemListImport.objects.get(inspection_round=made)
    tickets = Ticket.objects.filter(inspection_round=made)
    assert (record.status, record.uploaded_by.username, tickets.count()) == ("done", "tx_admin", 6)
    assert tickets.filter(responsible_unit__isnull=False).count() == 4
    assert sum(ticket.photos.count() for ticket in tickets) == 3


def test_demo_roles_reach_the_right_places(demo):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    city_admin = scope_for(User.objects.get(username="city_admin"))
    assert len(city_admin.district_ids) == 2
    td_staff = scope_for(User.objects.get(username="td_staff"))
    tx = OrgUnit.objects.get(code="TX", kind=UnitKind.DISTRICT)
    assert tx.pk not in td_staff.district_ids
    leader = scope_for(User.objects.get(username="tx_leader"))
    assert leader.roles_in(tx.pk) == {Role.LEADER}
    unit = User.objects.get(username="tx_unit")
    assert Ticket.objects.filter(responsible_unit__name="区执法局", district=tx, state=TicketState.RECTIFYING).exists()
    assert scope_for(unit).unit_ids


def test_every_demo_problem_fits_its_category_and_its_point(demo):
    """A 公厕 ticket speaks of the toilet, and is found at a toilet (issue 16: "公厕脏乱… · 墙面
    张贴大量‘牛皮癣’小广告", "乱停乱放 · 公厕有异味")."""
    tickets = Ticket.objects.select_related("category", "point__point_type")
    assert tickets.count() > 400
    citizens = set(HotlineOrder.objects.values_list("ticket_id", flat=True))
    for ticket in tickets:
        problem = PROBLEMS[ticket.category.name]
        where = ticket.point.point_type.name if ticket.point else None
        if ticket.inspection_round_id or ticket.pk in citizens:
            # A 问题清单's rows keep the letter's own words, a 12345 工单 the caller's; their
            # category still fits the place.
            assert where is None or problem.fits(where), (ticket.number, ticket.category.name, where)
            continue
        assert ticket.description in problem.descriptions_for(where), (
            ticket.number,
            ticket.category.name,
            where,
            ticket.description,
        )
    toilets = tickets.filter(category__name__startswith="公厕", inspection_round=None)
    assert toilets.exists() and all("厕" in t.description for t in toilets)
    fixes = TicketEvent.objects.filter(
        action=TicketAction.SUBMIT_FIX, ticket__category__name__startswith="公厕", ticket__inspection_round=None
    )
    assert all("公厕" in note or "清理" in note for note in fixes.values_list("note", flat=True))


def test_the_problem_table_covers_the_standard_and_the_demos_points():
    standard = {entry["name"] for entry in load_standard()["problem_categories"]}
    assert set(PROBLEMS) == standard
    for name, problem in PROBLEMS.items():
        for text in problem.descriptions:
            if not isinstance(text, str):  # a description of only some of the problem's places
                assert set(text[1]) <= set(problem.at), (name, text)
        assert problem.fixes, name
    # Every point of the demo has problems that can be found there.
    types = [entry["name"] for entry in load_standard()["point_types"]]
    for _street, prefix, point_name, _address, _unit in TX_POINTS + TD_POINTS:
        point_type = next(t for t in types if t.startswith(prefix) or prefix in t)
        assert any(problem.descriptions_for(point_type) for problem in PROBLEMS.values()), point_name
