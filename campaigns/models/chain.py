"""The 交办 chain around a ticket: 协办单位 and their parts, 复查 after 销号, 挂牌督办."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit
from .ticket import Ticket, TicketEvent


class TicketCoUnit(models.Model):
    """A 协办单位 of a ticket: it submits its part (note and photos) before the lead unit
    (主办单位, the ticket's responsible unit) submits the fix, unless a supervisor waives it."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="co_unit_parts")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("协办单位"), on_delete=models.PROTECT, related_name="+")
    part_note = models.TextField(_("协办情况"), blank=True)
    part_event = models.ForeignKey(
        TicketEvent, verbose_name=_("提交记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    part_submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    part_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    waived_at = models.DateTimeField(_("免除时间"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("免除人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("协办单位")
        verbose_name_plural = _("协办单位")
        ordering = ["ticket", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "unit"], name="unique_co_unit")]
        indexes = [models.Index(fields=["unit", "part_submitted_at"], name="co_unit_pending")]

    def __str__(self):
        return f"{self.ticket_id} · {self.unit_id}"

    @property
    def is_outstanding(self) -> bool:
        return self.part_submitted_at is None and self.waived_at is None


class RecheckResult(models.TextChoices):
    KEPT = "kept", _("保持")
    RELAPSED = "relapsed", _("反弹")


class Recheck(models.Model):
    """A 复查 due some days after a 销号: someone goes back to the point and says 保持 or 反弹."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="rechecks")
    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(OrgUnit, verbose_name=_("街道/乡镇"), on_delete=models.CASCADE, related_name="+")
    days_after = models.PositiveSmallIntegerField(_("销号后天数"))
    due_on = models.DateField(_("复查日期"))
    result = models.CharField(_("复查结果"), max_length=8, choices=RecheckResult.choices, blank=True)
    done_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    event = models.ForeignKey(
        TicketEvent, verbose_name=_("复查记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A 复查 planned for a 销号 that was later undone (反弹, reopen) is no longer due.
    cancelled = models.BooleanField(_("已取消"), default=False)

    class Meta:
        verbose_name = _("复查")
        verbose_name_plural = _("复查")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["district", "due_on"], name="recheck_district_due"),
            models.Index(fields=["street", "due_on"], name="recheck_street_due"),
        ]

    def __str__(self):
        return f"{self.ticket_id} +{self.days_after}d"

    @property
    def is_due(self) -> bool:
        return not self.result and not self.cancelled


class Supervision(models.Model):
    """挂牌督办: a formal listing of a chronic or major ticket, printable as a 督办单."""

    ticket = models.OneToOneField(Ticket, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="supervision")
    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    document_number = models.CharField(_("文号"), max_length=60)
    supervising_unit = models.CharField(_("督办单位"), max_length=100)
    leader = models.CharField(_("责任领导"), max_length=50)
    deadline = models.DateField(_("督办时限"))
    reason = models.TextField(_("督办事由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("挂牌人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("挂牌时间"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("摘牌时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("挂牌督办")
        verbose_name_plural = _("挂牌督办")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["district", "document_number"], name="unique_supervision_number")
        ]

    def __str__(self):
        return self.document_number
