"""Imports of inspection points (点位) from Excel: who uploaded which file, and what it did."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .checklist import ImportRecord
from .org import OrgUnit, UnitKind


class PointImport(ImportRecord):
    """One upload of a points workbook for a district (points belong to the district, not a campaign)."""

    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区"),
        on_delete=models.CASCADE,
        related_name="point_imports",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )

    class Meta(ImportRecord.Meta):
        verbose_name = _("点位导入")
        verbose_name_plural = _("点位导入")
