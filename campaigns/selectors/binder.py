"""迎检资料: per 项 of the campaign's standard, what proves it, and how complete each 方面 is.

A 项 is proved by the evidence files of the campaign's tasks linked to it (ChecklistEvidence
through ChecklistItem.standard_item) and by the photos of closed tickets linked to it (found by
a round on that 项, or filed under a task linked to it). The assessors read the binder for
the 项 assessed by 查阅资料; those are the ones its completeness counts (BINDER_RULES_TEXT).
Read in four queries whatever the number of 项, files or tickets.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    AssessmentMethod,
    Campaign,
    ChecklistEvidence,
    PhotoKind,
    StandardAspect,
    StandardItem,
    Ticket,
    TicketPhoto,
    TicketState,
)

PROOF_PHOTO_KINDS = (PhotoKind.BEFORE, PhotoKind.AFTER)
BINDER_RULES_TEXT = [
    _(
        "一项的佐证：关联这一项的任务上传的佐证材料（文件、照片），以及关联这一项的已销号问题的整改前后照片"
        "（检查轮次在这一项上发现的问题，或登记在关联任务下的问题）。"
    ),
    _("资料齐全率 = 有至少一份佐证的“查阅资料”项 ÷ “查阅资料”项。评价方式为现场查看、问卷调查、数据核查的项不计入。"),
    _("台账：每个方面一份，列出关联本方面各项的全部问题工单（与工单台账导出同样的列）。"),
]


@dataclass
class BinderItem:
    item: StandardItem
    evidence: int = 0
    photos: int = 0
    tickets: int = 0
    closed: int = 0

    @property
    def needs_records(self) -> bool:
        return self.item.method == AssessmentMethod.RECORDS

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence or self.photos)


@dataclass
class BinderArticle:
    code: str
    text: str
    items: list[BinderItem] = field(default_factory=list)


@dataclass
class BinderAspect:
    aspect: StandardAspect
    articles: list[BinderArticle] = field(default_factory=list)

    @property
    def items(self) -> list[BinderItem]:
        return [entry for article in self.articles for entry in article.items]

    @property
    def needed(self) -> int:
        return sum(entry.needs_records for entry in self.items)

    @property
    def complete(self) -> int:
        return sum(entry.needs_records and entry.has_evidence for entry in self.items)

    @property
    def missing(self) -> list[BinderItem]:
        return [entry for entry in self.items if entry.needs_records and not entry.has_evidence]

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.complete, self.needed)

    @property
    def files(self) -> int:
        return sum(entry.evidence + entry.photos for entry in self.items)


@dataclass
class Binder:
    campaign: Campaign
    aspects: list[BinderAspect] = field(default_factory=list)

    @property
    def needed(self) -> int:
        return sum(aspect.needed for aspect in self.aspects)

    @property
    def complete(self) -> int:
        return sum(aspect.complete for aspect in self.aspects)

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.complete, self.needed)

    @property
    def missing(self) -> int:
        return self.needed - self.complete

    @property
    def files(self) -> int:
        return sum(aspect.files for aspect in self.aspects)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def linked_tickets(campaign: Campaign, item_ids: list[int]) -> QuerySet[Ticket]:
    """The campaign's tickets linked to any of these 项 (found by a round on it, or filed under a
    task linked to it)."""
    return (
        Ticket.objects.filter(campaign=campaign)
        .annotate(linked_item=Coalesce("finding__item_id", "checklist_item__standard_item_id"))
        .filter(linked_item__in=item_ids)
    )


def _ticket_counts(campaign: Campaign) -> dict[int, tuple[int, int]]:
    """项 → (tickets linked to it, of them closed), voided ones left out."""
    rows = (
        Ticket.objects.filter(campaign=campaign)
        .exclude(state=TicketState.VOIDED)
        .annotate(linked_item=Coalesce("finding__item_id", "checklist_item__standard_item_id"))
        .filter(linked_item__isnull=False)
        .values("linked_item")
        .annotate(n=Count("id"), closed=Count("id", filter=Q(state=TicketState.CLOSED)))
    )
    return {row["linked_item"]: (row["n"], row["closed"]) for row in rows}


def binder_evidence(campaign: Campaign) -> QuerySet[ChecklistEvidence]:
    """The evidence files of the campaign's tasks linked to a 项."""
    return ChecklistEvidence.objects.filter(item__campaign=campaign, item__standard_item__isnull=False)


def binder_photos(campaign: Campaign) -> QuerySet[TicketPhoto]:
    """Before and after photos of the closed tickets linked to a 项 (`linked_item`)."""
    return (
        TicketPhoto.objects.filter(
            ticket__campaign=campaign, ticket__state=TicketState.CLOSED, kind__in=PROOF_PHOTO_KINDS
        )
        .annotate(linked_item=Coalesce("ticket__finding__item_id", "ticket__checklist_item__standard_item_id"))
        .filter(linked_item__isnull=False)
    )


def standard_items(standard_id: int) -> list[StandardItem]:
    return list(
        StandardItem.objects.filter(article__aspect__standard_id=standard_id)
        .select_related("article__aspect")
        .order_by("article__aspect__order", "article__aspect__code", "article__order", "article__code", "order", "id")
    )


def binder_for(campaign: Campaign) -> Binder:
    """The binder of the campaign's standard (empty when the campaign has none)."""
    binder = Binder(campaign=campaign)
    if campaign.standard_id is None:
        return binder
    evidence = dict(
        binder_evidence(campaign)
        .values_list("item__standard_item_id")
        .annotate(n=Count("id"))
        .values_list("item__standard_item_id", "n")
    )
    photos = dict(
        TicketPhoto.objects.filter(
            ticket__campaign=campaign, ticket__state=TicketState.CLOSED, kind__in=PROOF_PHOTO_KINDS
        )
        .annotate(linked_item=Coalesce("ticket__finding__item_id", "ticket__checklist_item__standard_item_id"))
        .filter(linked_item__isnull=False)
        .values_list("linked_item")
        .annotate(n=Count("id"))
        .values_list("linked_item", "n")
    )
    tickets = _ticket_counts(campaign)
    aspects: dict[int, BinderAspect] = {}
    articles: dict[int, BinderArticle] = {}
    for item in standard_items(campaign.standard_id):
        article = item.article
        aspect = aspects.get(article.aspect_id)
        if aspect is None:
            aspect = aspects[article.aspect_id] = BinderAspect(article.aspect)
            binder.aspects.append(aspect)
        if article.pk not in articles:
            articles[article.pk] = BinderArticle(article.code, article.text)
            aspect.articles.append(articles[article.pk])
        linked, closed = tickets.get(item.pk, (0, 0))
        articles[article.pk].items.append(
            BinderItem(
                item=item,
                evidence=evidence.get(item.pk, 0),
                photos=photos.get(item.pk, 0),
                tickets=linked,
                closed=closed,
            )
        )
    return binder
