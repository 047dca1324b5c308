"""The assessment cycle: the standard as versioned data (方面 → 条 → 项, 必备条件), the sample
quotas, and inspection rounds (暗访, 督查, 复查, 自查) with their sampled points and results.

The standard's numbers differ between public sources (7 or 8 方面, quota sizes): all of it is
data an admin can edit and import, each standard citing its source in `source`, never in code.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaign import Campaign, InspectionPoint, PointType, PopulationBand, ProblemCategory
from .org import OrgUnit


class StandardScope(models.TextChoices):
    CITY = "city", _("国家卫生城市")
    COUNTY = "county", _("国家卫生县")
    TOWN = "town", _("国家卫生乡镇")


class Standard(models.Model):
    """One version of an assessment standard (e.g. 国家卫生城市和国家卫生县标准 2021版)."""

    name = models.CharField(_("标准名称"), max_length=200)
    version = models.CharField(_("版本"), max_length=40, help_text=_("例如 2021版。"))
    scope = models.CharField(_("适用对象"), max_length=8, choices=StandardScope.choices, default=StandardScope.CITY)
    issued_by = models.CharField(_("发布文件"), max_length=200, blank=True, help_text=_("例如 全爱卫发〔2021〕6号。"))
    source = models.TextField(_("来源"), blank=True, help_text=_("条文和分值取自何处；各来源不一致处在此说明。"))
    is_current = models.BooleanField(_("现行"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("测评标准")
        verbose_name_plural = _("测评标准")
        ordering = ["-is_current", "name", "version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="unique_standard_version")]

    def __str__(self):
        return f"{self.name}（{self.version}）"


class StandardAspect(models.Model):
    """方面: the first level (e.g. 市容环境卫生)."""

    standard = models.ForeignKey(Standard, verbose_name=_("标准"), on_delete=models.CASCADE, related_name="aspects")
    code = models.CharField(_("编号"), max_length=16)
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("方面")
        verbose_name_plural = _("方面")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="unique_aspect_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class StandardArticle(models.Model):
    """条: the second level, an article of the standard's text."""

    aspect = models.ForeignKey(
        StandardAspect, verbose_name=_("方面"), on_delete=models.CASCADE, related_name="articles"
    )
    code = models.CharField(_("编号"), max_length=16)
    text = models.TextField(_("条文"))
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("条")
        verbose_name_plural = _("条")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["aspect", "code"], name="unique_article_code")]

    def __str__(self):
        return f"{self.code} {self.text[:30]}"


class AssessmentMethod(models.TextChoices):
    RECORDS = "records", _("查阅资料")
    SITE = "site", _("现场查看")
    SURVEY = "survey", _("问卷调查")
    DATA = "data", _("数据核查")


class StandardItem(models.Model):
    """项: the third level, scored on the quantified sheet (量化评价表).

    A 必备条件 (gate) fails the whole result on its own (一票否决), whatever the score.
    """

    article = models.ForeignKey(StandardArticle, verbose_name=_("条"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("编号"), max_length=24)
    requirement = models.TextField(_("要求"))
    method = models.CharField(
        _("评价方式"), max_length=8, choices=AssessmentMethod.choices, default=AssessmentMethod.SITE
    )
    score = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=0)
    is_gate = models.BooleanField(_("必备条件"), default=False, help_text=_("不达标即一票否决。"))
    point_types = models.ManyToManyField(PointType, verbose_name=_("适用点位类型"), blank=True, related_name="+")
    category_name = models.CharField(
        _("对应问题类别"), max_length=100, blank=True, help_text=_("现场发现不达标时，生成工单所用的问题类别名称。")
    )
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("项")
        verbose_name_plural = _("项")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["article", "code"], name="unique_standard_item_code")]

    def __str__(self):
        return f"{self.code} {self.requirement[:30]}"


class SampleQuota(models.Model):
    """The least number of points of a type an assessment samples, by the city's population band."""

    standard = models.ForeignKey(Standard, verbose_name=_("标准"), on_delete=models.CASCADE, related_name="quotas")
    point_type = models.ForeignKey(PointType, verbose_name=_("点位类型"), on_delete=models.CASCADE, related_name="+")
    band = models.CharField(_("人口规模"), max_length=8, choices=PopulationBand.choices)
    minimum = models.PositiveIntegerField(_("最少抽样数"))
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("抽样数量")
        verbose_name_plural = _("抽样数量")
        constraints = [models.UniqueConstraint(fields=["standard", "point_type", "band"], name="unique_sample_quota")]

    def __str__(self):
        return f"{self.point_type} · {self.get_band_display()}: {self.minimum}"


class RoundKind(models.TextChoices):
    COVERT = "covert", _("暗访")
    SUPERVISION = "supervision", _("督查")
    RECHECK = "recheck", _("复查")
    SELF = "self", _("自查")


class RoundLevel(models.TextChoices):
    NATIONAL = "national", _("国家")
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道自查")


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("准备中")
    INSPECTING = "inspecting", _("检查中")
    FINISHED = "finished", _("已完成")


