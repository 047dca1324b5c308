"""Reads of inspection rounds: the list, a round's progress and findings, the 复查 rate, the 项
that apply at a point, and an inspector's morning of points.

Each district sees only its own part of a round: every read here takes the district ids the
person may see of it (campaigns/access.py get_round_for_user) and counts nothing outside them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.access import scope_for
from campaigns.models import (
    Campaign,
    CampaignStatus,
    FindingOutcome,
    InspectionPoint,
    InspectionRound,
    PhotoKind,
    PointType,
    ProblemCategory,
    RoundFinding,
    RoundPoint,
    RoundStatus,
    SampleQuota,
    StandardItem,
    TicketPhoto,
)

INSPECTOR_KEY = "inspector:{}"
INSPECTOR_SECONDS = 600


def running_campaigns(district_ids: Iterable[int]) -> dict[int, Campaign]:
    """Each district's running campaign (its newest), which the round's tickets belong to."""
    found: dict[int, Campaign] = {}
    for campaign in (
        Campaign.objects.filter(district_id__in=list(district_ids), status=CampaignStatus.RUNNING)
        .select_related("district")
        .order_by("district_id", "-start_date", "-id")
    ):
        found.setdefault(campaign.district_id, campaign)
    return found


def _count(model: type[RoundPoint] | type[RoundFinding], district_ids: Sequence[int], **filters: object) -> Coalesce:
    counted = (
        model.objects.filter(inspection_round=OuterRef("pk"), district_id__in=district_ids, **filters)
        .order_by()
        .values("inspection_round")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def rounds_with_figures(rounds: QuerySet[InspectionRound], district_ids: Sequence[int]) -> QuerySet[InspectionRound]:
    """Each round with its points, points inspected and findings — of these districts only."""
    return rounds.annotate(
        points_total=_count(RoundPoint, district_ids),
        points_done=_count(RoundPoint, district_ids, inspected_at__isnull=False),
        findings_total=_count(RoundFinding, district_ids),
    )


@dataclass
class Progress:
    """Points inspected out of the sample, for a district or an inspector."""

    label: str
    total: int = 0
    done: int = 0
    findings: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class RoundProgress:
    districts: list[Progress] = field(default_factory=list)
    inspectors: list[Progress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.total for row in self.districts)

    @property
    def done(self) -> int:
        return sum(row.done for row in self.districts)


def round_progress(inspection_round: InspectionRound, district_ids: Sequence[int]) -> RoundProgress:
    """Points inspected per district and per inspector (two aggregate queries, and the names)."""
    progress = RoundProgress()
    points = RoundPoint.objects.filter(inspection_round=inspection_round, district_id__in=district_ids).order_by()
    by_district = {
        row["district_id"]: row
        for row in points.values("district_id", "district__name").annotate(
            total=Count("id"), done=Count("id", filter=Q(inspected_at__isnull=False))
        )
    }
    found = dict(
        RoundFinding.objects.filter(inspection_round=inspection_round, district_id__in=district_ids)
        .order_by()
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    for district_id in district_ids:
        row = by_district.get(district_id)
        if row is not None:
            progress.districts.append(
                Progress(row["district__name"], row["total"], row["done"], found.get(district_id, 0))
            )
    for row in (
        points.values("inspector_id", "inspector__first_name", "inspector__username")
        .annotate(total=Count("id"), done=Count("id", filter=Q(inspected_at__isnull=False)))
        .order_by("inspector__first_name", "inspector_id")
    ):
        name = row["inspector__first_name"] or row["inspector__username"] or ""
        progress.inspectors.append(Progress(name, row["total"], row["done"]))
    return progress


def round_findings(inspection_round: InspectionRound, district_ids: Sequence[int]) -> QuerySet[RoundFinding]:
    """The findings of a round in these districts, with what their rows show."""
    return (
        RoundFinding.objects.filter(inspection_round=inspection_round, district_id__in=district_ids)
        .select_related("district", "item", "category", "ticket", "ticket__point", "outcome_round")
        .order_by("district__order", "district_id", "serial")
    )


@dataclass
class RecheckRate:
    """整改率 of a 复查 round: 已整改 ÷ 复查的问题."""

    to_recheck: int = 0
    fixed: int = 0
    not_fixed: int = 0
    relapsed: int = 0

    @property
    def rechecked(self) -> int:
        return self.fixed + self.not_fixed + self.relapsed

    @property
    def rate(self) -> Decimal | None:
        if not self.rechecked:
            return None
        return (Decimal(100) * self.fixed / self.rechecked).quantize(Decimal("0.1"))


def recheck_rate(recheck: InspectionRound, district_ids: Sequence[int]) -> RecheckRate:
    """One aggregate over the original findings of these districts."""
    counts = RoundFinding.objects.filter(
        inspection_round_id=recheck.rechecks_id, district_id__in=district_ids
    ).aggregate(
        to_recheck=Count("id"),
        fixed=Count("id", filter=Q(outcome_round=recheck, outcome=FindingOutcome.FIXED)),
        not_fixed=Count("id", filter=Q(outcome_round=recheck, outcome=FindingOutcome.NOT_FIXED)),
        relapsed=Count("id", filter=Q(outcome_round=recheck, outcome=FindingOutcome.RELAPSED)),
    )
    return RecheckRate(**counts)


@dataclass(frozen=True)
class QuotaRow:
    """A district's point type against the quota: asked, active points there, in the sample."""

    district: str
    point_type: str
    wanted: int
    available: int
    sampled: int

    @property
    def short(self) -> bool:
        return self.available < self.wanted


