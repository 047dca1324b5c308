"""Campaigns and the data they are run with: areas, categories, points, work groups."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from campaigns.policy import ONE_LEVEL, ChainRules, ReviewLevel, Role

from .org import OrgUnit, UnitKind


def parse_day_list(text: str) -> list[int]:
    """ "1, 3,7" → [1, 3, 7]: the day lists a campaign keeps (ladder, 复查)."""
    return sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()})


def validate_day_list(text: str) -> None:
    try:
        days = parse_day_list(text)
    except ValueError:
        raise ValidationError(_("请填写用逗号分隔的天数，例如 1,3,7。")) from None
    if any(day < 1 or day > 365 for day in days):
        raise ValidationError(_("天数应在 1 到 365 之间。"))


# 日常处置率×30 + 按期处置率×20 + (1−返工率)×20 + (1−超期待处置率)×20 + (1−延期率)×10
DEFAULT_KPI_WEIGHTS = {"closure": 30, "on_time": 20, "rework": 20, "overdue_open": 20, "extension": 10}


def default_kpi_weights() -> dict[str, int]:
    return dict(DEFAULT_KPI_WEIGHTS)


class CampaignKind(models.TextChoices):
    CREATE = "create", _("创建（创卫）")
    CONSOLIDATE = "consolidate", _("巩固（固卫）")
    REVIEW = "review", _("复审")


class CampaignStatus(models.TextChoices):
    PLANNING = "planning", _("筹备中")
    RUNNING = "running", _("进行中")
    FINISHED = "finished", _("已结束")


class PopulationBand(models.TextChoices):
    """The city's population band, which sizes the sample an assessment draws."""

    SMALL = "lt50", _("城市人口 50 万以下")
    MEDIUM = "50to200", _("50 万至 200 万")
    LARGE = "gt200", _("200 万以上")


class CampaignQuerySet(models.QuerySet):
    def running(self):
        return self.filter(status=CampaignStatus.RUNNING)


