"""The task checklist (任务清单) and its scoring sheet (任务分解及赋分表)."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaign import AssessmentArea, Campaign
from .org import OrgUnit
from .ticket import AppendOnlyQuerySet


class ChecklistStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")
    AT_RISK = "at_risk", _("有风险")


class ChecklistItemQuerySet(models.QuerySet):
    def overdue(self, today=None):
        """A task is overdue when its deadline has passed and it is not done."""
        return self.exclude(status=ChecklistStatus.DONE).filter(deadline__lt=today or timezone.localdate())


class ChecklistItem(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="checklist_items"
    )
    area = models.ForeignKey(
        AssessmentArea, verbose_name=_("测评类别"), on_delete=models.PROTECT, related_name="checklist_items"
    )
    code = models.CharField(_("任务编号"), max_length=32, help_text=_("在本活动内唯一，再次导入时按编号更新。"))
    requirement = models.TextField(_("任务要求"))
    full_score = models.DecimalField(
        _("分值"), max_digits=6, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    standard_item = models.ForeignKey(
        "campaigns.StandardItem",
        verbose_name=_("对应标准项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checklist_items",
    )
    lead_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("牵头单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_checklist_items",
    )
    cooperating_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("配合单位"), blank=True, related_name="cooperating_checklist_items"
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ChecklistStatus.choices, default=ChecklistStatus.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    self_score = models.DecimalField(_("自评分"), max_digits=6, decimal_places=2, null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务清单")
        ordering = ["area__order", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="unique_checklist_code")]
        indexes = [
            models.Index(fields=["campaign", "area"], name="checklist_campaign_area"),
            models.Index(fields=["lead_unit", "status"], name="checklist_lead_status"),
            models.Index(fields=["campaign", "status", "deadline"], name="checklist_status_deadline"),
        ]

    def __str__(self):
        return f"{self.code} {self.requirement[:30]}"

    def clean(self):
        if self.area_id and self.campaign_id and self.area.campaign_id != self.campaign_id:
            raise ValidationError({"area": _("测评类别必须属于同一活动。")})
        if self.self_score is not None and self.self_score > self.full_score:
            raise ValidationError({"self_score": _("自评分不能超过分值。")})
        if self.self_score is not None and self.self_score < 0:
            raise ValidationError({"self_score": _("自评分不能为负数。")})

    @property
    def is_overdue(self):
        return (
            self.status != ChecklistStatus.DONE and self.deadline is not None and self.deadline < timezone.localdate()
        )


class ChecklistUpdateKind(models.TextChoices):
    CREATED = "created", _("创建")
    PROGRESS = "progress", _("更新进展")
    EVIDENCE = "evidence", _("补充佐证")
    IMPORT = "import", _("Excel 导入")


class ChecklistUpdate(models.Model):
    """One entry in a task's timeline. Append-only, like a ticket's events."""

    item = models.ForeignKey(ChecklistItem, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("类型"), max_length=16, choices=ChecklistUpdateKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)
    # What changed, as {"field": [before, after]} in the words people saw.
    changes = models.JSONField(_("变更"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务进展记录")
        verbose_name_plural = _("任务进展记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="checklist_update_item_at")]

    def __str__(self):
        return f"{self.item_id} {self.kind} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Checklist updates are append-only; an update cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Checklist updates are append-only; they cannot be deleted.")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    FILE = "file", _("文件")


def evidence_upload_to(instance, filename):
    now = timezone.localtime()
    return f"evidence/{now:%Y/%m}/{uuid.uuid4().hex}.{instance.extension}"


def evidence_thumb_upload_to(instance, filename):
    now = timezone.localtime()
    return f"evidence-thumbs/{now:%Y/%m}/{uuid.uuid4().hex}.jpg"


class ChecklistEvidence(models.Model):
    item = models.ForeignKey(ChecklistItem, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="evidence")
    update = models.ForeignKey(
        ChecklistUpdate, verbose_name=_("所属记录"), on_delete=models.PROTECT, related_name="evidence"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=EvidenceKind.choices)
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, max_length=200)
    thumbnail = models.ImageField(_("缩略图"), upload_to=evidence_thumb_upload_to, blank=True, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("格式"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name

    @property
    def extension(self):
        return EVIDENCE_EXTENSIONS.get(self.content_type, "bin")


EVIDENCE_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
}


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("待确认")
    DONE = "done", _("已导入")
    REFUSED = "refused", _("有错误，未导入")


def import_upload_to(instance, filename):
    now = timezone.localtime()
    return f"imports/{now:%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportRecord(models.Model):
    """One upload of a workbook: kept, previewed first, imported whole or not at all.

    Every Excel import keeps one of these (ChecklistImport, PointImport, SetupImport); each adds
    only what the import belongs to. campaigns/services/xlsx_import.py reads and writes them.
    """

    file = models.FileField(_("文件"), upload_to=import_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    rows_added = models.PositiveIntegerField(_("新增"), default=0)
    rows_changed = models.PositiveIntegerField(_("更新"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("未变"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    parsed = models.JSONField(
        _("读取结果"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("上传时从文件读出的各行：再看预览和确认导入都用它，不再重新解析文件。处理完后清空，文件仍保留。"),
    )

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.original_name} {self.uploaded_at:%Y-%m-%d %H:%M}"


class ChecklistImport(ImportRecord):
    """One upload of a checklist workbook."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="checklist_imports"
    )

    class Meta(ImportRecord.Meta):
        verbose_name = _("任务清单导入")
        verbose_name_plural = _("任务清单导入")