def sample_quota_rows(inspection_round: InspectionRound, district_ids: Sequence[int]) -> list[QuotaRow]:
    """The quota table of a round's sample (empty without a standard or a population band)."""
    campaigns = running_campaigns(district_ids)
    bands = {d: c.population_band for d, c in campaigns.items() if c.population_band}
    if inspection_round.standard_id is None or not bands:
        return []
    quotas: dict[str, list[SampleQuota]] = {}
    for quota in (
        SampleQuota.objects.filter(standard_id=inspection_round.standard_id, band__in=set(bands.values()))
        .select_related("point_type")
        .order_by("point_type__order", "point_type_id")
    ):
        quotas.setdefault(quota.band, []).append(quota)
    available = {
        (row["district_id"], row["point_type_id"]): row["n"]
        for row in InspectionPoint.objects.filter(district_id__in=list(bands), is_active=True)
        .order_by()
        .values("district_id", "point_type_id")
        .annotate(n=Count("id"))
    }
    sampled = {
        (row["district_id"], row["point__point_type_id"]): row["n"]
        for row in RoundPoint.objects.filter(inspection_round=inspection_round, district_id__in=list(bands))
        .order_by()
        .values("district_id", "point__point_type_id")
        .annotate(n=Count("id"))
    }
    rows = []
    for district_id, band in bands.items():
        name = campaigns[district_id].district.name
        for quota in quotas.get(band, []):
            key = (district_id, quota.point_type_id)
            rows.append(
                QuotaRow(name, quota.point_type.name, quota.minimum, available.get(key, 0), sampled.get(key, 0))
            )
    return rows


# --- at a point -------------------------------------------------------------------------------


def point_items(standard_id: int | None, point_type: PointType) -> list[StandardItem]:
    """The 项 checked at a point of this type: those whose 适用点位类型 include it.

    A 项 with no point types is never asked at a point: it is assessed on the office's records,
    surveys or data (资料审核), not at a place.
    """
    if standard_id is None:
        return []
    return list(
        StandardItem.objects.filter(article__aspect__standard_id=standard_id, point_types=point_type)
        .select_related("article__aspect")
        .order_by("article__aspect__order", "article__order", "order", "code", "id")
    )


