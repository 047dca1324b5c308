"""The district's document settings (公文设置): what its documents say about their issuer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import DocumentSettings
from campaigns.services.documents.numbers import SETTINGS_FIELDS

# The 〔〕 and the number are the 文号's own; a 代字 that carried them would print them twice.
NOT_IN_PREFIX = "〔〕[]()（）0123456789"


class DocumentSettingsForm(forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "addressee": forms.Textarea(attrs={"rows": 2}),
            "superior": forms.Textarea(attrs={"rows": 2}),
            "copy_to": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str):
                data[name] = " ".join(value.split())  # one line each: they print on one
        return data

    def clean_number_prefix(self):
        prefix = "".join(self.cleaned_data["number_prefix"].split())
        if any(ch in NOT_IN_PREFIX for ch in prefix):
            raise forms.ValidationError(_("代字只写机关代字，如“铁西创卫办”；年份、〔〕和序号由系统编排。"))
        return prefix