class Campaign(models.Model):
    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区"),
        on_delete=models.PROTECT,
        related_name="campaigns",
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=CampaignKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.PLANNING)
    start_date = models.DateField(_("开始日期"))
    inspection_date = models.DateField(_("迎检日期"), null=True, blank=True, help_text=_("国家暗访/评审的预计日期。"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    # Traffic lights on the board (红黄绿): where a street or unit turns yellow, then red.
    standard = models.ForeignKey(
        "campaigns.Standard",
        verbose_name=_("测评标准"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    population_band = models.CharField(
        _("城市人口规模"),
        max_length=8,
        choices=PopulationBand.choices,
        blank=True,
        help_text=_("决定迎检时各类点位的最少抽样数。"),
    )
    light_overdue_yellow = models.PositiveSmallIntegerField(
        _("逾期黄灯（件）"), default=1, help_text=_("逾期件数达到这个数时亮黄灯。")
    )
    light_overdue_red = models.PositiveSmallIntegerField(
        _("逾期红灯（件）"), default=5, help_text=_("逾期件数达到这个数时亮红灯。")
    )
    light_closure_green = models.PositiveSmallIntegerField(
        _("销号率绿灯（%）"), default=90, help_text=_("销号率不低于这个数时亮绿灯。")
    )
    light_closure_yellow = models.PositiveSmallIntegerField(
        _("销号率黄灯（%）"), default=70, help_text=_("销号率不低于这个数时亮黄灯，更低亮红灯。")
    )
    # The 交办 chain (issue 15): how long a unit has to 签收, how often it may 延期, when an
    # overdue ticket climbs the ladder, when a closed one is 复查'd, when a point is chronic.
    sign_within_days = models.PositiveSmallIntegerField(
        _("签收时限（工作日）"), default=1, help_text=_("交办后责任单位须在这么多个工作日内签收。")
    )
    max_extensions = models.PositiveSmallIntegerField(
        _("延期次数上限"), default=2, help_text=_("每张工单最多可同意延期的次数。")
    )
    escalation_days = models.CharField(
        _("逾期升级（工作日）"),
        max_length=40,
        default="1,3,7",
        validators=[validate_day_list],
        help_text=_("逾期第几个工作日：催办责任单位、告知单位负责人、亮黄牌，用逗号分隔。"),
    )
    recheck_days = models.CharField(
        _("复查（销号后天数）"),
        max_length=40,
        default="7,15,30",
        validators=[validate_day_list],
        help_text=_("销号后第几天安排复查，用逗号分隔；留空不复查。"),
        blank=True,
    )
    relapse_limit = models.PositiveSmallIntegerField(
        _("反弹几次提议挂牌督办"), default=2, help_text=_("同一点位在下面的天数内反弹达到这个次数，提议挂牌督办。")
    )
    relapse_window_days = models.PositiveSmallIntegerField(_("反弹统计天数"), default=90)
    # 疑似重复: a new ticket of the same category at the same point, or this close, within
    # these days of an open one is shown to supervisors to merge or keep.
    duplicate_radius_m = models.PositiveSmallIntegerField(
        _("疑似重复距离（米）"), default=50, help_text=_("两处点位都有坐标时，相距不超过这么多米视为同一地点。")
    )
    duplicate_days = models.PositiveSmallIntegerField(
        _("疑似重复天数"),
        default=7,
        help_text=_("新登记的问题与这么多天内登记、仍未销号的同类问题比对；填 0 不比对。"),
    )
    # 照片证据核验: an after-photo taken farther than this from the ticket's point is flagged. A
    # phone's fix in a street of tall buildings wanders 30–80 m; 200 m still tells another street.
    photo_distance_m = models.PositiveIntegerField(
        _("整改照片距点位上限（米）"),
        default=200,
        help_text=_("整改后照片的拍摄位置离点位超过这个距离时提示核验人员。"),
    )
    # 综合排名 weights (percent points per KPI); the default is one district's published rule.
    kpi_weights = models.JSONField(_("综合排名权重"), default=default_kpi_weights, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("创建/巩固活动")
        verbose_name_plural = _("创建/巩固活动")
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["district", "status"])]

    def __str__(self):
        return self.name

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})
        if self.inspection_date and self.start_date and self.inspection_date < self.start_date:
            raise ValidationError({"inspection_date": _("迎检日期不能早于开始日期。")})
        if self.light_overdue_red < self.light_overdue_yellow:
            raise ValidationError({"light_overdue_red": _("红灯的逾期件数不能少于黄灯。")})
        if self.light_closure_yellow > self.light_closure_green:
            raise ValidationError({"light_closure_yellow": _("黄灯的销号率不能高于绿灯。")})

    @property
    def escalation_ladder(self) -> list[int]:
        """Working days overdue for each step: 催办 the unit, tell its head, 黄牌."""
        return parse_day_list(self.escalation_days)

    @property
    def recheck_offsets(self) -> list[int]:
        return parse_day_list(self.recheck_days)

    @cached_property
    def chain_rules(self) -> ChainRules:
        """The campaign's 交办 chain as policy reads it (one query for the 销号 levels)."""
        levels = tuple(level.as_rule() for level in self.closing_levels.all())
        return ChainRules(max_extensions=self.max_extensions, review_levels=levels or ONE_LEVEL)

    @property
    def days_to_inspection(self):
        if not self.inspection_date:
            return None
        return (self.inspection_date - timezone.localdate()).days


class AssessmentArea(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("编号"), max_length=16)
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评类别")
        verbose_name_plural = _("测评类别")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="unique_area_code")]

    def __str__(self):
        return self.name


