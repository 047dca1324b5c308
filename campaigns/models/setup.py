"""Uploads with which a district admin sets up a district: its units and its people."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .checklist import ImportRecord
from .org import OrgUnit


class SetupImportKind(models.TextChoices):
    UNITS = "units", _("单位")
    PEOPLE = "people", _("人员")


class SetupImport(ImportRecord):
    """One upload of a units or people workbook: previewed first, imported whole or not at all."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="setup_imports")
    kind = models.CharField(_("内容"), max_length=16, choices=SetupImportKind.choices)

    class Meta(ImportRecord.Meta):
        verbose_name = _("单位/人员导入")
        verbose_name_plural = _("单位/人员导入")
        indexes = [models.Index(fields=["district", "kind", "-uploaded_at"], name="setup_import_district")]
