"""Writing weeks of demo history the way the workflow would have written it."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from campaigns.models import ClosingLevel, PhotoKind, TicketAction, TicketState, UnitKind
from campaigns.services.system_actor import system_user
from campaigns.workflow.tickets import sign_due

from .chain_stories import write_chain_stories
from .places import REOPEN_REASONS, RETURN_REASONS, VOID_REASONS, person_name, phone_number
from .problems import PROBLEMS
from .timeline import HistoryWriter, PhotoBank, at_most, local_moment, recheck_dates_fill, ticket_new

__all__ = ["PhotoBank", "generate_tickets"]

# The states the overdue ladder climbs in (workflow/ladder.py): the unit still has the ticket.
LADDER_STATES = (TicketState.ASSIGNED, TicketState.RECTIFYING)
HOLD_REASONS = [
    "需结合道路改造工程实施，已列入明年计划。",
    "涉及管网改造，资金待区财政批复后施工。",
    "冬季低温无法施工，开春后实施。",
]


def _fixer_for(unit, liaisons, unit_user):
    if unit_user is not None and unit.pk in {m.unit_id for m in unit_user.memberships.all()}:
        return unit_user
    key = unit.street_id if unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) else unit.pk
    return liaisons.get(key) or liaisons.get(unit.pk)


def generate_tickets(
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
    checklist=(),
    demo_users=None,
):
    now = timezone.now()
    items_by_area = {}
    for item in checklist:
        items_by_area.setdefault(item.area_id, []).append(item)
    moments = sorted(
        now - datetime.timedelta(days=rng.uniform(0, 60), minutes=rng.randrange(0, 600))
        for _ in range(spec.ticket_count)
    )
    ctx = _Context(
        campaign=campaign,
        rng=rng,
        now=now,
        managers=managers,
        levels=list(ClosingLevel.objects.filter(campaign=campaign).order_by("order")),
        system=system_user(),
        liaisons=liaisons,
        unit_user=unit_user,
    )
    unit_dept = departments.get("区执法局")
    for reported_at in moments:
        point = rng.choice(points) if rng.random() < 0.8 else None
        street = streets[rng.randrange(len(streets))] if point is None else None
        category, description = _problem(rng, categories, point)
        with transaction.atomic():
            ticket = ticket_new(
                district=district,
                campaign=campaign,
                category=category,
                reporter=rng.choice(reporters),
                reported_at=reported_at,
                point=point,
                street=street,
                place="" if point else f"{street.name}辖区 {rng.randrange(1, 300)}号附近",
                description=description,
                finder_group=rng.choice(finder_groups) if finder_groups else None,
                checklist_item=(
                    rng.choice(items_by_area[category.area_id])
                    if items_by_area.get(category.area_id) and rng.random() < 0.7
                    else None
                ),
            )
            history = HistoryWriter(ticket, photos)
            history.event(
                TicketAction.LOG, ticket.reported_by, reported_at, TicketState.REPORTED, photo_kind=PhotoKind.BEFORE
            )
            _live(
                history,
                ctx,
                point=point,
                departments=departments,
                unit_dept=unit_dept,
                responsible_pool=responsible_pool,
                work_lines=work_lines,
            )
            if ticket.state in LADDER_STATES and ticket.deadline and ticket.deadline < timezone.localdate(now):
                history.escalate(ctx.system, campaign.escalation_ladder, now)
            ticket.save()
    stories = 0
    if demo_users and "tx_unit2" in demo_users:
        stories = write_chain_stories(
            district=district,
            campaign=campaign,
            users=demo_users,
            departments=departments,
            points=points,
            categories=categories,
            photos=photos,
            levels=ctx.levels,
            now=now,
        )
    recheck_dates_fill(district)
    return spec.ticket_count + stories


def _problem(rng, categories, point):
    """A category of problem found at `point` (None: at a street address) and its description."""
    point_type = point.point_type.name if point is not None else None
    fitting = [
        (category, texts)
        for category in categories
        if category.name in PROBLEMS and (texts := PROBLEMS[category.name].descriptions_for(point_type))
    ]
    category, texts = rng.choice(fitting)
    return category, rng.choice(texts)


@dataclass
class _Context:
    campaign: object
    rng: object
    now: datetime.datetime
    managers: list
    levels: list
    system: object
    liaisons: dict
    unit_user: object


def _live(history, ctx, *, point, departments, unit_dept, responsible_pool, work_lines):
    """One ticket's life from 登记 to wherever it is now, by its age and a roll of the dice."""
    ticket, rng, now = history.ticket, ctx.rng, ctx.now
    age_days = (now - ticket.reported_at).total_seconds() / 86400
    roll = rng.random()
    if roll < 0.04:
        at = at_most(ticket.reported_at + datetime.timedelta(hours=rng.uniform(1, 20)), now)
        history.event(
            TicketAction.VOID, rng.choice(ctx.managers), at, TicketState.VOIDED, note=rng.choice(VOID_REASONS)
        )
        return
    if (age_days < 3 and roll < 0.5) or (age_days < 10 and roll < 0.1):
        return  # still waiting for triage

    # 交办
    if point is not None and point.responsible_department_id and rng.random() < 0.6:
        unit = next(d for d in departments.values() if d.pk == point.responsible_department_id)
    elif unit_dept is not None and rng.random() < 0.25:
        unit = unit_dept
    else:
        unit = rng.choice(responsible_pool)
    assigned_at = at_most(ticket.reported_at + datetime.timedelta(hours=rng.uniform(0.5, 30)), now)
    history.assign(
        rng.choice(ctx.managers),
        assigned_at,
        unit,
        person=person_name(rng),
        phone=phone_number(rng),
        deadline=timezone.localdate(assigned_at) + datetime.timedelta(days=ticket.category.default_deadline_days),
        sign_due_at=sign_due(assigned_at, ctx.campaign),
        work_group=rng.choice(work_lines) if work_lines and rng.random() < 0.7 else None,
    )
    fixer = _fixer_for(unit, ctx.liaisons, ctx.unit_user) or rng.choice(ctx.managers)
    if age_days < 4 and rng.random() < 0.4:
        return  # 待签收: the unit has not acknowledged it yet (超时未签收 once past sign_due_at)
    # 签收: most units sign within hours; a few are late.
    history.sign(fixer, at_most(assigned_at + datetime.timedelta(hours=rng.uniform(0.3, 30)), now))
    # Tickets past their time are mostly struck off; younger ones are still being worked on.
    stage = rng.random()
    if age_days > 30:
        still_rectifying, still_submitted = 0.02, 0.02
    elif age_days > ticket.category.default_deadline_days + 1:
        still_rectifying, still_submitted = 0.06, 0.1
    else:
        still_rectifying, still_submitted = 0.5, 0.75
    if stage < still_rectifying:
        if age_days > 10 and rng.random() < 0.25:
            # 挂账: an engineering fix that waits for its season, approved by a supervisor.
            held_at = at_most(ticket.signed_at + datetime.timedelta(hours=rng.uniform(2, 48)), now)
            details = {"until": (timezone.localdate() + datetime.timedelta(days=rng.randint(10, 60))).isoformat()}
            details["current_deadline"] = ticket.deadline.isoformat()
            details["remaining_days"] = max((ticket.deadline - timezone.localdate(held_at)).days, 0)
            ticket.hold_until = datetime.date.fromisoformat(details["until"])
            history.event(
                TicketAction.HOLD,
                rng.choice(ctx.managers),
                held_at,
                TicketState.ON_HOLD,
                note=rng.choice(HOLD_REASONS),
                details=details,
            )
        return
    _fix_and_close(history, ctx, fixer, waits=stage < still_submitted, age_days=age_days)


