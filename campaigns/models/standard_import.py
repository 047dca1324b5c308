"""Uploads of a standard's workbook: its 方面/条/项 as a new version, or its sample quotas."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .assessment import Standard, StandardScope
from .checklist import ImportRecord


class StandardImportKind(models.TextChoices):
    ITEMS = "items", _("条文（方面、条、项）")
    QUOTAS = "quotas", _("抽样数量")


class StandardImport(ImportRecord):
    """One upload on a standard's page, previewed first, imported whole or not at all.

    Its 项 (kind ITEMS) always become a new Standard (`name`, `version` …, made `created`): a
    standard that campaigns and rounds were scored on is never edited by an import. Its sample
    quotas (kind QUOTAS) replace the quotas of `standard` itself.
    """

    standard = models.ForeignKey(Standard, verbose_name=_("所在标准"), on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(_("内容"), max_length=8, choices=StandardImportKind.choices)
    name = models.CharField(_("新标准名称"), max_length=200, blank=True)
    version = models.CharField(_("新版本"), max_length=40, blank=True)
    scope = models.CharField(_("适用对象"), max_length=8, choices=StandardScope.choices, blank=True)
    issued_by = models.CharField(_("发布文件"), max_length=200, blank=True)
    source = models.TextField(_("来源"), blank=True)
    make_current = models.BooleanField(_("设为现行标准"), default=False)
    created = models.ForeignKey(
        Standard,
        verbose_name=_("导入建立的标准"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(ImportRecord.Meta):
        verbose_name = _("测评标准导入")
        verbose_name_plural = _("测评标准导入")
        indexes = [models.Index(fields=["standard", "kind", "-uploaded_at"], name="standard_import_kind")]
