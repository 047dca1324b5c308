"""Inspection rounds: the sample, the inspectors' results becoming tickets, and the 复查.

铁西区 (tx) is inspected by the city's 督查 team: its 网格员 (tx.staff) and the second supervisor
score points on their phones; the city admin runs the round.
"""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    CheckResult,
    FindingOutcome,
    PhotoKind,
    RoundCheck,
    RoundFinding,
    RoundPoint,
    RoundStatus,
    Ticket,
    TicketAction,
    TicketState,
)
from campaigns.selectors.rounds import campaign_categories, category_for_item, point_items, recheck_rate
from campaigns.services.rounds import (
    RoundRefused,
    recheck_round_create,
    round_draw,
    round_finish,
    round_inspectors_split,
    round_point_add,
    sample_ids,
)
from campaigns.services.submissions import SubmissionRepeated, submission_key_new
from campaigns.workdays import add_working_days

from .factories import pending_photo
from .rounds_world import ALLEY, MARKET, SmallStandard, make_round, more_points


@pytest.fixture
def standard(tx, td):
    small = SmallStandard()
    small.adopt(tx, td)
    return small


@pytest.fixture
def city_round(tx, city_admin, standard):
    """市督查第 3 期 over 铁西区, its team the 网格员 and the second supervisor."""
    return make_round([tx], city_admin, [tx.staff, tx.supervisor2], standard=standard.standard)


def sampled(inspection_round):
    return sorted(RoundPoint.objects.filter(inspection_round=inspection_round).values_list("point_id", flat=True))


# --- the sample -------------------------------------------------------------------------------


def test_the_draw_follows_the_quota_and_the_same_seed_over_the_same_points_draws_the_same(
    tx, city_admin, standard, city_round
):
    more_points(tx, MARKET, 5, "菜场")
    more_points(tx, ALLEY, 6, "胡同")
    lines = round_draw(inspection_round=city_round, actor=city_admin, seed="sp2026")
    assert {(line.point_type.name, line.wanted, line.available, line.drawn) for line in lines} == {
        (MARKET, 2, 6, 2),
        (ALLEY, 3, 6, 3),
    }
    first = sampled(city_round)
    assert len(first) == 5 and RoundPoint.objects.filter(inspection_round=city_round, drawn=True).count() == 5

    round_draw(inspection_round=city_round, actor=city_admin, seed="sp2026")
    assert sampled(city_round) == first  # redrawn with the same seed: the same points

    # Another round drawn with that seed over the same points draws them too: anyone can check it.
    other = make_round([tx], city_admin, standard=standard.standard, name="市督查第 4 期")
    round_draw(inspection_round=other, actor=city_admin, seed="sp2026")
    assert sampled(other) == first


def test_the_draw_is_a_pure_function_of_seed_and_points():
    pool = list(range(100, 140))
    assert sample_ids("abc", 1, 2, pool, 5) == sample_ids("abc", 1, 2, reversed(pool), 5)
    assert sample_ids("abc", 1, 2, pool, 5) != sample_ids("abd", 1, 2, pool, 5)
    assert sample_ids("abc", 1, 2, pool[:3], 5) == pool[:3]  # too few: every one of them


def test_a_district_short_of_points_gives_all_it_has_and_says_so(tx, city_admin, city_round):
    alleys = more_points(tx, ALLEY, 1, "胡同")
    lines = round_draw(inspection_round=city_round, actor=city_admin)
    alley_line = next(line for line in lines if line.point_type.name == ALLEY)
    assert (alley_line.wanted, alley_line.available, alley_line.short) == (3, 1, True)
    assert alleys[0].pk in sampled(city_round)
    assert city_round.sample_seed  # generated when the round was made, and kept


def test_a_campaign_without_a_population_band_cannot_be_sampled(tx, city_admin, city_round):
    tx.campaign.population_band = ""
    tx.campaign.save(update_fields=["population_band"])
    with pytest.raises(RoundRefused, match="城市人口规模"):
        round_draw(inspection_round=city_round, actor=city_admin)


