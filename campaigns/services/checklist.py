"""Writes on the task checklist: starting it from the standard, and a unit's progress updates."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import MANAGER_ROLES, AnyUser, scope_for
from campaigns.models import (
    AssessmentArea,
    Campaign,
    ChecklistEvidence,
    ChecklistItem,
    ChecklistStatus,
    ChecklistUpdate,
    ChecklistUpdateKind,
    EvidenceKind,
    Role,
    StandardArticle,
)
from campaigns.selectors.board import board_invalidate

from .evidence import evidence_inspect, evidence_thumbnail
from .standard import campaign_apply_standard, campaign_link_tasks


def checklist_permissions(item: ChecklistItem, user: AnyUser) -> tuple[bool, bool]:
    """(may update progress, may add evidence) for this person on this task.

    The lead unit and the district's supervisors and admins update a task; cooperating
    units add notes and evidence to it. Everyone else in the district only reads.
    """
    scope = scope_for(user)
    district_id = item.campaign.district_id
    roles = scope.roles_in(district_id)
    if roles & MANAGER_ROLES:
        return True, True
    if Role.STAFF not in roles:
        return False, False
    leads = scope.is_responsible_for(item.lead_unit)
    cooperates = any(scope.is_responsible_for(unit) for unit in item.cooperating_units.all())
    return leads, leads or cooperates


def default_full_scores(count: int, total: Decimal = Decimal("100")) -> list[Decimal]:
    """Spread `total` points over `count` items in half points, summing to exactly `total`."""
    if count <= 0:
        return []
    halves = int(total * 2)
    base, extra = divmod(halves, count)
    return [Decimal(base + (1 if index < extra else 0)) / 2 for index in range(count)]


def checklist_apply_standard(*, campaign: Campaign, actor: User) -> int:
    """Start a campaign's checklist from its standard: a task per 条, linked to its 项
    (idempotent by code; a campaign without a standard gets the default one)."""
    if not scope_for(actor).has_role(campaign.district_id, {Role.ADMIN}):
        raise PermissionDenied(_("只有本区管理员可以生成任务清单。"))
    areas = campaign_apply_standard(campaign)
    articles = list(
        StandardArticle.objects.filter(aspect__standard=campaign.standard)
        .select_related("aspect")
        .annotate(points=Sum("items__score"))
        .order_by("aspect__order", "order", "id")
    )
    scores = default_full_scores(len(articles))
    created = 0
    with transaction.atomic():
        for order, (article, score) in enumerate(zip(articles, scores, strict=True), start=1):
            item, was_created = ChecklistItem.objects.get_or_create(
                campaign=campaign,
                code=article.code,
                defaults={
                    "area": areas[article.aspect.code],
                    "requirement": article.text,
                    # The standard's own score where it gives one, else 100 points spread evenly.
                    "full_score": article.points or score,
                    "order": order,
                },
            )
            if was_created:
                created += 1
                ChecklistUpdate.objects.create(
                    item=item, kind=ChecklistUpdateKind.CREATED, actor=actor, note=_("按国家卫生城市标准生成")
                )
        campaign_link_tasks(campaign)
    return created


def _store_evidence(
    item: ChecklistItem, update: ChecklistUpdate, actor: User, checked: Iterable[tuple[File, str, str]]
) -> list[ChecklistEvidence]:
    stored: list[ChecklistEvidence] = []
    for uploaded, kind, content_type in checked:
        evidence = ChecklistEvidence(
            item=item,
            update=update,
            kind=EvidenceKind.PHOTO if kind == "photo" else EvidenceKind.FILE,
            original_name=(uploaded.name or "")[:200],
            content_type=content_type,
            size=uploaded.size,
            uploaded_by=actor,
        )
        if kind == "photo":
            evidence.thumbnail.save("thumb.jpg", evidence_thumbnail(uploaded), save=False)
        evidence.file.save(f"evidence.{evidence.extension}", uploaded, save=False)
        evidence.save()
        stored.append(evidence)
    return stored


def _display(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return value


def checklist_item_update(
    *,
    item: ChecklistItem,
    actor: User,
    note: str = "",
    files: Sequence[File] = (),
    status: str | None = None,
    progress: int | None = None,
    self_score: Decimal | None = None,
) -> ChecklistUpdate:
    """Record progress on a task: new status/progress/self-score and/or notes with evidence.

    Changing the figures needs the lead unit (or a supervisor); notes and evidence may also
    come from cooperating units. One timeline entry is written either way, and returned.
    """
    may_update, may_add = checklist_permissions(item, actor)
    changing = any(value is not None for value in (status, progress, self_score))
    if changing and not may_update:
        raise PermissionDenied(_("只有牵头单位和督导人员可以更新任务进度。"))
    if not may_add:
        raise PermissionDenied(_("您不是这项任务的牵头或配合单位。"))
    # Every file is checked before anything is written, so a bad one leaves nothing behind.
    checked = [(uploaded, *evidence_inspect(uploaded)) for uploaded in files]
    with transaction.atomic():
        item = ChecklistItem.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=item.pk)
        changes: dict[str, list[object]] = {}
        value: Any
        for field, value in (("status", status), ("progress", progress), ("self_score", self_score)):
            if value is None or getattr(item, field) == value:
                continue
            before = getattr(item, field)
            if field == "status":
                changes[field] = [
                    ChecklistStatus(before).label if before else "",
                    str(ChecklistStatus(value).label),
                ]
            else:
                changes[field] = [_display(before), _display(value)]
            setattr(item, field, value)
        if not changes and not note.strip() and not files:
            raise ValidationError(_("没有需要保存的内容：请修改进度或填写说明、上传佐证。"))
        if item.self_score is not None and item.self_score > item.full_score:
            raise ValidationError(_("自评分不能超过分值 %(full)s。") % {"full": _display(item.full_score)})
        if changes:
            item.save(update_fields=[*changes.keys(), "updated_at"])
        update = ChecklistUpdate.objects.create(
            item=item,
            kind=ChecklistUpdateKind.PROGRESS if changes else ChecklistUpdateKind.EVIDENCE,
            actor=actor,
            at=timezone.now(),
            note=note.strip(),
            changes={key: [str(a) if a is not None else "", str(b)] for key, (a, b) in changes.items()},
        )
        _store_evidence(item, update, actor, checked)
        district_id = item.campaign.district_id
        transaction.on_commit(lambda: board_invalidate(district_id))
    return update


def areas_for(campaign: Campaign) -> QuerySet[AssessmentArea]:
    return AssessmentArea.objects.filter(campaign=campaign).order_by("order", "code")
