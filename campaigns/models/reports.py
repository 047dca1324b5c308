"""Daily reports (日报制度): who must report, when, and what they reported."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .campaign import Campaign, WorkGroup
from .org import OrgUnit


class ReportSchedule(models.Model):
    """A campaign's reporting rules and the times its reminders go out."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="report_schedule"
    )
    is_active = models.BooleanField(_("启用日报"), default=True)
    cutoff = models.TimeField(_("每日截止时间"), default=datetime.time(17, 0))
    on_rest_days = models.BooleanField(
        _("节假日和周末也要报"), default=True, help_text=_("不勾选时，只在法定工作日（含调休上班日）报送。")
    )
    remind_at = models.TimeField(
        _("催报时间"), default=datetime.time(15, 0), help_text=_("到这个时间还没报的单位会收到催报。")
    )
    missed_list_at = models.TimeField(
        _("未报名单发送时间"), default=datetime.time(17, 30), help_text=_("截止后把未报单位名单发给督导。")
    )
    due_soon_at = models.TimeField(_("即将到期提醒时间"), default=datetime.time(9, 0))
    overdue_digest_at = models.TimeField(_("逾期汇总发送时间"), default=datetime.time(8, 30))

    class Meta:
        verbose_name = _("日报安排")
        verbose_name_plural = _("日报安排")

    def __str__(self):
        return f"{self.campaign} · {self.cutoff:%H:%M}"

    def clean(self):
        if self.remind_at >= self.cutoff:
            raise ValidationError({"remind_at": _("催报时间应早于截止时间。")})
        if self.missed_list_at < self.cutoff:
            raise ValidationError({"missed_list_at": _("未报名单应在截止时间之后发送。")})


class ReportingDuty(models.Model):
    """One unit or group that must file a daily report in a campaign."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="reporting_duties"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("报送单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    work_group = models.ForeignKey(
        WorkGroup, verbose_name=_("报送工作组"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateField(_("开始报送日期"), help_text=_("这天以前不算未报。"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("报送单位")
        verbose_name_plural = _("报送单位")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(work_group__isnull=True))
                | (Q(unit__isnull=True) & Q(work_group__isnull=False)),
                name="duty_unit_xor_group",
            ),
            models.UniqueConstraint(fields=["campaign", "unit"], name="unique_duty_unit"),
            models.UniqueConstraint(fields=["campaign", "work_group"], name="unique_duty_group"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.unit.name if self.unit_id else self.work_group.name


class DailyReport(models.Model):
    duty = models.ForeignKey(
        ReportingDuty, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="reports"
    )
    date = models.DateField(_("日期"))
    nothing_found = models.BooleanField(_("零报告"), default=False, help_text=_("今日巡查未发现问题。"))
    points_visited = models.PositiveIntegerField(_("走访点位数"), default=0)
    # Counted from the ledger when filed, so the report and the tickets agree.
    problems_found = models.PositiveIntegerField(_("发现问题数"), default=0)
    problems_fixed = models.PositiveIntegerField(_("整改完成数"), default=0)
    notes = models.TextField(_("情况说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    is_late = models.BooleanField(_("迟报"), default=False)

    class Meta:
        verbose_name = _("日报")
        verbose_name_plural = _("日报")
        ordering = ["-date", "duty_id"]
        constraints = [models.UniqueConstraint(fields=["duty", "date"], name="unique_daily_report")]
        indexes = [models.Index(fields=["date", "duty"], name="report_date_duty")]

    def __str__(self):
        return f"{self.duty} {self.date}"


class Notice(models.Model):
    """A 通报 draft: drawn from the rankings, edited by an admin, printed and sent."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="notices")
    campaign = models.ForeignKey(Campaign, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="notices")
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(
        _("文号"),
        max_length=60,
        blank=True,
        help_text=_("留空则在印发时按本区发文字号自动编号，如：铁西创卫办〔2026〕12号。"),
    )
    period_start = models.DateField(_("统计起"))
    period_end = models.DateField(_("统计止"))
    intro = models.TextField(_("正文"), blank=True)
    red_list = models.TextField(_("红榜"), blank=True)
    black_list = models.TextField(_("黑榜"), blank=True)
    overdue_list = models.TextField(_("逾期问题"), blank=True)
    closing = models.TextField(_("结尾"), blank=True)
    issuer = models.CharField(_("落款"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True, help_text=_("印发时文号固定下来。"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class SummaryStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


def summary_upload_to(instance, filename):
    return f"summaries/{instance.district.code}/{instance.month:%Y%m}-v{instance.version}.xlsx"


class MonthlySummary(models.Model):
    """A month's 情况专报 for one district, frozen when generated; regenerating adds a version."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="summaries")
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天。"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=SummaryStatus.choices, default=SummaryStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    ticket_count = models.PositiveIntegerField(_("工单数"), default=0)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    file = models.FileField(_("Excel 文件"), upload_to=summary_upload_to, blank=True, max_length=200)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    doc_number = models.CharField(_("文号"), max_length=60, blank=True, help_text=_("印发时按本区发文字号编号。"))
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    language = models.CharField(
        _("语言"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("申请生成时的界面语言；Excel 文件用这种语言写。"),
    )

    class Meta:
        verbose_name = _("月度情况专报")
        verbose_name_plural = _("月度情况专报")
        ordering = ["-month", "-version"]
        constraints = [models.UniqueConstraint(fields=["district", "month", "version"], name="unique_summary_version")]

    def __str__(self):
        return f"{self.district} {self.month:%Y-%m} v{self.version}"