def test_points_chosen_by_hand_stay_and_an_inspected_sample_is_not_redrawn(tx, city_admin, standard, city_round):
    alleys = more_points(tx, ALLEY, 4, "胡同")
    chosen = round_point_add(inspection_round=city_round, point=alleys[0])
    assert chosen.drawn is False
    round_draw(inspection_round=city_round, actor=city_admin, seed="one")
    round_draw(inspection_round=city_round, actor=city_admin, seed="two")
    assert RoundPoint.objects.get(pk=chosen.pk).drawn is False
    with pytest.raises(RoundRefused, match="已在本轮"):
        round_point_add(inspection_round=city_round, point=alleys[0])
    RoundCheck.objects.create(
        round_point=chosen,
        item=standard.bins,
        result=CheckResult.PASS,
        checked_by=tx.staff,
        checked_at=timezone.now(),
    )
    with pytest.raises(RoundRefused, match="不能重新抽样"):
        round_draw(inspection_round=city_round, actor=city_admin)


def test_points_are_shared_among_the_team_in_runs_along_the_streets(tx, city_admin, city_round):
    more_points(tx, ALLEY, 4, "胡同")
    round_draw(inspection_round=city_round, actor=city_admin)
    given = round_inspectors_split(inspection_round=city_round, district_ids=[tx.unit.pk])
    counts = sorted(
        RoundPoint.objects.filter(inspection_round=city_round).values_list("inspector__username", flat=True)
    )
    assert given == 4  # one market (the district has only its own) and three alleys
    assert counts.count("tx_staff") == 2 and counts.count("tx_supervisor2") == 2


# --- the 项 at a point --------------------------------------------------------------------------


def test_a_point_is_asked_the_items_of_its_type_and_never_the_records_only_ones(tx, standard):
    market_items = point_items(standard.standard.pk, tx.point.point_type)
    assert [item.code for item in market_items] == ["3.1.1", "3.1.2", "8.1.1"]
    alley = more_points(tx, ALLEY, 1, "胡同")[0]
    assert [item.code for item in point_items(standard.standard.pk, alley.point_type)] == ["3.1.1"]


def test_a_failed_item_is_logged_under_its_own_category_or_its_aspects_first(tx, standard):
    categories = campaign_categories(tx.campaign)
    assert category_for_item(standard.bins, categories) == tx.category  # named: 垃圾暴露
    assert category_for_item(standard.clutter, categories) == tx.category  # 方面 3's first
    assert category_for_item(standard.rats, categories) == tx.category2  # 方面 8's first: 鼠迹
    assert category_for_item(standard.records, categories) == categories[0]  # nothing fits: the first


# --- scoring a point ----------------------------------------------------------------------------


def market_point(city_round, tx):
    return round_point_add(inspection_round=city_round, point=tx.point)


def score(round_point, who, standard, key=None, fail=("bins", "rats")):
    return workflow.round_point_score(
        round_point=RoundPoint.objects.select_related("inspection_round", "point").get(pk=round_point.pk),
        actor=who,
        scores=[
            workflow.ItemScore(
                item=getattr(standard, name),
                result=CheckResult.FAIL if name in fail else CheckResult.PASS,
                note="西侧垃圾桶满溢" if name == "bins" else "",
                photos=[pending_photo(who)] if name in fail else [],
            )
            for name in ("bins", "clutter", "rats")
        ],
        submission_key=key,
    )


def test_an_inspector_scores_a_point_and_each_failure_becomes_a_ticket_of_the_round(tx, standard, city_round):
    round_point = market_point(city_round, tx)
    findings = score(round_point, tx.staff, standard)
    assert [finding.serial for finding in findings] == [1, 2]
    bins, rats = (finding.ticket for finding in findings)
    # The point's 责任部门 has it at once, due five working days from the letter.
    due = add_working_days(city_round.letter_date, 5)
    for ticket, category in ((bins, tx.category), (rats, tx.category2)):
        assert (ticket.inspection_round, ticket.point, ticket.category) == (city_round, tx.point, category)
        assert (ticket.state, ticket.responsible_unit, ticket.deadline) == (TicketState.ASSIGNED, tx.department, due)
        assert ticket.photos.filter(kind=PhotoKind.BEFORE).count() == 1
    assert bins.description == "【3.1.1】西侧垃圾桶满溢"
    assert rats.description == "【8.1.1】无鼠迹、防鼠设施完好"  # no note: the requirement says what failed
    checks = {check.item.code: check for check in RoundCheck.objects.filter(round_point=round_point)}
    assert {code: check.result for code, check in checks.items()} == {"3.1.1": "fail", "3.1.2": "pass", "8.1.1": "fail"}
    assert checks["3.1.1"].ticket == bins and checks["3.1.1"].finding == findings[0]
    round_point.refresh_from_db()
    city_round.refresh_from_db()
    assert round_point.inspected_at and round_point.inspector == tx.staff
    assert city_round.status == RoundStatus.INSPECTING


