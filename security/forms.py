"""The security admin's forms and the second factor's token form."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import AuditKind, Duty, OrgUnit, Role, SsoProvider
from campaigns.once import OneSubmissionForm
from security.audit import audit_record
from security.sso import may_use_password


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name}（{unit.get_kind_display()}）"


def _units() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(is_active=True).order_by("district_id", "kind", "name")


class AccountCreateForm(OneSubmissionForm, forms.Form):
    username = forms.RegexField(
        label=gettext_lazy("账号"),
        regex=r"^[A-Za-z0-9_.@-]{3,40}$",
        error_messages={"invalid": gettext_lazy("账号为 3–40 位字母、数字或 _ . @ -。")},
    )
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"), required=False)
    duty = forms.ChoiceField(label=gettext_lazy("系统职责"), choices=Duty.choices, required=False)
    unit = UnitChoiceField(label=gettext_lazy("所在单位"), queryset=OrgUnit.objects.none(), required=False)
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=[("", "—"), *Role.choices], required=False)
    phone = forms.RegexField(
        label=gettext_lazy("手机号"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": gettext_lazy("请填写 11 位手机号。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()

    def clean(self):
        data = super().clean()
        if bool(data.get("unit")) != bool(data.get("role")):
            raise forms.ValidationError(_("单位和角色要一起填写，或都不填。"))
        if not data.get("duty") and not data.get("role"):
            raise forms.ValidationError(_("请至少给账号一个单位角色或一项系统职责。"))
        if data.get("duty") and data.get("role"):
            raise forms.ValidationError(_("系统职责和单位角色不能由同一个账号担任（三权分立），请分别建两个账号。"))
        if data.get("duty") and not data.get("email"):
            self.add_error("email", _("担任系统职责的账号须填写本人的电子邮箱：初始密码只发送到这个邮箱。"))
        return data


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False)
    duty = forms.ChoiceField(label=gettext_lazy("系统职责"), choices=Duty.choices, required=False)


class MembershipForm(forms.Form):
    unit = UnitChoiceField(label=gettext_lazy("单位"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=Role.choices)
    phone = forms.RegexField(
        label=gettext_lazy("手机号"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": gettext_lazy("请填写 11 位手机号。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("动态口令"),
        max_length=8,
        help_text=gettext_lazy("打开手机上的身份验证器（如微信小程序“腾讯身份验证器”），输入 6 位数字。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip().replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("动态口令是 6 位数字。"))
        return token


class SsoLinkForm(forms.Form):
    provider = forms.ChoiceField(label=gettext_lazy("认证方式"), choices=SsoProvider.choices)
    subject = forms.CharField(
        label=gettext_lazy("统一身份认证账号"),
        max_length=255,
        help_text=gettext_lazy("统一身份认证返回的用户标识：OIDC 的 sub，或 CAS 的用户名。"),
    )
    username = forms.CharField(label=gettext_lazy("本系统账号"), max_length=150)


class SsoOnlyAuthenticationForm(AuthenticationForm):
    """Under SSO_ONLY, anyone but the security and audit admins is sent to the SSO button
    before the password is even checked (so it is neither counted nor confirmed)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and settings.SSO_ONLY:
            user = get_user_model().objects.filter(username=username).first()
            if not may_use_password(user):
                audit_record(
                    AuditKind.LOGIN_FAILED,
                    request=self.request,
                    user=user,
                    username=username,
                    success=False,
                    reason="sso_only",
                )
                raise forms.ValidationError(
                    _(
                        "本系统已启用统一身份认证，请点击“统一身份认证登录”按钮登录；只有安全管理员和审计管理员可以使用密码登录。"
                    ),
                    code="sso_only",
                )
        return super().clean()