class InspectionRound(models.Model):
    """A round of inspection (e.g. 市督查第 3 期): its sample of points and what they found.

    A city round may cover several districts: each district sees only its own points and
    findings (`districts`); the city sees them all.
    """

    standard = models.ForeignKey(
        Standard, verbose_name=_("标准"), on_delete=models.PROTECT, related_name="rounds", null=True, blank=True
    )
    kind = models.CharField(_("类型"), max_length=12, choices=RoundKind.choices)
    level = models.CharField(_("层级"), max_length=10, choices=RoundLevel.choices)
    name = models.CharField(_("名称"), max_length=120, help_text=_("例如 市督查第 3 期。"))
    districts = models.ManyToManyField(OrgUnit, verbose_name=_("涉及的区"), related_name="inspection_rounds")
    campaigns = models.ManyToManyField(Campaign, verbose_name=_("活动"), related_name="inspection_rounds", blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    letter_number = models.CharField(_("通报文号"), max_length=60, blank=True)
    letter_date = models.DateField(_("通报日期"), null=True, blank=True)
    deadline_working_days = models.PositiveSmallIntegerField(
        _("整改时限（工作日）"), default=10, help_text=_("自通报日期起算，发现的问题按此设定整改时限。")
    )
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("检查组成员"), blank=True, related_name="+")
    sample_seed = models.CharField(_("抽样种子"), max_length=40, blank=True)
    rechecks = models.ForeignKey(
        "self",
        verbose_name=_("复查的轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recheck_rounds",
    )
    status = models.CharField(_("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查轮次")
        verbose_name_plural = _("检查轮次")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return self.name


class RoundPoint(models.Model):
    """A point in a round's sample, drawn at random per quota or chosen by hand."""

    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="points"
    )
    point = models.ForeignKey(InspectionPoint, verbose_name=_("点位"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    drawn = models.BooleanField(_("随机抽取"), default=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspected_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("抽样点位")
        verbose_name_plural = _("抽样点位")
        ordering = ["district", "point__point_type__order", "point__name", "id"]
        constraints = [models.UniqueConstraint(fields=["inspection_round", "point"], name="unique_round_point")]
        indexes = [models.Index(fields=["district", "inspection_round"], name="round_point_district")]

    def __str__(self):
        return f"{self.inspection_round} · {self.point}"


class CheckResult(models.TextChoices):
    PASS = "pass", _("达标")
    FAIL = "fail", _("不达标")
    NOT_APPLICABLE = "na", _("不适用")


class RoundCheck(models.Model):
    """One 项 checked at one sampled point. A failed check becomes a ticket (`ticket`)."""

    round_point = models.ForeignKey(
        RoundPoint, verbose_name=_("抽样点位"), on_delete=models.CASCADE, related_name="checks"
    )
    item = models.ForeignKey(StandardItem, verbose_name=_("项"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=4, choices=CheckResult.choices)
    note = models.TextField(_("情况说明"), blank=True)
    ticket = models.OneToOneField(
        "campaigns.Ticket",
        verbose_name=_("生成的工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="round_check",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("检查时间"))

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        constraints = [models.UniqueConstraint(fields=["round_point", "item"], name="unique_round_check")]

    def __str__(self):
        return f"{self.round_point} · {self.item.code}: {self.get_result_display()}"


class FindingOutcome(models.TextChoices):
    FIXED = "fixed", _("已整改")
    NOT_FIXED = "not_fixed", _("未整改")
    RELAPSED = "relapsed", _("反弹")


class RoundFinding(models.Model):
    """A problem a round found (from a failed check, or a row of an imported 问题清单), and —
    once a 复查 round re-inspects it — how it ended."""

    inspection_round = models.ForeignKey(
        InspectionRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="findings"
    )
    district = models.ForeignKey(OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+")
    serial = models.PositiveIntegerField(_("序号"))
    description = models.TextField(_("问题描述"))
    item = models.ForeignKey(
        StandardItem, verbose_name=_("项"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("问题类别"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.OneToOneField(
        "campaigns.Ticket",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="finding",
    )
    source_check = models.OneToOneField(
        RoundCheck, verbose_name=_("检查结果"), null=True, blank=True, on_delete=models.SET_NULL, related_name="finding"
    )
    measures = models.TextField(_("整改措施"), blank=True)
    outcome = models.CharField(_("复查结果"), max_length=10, choices=FindingOutcome.choices, blank=True)
    outcome_round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("复查轮次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rechecked_findings",
    )
    outcome_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome_note = models.TextField(_("复查情况"), blank=True)
    # The 复查's own photos (未整改, 反弹): on the ticket too, and listed here for the round.
    outcome_photos = models.ManyToManyField(
        "campaigns.TicketPhoto", verbose_name=_("复查照片"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["inspection_round", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["inspection_round", "district", "serial"], name="unique_finding_serial")
        ]
        indexes = [models.Index(fields=["district", "inspection_round"], name="finding_district_round")]

    def __str__(self):
        return f"{self.inspection_round} #{self.serial}"
