"""Suspected duplicates (疑似重复): a new ticket that looks like an open one, and what a
supervisor decided about the pair."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit
from .ticket import Ticket


class DuplicateBasis(models.TextChoices):
    SAME_POINT = "same_point", _("同一点位")
    SAME_PLACE = "same_place", _("同一地点")
    NEARBY = "nearby", _("相距较近")


class DuplicateDecision(models.TextChoices):
    PENDING = "", _("待判断")
    MERGED = "merged", _("已合并")
    KEPT_BOTH = "kept_both", _("保留两张")


class DuplicateSuggestion(models.Model):
    """`ticket` (the newer one) may report the same problem as `candidate`, an open ticket of
    the same category found earlier at the same point or nearby.

    Written after the new ticket commits (campaigns/services/duplicates.py); one row per pair,
    so computing it again adds nothing. A decision is taken once and kept: 合并 or 保留两张.
    """

    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Indexed by unique_duplicate_pair, which leads with it.
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("疑似重复工单"),
        on_delete=models.PROTECT,
        related_name="duplicate_suggestions",
        db_index=False,
    )
    candidate = models.ForeignKey(
        Ticket, verbose_name=_("相似的在办工单"), on_delete=models.PROTECT, related_name="duplicate_of_suggestions"
    )
    basis = models.CharField(_("判断依据"), max_length=12, choices=DuplicateBasis.choices)
    distance_m = models.PositiveIntegerField(
        _("相距（米）"), null=True, blank=True, help_text=_("两处点位都有坐标时的直线距离。")
    )
    created_at = models.DateTimeField(_("提示时间"), default=timezone.now)
    decision = models.CharField(_("处理结果"), max_length=12, choices=DuplicateDecision.choices, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "candidate"], name="unique_duplicate_pair"),
        ]
        indexes = [
            # The district's queue: undecided suggestions, newest first.
            models.Index(
                fields=["district", "-created_at", "-id"], condition=models.Q(decision=""), name="duplicate_queue"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} ~ {self.candidate_id}"
