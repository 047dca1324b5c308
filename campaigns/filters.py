"""The ticket list's filters. A FilterSet only narrows what `visible_tickets(user)` already allows."""

import datetime

import django_filters
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from infra.widgets import FastSelect

from .access import scope_for
from .models import (
    OPEN_STATES,
    AssessmentArea,
    ChecklistItem,
    ChecklistStatus,
    InspectionPoint,
    OrgUnit,
    PointType,
    ProblemCategory,
    Ticket,
    TicketState,
    TicketTally,
    UnitKind,
    WorkGroup,
)
from .signals import choices_version

STATE_CHOICES = [("open", _("未办结（全部）")), *TicketState.choices]
# Marks the 交办 chain leaves on open tickets; each is an indexed or open-state-bounded filter.
FLAG_CHOICES = [("sign_late", _("超时未签收")), ("yellow_card", _("黄牌")), ("supervised", _("挂牌督办"))]


# Dates outside this range are refused by the filter form (and so ignored): 0001-01-01 or
# 9999-12-31 would overflow when turned into the start of a day in UTC.
EARLIEST_DAY = datetime.date(2000, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)
# Ids are 64-bit: a longer number is no id, and must not reach the database.
MAX_ID = 2**63 - 1
TEXT_MAX = 100


def _day_in_range(value):
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(
            _("日期应在 %(start)s 到 %(end)s 之间。") % {"start": EARLIEST_DAY, "end": LATEST_DAY}, code="out_of_range"
        )


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _date_filter(method, label):
    return django_filters.DateFilter(
        method=method, label=label, widget=forms.DateInput(attrs={"type": "date"}), validators=[_day_in_range]
    )


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: "1.5", "1e400" or a 30-digit number is refused instead of queried."""

    field_class = forms.IntegerField


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting by a column with ties (deadline) must still page the same way every time."""

    def build_choices(self, fields, labels):
        # django-filter formats the descending labels once, at import, in whatever language
        # was active then; lazily, they follow the reader's language.
        choices = []
        for field, param in fields.items():
            label = labels[field]
            choices += [(param, label), (f"-{param}", format_lazy(gettext_lazy("{} (倒序)"), label))]
        return choices

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("搜索"), max_length=TEXT_MAX)
    district = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=OrgUnit.objects.none(), label=_("区"), empty_label=_("全部区")
    )
    state = django_filters.ChoiceFilter(
        widget=FastSelect, choices=STATE_CHOICES, method="filter_state", label=_("状态"), empty_label=_("全部状态")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("只看逾期"), widget=forms.CheckboxInput)
    flag = django_filters.ChoiceFilter(
        widget=FastSelect, choices=FLAG_CHOICES, method="filter_flag", label=_("督办标记"), empty_label=_("全部标记")
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("只看本单位负责的"), widget=forms.CheckboxInput)
    street = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=OrgUnit.objects.none(), label=_("街道/乡镇"), empty_label=_("全部街道")
    )
    area = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=AssessmentArea.objects.none(), label=_("测评类别"), empty_label=_("全部类别")
    )
    category = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=ProblemCategory.objects.none(), label=_("问题类别"), empty_label=_("全部问题类别")
    )
    responsible_unit = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=OrgUnit.objects.none(), label=_("责任单位"), empty_label=_("全部责任单位")
    )
    work_group = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        queryset=WorkGroup.objects.none(),
        method="filter_work_group",
        label=_("工作组"),
        empty_label=_("全部工作组"),
    )
    found_from = _date_filter("filter_found_from", _("发现日期从"))
    found_to = _date_filter("filter_found_to", _("至"))
    closed_from = _date_filter("filter_closed_from", _("销号日期从"))
    closed_to = _date_filter("filter_closed_to", _("销号日期至"))
    returned = django_filters.BooleanFilter(method="filter_returned", label=_("被退回过"), widget=forms.CheckboxInput)
    reopened = django_filters.BooleanFilter(method="filter_reopened", label=_("反弹过"), widget=forms.CheckboxInput)
    checklist_item = IdFilter(field_name="checklist_item_id", widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    point = IdFilter(field_name="point_id", widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    sort = StableOrderingFilter(
        widget=FastSelect,
        fields=(
            ("reported_at", "reported_at"),
            ("deadline", "deadline"),
            ("number", "number"),
            ("closed_at", "closed_at"),
        ),
        field_labels={
            "reported_at": _("发现时间"),
            "deadline": _("整改时限"),
            "number": _("台账编号"),
            "closed_at": _("销号时间"),
        },
        label=_("排序"),
        empty_label=_("默认（最新在前）"),
    )

    class Meta:
        model = Ticket
        fields = []

    def __init__(self, data=None, *args, user=None, scope=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        # A page gives the person; the API gives its token's reach (campaigns.access.tokens.token_scope).
        self.scope = scope = scope if scope is not None else scope_for(user)
        district_ids = scope.district_ids
        f = self.filters
        f["district"].queryset = OrgUnit.objects.filter(pk__in=district_ids).order_by("order", "id")
        if len(district_ids) < 2:
            del self.filters["district"]
        f["street"].queryset = OrgUnit.objects.filter(
            district_id__in=district_ids, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP]
        ).order_by("district_id", "order", "id")
        f["area"].queryset = AssessmentArea.objects.filter(campaign__district_id__in=district_ids)
        f["category"].queryset = ProblemCategory.objects.filter(campaign__district_id__in=district_ids).order_by(
            "area__order", "order", "id"
        )
        f["responsible_unit"].queryset = (
            OrgUnit.objects.filter(district_id__in=district_ids)
            .exclude(kind=UnitKind.DISTRICT)
            .order_by("district_id", "kind", "order", "id")
        )
        if not scope.unit_ids:
            del self.filters["mine"]
        f["work_group"].queryset = WorkGroup.objects.filter(campaign__district_id__in=district_ids)

    CHOICE_FIELDS = ("district", "street", "area", "category", "responsible_unit", "work_group")

    @property
    def form(self):
        """The filter form, its select options read from the cache (they change only with setup)."""
        if not hasattr(self, "_form"):
            form = super().form
            ids = ",".join(str(pk) for pk in sorted(self.scope.district_ids))
            version = choices_version()
            names = [name for name in self.CHOICE_FIELDS if name in form.fields]
            keys = {name: f"choices:{version}:{name}:{ids}" for name in names}
            cached = cache.get_many(list(keys.values()))
            for name in names:
                field = form.fields[name]
                options = cached.get(keys[name])
                if options is None:
                    options = [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]
                    cache.set(keys[name], options, 600)
                # Only the widget renders options; validation still checks against the queryset.
                field.widget.choices = [("", field.empty_label), *options]
        return self._form

    def tally_count(self):
        """The exact count from the rollup when only district, street and state narrow the list."""
        if not self.is_bound:
            data = {}
        elif not self.form.is_valid():
            return None
        else:
            data = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "", False) and k != "sort"}
        if set(data) - {"district", "street", "state"}:
            return None
        cells = TicketTally.objects.filter(district_id__in=self.scope.district_ids)
        if data.get("district"):
            cells = cells.filter(district=data["district"])
        if data.get("street"):
            cells = cells.filter(street=data["street"])
        if data.get("state") == "open":
            cells = cells.filter(state__in=OPEN_STATES)
        elif data.get("state"):
            cells = cells.filter(state=data["state"])
        return cells.aggregate(n=Sum("tickets"))["n"] or 0

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__istartswith=value) | Q(description__icontains=value))

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(state__in=OPEN_STATES)
        return queryset.filter(state=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_flag(self, queryset, name, value):
        if value == "sign_late":
            return queryset.sign_late()
        if value == "yellow_card":
            return queryset.filter(state__in=OPEN_STATES, yellow_card_at__isnull=False)
        if value == "supervised":
            return queryset.filter(state__in=OPEN_STATES, supervised_at__isnull=False)
        return queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(self.scope.responsible_q()) if value else queryset

    def filter_work_group(self, queryset, name, value):
        return queryset.filter(Q(work_group=value) | Q(finder_group=value))

    def filter_found_from(self, queryset, name, value):
        return queryset.filter(reported_at__gte=_day_start(value))

    def filter_found_to(self, queryset, name, value):
        return queryset.filter(reported_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_closed_from(self, queryset, name, value):
        return queryset.filter(closed_at__gte=_day_start(value))

    def filter_closed_to(self, queryset, name, value):
        return queryset.filter(closed_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_returned(self, queryset, name, value):
        return queryset.filter(return_count__gt=0) if value else queryset

    def filter_reopened(self, queryset, name, value):
        return queryset.filter(reopen_count__gt=0) if value else queryset


class ChecklistFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("搜索"), max_length=TEXT_MAX)
    area = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=AssessmentArea.objects.none(), label=_("测评类别"), empty_label=_("全部类别")
    )
    unit = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        queryset=OrgUnit.objects.none(),
        method="filter_unit",
        label=_("单位（牵头或配合）"),
        empty_label=_("全部单位"),
    )
    status = django_filters.ChoiceFilter(
        widget=FastSelect, choices=ChecklistStatus.choices, label=_("状态"), empty_label=_("全部状态")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("只看逾期任务"), widget=forms.CheckboxInput)
    at_risk = django_filters.BooleanFilter(
        method="filter_at_risk", label=_("只看有未办结问题的"), widget=forms.CheckboxInput
    )

    class Meta:
        model = ChecklistItem
        fields = []

    def __init__(self, data=None, *args, campaign, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["area"].queryset = AssessmentArea.objects.filter(campaign=campaign).order_by("order", "code")
        self.filters["unit"].queryset = (
            OrgUnit.objects.filter(district_id=campaign.district_id)
            .exclude(kind=UnitKind.DISTRICT)
            .order_by("kind", "order", "id")
        )

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__istartswith=value) | Q(requirement__icontains=value))

    def filter_unit(self, queryset, name, value):
        # Subqueries, not joins: the page's per-task counts must not be multiplied by them.
        cooperating = ChecklistItem.cooperating_units.through.objects.filter(orgunit=value).values("checklistitem_id")
        return queryset.filter(Q(lead_unit=value) | Q(pk__in=cooperating))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_at_risk(self, queryset, name, value):
        if not value:
            return queryset
        with_open = Ticket.objects.filter(state__in=OPEN_STATES, checklist_item__isnull=False).values(
            "checklist_item_id"
        )
        return queryset.filter(pk__in=with_open)


ACTIVE_CHOICES = [("1", _("启用中")), ("0", _("已停用"))]


class PointFilter(django_filters.FilterSet):
    """The points page's filters, within one district."""

    q = django_filters.CharFilter(method="filter_text", label=_("搜索名称或地址"), max_length=TEXT_MAX)
    street = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=OrgUnit.objects.none(), label=_("街道/乡镇"), empty_label=_("全部街道/乡镇")
    )
    point_type = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=PointType.objects.none(), label=_("点位类型"), empty_label=_("全部类型")
    )
    active = django_filters.ChoiceFilter(
        widget=FastSelect, choices=ACTIVE_CHOICES, method="filter_active", label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = InspectionPoint
        fields = []

    def __init__(self, data=None, *args, district, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["street"].queryset = OrgUnit.objects.filter(
            district=district, kind__in=[UnitKind.STREET, UnitKind.TOWNSHIP]
        ).order_by("order", "id")
        self.filters["point_type"].queryset = PointType.objects.order_by("order", "id")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")
