"""Imports of a 问题清单: the list of problems a city or province sends with its 督查通报.

The list arrives as a workbook or as a table pasted from the letter; photos may come with it
as a .zip. Each upload is kept (file, photos, what was read) until it is imported whole or
refused, like every other import (ImportRecord).
"""

import os
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .assessment import InspectionRound, RoundFinding
from .checklist import ImportRecord
from .org import OrgUnit

KEPT_SUFFIXES = (".xlsx", ".txt")


def problem_list_upload_to(instance, filename):
    # The list keeps its kind (a workbook, or a pasted table kept as text); the name is ours.
    suffix = os.path.splitext(filename)[1].lower()
    return f"imports/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}{suffix if suffix in KEPT_SUFFIXES else '.xlsx'}"


def problem_photos_upload_to(instance, filename):
    return f"imports/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}.zip"


class ProblemListImport(ImportRecord):
    """One 问题清单 uploaded (or pasted) for a round: previewed first, imported whole or not at all.

    `office` is who imports it: a district (its rows are that district's), or a city office
    importing a city round's list for several districts (each row goes to the district of its
    street). Until the import, the round is either an existing one (`inspection_round`) or the
    few facts of a new one (`new_round`), made only when the rows are imported.
    """

    file = models.FileField(_("文件"), upload_to=problem_list_upload_to, max_length=200)
    office = models.ForeignKey(
        OrgUnit, verbose_name=_("导入单位"), on_delete=models.CASCADE, related_name="problem_list_imports"
    )
    inspection_round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problem_list_imports",
    )
    new_round = models.JSONField(
        _("新轮次"),
        default=dict,
        blank=True,
        help_text=_("未选已有轮次时，导入时据此新建轮次：名称、层级、通报文号等。"),
    )
    pasted = models.BooleanField(_("粘贴的表格"), default=False)
    photos = models.FileField(_("照片压缩包"), upload_to=problem_photos_upload_to, max_length=200, blank=True)
    findings = models.ManyToManyField(RoundFinding, verbose_name=_("生成的问题"), blank=True, related_name="+")

    class Meta(ImportRecord.Meta):
        verbose_name = _("问题清单导入")
        verbose_name_plural = _("问题清单导入")
        indexes = [models.Index(fields=["office", "-uploaded_at"], name="problem_list_office")]

    @property
    def round_name(self) -> str:
        if self.inspection_round_id:
            return self.inspection_round.name
        return str(self.new_round.get("name", ""))