def test_a_failure_without_a_photo_is_refused_and_nothing_is_kept(tx, standard, city_round):
    round_point = market_point(city_round, tx)
    with pytest.raises(workflow.TransitionRefused, match="3.1.1"):
        workflow.round_point_score(
            round_point=round_point,
            actor=tx.staff,
            scores=[workflow.ItemScore(item=standard.bins, result=CheckResult.FAIL)],
        )
    assert not RoundCheck.objects.exists() and not RoundFinding.objects.exists()


def test_the_same_form_sent_twice_makes_one_ticket(tx, standard, city_round):
    round_point = market_point(city_round, tx)
    key = submission_key_new()
    score(round_point, tx.staff, standard, key=key, fail=("bins",))
    with pytest.raises(SubmissionRepeated):
        score(round_point, tx.staff, standard, key=key, fail=("bins",))
    assert RoundFinding.objects.count() == 1 and city_round.tickets.count() == 1


def test_scoring_a_point_again_keeps_the_tickets_it_made_and_adds_only_new_failures(tx, standard, city_round):
    round_point = market_point(city_round, tx)
    first = score(round_point, tx.staff, standard, fail=("bins",))
    # The second supervisor goes back in the afternoon: the bins still overflow, and now rats too.
    again = score(round_point, tx.supervisor2, standard, fail=("bins", "rats"))
    assert [finding.item for finding in again] == [standard.rats]
    assert city_round.tickets.count() == 2
    bins_check = RoundCheck.objects.get(round_point=round_point, item=standard.bins)
    assert bins_check.ticket == first[0].ticket and bins_check.checked_by == tx.staff


def test_only_the_team_working_in_the_district_may_score(tx, td, standard, city_round):
    round_point = market_point(city_round, tx)
    for outsider in (tx.supervisor, tx.leader, td.staff):  # not on the team; or a leader; or td's
        city_round.team.add(tx.leader, td.staff)
        with pytest.raises(workflow.ActionForbidden):
            score(round_point, outsider, standard)
    assert not RoundCheck.objects.exists()


def test_a_finished_round_takes_no_more_results(tx, standard, city_round):
    round_point = market_point(city_round, tx)
    round_finish(inspection_round=city_round)
    with pytest.raises(workflow.TransitionRefused, match="已结束"):
        score(round_point, tx.staff, standard)


# --- the 复查 -----------------------------------------------------------------------------------


@pytest.fixture
def finished_round(tx, standard, city_round):
    """Three problems at the market: 垃圾桶 fixed and 销号'd, 鼠迹 still being fixed, and a
    third (乱堆乱放) fixed and 销号'd — which will be back."""
    round_point = market_point(city_round, tx)
    findings = score(round_point, tx.staff, standard, fail=("bins", "clutter", "rats"))
    for index in (0, 1):
        ticket = workflow.ticket_sign(ticket=findings[index].ticket, actor=tx.unit_liaison)
        ticket = workflow.ticket_submit_fix(
            ticket=ticket,
            actor=tx.unit_liaison,
            note="已整改",
            photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)],
        )
        workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="核验通过")
    round_finish(inspection_round=city_round)
    return city_round, findings


def test_a_recheck_round_goes_back_to_the_points_of_the_findings(tx, city_admin, finished_round):
    original, findings = finished_round
    recheck = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk])
    assert (recheck.kind, recheck.rechecks, recheck.status) == ("recheck", original, RoundStatus.PLANNED)
    assert sampled(recheck) == [tx.point.pk]
    assert set(recheck.team.all()) == {tx.staff, tx.supervisor2}
    with pytest.raises(RoundRefused, match="复查轮次不能再"):
        recheck_round_create(original=recheck, actor=city_admin, district_ids=[tx.unit.pk])


def test_a_recheck_is_planned_for_after_the_rounds_deadline(tx, city_admin, finished_round):
    """The letter gave five working days: a 复查 asked for at once starts the day after them;
    one asked for once they have passed starts that day."""
    original, _findings = finished_round
    deadline = add_working_days(original.letter_date, 5)
    assert deadline > timezone.localdate()
    early = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk])
    assert (early.starts_on, early.ends_on) == (
        deadline + datetime.timedelta(days=1),
        deadline + datetime.timedelta(days=8),
    )
    late_day = deadline + datetime.timedelta(days=3)
    late = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk], today=late_day)
    assert late.starts_on == late_day


