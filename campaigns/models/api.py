"""Tokens for the systems that read and write the ledger through the API (运管服, 12345 …).

A token is an integration's key: it acts as its owner account (whose memberships give the
role, as on the pages) within the districts it was issued for, and only reads unless its
scope says write. The secret is shown once when the token is made; only its SHA-256 digest
is kept, so a stolen database holds no usable key.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .org import OrgUnit


class ApiScope(models.TextChoices):
    READ = "read", _("只读")
    WRITE = "write", _("读写")


class ApiToken(models.Model):
    name = models.CharField(_("名称"), max_length=100, help_text=_("哪个系统用这个令牌，例如“市运管服平台”。"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("对接账号"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text=_("令牌以这个账号的身份和角色办事。"),
    )
    districts = models.ManyToManyField(
        OrgUnit, verbose_name=_("可访问的区"), related_name="+", help_text=_("对接账号所在区中的一部分或全部。")
    )
    scope = models.CharField(_("权限"), max_length=8, choices=ApiScope.choices, default=ApiScope.READ)
    prefix = models.CharField(
        _("令牌前缀"), max_length=16, unique=True, editable=False, help_text=_("令牌的开头几位，用来认出是哪个令牌。")
    )
    secret_hash = models.CharField(_("令牌摘要"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiScope.WRITE
