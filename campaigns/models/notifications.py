"""Notifications and their deliveries. A row here is the record that something was sent."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infra.signing import new_secret

from .org import OrgUnit


class NotificationKind(models.TextChoices):
    REPORT_REMINDER = "report_reminder", _("日报催报")
    REPORT_MISSED = "report_missed", _("日报未报名单")
    TICKET_DUE_SOON = "ticket_due_soon", _("工单即将到期")
    TICKET_OVERDUE = "ticket_overdue", _("逾期工单汇总")
    TICKET_LOGGED = "ticket_logged", _("新问题待交办")
    TICKET_ASSIGNED = "ticket_assigned", _("工单交办")
    TICKET_SUBMITTED = "ticket_submitted", _("整改待核验")
    TICKET_CLOSED = "ticket_closed", _("工单已销号")
    TICKET_RETURNED = "ticket_returned", _("整改被退回")
    TICKET_REOPENED = "ticket_reopened", _("工单反弹重开")
    TICKET_DECLINED = "ticket_declined", _("工单退单")
    TICKET_REASSIGNED = "ticket_reassigned", _("工单改派")
    TICKET_URGED = "ticket_urged", _("工单催办")
    TICKET_ESCALATED = "ticket_escalated", _("逾期升级")
    TICKET_EXTENSION = "ticket_extension", _("延期申请与审批")
    TICKET_HOLD = "ticket_hold", _("挂账与恢复整改")
    TICKET_SUPERVISED = "ticket_supervised", _("挂牌督办")
    SUPERVISION_PROPOSED = "supervision_proposed", _("拟挂牌督办")
    SECURITY_ALERT = "security_alert", _("安全告警")
    HOTLINE_EVENT = "hotline_event", _("12345热线回传")


class Notification(models.Model):
    """An in-app message. (recipient, occasion) is unique: a reminder reaches a person once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    # No district for messages about the system itself (a security alert).
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    occasion = models.CharField(_("事由"), max_length=120, help_text=_("同一事由只提醒一次。"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "occasion"], name="unique_notification")]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self):
        return self.title


class WebhookFlavor(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    GENERIC = "generic", _("通用 JSON")


class UnitWebhook(models.Model):
    unit = models.ForeignKey(OrgUnit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(_("名称"), max_length=60)
    flavor = models.CharField(_("类型"), max_length=12, choices=WebhookFlavor.choices, default=WebhookFlavor.WECOM)
    url = models.URLField(
        _("地址"),
        max_length=500,
        # Django's URLField also takes ftp://; a robot is only ever reached over HTTP(S).
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("群机器人的 Webhook 地址（http:// 或 https://）。"),
    )
    secret = models.CharField(
        _("加签密钥"), max_length=200, blank=True, help_text=_("钉钉“加签”安全设置的密钥，可留空。")
    )
    signing_secret = models.CharField(
        _("签名密钥"),
        max_length=100,
        default=new_secret,
        help_text=_("每条外发消息都带 X-Ledger-Timestamp 和 X-Ledger-Signature 头，接收方用这个密钥核对。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self):
        return f"{self.unit} · {self.name}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")
    HOTLINE = "hotline", _("12345热线")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One message over one outside channel to one target. Unique per occasion: sent at most once."""

    # No district for messages about the system itself (a security alert).
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=12, choices=DeliveryChannel.choices)
    target = models.CharField(_("目标"), max_length=120, help_text=_("user:<id> 或 webhook:<id>"))
    occasion = models.CharField(_("事由"), max_length=120)
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)

    class Meta:
        verbose_name = _("外发记录")
        verbose_name_plural = _("外发记录")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "target", "occasion"], name="unique_delivery")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_retry"),
            models.Index(fields=["district", "status", "-created_at"], name="delivery_district"),
        ]

    def __str__(self):
        return f"{self.channel} {self.target} {self.occasion}"


class OutboxItem(models.Model):
    """Work a transaction owes the outside world, written in that same transaction.

    A ticket act that tells people (交办, 退回, 销号 …) writes one row here as it commits;
    a worker turns it into notifications and deliveries. If Redis is down when the act
    commits, the row waits here and the periodic drain sends it when the broker is back.
    """

    topic = models.CharField(_("类型"), max_length=24)
    ref_id = models.BigIntegerField(_("对象编号"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    done_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待发事项")
        verbose_name_plural = _("待发事项")
        constraints = [models.UniqueConstraint(fields=["topic", "ref_id"], name="unique_outbox_item")]
        indexes = [
            models.Index(fields=["id"], name="outbox_pending", condition=models.Q(done_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.topic}:{self.ref_id}"


class Heartbeat(models.Model):
    """When a background process last proved it was alive (the worker, via beat)."""

    name = models.CharField(_("进程"), max_length=40, primary_key=True)
    at = models.DateTimeField(_("时间"))
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
