"""Reads of the assessment standard: the list of standards, one standard's 方面 → 条 → 项 tree
with per-方面 totals, and its sample quotas as a table of point type × population band."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from campaigns.models import (
    PointType,
    PopulationBand,
    SampleQuota,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardItem,
)


def standards_listed() -> QuerySet[Standard]:
    """Every standard with its counts (方面, 项, gates) and how many campaigns and rounds use it."""
    return Standard.objects.annotate(
        aspect_count=Count("aspects", distinct=True),
        item_count=Count("aspects__articles__items", distinct=True),
        gate_count=Count("aspects__articles__items", filter=Q(aspects__articles__items__is_gate=True), distinct=True),
        campaign_count=Count("campaigns", distinct=True),
        round_count=Count("rounds", distinct=True),
    ).order_by("-is_current", "name", "-created_at")


@dataclass
class ArticleNode:
    article: StandardArticle
    items: list[StandardItem] = field(default_factory=list)


@dataclass
class AspectNode:
    """A 方面 with its 条 and 项, and its totals: 项, score, gates, and 项 by assessment method."""

    aspect: StandardAspect
    articles: list[ArticleNode] = field(default_factory=list)
    items: int = 0
    score: Decimal = Decimal("0")
    gates: int = 0
    methods: dict[str, int] = field(default_factory=dict)

    def add(self, item: StandardItem) -> None:
        self.items += 1
        self.score += item.score
        self.gates += item.is_gate
        label = str(item.get_method_display())
        self.methods[label] = self.methods.get(label, 0) + 1


@dataclass
class StandardTree:
    aspects: list[AspectNode]
    items: int
    score: Decimal
    gates: int


def standard_tree(standard: Standard) -> StandardTree:
    """方面 → 条 → 项 in the standard's order, each 项 with its point types: four queries."""
    aspects = {aspect.pk: AspectNode(aspect) for aspect in standard.aspects.order_by("order", "code")}
    articles: dict[int, ArticleNode] = {}
    for article in StandardArticle.objects.filter(aspect__standard=standard).order_by("order", "code", "id"):
        articles[article.pk] = node = ArticleNode(article)
        aspects[article.aspect_id].articles.append(node)
    items = (
        StandardItem.objects.filter(article__aspect__standard=standard)
        .prefetch_related("point_types")
        .order_by("order", "code", "id")
    )
    for item in items:
        articles[item.article_id].items.append(item)
        aspects[articles[item.article_id].article.aspect_id].add(item)
    nodes = list(aspects.values())
    return StandardTree(
        aspects=nodes,
        items=sum(node.items for node in nodes),
        score=sum((node.score for node in nodes), Decimal("0")),
        gates=sum(node.gates for node in nodes),
    )


@dataclass
class QuotaRow:
    """One point type's least samples per population band (None: the standard sets none)."""

    point_type: PointType
    minimums: list[int | None]
    source: str = ""


def quota_rows(standard: Standard) -> tuple[list[QuotaRow], list[int]]:
    """Every point type with the standard's quotas in band order, and the totals per band."""
    bands = PopulationBand.values
    found: dict[int, dict[str, int]] = {}
    sources: dict[int, str] = {}
    for quota in SampleQuota.objects.filter(standard=standard):
        found.setdefault(quota.point_type_id, {})[quota.band] = quota.minimum
        sources.setdefault(quota.point_type_id, quota.source)
    rows = [
        QuotaRow(point_type, [found.get(point_type.pk, {}).get(band) for band in bands], sources.get(point_type.pk, ""))
        for point_type in PointType.objects.order_by("order", "id")
    ]
    totals = [sum(row.minimums[index] or 0 for row in rows) for index in range(len(bands))]
    return rows, totals