def category_for_item(item: StandardItem, categories: Sequence[ProblemCategory]) -> ProblemCategory | None:
    """The problem category a failed 项 is logged under, among a campaign's active categories:

    1. the one named as the 项's 对应问题类别 (category_name);
    2. else the first of the 测评类别 whose code is the 项's 方面 code (the campaign's areas are
       the standard's 方面, by code);
    3. else the campaign's first category — the supervisor can recategorise at 交办.
    """
    if not categories:
        return None
    if item.category_name:
        for category in categories:
            if category.name == item.category_name:
                return category
    aspect_code = item.article.aspect.code
    for category in categories:
        if category.area.code == aspect_code:
            return category
    return categories[0]


def campaign_categories(campaign: Campaign) -> list[ProblemCategory]:
    return list(
        ProblemCategory.objects.filter(campaign=campaign, is_active=True)
        .select_related("area")
        .order_by("area__order", "order", "id")
    )


def recheck_findings_at(round_point: RoundPoint) -> list[RoundFinding]:
    """The original findings a 复查 goes back to at this point."""
    recheck = round_point.inspection_round
    return list(
        RoundFinding.objects.filter(
            inspection_round_id=recheck.rechecks_id,
            district_id=round_point.district_id,
            ticket__point_id=round_point.point_id,
        )
        .select_related("ticket", "item", "outcome_round")
        .prefetch_related(
            "outcome_photos",
            Prefetch("ticket__photos", queryset=TicketPhoto.objects.filter(kind=PhotoKind.BEFORE), to_attr="before"),
        )
        .order_by("serial")
    )


# --- an inspector's morning -------------------------------------------------------------------


@dataclass
class InspectorRound:
    inspection_round: InspectionRound
    mine: list[RoundPoint] = field(default_factory=list)
    unassigned: list[RoundPoint] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for point in self.mine if point.inspected_at)


def inspector_rounds(user: User) -> list[InspectorRound]:
    """The open rounds this person inspects, with their points in the person's districts:
    theirs first, then those nobody has been given (any inspector of the district may take them)."""
    scope = scope_for(user)
    districts = [d for d in scope.district_ids if scope.can_log(d)]
    rounds = {
        r.pk: InspectorRound(r)
        for r in InspectionRound.objects.filter(team=user)
        .exclude(status=RoundStatus.FINISHED)
        .order_by("starts_on", "id")
    }
    if not rounds:
        return []
    for point in (
        RoundPoint.objects.filter(inspection_round_id__in=list(rounds), district_id__in=districts)
        .filter(Q(inspector=user) | Q(inspector__isnull=True))
        .select_related("point", "point__point_type", "point__street")
        .order_by("inspected_at", "point__street__order", "point__street_id", "point__point_type__order", "point__name")
    ):
        entry = rounds[point.inspection_round_id]
        (entry.mine if point.inspector_id == user.pk else entry.unassigned).append(point)
    return list(rounds.values())


def next_point(round_point: RoundPoint, user: User) -> RoundPoint | None:
    """The inspector's next point of the round not yet inspected: their own first, then nobody's."""
    scope = scope_for(user)
    districts = [d for d in scope.district_ids if scope.can_log(d)]
    candidates = (
        RoundPoint.objects.filter(
            inspection_round_id=round_point.inspection_round_id, district_id__in=districts, inspected_at__isnull=True
        )
        .filter(Q(inspector=user) | Q(inspector__isnull=True))
        .exclude(pk=round_point.pk)
        .select_related("point")
        .order_by("inspector_id", "point__street__order", "point__street_id", "point__point_type__order", "point__name")
    )
    # NULLs sort last on PostgreSQL and first on SQLite: pick "mine" explicitly.
    return candidates.filter(inspector=user).first() or candidates.filter(inspector__isnull=True).first()


def is_inspector_now(user: AbstractBaseUser) -> bool:
    """Whether the person is on the team of a round still open (the nav's 我的检查), kept for ten
    minutes and forgotten when a team or a round's status changes (services/rounds.py)."""
    key = INSPECTOR_KEY.format(user.pk)
    found = cache.get(key)
    if found is None:
        found = InspectionRound.objects.filter(team__pk=user.pk).exclude(status=RoundStatus.FINISHED).exists()
        cache.set(key, found, INSPECTOR_SECONDS)
    return bool(found)
