"""Issuing an API token: its name, the integration account it acts as, its districts, its scope."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from campaigns.models import ApiScope, OrgUnit, UnitKind
from campaigns.once import OneSubmissionForm


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full = obj.get_full_name()
        return f"{obj.get_username()}（{full}）" if full else obj.get_username()


class ApiTokenForm(OneSubmissionForm, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("哪个系统用这个令牌，例如“市运管服平台”。"))
    owner = AccountChoiceField(
        queryset=get_user_model().objects.none(),
        label=_("对接账号"),
        help_text=_(
            "令牌以这个账号的角色办事：只读的领导账号只能读，督导账号可以交办、销号。建议为每个对接系统单独开一个账号。"
        ),
    )
    districts = forms.ModelMultipleChoiceField(
        queryset=OrgUnit.objects.none(), label=_("可访问的区"), widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(
        label=_("权限"), choices=ApiScope.choices, initial=ApiScope.READ, widget=forms.RadioSelect
    )

    def __init__(self, *args, district_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].queryset = OrgUnit.objects.filter(
            kind=UnitKind.DISTRICT, pk__in=district_ids
        ).order_by("order", "id")
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__unit__district_id__in=district_ids)
            .distinct()
            .order_by("username")
        )
