"""Uploads with which a district admin sets up a district: its units and its people."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checklist import ImportStatus, import_upload_to
from .org import OrgUnit


class SetupImportKind(models.TextChoices):
    UNITS = "units", _("单位")
    PEOPLE = "people", _("人员")


class SetupImport(models.Model):
    """One upload of a units or people workbook: previewed first, imported whole or not at all."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="setup_imports")
    kind = models.CharField(_("内容"), max_length=16, choices=SetupImportKind.choices)
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

    class Meta:
        verbose_name = _("单位/人员导入")
        verbose_name_plural = _("单位/人员导入")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["district", "kind", "-uploaded_at"], name="setup_import_district")]

    def __str__(self):
        return f"{self.original_name} {self.uploaded_at:%Y-%m-%d %H:%M}"
