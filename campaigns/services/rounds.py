"""Inspection rounds: saving one, drawing its sample, the points by hand, its inspectors, its end,
and the 复查 round that goes back to what it found.

Tickets are not written here: a failed check becomes a ticket through the workflow
(campaigns/workflow/rounds.py and workflow.finding_record).

The sample is drawn per district and point type with its own random generator, seeded with
the round's seed, the district and the point type: the same seed over the same points gives
the same sample, and a point added in one district does not move another district's draw.
"""

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import scope_for
from campaigns.models import (
    Campaign,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    PointType,
    RoundCheck,
    RoundFinding,
    RoundKind,
    RoundPoint,
    RoundStatus,
    SampleQuota,
)
from campaigns.policy import WorkflowError
from campaigns.selectors.rounds import running_campaigns
from campaigns.signals import inspector_key
from campaigns.workdays import add_working_days

RECHECK_DAYS = 7  # a 复查 round's first plan: a week from its start, edited on its page


class RoundRefused(WorkflowError):
    """The round cannot do this now; the message says why."""


def seed_new() -> str:
    """A seed short enough to read out and write in the minutes of the draw."""
    return secrets.token_hex(4)


def inspector_forget(user_ids: Iterable[int]) -> None:
    cache.delete_many([inspector_key(pk) for pk in user_ids])


def _team_changed(inspection_round: InspectionRound) -> None:
    ids = list(inspection_round.team.values_list("pk", flat=True))
    transaction.on_commit(lambda: inspector_forget(ids))


def round_save(
    *,
    inspection_round: InspectionRound,
    actor: User,
    districts: Sequence[OrgUnit],
    team: Sequence[User],
    campaigns: Mapping[int, Campaign],
) -> InspectionRound:
    """Create or update a round whose fields a form has checked.

    Taking a district out drops its sampled points, unless one has been inspected; taking a
    person off the team gives their points back to nobody.
    """
    with transaction.atomic():
        creating = inspection_round.pk is None
        if creating:
            inspection_round.created_by = actor
            inspection_round.sample_seed = inspection_round.sample_seed or seed_new()
            inspection_round.save()
            before_team: set[int] = set()
        else:
            InspectionRound.objects.select_for_update().filter(pk=inspection_round.pk).first()
            before_team = set(inspection_round.team.values_list("pk", flat=True))
            kept = [district.pk for district in districts]
            leaving = RoundPoint.objects.filter(inspection_round=inspection_round).exclude(district_id__in=kept)
            if RoundCheck.objects.filter(round_point__in=leaving).exists():
                raise RoundRefused(_("要移出的区已有点位检查过，不能移出。"))
            leaving.delete()
            inspection_round.save()
        inspection_round.districts.set(districts)
        inspection_round.campaigns.set([campaigns[district.pk] for district in districts])
        inspection_round.team.set(team)
        gone = before_team - {person.pk for person in team}
        if gone:
            RoundPoint.objects.filter(inspection_round=inspection_round, inspector_id__in=gone).update(inspector=None)
        everyone = before_team | {person.pk for person in team}
        transaction.on_commit(lambda: inspector_forget(everyone))
    return inspection_round


# --- the sample -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawLine:
    """One district's point type in a draw: how many the quota asks, how many there are."""

    district: OrgUnit
    point_type: PointType
    wanted: int
    available: int

    @property
    def drawn(self) -> int:
        return min(self.wanted, self.available)

    @property
    def short(self) -> bool:
        return self.available < self.wanted


def sample_ids(seed: str, district_id: int, point_type_id: int, candidates: Iterable[int], wanted: int) -> list[int]:
    """`wanted` of the candidate points, at random but reproducibly (all of them if too few)."""
    pool = sorted(set(candidates))
    if len(pool) <= wanted:
        return pool
    # A reproducible draw that anyone can repeat from the seed, not a secret: random is right here.
    rng = random.Random(f"{seed}:{district_id}:{point_type_id}")  # nosec B311
    return sorted(rng.sample(pool, wanted))


def _quotas(inspection_round: InspectionRound, campaigns: Mapping[int, Campaign]) -> dict[str, list[SampleQuota]]:
    if inspection_round.standard_id is None:
        raise RoundRefused(_("请先在轮次设置中选择测评标准，抽样数量按标准来定。"))
    bands = {}
    for district_id, campaign in campaigns.items():
        if not campaign.population_band:
            raise RoundRefused(
                _("“%(campaign)s”还没有设置城市人口规模，不知道每类点位抽几个。请管理员在活动设置中选择。")
                % {"campaign": campaign.name}
            )
        bands[district_id] = campaign.population_band
    quotas: dict[str, list[SampleQuota]] = {}
    for quota in (
        SampleQuota.objects.filter(standard_id=inspection_round.standard_id, band__in=set(bands.values()))
        .select_related("point_type")
        .order_by("point_type__order", "point_type_id")
    ):
        quotas.setdefault(quota.band, []).append(quota)
    for band in bands.values():
        if not quotas.get(band):
            raise RoundRefused(_("所选标准没有这一人口规模的抽样数量，请先在标准的抽样数量里填写。"))
    return quotas


