"""The unit chooser of 交办, 改派, 退单 and the log form: a district's units, found by street or by typing.

A district has five or six streets and townships with forty-odd communities and villages under
them, and a dozen departments. The list groups each street's communities under it (<optgroup>),
then the departments; ledger.js puts a box above it that narrows the list as a name is typed.
Without scripts it is a plain grouped select.
"""

from django import forms
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from campaigns.forms.common import GroupedModelChoiceField, GroupedModelChoiceIterator
from campaigns.models import OrgUnit, UnitKind
from campaigns.models.org import STREET_KINDS

UNIT_KIND_GROUPS = dict(UnitKind.choices)

# Read by ledger.js: the filter box's hint, and how many units the typed name leaves.
FILTER_ATTRS = {"data-filter": _("输入名称查找"), "data-filter-count": _("找到 {n} 个")}
CHOOSE = _("— 请选择 —")


def responsible_units(district) -> QuerySet[OrgUnit]:
    """The units a ticket may go to: each street or township, then its communities and villages,
    street by street in the office's order; then the departments."""
    return (
        OrgUnit.objects.filter(district=district, is_active=True)
        .exclude(kind=UnitKind.DISTRICT)
        .select_related("street")
        .order_by(
            F("street__order").asc(nulls_last=True),
            F("street_id").asc(nulls_last=True),
            Case(When(kind__in=STREET_KINDS, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "kind",
            "order",
            "id",
        )
    )


def unit_group(unit: OrgUnit) -> str:
    """The <optgroup> a unit is listed under: its street or township, else its kind (部门)."""
    return unit.street.name if unit.street_id else str(UNIT_KIND_GROUPS[unit.kind])


class GroupedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several units from the same grouped list (协办单位)."""

    iterator = GroupedModelChoiceIterator

    def __init__(self, *args, group_label, **kwargs):
        self.group_label = group_label
        super().__init__(*args, **kwargs)


def unit_field(label, *, required: bool, empty_label=CHOOSE, help_text="") -> GroupedModelChoiceField:
    """One unit, from the district's grouped list (the form sets the queryset)."""
    return GroupedModelChoiceField(
        queryset=OrgUnit.objects.none(),
        label=label,
        required=required,
        empty_label=empty_label,
        group_label=unit_group,
        help_text=help_text,
        widget=forms.Select(attrs=FILTER_ATTRS),
    )


def co_units_field(help_text) -> GroupedModelMultipleChoiceField:
    return GroupedModelMultipleChoiceField(
        queryset=OrgUnit.objects.none(),
        required=False,
        label=_("协办单位"),
        help_text=help_text,
        group_label=unit_group,
        widget=forms.SelectMultiple(attrs=FILTER_ATTRS),
    )
