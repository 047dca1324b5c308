"""The daily report (日报) a reporting duty sends."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DailyReportForm(forms.Form):
    points_visited = forms.IntegerField(label=_("走访点位数"), min_value=0, max_value=10000, required=False, initial=0)
    notes = forms.CharField(
        label=_("情况说明"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("发现的问题已从台账自动统计，这里写其他需要说明的情况。"),
    )
    nothing_found = forms.BooleanField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(required=False, widget=forms.HiddenInput)
