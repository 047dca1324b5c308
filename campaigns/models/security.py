"""Accounts, their separate powers (三权分立), and the security audit log."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit


class Duty(models.TextChoices):
    """System powers, each held by a different person (等保 2.0 三级: 三权分立)."""

    NONE = "", _("无")
    SYSTEM = "system", _("系统管理员")
    SECURITY = "security", _("安全管理员")
    AUDIT = "audit", _("审计管理员")


ROLE_HOLDER_NO_DUTY = _(
    "该账号担任单位角色，不能同时担任系统职责（三权分立）。请先收回其全部单位角色，或为系统职责另开一个账号。"
)


class AccountProfile(models.Model):
    """What the ledger keeps about an account beyond Django's user: its duty and password age.

    One duty per account is the separation of powers itself: the field cannot hold two.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="profile"
    )
    duty = models.CharField(_("系统职责"), max_length=12, choices=Duty.choices, blank=True, default="")
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    language = models.CharField(
        _("界面语言"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("登录后界面使用的语言；留空时使用简体中文（不随浏览器的语言设置变化）。"),
    )
    must_change_password = models.BooleanField(
        _("下次登录须改密码"), default=False, help_text=_("管理员重置或新建账号后，本人首次登录须设置自己的密码。")
    )

    class Meta:
        verbose_name = _("账号信息")
        verbose_name_plural = _("账号信息")
        indexes = [models.Index(fields=["duty"], name="profile_duty")]

    def __str__(self):
        return f"{self.user} · {self.get_duty_display()}"

    def clean(self):
        super().clean()
        # 三权分立: the other half of Membership.clean; the database refuses it as well.
        if self.duty and self.user_id is not None and self.user.memberships.exists():
            raise ValidationError({"duty": ROLE_HOLDER_NO_DUTY})


class PasswordHistory(models.Model):
    """Hashes of an account's recent passwords, so none of the last five is used again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class SecondFactorPolicy(models.Model):
    """A district's rule: supervisors and admins must use a TOTP second factor (动态口令)."""

    district = models.OneToOneField(
        OrgUnit, verbose_name=_("区"), on_delete=models.CASCADE, related_name="second_factor_policy"
    )
    required_for_supervisors = models.BooleanField(_("督查员须动态口令"), default=False)
    required_for_admins = models.BooleanField(_("管理员须动态口令"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("双因素认证要求")
        verbose_name_plural = _("双因素认证要求")

    def __str__(self):
        return str(self.district)


class AuditKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    IDLE_LOGOUT = "idle_logout", _("超时退出")
    LOCKOUT = "lockout", _("账号锁定")
    UNLOCK = "unlock", _("解除锁定")
    SECOND_FACTOR = "second_factor", _("动态口令")
    PASSWORD_CHANGE = "password_change", _("修改密码")
    PASSWORD_RESET = "password_reset", _("重置密码")
    ACCOUNT_CREATE = "account_create", _("新建账号")
    ACCOUNT_CHANGE = "account_change", _("账号变更")
    ROLE_CHANGE = "role_change", _("角色权限变更")
    SETTINGS_CHANGE = "settings_change", _("设置变更")
    EXPORT = "export", _("导出")
    DOWNLOAD = "download", _("下载")
    CLOSE_OUT = "close_out", _("核验销号")
    SSO_REFUSED = "sso_refused", _("统一身份认证被拒")
    SSO_LINK = "sso_link", _("统一身份认证关联")
    TICKET_MERGE = "ticket_merge", _("合并重复问题")
    API_TOKEN_CREATE = "api_token_create", _("创建接口令牌")
    API_TOKEN_REVOKE = "api_token_revoke", _("吊销接口令牌")
    INTEGRATION = "integration", _("外部系统对接")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only; rows cannot be updated.")

    def delete(self):
        raise TypeError("The audit log is append-only; only the retention purge removes old rows.")


class AuditEvent(models.Model):
    """One security-relevant act: who, what, on what, from where, and whether it worked.

    Append-only like ticket events (PostgreSQL refuses UPDATE, and DELETE of anything younger
    than the retention period); `audit_purge` is the only way rows leave.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now)
    kind = models.CharField(_("事件"), max_length=20, choices=AuditKind.choices)
    # No index of their own: audit_user_at and audit_district_at lead with them, and every
    # request that writes an audit row would pay for a second one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    username = models.CharField(_("账号"), max_length=150, blank=True, help_text=_("登录失败时为输入的账号。"))
    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    target = models.CharField(_("对象"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=40, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("安全审计记录")
        verbose_name_plural = _("安全审计记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["kind", "-at"], name="audit_kind_at"),
            models.Index(fields=["user", "-at"], name="audit_user_at"),
            models.Index(fields=["district", "-at"], name="audit_district_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only; a row cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only; only the retention purge removes old rows.")


class SsoProvider(models.TextChoices):
    """The government network's unified identity service (统一身份认证), by protocol."""

    OIDC = "oidc", _("OIDC")
    CAS = "cas", _("CAS")


class SsoLink(models.Model):
    """One identity of the unified identity service, tied to one existing ledger account.

    Made by a security admin or a district admin, never by a login: single sign-on only ever
    finds an account, it neither creates one nor grants a role.
    """

    provider = models.CharField(_("认证方式"), max_length=8, choices=SsoProvider.choices)
    subject = models.CharField(
        _("统一身份认证账号"),
        max_length=255,
        help_text=_("统一身份认证返回的用户标识：OIDC 的 sub，或 CAS 的用户名。"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("本系统账号"), on_delete=models.CASCADE, related_name="sso_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("关联时间"), default=timezone.now)

    class Meta:
        verbose_name = _("统一身份认证关联")
        verbose_name_plural = _("统一身份认证关联")
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="sso_link_identity")]
        indexes = [models.Index(fields=["user"], name="sso_link_user")]

    def __str__(self):
        return f"{self.get_provider_display()}:{self.subject} → {self.user}"
