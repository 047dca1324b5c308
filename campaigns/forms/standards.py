"""Forms of the assessment standard: one 项, a new version from a workbook, the sample quotas."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import WorkbookUploadForm, workbook_field
from campaigns.models import PointType, PopulationBand, Standard, StandardItem, StandardScope
from campaigns.selectors.standards import QuotaRow
from campaigns.services.quota_xlsx import MINIMUM_MAX, SOURCE_MAX, quota_read
from campaigns.services.standard import QuotaLine
from campaigns.services.standard_xlsx import standard_read


class PointTypeChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class StandardItemForm(forms.ModelForm):
    point_types = PointTypeChoices(
        queryset=PointType.objects.none(),
        required=False,
        label=_("适用点位类型"),
        help_text=_("检查这些类型的点位时列出这一项。"),
    )

    class Meta:
        model = StandardItem
        fields = ["requirement", "method", "score", "is_gate", "point_types", "category_name"]
        widgets = {"requirement": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"requirement": {"required": _("请填写要求。")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point_types"].queryset = PointType.objects.order_by("order", "id")
        self.fields["score"].min_value = 0
        self.fields["score"].widget.attrs["min"] = 0

    def clean_score(self):
        score = self.cleaned_data["score"]
        if score is not None and score < 0:
            raise ValidationError(_("分值不能为负数。"))
        return score


class StandardImportForm(WorkbookUploadForm):
    """A workbook of 项 and the name of the new version it becomes."""

    file = workbook_field(_("测评标准文件（.xlsx）"))
    name = forms.CharField(label=_("标准名称"), max_length=200)
    version = forms.CharField(
        label=_("新版本"), max_length=40, help_text=_("例如 2021版（本市修订）。不能与已有版本重复。")
    )
    scope = forms.ChoiceField(label=_("适用对象"), choices=StandardScope.choices)
    issued_by = forms.CharField(label=_("发布文件"), max_length=200, required=False)
    source = forms.CharField(
        label=_("来源"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("条文和分值取自何处；各来源不一致处在此说明。"),
    )
    make_current = forms.BooleanField(
        label=_("设为现行标准"), required=False, help_text=_("新建的活动默认使用现行标准；已有的活动不受影响。")
    )
    read_file = staticmethod(standard_read)

    def clean(self):
        cleaned = super().clean()
        name, version = (cleaned.get("name") or "").strip(), (cleaned.get("version") or "").strip()
        cleaned["name"], cleaned["version"] = name, version
        if name and version and Standard.objects.filter(name=name, version=version).exists():
            self.add_error("version", _("已有这个版本。导入总是建立新版本，请换一个版本号。"))
        return cleaned


class QuotaImportForm(WorkbookUploadForm):
    file = workbook_field(_("抽样数量文件（.xlsx）"))
    read_file = staticmethod(quota_read)


class SampleQuotaForm(forms.Form):
    """The quota table as typed: for each point type a number per population band and a source."""

    # The point types the page showed: only they are saved (one added since stays as it is),
    # and a post without the table at all saves nothing rather than clearing every quota.
    shown = forms.CharField(
        widget=forms.HiddenInput, error_messages={"required": _("表格不完整，请刷新页面后重新填写。")}
    )

    def __init__(self, *args, rows: list[QuotaRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.fields["shown"].initial = ",".join(str(row.point_type.pk) for row in rows)
        for row in rows:
            for band, minimum in zip(PopulationBand.values, row.minimums, strict=True):
                self.fields[f"q_{row.point_type.pk}_{band}"] = forms.IntegerField(
                    label=f"{row.point_type.name} · {PopulationBand(band).label}",
                    required=False,
                    min_value=0,
                    max_value=MINIMUM_MAX,
                    initial=minimum,
                    error_messages={
                        "invalid": _("请填整数。"),
                        "min_value": _("不能为负数。"),
                        "max_value": _("不能超过 %(limit_value)s。"),
                    },
                )
            self.fields[f"s_{row.point_type.pk}"] = forms.CharField(
                label=_("%(type)s · 来源") % {"type": row.point_type.name},
                required=False,
                max_length=SOURCE_MAX,
                initial=row.source,
            )

    def table(self):
        """(point type, [bound field per band], source field) for the template."""
        return [
            (
                row.point_type,
                [self[f"q_{row.point_type.pk}_{band}"] for band in PopulationBand.values],
                self[f"s_{row.point_type.pk}"],
            )
            for row in self.rows
        ]

    def lines(self) -> list[QuotaLine]:
        shown = {part for part in self.cleaned_data["shown"].split(",") if part.isdigit()}
        return [
            QuotaLine(
                row.point_type,
                {band: self.cleaned_data[f"q_{row.point_type.pk}_{band}"] for band in PopulationBand.values},
                self.cleaned_data[f"s_{row.point_type.pk}"].strip(),
            )
            for row in self.rows
            if str(row.point_type.pk) in shown
        ]