def test_a_recheck_is_only_for_a_finished_round(tx, city_admin, standard, city_round):
    score(market_point(city_round, tx), tx.staff, standard)
    with pytest.raises(RoundRefused, match="结束后"):
        recheck_round_create(original=city_round, actor=city_admin, district_ids=[tx.unit.pk])


def test_the_recheck_outcomes_reopen_what_came_back_and_give_the_rate(tx, city_admin, finished_round):
    original, (bins, clutter, rats) = finished_round
    recheck = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk])
    round_point = RoundPoint.objects.select_related("inspection_round", "point").get(inspection_round=recheck)
    photo_rats, photo_clutter = pending_photo(tx.staff, PhotoKind.RECHECK), pending_photo(tx.staff, PhotoKind.RECHECK)
    workflow.round_point_recheck(
        round_point=round_point,
        actor=tx.staff,  # a 网格员 on the team: the round, not a supervisor's role, lets them reopen
        rechecks=[
            workflow.FindingRecheck(finding=bins, outcome=FindingOutcome.FIXED),
            workflow.FindingRecheck(
                finding=rats, outcome=FindingOutcome.NOT_FIXED, note="仍有鼠粪", photos=[photo_rats]
            ),
            workflow.FindingRecheck(
                finding=clutter, outcome=FindingOutcome.RELAPSED, note="又堆满杂物", photos=[photo_clutter]
            ),
        ],
    )
    bins_ticket, rats_ticket, clutter_ticket = (Ticket.objects.get(pk=f.ticket_id) for f in (bins, rats, clutter))
    assert bins_ticket.state == TicketState.CLOSED  # fixed, and stays struck off
    assert rats_ticket.state == TicketState.ASSIGNED  # open: left in its chain, the 复查 recorded
    assert rats_ticket.photos.filter(kind=PhotoKind.RECHECK).get() == photo_rats
    assert (clutter_ticket.state, clutter_ticket.reopen_count) == (TicketState.RECTIFYING, 1)
    reopened = clutter_ticket.events.get(action=TicketAction.REOPEN)
    assert reopened.actor == tx.staff and "反弹" in reopened.note and list(reopened.photos.all()) == [photo_clutter]
    assert clutter_ticket.deadline >= timezone.localdate()
    outcomes = {f.serial: (f.outcome, f.outcome_round) for f in RoundFinding.objects.filter(inspection_round=original)}
    assert outcomes == {
        1: (FindingOutcome.FIXED, recheck),
        2: (FindingOutcome.RELAPSED, recheck),
        3: (FindingOutcome.NOT_FIXED, recheck),
    }
    rate = recheck_rate(recheck, [tx.unit.pk])
    assert (rate.to_recheck, rate.rechecked, rate.fixed, str(rate.rate)) == (3, 3, 1, "33.3")


def test_a_relapse_without_a_photo_is_refused(tx, city_admin, finished_round):
    original, (bins, _clutter, _rats) = finished_round
    recheck = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk])
    round_point = RoundPoint.objects.select_related("inspection_round", "point").get(inspection_round=recheck)
    with pytest.raises(workflow.TransitionRefused, match="照片"):
        workflow.round_point_recheck(
            round_point=round_point,
            actor=tx.staff,
            rechecks=[workflow.FindingRecheck(finding=bins, outcome=FindingOutcome.RELAPSED, note="又满了")],
        )
    bins.refresh_from_db()
    assert bins.outcome == "" and bins.ticket.state == TicketState.CLOSED


def test_the_recheck_deadline_is_never_in_the_past(tx, city_admin, finished_round):
    original, (bins, _clutter, _rats) = finished_round
    recheck = recheck_round_create(original=original, actor=city_admin, district_ids=[tx.unit.pk])
    recheck.letter_date = timezone.localdate() - datetime.timedelta(days=60)
    recheck.save(update_fields=["letter_date"])
    round_point = RoundPoint.objects.select_related("inspection_round", "point").get(inspection_round=recheck)
    workflow.round_point_recheck(
        round_point=round_point,
        actor=tx.supervisor2,
        rechecks=[
            workflow.FindingRecheck(
                finding=bins, outcome=FindingOutcome.RELAPSED, photos=[pending_photo(tx.supervisor2)]
            )
        ],
    )
    bins.ticket.refresh_from_db()
    assert bins.ticket.deadline == timezone.localdate()
