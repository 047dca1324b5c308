"""Documents in the office's own format (GB/T 9704 公文): each district's settings and the
register of the 文号 it has issued."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit


class DocumentKind(models.TextChoices):
    NOTICE = "notice", _("通报")
    SUPERVISION = "supervision", _("督办单")
    SUMMARY = "summary", _("月度情况专报")
    RECTIFICATION = "rectification", _("整改报告")


class DateStyle(models.TextChoices):
    CHINESE = "chinese", _("汉字（二〇二六年十二月四日）")
    ARABIC = "arabic", _("阿拉伯数字（2026年12月4日）")


class DocumentSettings(models.Model):
    """What a district's documents say about their issuer: the red 版头, the 文号's 代字, the
    版记. One row per district, kept by its admin on the setup pages; the row is also the lock
    that 文号 are issued under (campaigns/services/documents/numbers.py)."""

    district = models.OneToOneField(
        OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="document_settings"
    )
    mark = models.CharField(
        _("发文机关标志"),
        max_length=60,
        help_text=_("版头上的红色机关名称，如：铁西区创建国家卫生城市工作领导小组办公室。"),
    )
    signature = models.CharField(
        _("发文机关署名"), max_length=60, help_text=_("正文后的署名，通常是机关全称或规范化简称。")
    )
    number_prefix = models.CharField(
        _("发文机关代字"),
        max_length=20,
        help_text=_("文号的代字部分，如“铁西创卫办”，文号即为：铁西创卫办〔2026〕12号。"),
    )
    printer = models.CharField(_("印发机关"), max_length=60, help_text=_("版记中的印发机关，如：铁西区创卫办。"))
    addressee = models.CharField(
        _("主送机关（下发）"),
        max_length=200,
        blank=True,
        help_text=_("通报、督办单的主送机关，如：各街道（乡镇）、区直各有关部门。"),
    )
    superior = models.CharField(
        _("主送机关（上报）"),
        max_length=200,
        blank=True,
        help_text=_("月度情况专报、整改报告报送的上级机关，如：四平市创卫办。"),
    )
    copy_to = models.CharField(
        _("默认抄送机关"), max_length=300, blank=True, help_text=_("多个机关用顿号或逗号隔开；留空则不印抄送。")
    )
    date_style = models.CharField(
        _("成文日期写法"),
        max_length=8,
        choices=DateStyle.choices,
        default=DateStyle.CHINESE,
        help_text=_("GB/T 9704-2012 用阿拉伯数字；不少机关仍用汉字。印发日期总用阿拉伯数字。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("公文设置")
        verbose_name_plural = _("公文设置")

    def __str__(self):
        return self.mark


class DocumentNumber(models.Model):
    """One 文号 a district issued: never repeated within the district, whoever asked for it."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("文种"), max_length=16, choices=DocumentKind.choices)
    object_id = models.PositiveBigIntegerField(_("对象编号"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(
        _("顺序号"), null=True, blank=True, help_text=_("系统编的号；手工填写的文号没有。")
    )
    text = models.CharField(_("文号"), max_length=60)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("编号人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("编号时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发文编号")
        verbose_name_plural = _("发文编号")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "text"], name="unique_document_number_text"),
            models.UniqueConstraint(fields=["district", "year", "serial"], name="unique_document_number_serial"),
        ]

    def __str__(self):
        return self.text
