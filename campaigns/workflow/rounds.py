"""An inspector's results at a sampled point: the checks of a round, and the outcomes of a 复查.

    scored point ──不达标──▶ RoundCheck + finding_record ──▶ a ticket tagged with its round
    复查 ──已整改 / 未整改 / 反弹──▶ the finding's outcome; a closed ticket that is not fixed is reopened

Everything one submit sends commits together or not at all, with the form's one-time key: the
same form sent again makes nothing more. A check that made a ticket stays as it was when the
point is scored again (its ticket is in the 交办 chain; a supervisor voids it if it was wrong),
so scoring twice never makes a second ticket.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..access import is_inspector, scope_for
from ..models import (
    CampaignStatus,
    CheckResult,
    FindingOutcome,
    InspectionRound,
    PhotoKind,
    RoundCheck,
    RoundFinding,
    RoundKind,
    RoundPoint,
    RoundStatus,
    StandardItem,
    SubmissionKind,
    Ticket,
    TicketAction,
    TicketPhoto,
    TicketState,
)
from ..policy import ActionForbidden, TransitionRefused
from ..selectors.rounds import campaign_categories, category_for_item, running_campaigns
from ..services.rounds import round_started
from ..services.submissions import submission_claim, submission_once
from .core import act, claim_photos
from .findings import finding_deadline, finding_record
from .tickets import apply_reopen


@dataclass(frozen=True)
class ItemScore:
    """What the inspector said of one 项 at the point."""

    item: StandardItem
    result: str
    note: str = ""
    photos: Sequence[TicketPhoto] = ()


@dataclass(frozen=True)
class FindingRecheck:
    """What a 复查 inspector found of one original finding."""

    finding: RoundFinding
    outcome: str
    note: str = ""
    photos: Sequence[TicketPhoto] = ()


def _may_inspect(round_point: RoundPoint, actor: User) -> InspectionRound:
    inspection_round = round_point.inspection_round
    if not is_inspector(scope_for(actor), inspection_round, actor, round_point.district_id):
        raise ActionForbidden(_("只有本轮检查组的成员可以检查这个点位。"))
    if inspection_round.status == RoundStatus.FINISHED:
        raise TransitionRefused(_("本轮检查已结束，不能再提交结果。"))
    return inspection_round


def round_deadline(inspection_round: InspectionRound, today: date) -> date:
    """The 整改时限 of what the round finds; a letter old enough to put it in the past gives today."""
    return max(finding_deadline(inspection_round, today), today)


def _lock_point(round_point: RoundPoint, actor: User, submission_key: str | None, kind: str) -> None:
    # One inspector at a time per point: a second, at the same instant, waits here and then sees
    # the checks (and tickets) the first one made.
    RoundPoint.objects.select_for_update().filter(pk=round_point.pk).first()
    if submission_key:
        submission_claim(
            key=submission_key,
            user=actor,
            kind=kind,
            object_id=round_point.pk,
            url=reverse("campaigns:inspect-point", args=[round_point.pk]),
        )


def _finding_text(item: StandardItem, note: str) -> str:
    return f"【{item.code}】{note.strip() or item.requirement}"


def round_point_score(
    *, round_point: RoundPoint, actor: User, scores: Sequence[ItemScore], submission_key: str | None = None
) -> list[RoundFinding]:
    """Record the point's checks; every new 不达标 becomes a ticket (finding_record) with its
    photos, at the point, under the 项's category, due N working days from the round's letter
    and — when the point has a 责任部门 — handed to it straight away. Returns the new findings.
    """
    inspection_round = _may_inspect(round_point, actor)
    if inspection_round.kind == RoundKind.RECHECK:
        raise TransitionRefused(_("复查轮次按原来发现的问题复查，不逐项打分。"))
    # The campaign the round was set up under; if that one has ended, the district's running one.
    campaign = inspection_round.campaigns.filter(district_id=round_point.district_id).order_by("-id").first()
    if campaign is None or campaign.status != CampaignStatus.RUNNING:
        campaign = running_campaigns([round_point.district_id]).get(round_point.district_id, campaign)
    if campaign is None:
        raise TransitionRefused(_("本区没有进行中的活动，发现的问题无处登记。"))
    for score in scores:
        if score.result == CheckResult.FAIL and not score.photos:
            raise TransitionRefused(_("“%(code)s”不达标，请至少拍一张照片。") % {"code": score.item.code})
    categories = campaign_categories(campaign)
    point = round_point.point
    unit = point.responsible_department if point.responsible_department_id else None
    today = timezone.localdate()
    findings: list[RoundFinding] = []
    with submission_once(submission_key, actor, SubmissionKind.ROUND_POINT), transaction.atomic():
        _lock_point(round_point, actor, submission_key, SubmissionKind.ROUND_POINT)
        now = timezone.now()
        existing = {check.item_id: check for check in RoundCheck.objects.filter(round_point=round_point)}
        for score in scores:
            check = existing.get(score.item.pk)
            if check is not None and check.ticket_id is not None:
                continue  # it made its ticket already: that stays the record
            if check is None:
                check = RoundCheck(round_point=round_point, item=score.item)
            check.result, check.note = score.result, score.note.strip()
            check.checked_by, check.checked_at = actor, now
            check.save()
            if score.result != CheckResult.FAIL:
                continue
            category = category_for_item(score.item, categories)
            if category is None:
                raise TransitionRefused(_("活动没有可用的问题类别，请管理员先设置问题类别。"))
            assignment = None
            if unit is not None and unit.is_active:
                assignment = {"unit": unit, "person": "", "deadline": round_deadline(inspection_round, today)}
            findings.append(
                finding_record(
                    inspection_round=inspection_round,
                    actor=actor,
                    campaign=campaign,
                    category=category,
                    description=_finding_text(score.item, score.note),
                    point=point,
                    photos=score.photos,
                    item=score.item,
                    source_check=check,
                    assignment=assignment,
                )
            )
        round_point.inspected_at = now
        round_point.inspector = round_point.inspector or actor
        round_point.save(update_fields=["inspected_at", "inspector"])
        round_started(inspection_round)
    return findings


def _recheck_reason(recheck: InspectionRound, outcome: str, note: str) -> str:
    label = FindingOutcome(outcome).label
    text = _("%(round)s：%(outcome)s") % {"round": recheck.name, "outcome": label}
    return f"{text}。{note.strip()}" if note.strip() else text


def round_point_recheck(
    *,
    round_point: RoundPoint,
    actor: User,
    rechecks: Sequence[FindingRecheck],
    submission_key: str | None = None,
) -> list[RoundFinding]:
    """Record how each original finding at the point ended: 已整改, 未整改 or 反弹.

    未整改 and 反弹 want a photo. A closed (销号) ticket whose problem is there again is reopened
    (反弹 on the unit's record) through the reopen verb, with the photo; an open ticket is left in
    its chain and the outcome recorded, its photo kept on the ticket. The inspector's reach comes
    from the round (a team member working in the district), as the campaign's own 复查 lets a
    street's staff answer 反弹: the reopen asks only that the ticket is closed.
    """
    recheck = _may_inspect(round_point, actor)
    if recheck.rechecks_id is None:
        raise TransitionRefused(_("这不是复查轮次。"))
    today = timezone.localdate()
    done: list[RoundFinding] = []
    for entry in rechecks:
        finding = entry.finding
        if finding.inspection_round_id != recheck.rechecks_id or finding.district_id != round_point.district_id:
            raise TransitionRefused(_("这个问题不属于本次复查。"))
        if entry.outcome != FindingOutcome.FIXED and not entry.photos:
            raise TransitionRefused(
                _("序号 %(serial)s 为“%(outcome)s”，请拍一张现场照片。")
                % {"serial": finding.serial, "outcome": FindingOutcome(entry.outcome).label}
            )
    with submission_once(submission_key, actor, SubmissionKind.ROUND_POINT), transaction.atomic():
        _lock_point(round_point, actor, submission_key, SubmissionKind.ROUND_POINT)
        now = timezone.now()
        for entry in rechecks:
            finding = entry.finding
            ticket = Ticket.objects.select_for_update().filter(pk=finding.ticket_id).only("state").first()
            if ticket is not None and entry.outcome != FindingOutcome.FIXED and ticket.state == TicketState.CLOSED:
                with act(ticket, TicketAction.REOPEN, actor, system=True) as locked:
                    event = apply_reopen(
                        locked,
                        actor,
                        reason=_recheck_reason(recheck, entry.outcome, entry.note),
                        deadline=round_deadline(recheck, today),
                        details={"round": recheck.name},
                    )
                claim_photos(entry.photos, ticket=locked, event=event, kind=PhotoKind.RECHECK, actor=actor)
            elif ticket is not None:
                _photos_onto(ticket.pk, entry.photos, actor)
            finding.outcome = entry.outcome
            finding.outcome_round = recheck
            finding.outcome_at = now
            finding.outcome_by = actor
            finding.outcome_note = entry.note.strip()
            finding.save(update_fields=["outcome", "outcome_round", "outcome_at", "outcome_by", "outcome_note"])
            if entry.photos:
                finding.outcome_photos.add(*entry.photos)
            done.append(finding)
        round_point.inspected_at = now
        round_point.inspector = round_point.inspector or actor
        round_point.save(update_fields=["inspected_at", "inspector"])
        round_started(recheck)
    return done


def _photos_onto(ticket_id: int, photos: Sequence[TicketPhoto], actor: User) -> None:
    """A 复查 photo of a ticket still open: kept on the ticket (no act of its chain took it)."""
    ids = [photo.pk for photo in photos]
    if not ids:
        return
    claimed = TicketPhoto.objects.filter(pk__in=ids, ticket__isnull=True, uploaded_by=actor).update(
        ticket_id=ticket_id, kind=PhotoKind.RECHECK
    )
    if claimed != len(ids):
        raise TransitionRefused(_("有照片已失效或不属于您，请重新选择照片。"))