def _fix_and_close(history, ctx, fixer, *, waits, age_days):
    """提交整改 (once, or twice around a 退回), then the 销号 chain, 复查 and now and then a 反弹."""
    ticket, rng, now, levels = history.ticket, ctx.rng, ctx.now, ctx.levels
    problem = PROBLEMS.get(ticket.category.name)
    fixes = problem.fixes if problem else ("已整改完毕。",)
    # The level below the last is the task force's (a supervisor); the last, the office's.
    reviewer = next(m for m in ctx.managers if m.pk != fixer.pk)
    closer = next((m for m in reversed(ctx.managers) if m.pk not in (fixer.pk, reviewer.pk)), reviewer)
    two_levels = len(levels) > 1 and closer.pk != reviewer.pk
    if not two_levels:
        levels, closer = levels[-1:], reviewer
    returned = rng.random() < 0.12
    moment = ticket.signed_at
    for attempt in range(2 if returned else 1):
        moment = at_most(moment + datetime.timedelta(hours=rng.uniform(4, 70)), now)
        if waits and attempt == (1 if returned else 0):
            # A fix waiting for verification was sent lately: offices verify within days.
            moment = max(moment, at_most(now - datetime.timedelta(hours=rng.uniform(2, 60)), now))
        history.submit_fix(fixer, moment, rng.choice(fixes))
        if attempt == 0 and returned:
            moment = at_most(moment + datetime.timedelta(hours=rng.uniform(1, 24)), now)
            history.return_fix(reviewer, moment, levels, rng.choice(RETURN_REASONS))
    if two_levels and (not waits or rng.random() < 0.4):
        moment = at_most(moment + datetime.timedelta(hours=rng.uniform(1, 30)), now)
        history.review(reviewer, moment, levels)  # some fixes now wait at the office's level
    if waits:
        return
    moment = at_most(moment + datetime.timedelta(hours=rng.uniform(1, 40)), now)
    history.close_out(closer, moment, levels)
    if rng.random() < 0.05 and age_days > 10:
        moment = at_most(moment + datetime.timedelta(days=rng.uniform(2, 6)), now)
        history.plan_rechecks(ctx.campaign.recheck_offsets, cancelled=True)  # that 销号 is undone
        new_deadline = timezone.localdate(moment) + datetime.timedelta(days=3)
        details = {
            "deadline": new_deadline.isoformat(),
            "previous_closed_at": timezone.localtime(ticket.closed_at).isoformat(),
        }
        history.event(
            TicketAction.REOPEN,
            rng.choice(ctx.managers),
            moment,
            TicketState.RECTIFYING,
            note=rng.choice(REOPEN_REASONS),
            details=details,
        )
        ticket.reopen_count += 1
        ticket.deadline = new_deadline
        ticket.closed_at = ticket.closed_by = None
        return
    today = timezone.localdate(now)
    rechecker = ctx.liaisons.get(ticket.street_id) or reviewer
    for recheck in history.plan_rechecks(ctx.campaign.recheck_offsets):
        # 复查 due before yesterday were mostly done; the latest (and a few forgotten) still wait.
        if recheck.due_on < today - datetime.timedelta(days=1) and rng.random() < 0.95:
            history.recheck_kept(
                rechecker, at_most(local_moment(recheck.due_on, 9, rng.randrange(0, 59)), now), recheck
            )
