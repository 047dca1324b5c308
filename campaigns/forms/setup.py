"""Forms for setting up a district: units, people, work groups, campaigns. Choices come from
the district being set up only, so an id from another district fails validation."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import DateInput, WorkbookUploadForm, workbook_field
from campaigns.models import STREET_KINDS, Campaign, CampaignStatus, OrgUnit, Role, Standard, StandardScope, WorkGroup
from campaigns.once import OneSubmissionForm
from campaigns.services.people import FULL_NAME_MAX, MOBILE, ROLE_LABELS, USERNAME, enrollable_units, people_read
from campaigns.services.units import CONTACT_PHONE, GRASSROOTS_KINDS, SAME_LEVEL, SETUP_KINDS, units_read

User = get_user_model()


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name}（{unit.get_kind_display()}）"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.get_username()}（{user.get_username()}）"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.get_username()}（{user.get_username()}）"


def district_streets(district):
    return OrgUnit.objects.filter(district=district, kind__in=STREET_KINDS, is_active=True).order_by("order", "id")


def people_of(district):
    return User.objects.filter(memberships__unit__district=district, is_active=True).distinct().order_by("username")


class UnitForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"))
    parent = UnitChoiceField(
        label=_("所属街道/乡镇"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("社区和村必须选；街道、乡镇和部门直接属于本区，不用选。"),
    )
    code = forms.RegexField(
        label=_("代码"),
        regex=r"^[A-Za-z0-9]{0,16}$",
        required=False,
        help_text=_("可留空。"),
        error_messages={"invalid": _("代码只能包含字母和数字，最多 16 位。")},
    )
    contact_person = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.RegexField(
        label=_("联系电话"),
        regex=CONTACT_PHONE,
        required=False,
        error_messages={"invalid": _("联系电话只能包含数字和 - + ( )，如 0434-3261234 或 13804340001。")},
    )

    def __init__(self, *args, district, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        kinds = SAME_LEVEL[unit.kind] if unit is not None else SETUP_KINDS
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in SETUP_KINDS if kind in kinds]
        streets = district_streets(district)
        if unit is not None:
            streets = streets.exclude(pk=unit.pk)
        self.fields["parent"].queryset = streets

    def clean(self):
        data = super().clean()
        if data.get("kind") in GRASSROOTS_KINDS and not data.get("parent"):
            self.add_error("parent", _("社区和村要选所属的街道或乡镇。"))
        if data.get("kind") not in GRASSROOTS_KINDS:
            data["parent"] = None
        return data


class UnitNewForm(OneSubmissionForm, UnitForm):
    """Adding a unit: saved once however often the form is sent."""


class UnitImportForm(WorkbookUploadForm):
    file = workbook_field(_("单位名单（.xlsx）"))
    read_file = staticmethod(units_read)


class PeopleImportForm(WorkbookUploadForm):
    file = workbook_field(_("人员名单（.xlsx）"))
    read_file = staticmethod(people_read)


ROLE_CHOICES = [(role.value, role.label) for role in Role if role in ROLE_LABELS]


class RoleForm(forms.Form):
    unit = UnitChoiceField(label=_("所属单位"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=_("角色"), choices=ROLE_CHOICES)
    phone = forms.RegexField(
        label=_("手机号"),
        regex=MOBILE,
        required=False,
        error_messages={"invalid": _("请填写 11 位手机号。")},
    )

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = enrollable_units(district).order_by("kind", "order", "id")


class PersonForm(OneSubmissionForm, RoleForm):
    """Enrolling a person: one account however often the form is sent (two sends at once
    would both find the username free)."""

    username = forms.RegexField(
        label=_("账号"),
        regex=USERNAME,
        help_text=_("3–40 位字母、数字或 _ . @ -，每人一个，如 tx_wangwu。"),
        error_messages={"invalid": _("账号为 3–40 位字母、数字或 _ . @ -。")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=FULL_NAME_MAX)

    field_order = ["full_name", "username", "unit", "role", "phone"]


class WorkGroupForm(forms.ModelForm):
    leader = PersonChoiceField(label=_("负责人"), queryset=User.objects.none(), required=False)
    members = PeopleChoiceField(
        label=_("成员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("按住 Ctrl（Mac 上按住 ⌘）可选多人。"),
    )
    streets = forms.ModelMultipleChoiceField(
        label=_("负责街道/乡镇"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WorkGroup
        fields = ["kind", "name", "leader", "leader_name", "members", "streets", "schedule", "order"]
        widgets = {"schedule": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        people = people_of(district)
        self.fields["leader"].queryset = people
        self.fields["members"].queryset = people
        self.fields["streets"].queryset = district_streets(district)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = WorkGroup.objects.filter(campaign_id=self.instance.campaign_id, name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("这个活动已有名为“%(name)s”的工作组。") % {"name": name})
        return name


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "status", "start_date", "inspection_date", "end_date", "standard", "population_band"]
        widgets = {
            "start_date": DateInput(format="%Y-%m-%d"),
            "inspection_date": DateInput(format="%Y-%m-%d"),
            "end_date": DateInput(format="%Y-%m-%d"),
        }
        help_texts = {
            "status": _("作战图显示进行中的活动。"),
            "standard": _("任务清单、检查轮次和一票否决风险都按这个标准。不选则用现行的国家标准。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].queryset = Standard.objects.order_by("-is_current", "name", "-created_at")
        self.fields["standard"].empty_label = _("— 现行国家标准 —")
        if not self.instance.pk and "standard" not in kwargs.get("initial", {}):
            # Read only: the national standard is installed when the checklist is made, not here.
            current = Standard.objects.filter(scope=StandardScope.CITY, is_current=True).order_by("-created_at")
            self.initial["standard"] = current.values_list("pk", flat=True).first()
        if not self.instance.pk and "status" not in kwargs.get("initial", {}):
            # A district that sets up a campaign is usually starting it: the board shows running ones.
            self.initial["status"] = CampaignStatus.RUNNING

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Campaign.objects.filter(district_id=self.instance.district_id, name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("本区已有名为“%(name)s”的活动。") % {"name": name})
        return name


class WorkGroupNewForm(OneSubmissionForm, WorkGroupForm):
    """Adding a work group: saved once however often the form is sent."""


class CampaignNewForm(OneSubmissionForm, CampaignForm):
    """Creating a campaign: created once however often the form is sent (no two can share a
    name, but two sends at the same instant would both pass that check)."""
