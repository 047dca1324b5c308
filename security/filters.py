"""The filters above the security admin's account list and the audit admin's log."""

import ipaddress

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy

from campaigns.models import AuditEvent, AuditKind, Duty, OrgUnit, UnitKind

User = get_user_model()


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("账号或姓名"), method="search")
    duty = django_filters.ChoiceFilter(
        label=gettext_lazy("系统职责"), field_name="profile__duty", choices=Duty.choices[1:]
    )
    district = django_filters.ModelChoiceFilter(
        label=gettext_lazy("区"),
        field_name="memberships__unit__district",
        queryset=OrgUnit.objects.filter(kind=UnitKind.DISTRICT).order_by("name"),
        distinct=True,
    )
    is_active = django_filters.BooleanFilter(label=gettext_lazy("启用"))

    class Meta:
        model = User
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value))


class AuditFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=gettext_lazy("事件"), choices=AuditKind.choices)
    username = django_filters.CharFilter(label=gettext_lazy("账号"), lookup_expr="icontains")
    district = django_filters.ModelChoiceFilter(
        label=gettext_lazy("区"), queryset=OrgUnit.objects.filter(kind=UnitKind.DISTRICT).order_by("name")
    )
    success = django_filters.BooleanFilter(label=gettext_lazy("成功"))
    ip = django_filters.CharFilter(label=gettext_lazy("来源 IP"), method="by_ip")
    since = django_filters.DateFilter(label=gettext_lazy("起始日期"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=gettext_lazy("截止日期"), field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = []

    def by_ip(self, queryset, name, value):
        try:
            return queryset.filter(ip=str(ipaddress.ip_address(value.strip())))
        except ValueError:
            return queryset.none()
