"""One form, one object: the one-time key each rendered create form carries.

A form sent twice (a double tap, a retry on a flaky connection, the same form in twenty
tabs, later an offline queue sending again) carries the same key. The key is written in
the transaction that makes the object, under a unique index, so only the first send makes
anything; every other send is answered with what the first one made.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubmissionKind(models.TextChoices):
    """Which form a key was sent with: a key answers only on the form it came from."""

    TICKET_LOG = "ticket-log", _("登记问题")
    TICKET_ACT = "ticket-act", _("提交整改、协办或复查")
    CHECKLIST_UPDATE = "checklist-update", _("任务进展")
    NOTICE_DRAFT = "notice-draft", _("起草通报")
    MONTHLY_SUMMARY = "monthly-summary", _("月度情况专报")
    CAMPAIGN = "campaign", _("创建活动")
    UNIT = "unit", _("添加单位")
    WORK_GROUP = "work-group", _("添加工作组")
    PERSON = "person", _("添加人员")
    ACCOUNT = "account", _("新建账号")
    ROUND = "round", _("新建检查轮次")
    ROUND_POINT = "round-point", _("点位检查结果")
    RECTIFICATION_REPORT = "rectification", _("整改报告")
    API_TOKEN = "api-token", _("创建接口令牌")


class SubmissionKey(models.Model):
    key = models.CharField(
        _("提交编号"), max_length=64, unique=True, help_text=_("表单里随机生成的一次性编号，每张表单只能提交一次。")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("编号只对提交它的账号有效。"),
    )
    kind = models.CharField(
        _("表单"), max_length=20, choices=SubmissionKind.choices, help_text=_("编号只在这种表单上有效。")
    )
    object_id = models.PositiveBigIntegerField(
        _("生成的记录"), null=True, blank=True, help_text=_("第一次提交生成的记录的编号（按表单种类对应到表）。")
    )
    response_url = models.CharField(
        _("结果页面"), max_length=300, blank=True, help_text=_("再次提交时打开的页面：第一次提交的结果。")
    )
    created_at = models.DateTimeField(
        _("提交时间"), default=timezone.now, help_text=_("超过保留期的编号由夜间清理删除。")
    )

    class Meta:
        verbose_name = _("表单提交编号")
        verbose_name_plural = _("表单提交编号")
        indexes = [models.Index(fields=["created_at"], name="submission_key_created")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key[:8]}…"
