"""Forms of the inspection points (点位): one point, and the import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import GroupedModelChoiceField, WorkbookUploadForm, workbook_field
from campaigns.models import InspectionPoint, OrgUnit, PointType
from campaigns.services.point_import import district_departments, point_read, point_units
from campaigns.services.points import duplicate_name_message


class PointImportForm(WorkbookUploadForm):
    file = workbook_field(_("点位清单文件（.xlsx）"))
    read_file = staticmethod(point_read)


class PointForm(forms.ModelForm):
    """A point of one district: its unit and department can only be that district's."""

    unit = GroupedModelChoiceField(
        queryset=OrgUnit.objects.none(),
        label=_("所在单位"),
        empty_label=_("— 请选择 —"),
        group_label=lambda u: u.street.name if u.street_id else "",
        help_text=_("点位所在的街道、乡镇、社区或村。"),
        error_messages={"invalid_choice": _("请从列表里选择本区的街道、乡镇、社区或村。")},
    )
    point_type = forms.ModelChoiceField(
        queryset=PointType.objects.none(),
        label=_("点位类型"),
        empty_label=_("— 请选择 —"),
        error_messages={"invalid_choice": _("请从列表里选择点位类型。")},
    )
    responsible_department = forms.ModelChoiceField(
        queryset=OrgUnit.objects.none(),
        required=False,
        label=_("责任部门"),
        empty_label=_("— 不指定 —"),
        help_text=_("交办这个点位的问题时预先选好的责任单位。"),
        error_messages={"invalid_choice": _("请从列表里选择本区的部门。")},
    )
    latitude = forms.DecimalField(
        label=_("纬度"),
        required=False,
        min_value=-90,
        max_value=90,
        decimal_places=6,
        max_digits=9,
        help_text=_("选填，小数形式，如 43.166123。"),
        error_messages={
            "invalid": _("纬度请填数字，如 43.166123。"),
            "min_value": _("纬度应在 -90 到 90 之间。"),
            "max_value": _("纬度应在 -90 到 90 之间。"),
            "max_decimal_places": _("纬度最多保留 6 位小数。"),
            "max_digits": _("纬度最多 9 位数字。"),
        },
    )
    longitude = forms.DecimalField(
        label=_("经度"),
        required=False,
        min_value=-180,
        max_value=180,
        decimal_places=6,
        max_digits=9,
        help_text=_("选填，小数形式，如 124.350456。"),
        error_messages={
            "invalid": _("经度请填数字，如 124.350456。"),
            "min_value": _("经度应在 -180 到 180 之间。"),
            "max_value": _("经度应在 -180 到 180 之间。"),
            "max_decimal_places": _("经度最多保留 6 位小数。"),
            "max_digits": _("经度最多 9 位数字。"),
        },
    )

    class Meta:
        model = InspectionPoint
        fields = ["name", "point_type", "unit", "address", "responsible_department", "latitude", "longitude"]
        labels = {"name": _("点位名称")}
        help_texts = {"address": _("门牌、路口或参照物，方便巡查和整改时找到。")}
        error_messages = {"name": {"required": _("请填写点位名称。")}}

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        self.fields["unit"].queryset = (
            point_units(district.pk)
            .select_related("street")
            .order_by("street__order", "street_id", "kind", "order", "id")
        )
        self.fields["point_type"].queryset = PointType.objects.order_by("order", "id")
        self.fields["responsible_department"].queryset = district_departments(district.pk).order_by("order", "id")
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if latitude is not None and longitude is None and "longitude" not in self.errors:
            self.add_error("longitude", _("填写了纬度，请同时填写经度。"))
        if longitude is not None and latitude is None and "latitude" not in self.errors:
            self.add_error("latitude", _("填写了经度，请同时填写纬度。"))
        return data

    def _get_validation_exclusions(self):
        # The model's own check of unique_point_name_per_unit would add Django's generic
        # sentence next to ours; validate_unique below says it in words an office acts on.
        exclude = super()._get_validation_exclusions()
        exclude.add("name")
        return exclude

    def validate_unique(self):
        # The one rule (unique_point_name_per_unit), said so an office knows what to do.
        name, unit = self.cleaned_data.get("name"), self.cleaned_data.get("unit")
        if not name or unit is None:
            return
        taken = InspectionPoint.objects.filter(unit=unit, name=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            self.add_error("name", duplicate_name_message(name, unit))
