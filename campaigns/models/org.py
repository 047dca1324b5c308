"""Org units (市 → 区 → 街道/乡镇 → 社区/村, 部门 under a district) and who belongs where."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.policy import Role


class UnitKind(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    TOWNSHIP = "township", _("乡镇")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    DEPARTMENT = "department", _("部门/责任单位")


# Which kinds may sit under which: the tree the campaign office works with.
ALLOWED_PARENT_KINDS = {
    UnitKind.CITY: {None},
    UnitKind.DISTRICT: {UnitKind.CITY},
    UnitKind.STREET: {UnitKind.DISTRICT},
    UnitKind.TOWNSHIP: {UnitKind.DISTRICT},
    UnitKind.COMMUNITY: {UnitKind.STREET, UnitKind.TOWNSHIP},
    UnitKind.VILLAGE: {UnitKind.STREET, UnitKind.TOWNSHIP},
    UnitKind.DEPARTMENT: {UnitKind.DISTRICT},
}
STREET_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP)


class OrgUnit(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=UnitKind.choices)
    code = models.CharField(
        _("代码"),
        max_length=16,
        blank=True,
        help_text=_("区的代码用于台账编号，如 TX；其他单位可留空。"),
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Denormalised so every scoped query is one indexed equality, not a tree walk.
    district = models.ForeignKey(
        "self",
        verbose_name=_("所属区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    street = models.ForeignKey(
        "self",
        verbose_name=_("所属街道/乡镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # 单位负责人: told on every 催办 and when the overdue ladder reaches its second step.
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("单位负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(kind="district"), name="unique_district_code"),
            models.UniqueConstraint(fields=["parent", "name"], name="unique_unit_name_per_parent"),
        ]
        indexes = [models.Index(fields=["district", "kind"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.kind == UnitKind.DISTRICT:
            self.code = self.code.upper()
        self.district, self.street = self._locate()
        super().save(*args, **kwargs)
        # A district is its own district and a street its own street; that needs the pk first.
        own = {}
        if self.kind == UnitKind.DISTRICT and self.district_id != self.pk:
            own["district"] = self
        if self.kind in STREET_KINDS and self.street_id != self.pk:
            own["street"] = self
        if own:
            OrgUnit.objects.filter(pk=self.pk).update(**own)
            for field, value in own.items():
                setattr(self, field, value)

    def clean(self):
        parent_kind = self.parent.kind if self.parent_id else None
        if parent_kind not in ALLOWED_PARENT_KINDS.get(self.kind, set()):
            raise ValidationError(
                {"parent": _("“%(kind)s”不能设在这个上级单位下。") % {"kind": self.get_kind_display()}}
            )
        if self.kind == UnitKind.DISTRICT and not self.code:
            raise ValidationError({"code": _("区必须有代码（用于台账编号）。")})
        if self.code and not self.code.isalnum():
            raise ValidationError({"code": _("代码只能包含字母和数字。")})

    def _locate(self):
        """The district and street this unit belongs to, from its parent chain."""
        if self.kind == UnitKind.CITY:
            return None, None
        if self.kind == UnitKind.DISTRICT:
            return (self if self.pk else None), None
        parent = self.parent
        district = parent.district if parent and parent.kind != UnitKind.DISTRICT else parent
        if self.kind in STREET_KINDS:
            return district, (self if self.pk else None)
        street = parent if parent and parent.kind in STREET_KINDS else None
        return district, street

    @property
    def is_street(self):
        return self.kind in STREET_KINDS


DUTY_HOLDER_NO_ROLE = _(
    "该账号担任系统职责（系统、安全或审计管理员），不能同时担任单位角色（三权分立）。如需参与台账工作，请另开一个账号。"
)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    phone = models.CharField(_("手机号"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("成员身份")
        verbose_name_plural = _("成员身份")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"

    def clean(self):
        super().clean()
        # 三权分立: a system duty and a ledger role are never one account's. The database
        # refuses the row too (migration 0021); this says why, in a form.
        if self.user_id is None:
            return
        accounts = self._meta.get_field("user").related_model.objects
        if accounts.filter(pk=self.user_id, profile__duty__gt="").exists():  # any duty but none ("")
            raise ValidationError(DUTY_HOLDER_NO_ROLE)