def round_draw(*, inspection_round: InspectionRound, actor: User, seed: str | None = None) -> list[DrawLine]:
    """Draw the round's sample from each district's active points, per the standard's quotas for
    the city's population band. Points chosen by hand stay; drawn points are drawn afresh.

    Refused once a point has been inspected: the sample is what was inspected.
    """
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=inspection_round.pk)
        if locked.status == RoundStatus.FINISHED:
            raise RoundRefused(_("本轮已结束，不能再抽样。"))
        if RoundCheck.objects.filter(round_point__inspection_round=locked).exists():
            raise RoundRefused(_("已有点位检查过，不能重新抽样；可以手动添加点位。"))
        districts = list(locked.districts.order_by("order", "id"))
        campaigns = running_campaigns(district.pk for district in districts)
        missing = [district.name for district in districts if district.pk not in campaigns]
        if missing:
            raise RoundRefused(_("%(names)s没有进行中的活动。") % {"names": "、".join(missing)})
        quotas = _quotas(locked, campaigns)
        if seed:
            locked.sample_seed = seed
            locked.save(update_fields=["sample_seed"])
        active: dict[tuple[int, int], list[int]] = {}
        for pk, district_id, type_id in InspectionPoint.objects.filter(
            district__in=districts, is_active=True
        ).values_list("pk", "district_id", "point_type_id"):
            active.setdefault((district_id, type_id), []).append(pk)
        RoundPoint.objects.filter(inspection_round=locked, drawn=True).delete()
        by_hand = set(RoundPoint.objects.filter(inspection_round=locked).values_list("point_id", flat=True))
        lines, new_points = [], []
        for district in districts:
            for quota in quotas[campaigns[district.pk].population_band]:
                candidates = active.get((district.pk, quota.point_type_id), [])
                lines.append(DrawLine(district, quota.point_type, quota.minimum, len(candidates)))
                for point_id in sample_ids(
                    locked.sample_seed, district.pk, quota.point_type_id, candidates, quota.minimum
                ):
                    if point_id not in by_hand:
                        new_points.append(RoundPoint(inspection_round=locked, point_id=point_id, district=district))
        RoundPoint.objects.bulk_create(new_points)
        inspection_round.sample_seed = locked.sample_seed
    return lines


def round_point_add(*, inspection_round: InspectionRound, point: InspectionPoint) -> RoundPoint:
    """Add a point by hand (drawn=False): one the assessors are known to like, or a complaint."""
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=inspection_round.pk)
        if locked.status == RoundStatus.FINISHED:
            raise RoundRefused(_("本轮已结束，不能再添加点位。"))
        if not point.is_active:
            raise RoundRefused(_("点位“%(name)s”已停用。") % {"name": point.name})
        if not locked.districts.filter(pk=point.district_id).exists():
            raise RoundRefused(_("点位不在本轮涉及的区。"))
        existing = RoundPoint.objects.filter(inspection_round=locked, point=point).first()
        if existing is not None:
            raise RoundRefused(_("点位“%(name)s”已在本轮抽样里。") % {"name": point.name})
        return RoundPoint.objects.create(
            inspection_round=locked, point=point, district_id=point.district_id, drawn=False
        )


def round_point_remove(*, round_point: RoundPoint) -> None:
    """Take a point out of the sample, drawn or chosen, unless it has been inspected."""
    with transaction.atomic():
        InspectionRound.objects.select_for_update().filter(pk=round_point.inspection_round_id).first()
        if round_point.inspected_at is not None or RoundCheck.objects.filter(round_point=round_point).exists():
            raise RoundRefused(_("点位“%(name)s”已检查过，不能移出。") % {"name": round_point.point.name})
        RoundPoint.objects.filter(pk=round_point.pk).delete()


# --- inspectors -----------------------------------------------------------------------------


def inspectors_by_district(inspection_round: InspectionRound, district_ids: Iterable[int]) -> dict[int, list[User]]:
    """The team members who may inspect in each district (a working role there)."""
    team = list(inspection_round.team.order_by("first_name", "username"))
    found: dict[int, list[User]] = {}
    for district_id in district_ids:
        found[district_id] = [person for person in team if scope_for(person).can_log(district_id)]
    return found