class ProblemCategory(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="problem_categories"
    )
    area = models.ForeignKey(
        AssessmentArea, verbose_name=_("测评类别"), on_delete=models.PROTECT, related_name="categories"
    )
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("排序"), default=0)
    default_deadline_days = models.PositiveSmallIntegerField(
        _("默认整改天数"), default=3, help_text=_("交办时预填的整改时限。")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["area__order", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="unique_category_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.area_id and self.campaign_id and self.area.campaign_id != self.campaign_id:
            raise ValidationError({"area": _("测评类别必须属于同一活动。")})


class PointType(models.Model):
    name = models.CharField(_("名称"), max_length=60, unique=True)
    notes = models.TextField(_("检查要点"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("点位类型")
        verbose_name_plural = _("点位类型")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class InspectionPoint(models.Model):
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    street = models.ForeignKey(
        OrgUnit, verbose_name=_("街道/乡镇"), on_delete=models.PROTECT, related_name="+", editable=False, null=True
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在单位"),
        on_delete=models.PROTECT,
        related_name="points",
        help_text=_("点位所在的街道、乡镇、社区或村。"),
    )
    point_type = models.ForeignKey(PointType, verbose_name=_("点位类型"), on_delete=models.PROTECT)
    name = models.CharField(_("名称"), max_length=120)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    responsible_department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_points",
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Set when someone stood at the point and took its place from their phone (WGS-84, like
    # the coordinates); a place typed in or imported leaves them empty.
    location_accuracy = models.PositiveIntegerField(
        _("定位精度（米）"), null=True, blank=True, editable=False, help_text=_("手机定位时报告的精度半径。")
    )
    located_at = models.DateTimeField(_("现场定位时间"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("点位")
        verbose_name_plural = _("点位")
        ordering = ["street_id", "name"]
        indexes = [models.Index(fields=["district", "street"])]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="unique_point_name_per_unit")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.district_id = self.unit.district_id
        self.street_id = self.unit.street_id
        super().save(*args, **kwargs)

    def clean(self):
        if self.unit_id and self.unit.kind in (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.DEPARTMENT):
            raise ValidationError({"unit": _("点位必须位于街道、乡镇、社区或村。")})
        if (
            self.unit_id
            and self.responsible_department_id
            and self.responsible_department.district_id != self.unit.district_id
        ):
            raise ValidationError({"responsible_department": _("责任部门必须属于同一个区。")})
        if self.latitude is not None and not (-90 <= self.latitude <= 90):
            raise ValidationError({"latitude": _("纬度应在 -90 到 90 之间。")})
        if self.longitude is not None and not (-180 <= self.longitude <= 180):
            raise ValidationError({"longitude": _("经度应在 -180 到 180 之间。")})


class WorkGroupKind(models.TextChoices):
    LEADING_GROUP = "leading_group", _("领导小组")
    TASK_FORCE = "task_force", _("专班")
    WORK_LINE = "work_line", _("专线")
    FINDER_GROUP = "finder_group", _("发现问题组")
    SUPERVISION_GROUP = "supervision_group", _("督导组")


class WorkGroup(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="work_groups")
    kind = models.CharField(_("类型"), max_length=24, choices=WorkGroupKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    leader_name = models.CharField(
        _("负责人姓名"), max_length=50, blank=True, help_text=_("负责人没有系统账号时填写。")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), blank=True, related_name="work_groups"
    )
    streets = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("负责街道/乡镇"),
        blank=True,
        related_name="work_groups",
        limit_choices_to={"kind__in": ["street", "township"]},
    )
    schedule = models.TextField(_("时间表/路线图"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("工作组")
        verbose_name_plural = _("工作组")
        ordering = ["kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="unique_work_group_name")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"

    @property
    def leader_display(self):
        if self.leader_id:
            return self.leader.get_full_name() or self.leader.get_username()
        return self.leader_name


class ClosingLevel(models.Model):
    """One level of a campaign's 销号 chain (e.g. 街道自查 → 专班复核 → 创卫办销号), in order.

    A campaign without levels closes in one step by its supervisors. A level is verified by a
    role of the district or by the members of one work group.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="closing_levels"
    )
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("名称"), max_length=40, help_text=_("例如：街道自查、专班复核、创卫办销号。"))
    role = models.CharField(
        _("核验角色"), max_length=16, choices=Role.choices, blank=True, help_text=_("由本区这个角色的人核验。")
    )
    work_group = models.ForeignKey(
        WorkGroup,
        verbose_name=_("核验工作组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("由这个工作组的成员核验（优先于角色）。"),
    )
    photo_required = models.BooleanField(_("须现场核验照片"), default=False)

    class Meta:
        verbose_name = _("销号层级")
        verbose_name_plural = _("销号层级")
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="unique_closing_level")]

    def __str__(self):
        return f"{self.order}. {self.name}"

    def clean(self):
        if not self.role and not self.work_group_id:
            raise ValidationError(_("请选择核验角色或核验工作组。"))
        if self.work_group_id and self.campaign_id and self.work_group.campaign_id != self.campaign_id:
            raise ValidationError({"work_group": _("工作组必须属于同一活动。")})

    def as_rule(self) -> ReviewLevel:
        roles = frozenset({self.role}) if self.role else frozenset()
        return ReviewLevel(
            label=self.name, roles=roles, work_group_id=self.work_group_id, photo_required=self.photo_required
        )
