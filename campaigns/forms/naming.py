"""The 通报 a district drafts from its rankings (红黑榜, overdue list) and edits before printing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import DateInput
from campaigns.models import Notice


class NoticeForm(forms.ModelForm):
    class Meta:
        model = Notice
        fields = [
            "title",
            "doc_number",
            "period_start",
            "period_end",
            "intro",
            "red_list",
            "black_list",
            "overdue_list",
            "closing",
            "issuer",
        ]
        widgets = {
            "period_start": DateInput,
            "period_end": DateInput,
            "intro": forms.Textarea(attrs={"rows": 5}),
            "red_list": forms.Textarea(attrs={"rows": 4}),
            "black_list": forms.Textarea(attrs={"rows": 4}),
            "overdue_list": forms.Textarea(attrs={"rows": 8}),
            "closing": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.issued_at is not None:
            # Issued under this 文号: the number is on paper now and in the district's register.
            self.fields["doc_number"].disabled = True
            self.fields["doc_number"].help_text = _("已印发，文号不能再改。")

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("统计止日期不能早于统计起日期。"))
        return data