def round_inspectors_split(*, inspection_round: InspectionRound, district_ids: Iterable[int]) -> int:
    """Share each district's points among its inspectors in runs along the street list (each
    takes neighbouring points, not every n-th across the district); points inspected already
    keep who inspected them. Returns the number of points given an inspector."""
    ids = list(district_ids)
    eligible = inspectors_by_district(inspection_round, ids)
    given = 0
    with transaction.atomic():
        InspectionRound.objects.select_for_update().filter(pk=inspection_round.pk).first()
        for district_id in ids:
            people = eligible.get(district_id) or []
            if not people:
                continue
            points = list(
                RoundPoint.objects.filter(
                    inspection_round=inspection_round, district_id=district_id, inspected_at__isnull=True
                ).order_by("point__street__order", "point__street_id", "point__point_type__order", "point__name", "id")
            )
            size, extra = divmod(len(points), len(people))
            start = 0
            for index, person in enumerate(people):
                end = start + size + (1 if index < extra else 0)
                chunk = [point.pk for point in points[start:end]]
                given += RoundPoint.objects.filter(pk__in=chunk).update(inspector=person)
                start = end
    return given


def round_inspector_set(
    *, round_point: RoundPoint, inspector: User | None, eligible: Sequence[User] | None = None
) -> None:
    """Give one point to a team member who works in its district (or to nobody). `eligible`: the
    district's inspectors when the caller has them already (a page of points at once)."""
    if inspector is not None:
        if eligible is None:
            eligible = inspectors_by_district(round_point.inspection_round, [round_point.district_id])[
                round_point.district_id
            ]
        if inspector.pk not in {person.pk for person in eligible}:
            raise RoundRefused(_("只能分给本轮检查组里在这个区有工作角色的成员。"))
    RoundPoint.objects.filter(pk=round_point.pk).update(inspector=inspector)


# --- the round's life -------------------------------------------------------------------------


def round_finish(*, inspection_round: InspectionRound) -> InspectionRound:
    """结束本轮: nothing more is scored; its findings wait for their 复查."""
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=inspection_round.pk)
        if locked.status == RoundStatus.FINISHED:
            raise RoundRefused(_("本轮已经结束。"))
        locked.status = RoundStatus.FINISHED
        locked.save(update_fields=["status"])
        _team_changed(locked)
    inspection_round.status = RoundStatus.FINISHED
    return inspection_round


def round_started(inspection_round: InspectionRound) -> None:
    """The first point scored puts a planned round in 检查中 (inside the scoring transaction)."""
    InspectionRound.objects.filter(pk=inspection_round.pk, status=RoundStatus.PLANNED).update(
        status=RoundStatus.INSPECTING
    )


def recheck_round_create(
    *, original: InspectionRound, actor: User, district_ids: Sequence[int], today: date | None = None
) -> InspectionRound:
    """A 复查 round over a finished round: the same districts, team and standard, and as its
    points the points of the original findings. It is planned for after the original's 整改时限
    (the letter's date + its working days), or from today once that has passed. Dates, letter
    and team are edited after."""
    today = today or timezone.localdate()
    starts = today
    if original.letter_date:
        starts = max(today, add_working_days(original.letter_date, original.deadline_working_days) + timedelta(days=1))
    if original.kind == RoundKind.RECHECK:
        raise RoundRefused(_("复查轮次不能再发起复查；请对原轮次发起。"))
    if original.status != RoundStatus.FINISHED:
        raise RoundRefused(_("本轮结束后才能发起复查。"))
    findings = RoundFinding.objects.filter(inspection_round=original, district_id__in=district_ids)
    if not findings.exists():
        raise RoundRefused(_("本轮没有发现问题，无需复查。"))
    with transaction.atomic():
        recheck = InspectionRound.objects.create(
            standard_id=original.standard_id,
            kind=RoundKind.RECHECK,
            level=original.level,
            name=_("%(name)s复查") % {"name": original.name},
            starts_on=starts,
            ends_on=starts + timedelta(days=RECHECK_DAYS),
            deadline_working_days=original.deadline_working_days,
            rechecks=original,
            created_by=actor,
            sample_seed="",
        )
        recheck.districts.set(district_ids)
        recheck.campaigns.set(original.campaigns.filter(district_id__in=district_ids))
        recheck.team.set(original.team.all())
        places = (
            findings.filter(ticket__point__isnull=False)
            .values_list("district_id", "ticket__point_id")
            .order_by("district_id", "ticket__point_id")
            .distinct()
        )
        RoundPoint.objects.bulk_create(
            RoundPoint(inspection_round=recheck, district_id=district_id, point_id=point_id, drawn=False)
            for district_id, point_id in places
        )
        round_inspectors_split(inspection_round=recheck, district_ids=district_ids)
        _team_changed(recheck)
    return recheck
