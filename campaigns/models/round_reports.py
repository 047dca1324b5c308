"""The 整改报告 of an inspection round: a district's written reply, generated as a .docx.

A city round covers several districts and each answers for its own part, so a report is one
round and one district. Generating it reads every finding with its photos, which takes a
while for a few hundred: a Celery task writes the file and moves `progress`; each request
makes a new version, and a finished version never changes (what was sent upward stays as it
was sent).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .assessment import InspectionRound
from .org import OrgUnit
from .reports import SummaryStatus


def rectification_upload_to(instance, filename):
    return f"rectification/{instance.district.code}/round{instance.inspection_round_id}-v{instance.version}.docx"


class RectificationReport(models.Model):
    """One version of a district's 整改报告 for a round."""

    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="rectification_reports"
    )
    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=SummaryStatus.choices, default=SummaryStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    finding_count = models.PositiveIntegerField(_("问题数"), default=0)
    counts = models.JSONField(
        _("整改情况"), default=dict, blank=True, help_text=_("生成时的已整改、整改中、未整改件数，固定不变。")
    )
    file = models.FileField(_("Word 文件"), upload_to=rectification_upload_to, blank=True, max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    error = models.TextField(_("错误"), blank=True)
    doc_number = models.CharField(
        _("文号"), max_length=60, blank=True, help_text=_("印发时按本区发文字号编号；草稿的文号留空。")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")
        ordering = ["-version", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection_round", "district", "version"], name="unique_rectification_report_version"
            )
        ]

    def __str__(self):
        return f"{self.inspection_round} · {self.district} v{self.version}"
