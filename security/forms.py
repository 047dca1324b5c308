"""The security admin's forms and the second factor's token form."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Duty, OrgUnit, Role
from campaigns.once import OneSubmissionForm


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
