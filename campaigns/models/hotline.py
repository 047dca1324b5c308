"""The 12345 hotline (政务服务便民热线): a district's link to it, its mappings and its 工单.

The hotline pushes citizens' complaints as 工单 (or an office imports the hotline's .xlsx
export); each becomes one ticket, keyed by the hotline's 工单号 — a second push of the same
number updates the 工单, never makes a second ticket (unique per district). What the office
does with it (签收, 退单, 延期, the 办结 reply) goes back on a signed webhook.
"""

from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from infra.signing import new_secret

from .campaign import Campaign, ProblemCategory
from .checklist import ImportRecord
from .org import OrgUnit, UnitKind
from .ticket import Ticket


class HotlineSettings(models.Model):
    """One district's link to the hotline: its secrets both ways and where replies go."""

    district = models.OneToOneField(
        OrgUnit,
        verbose_name=_("区"),
        on_delete=models.CASCADE,
        related_name="hotline_settings",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    enabled = models.BooleanField(_("启用"), default=False, help_text=_("关闭时热线推送一律拒收。"))
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("记入活动"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("热线工单登记到哪一个创建/巩固活动的台账。"),
    )
    default_category = models.ForeignKey(
        ProblemCategory,
        verbose_name=_("默认问题类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("诉求类型没有对应关系、也不与本活动的问题类别同名时使用；留空则拒收这样的工单。"),
    )
    default_days = models.PositiveSmallIntegerField(
        _("默认办理时限（工作日）"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("工单没有写明办理时限时使用。"),
    )
    inbound_secret = models.CharField(
        _("推送密钥"),
        max_length=100,
        default=new_secret,
        help_text=_("热线推送工单时用它签名（HMAC-SHA256）。请只告诉热线平台的管理员。"),
    )
    outbound_url = models.URLField(
        _("回传地址"),
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("签收、退单、延期和办结回复推送到这个地址；留空则不回传。"),
    )
    outbound_secret = models.CharField(
        _("回传签名密钥"),
        max_length=100,
        default=new_secret,
        help_text=_("回传消息用它签名，热线平台用它核对。"),
    )

    class Meta:
        verbose_name = _("12345热线对接")
        verbose_name_plural = _("12345热线对接")

    def __str__(self):
        return f"{self.district} · 12345"


class HotlineCategory(models.Model):
    """诉求类型 → 问题类别: the hotline's words for a complaint, the ledger's category for it."""

    settings = models.ForeignKey(
        HotlineSettings, verbose_name=_("热线对接"), on_delete=models.CASCADE, related_name="categories"
    )
    hotline_name = models.CharField(_("诉求类型"), max_length=100)
    category = models.ForeignKey(ProblemCategory, verbose_name=_("问题类别"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("诉求类型对应")
        verbose_name_plural = _("诉求类型对应")
        constraints = [
            models.UniqueConstraint(fields=["settings", "hotline_name"], name="unique_hotline_category"),
        ]

    def __str__(self):
        return f"{self.hotline_name} → {self.category}"


class HotlineStreet(models.Model):
    """所属街道 → 街道/乡镇: the hotline's name for a street (often longer or older) and the unit."""

    settings = models.ForeignKey(
        HotlineSettings, verbose_name=_("热线对接"), on_delete=models.CASCADE, related_name="streets"
    )
    hotline_name = models.CharField(_("热线街道名称"), max_length=100)
    street = models.ForeignKey(
        OrgUnit,
        verbose_name=_("街道/乡镇"),
        on_delete=models.CASCADE,
        limit_choices_to={"kind__in": (UnitKind.STREET, UnitKind.TOWNSHIP)},
    )

    class Meta:
        verbose_name = _("街道对应")
        verbose_name_plural = _("街道对应")
        constraints = [
            models.UniqueConstraint(fields=["settings", "hotline_name"], name="unique_hotline_street"),
        ]

    def __str__(self):
        return f"{self.hotline_name} → {self.street}"


class VisitResult(models.TextChoices):
    SATISFIED = "满意", _("满意")
    BASICALLY = "基本满意", _("基本满意")
    DISSATISFIED = "不满意", _("不满意")


class HotlineSource(models.TextChoices):
    PUSH = "push", _("热线推送")
    IMPORT = "import", _("表格导入")


class HotlineOrder(models.Model):
    """One hotline 工单 and the ticket it became. (district, 工单号) is unique: a push is an upsert."""

    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    order_no = models.CharField(_("工单号"), max_length=64)
    ticket = models.OneToOneField(Ticket, verbose_name=_("整改工单"), on_delete=models.PROTECT, related_name="hotline")
    called_at = models.DateTimeField(_("来电时间"))
    kind = models.CharField(_("诉求类型"), max_length=100, blank=True)
    content = models.TextField(_("诉求内容"))
    street_name = models.CharField(_("所属街道"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    due_on = models.DateField(_("热线办理期限"))
    visit_result = models.CharField(_("回访结果"), max_length=8, choices=VisitResult.choices, blank=True)
    visit_at = models.DateTimeField(_("回访记录时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=HotlineSource.choices)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("最近更新"), default=timezone.now)
    updates = models.PositiveIntegerField(_("更新次数"), default=0)

    class Meta:
        verbose_name = _("12345热线工单")
        verbose_name_plural = _("12345热线工单")
        ordering = ["-called_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "order_no"], name="unique_hotline_order"),
        ]
        indexes = [models.Index(fields=["district", "-called_at"], name="hotline_order_list")]

    def __str__(self):
        return self.order_no


class HotlineImport(ImportRecord):
    """One upload of the hotline's .xlsx export for a district."""

    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区"),
        on_delete=models.CASCADE,
        related_name="hotline_imports",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )

    class Meta(ImportRecord.Meta):
        verbose_name = _("12345热线工单导入")
        verbose_name_plural = _("12345热线工单导入")
