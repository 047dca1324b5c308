"""The security admin's pages (accounts, roles, unlocks, second-factor rules) and the audit
admin's (the audit log, read-only). Each checks the duty on the database, not the session."""

import functools

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from campaigns.audit import audit_record
from campaigns.models import (
    AuditEvent,
    AuditKind,
    Duty,
    Membership,
    OrgUnit,
    Role,
    SecondFactorPolicy,
    SubmissionKind,
    UnitKind,
)
from campaigns.once import (
    OneSubmissionForm,
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from campaigns.services.accounts import (
    AccountRefused,
    account_create,
    account_password_reset,
    account_second_factor_reset,
    account_unlock,
    account_update,
    duty_of,
    is_locked,
    masked_address,
    membership_grant,
    membership_revoke,
)
from infra.cells import CsvWriter

User = get_user_model()
ACCOUNTS_PER_PAGE = 50
AUDIT_PER_PAGE = 100


def duty_required(duty):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if duty_of(request.user) != duty:
                raise PermissionDenied(_("只有%(duty)s可以使用这个页面。") % {"duty": Duty(duty).label})
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- forms ---------------------------------------------------------------------------


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name}（{unit.get_kind_display()}）"


def _units():
    return OrgUnit.objects.filter(is_active=True).order_by("district_id", "kind", "name")


class AccountCreateForm(OneSubmissionForm, forms.Form):
    username = forms.RegexField(
        label=gettext_lazy("账号"),
        regex=r"^[A-Za-z0-9_.@-]{3,40}$",
        error_messages={"invalid": gettext_lazy("账号为 3–40 位字母、数字或 _ . @ -。")},
    )
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"), required=False)
    duty = forms.ChoiceField(label=gettext_lazy("系统职责"), choices=Duty.choices, required=False)
    unit = UnitChoiceField(label=gettext_lazy("所在单位"), queryset=OrgUnit.objects.none(), required=False)
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=[("", "—"), *Role.choices], required=False)
    phone = forms.RegexField(
        label=gettext_lazy("手机号"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": gettext_lazy("请填写 11 位手机号。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()

    def clean(self):
        data = super().clean()
        if bool(data.get("unit")) != bool(data.get("role")):
            raise forms.ValidationError(_("单位和角色要一起填写，或都不填。"))
        if not data.get("duty") and not data.get("role"):
            raise forms.ValidationError(_("请至少给账号一个单位角色或一项系统职责。"))
        if data.get("duty") and data.get("role"):
            raise forms.ValidationError(_("系统职责和单位角色不能由同一个账号担任（三权分立），请分别建两个账号。"))
        if data.get("duty") and not data.get("email"):
            self.add_error("email", _("担任系统职责的账号须填写本人的电子邮箱：初始密码只发送到这个邮箱。"))
        return data


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False)
    duty = forms.ChoiceField(label=gettext_lazy("系统职责"), choices=Duty.choices, required=False)


class MembershipForm(forms.Form):
    unit = UnitChoiceField(label=gettext_lazy("单位"), queryset=OrgUnit.objects.none())
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=Role.choices)
    phone = forms.RegexField(
        label=gettext_lazy("手机号"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": gettext_lazy("请填写 11 位手机号。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()


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
        import ipaddress

        try:
            return queryset.filter(ip=str(ipaddress.ip_address(value.strip())))
        except ValueError:
            return queryset.none()


# --- the security admin ----------------------------------------------------------------


@duty_required(Duty.SECURITY)
def account_list(request):
    accounts = User.objects.select_related("profile").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("unit").order_by("unit__name"))
    )
    account_filter = AccountFilter(request.GET or None, queryset=accounts.order_by("username"))
    page = Paginator(account_filter.qs, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "security/account_list.html",
        {"filter": account_filter, "page": page, "query": query.urlencode()},
    )


@duty_required(Duty.SECURITY)
def account_new(request):
    form = AccountCreateForm(request.POST if request.method == "POST" else None)
    kind = SubmissionKind.ACCOUNT
    if request.method == "POST" and (answer := submission_repeat(request, form, kind)) is not None:
        return answer  # sent twice: the account the first send made (its password is not shown again)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        issued = []

        def create():
            user, password = account_create(
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                duty=data["duty"],
                unit=data["unit"],
                role=data["role"],
                phone=data["phone"],
            )
            issued.append(password)
            return user

        try:
            user = create_once(request, form, kind, create, lambda made: reverse("security-account", args=[made.pk]))
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)
        except AccountRefused as refused:
            form.add_error(None, str(refused))
        else:
            password = issued[0]
            if password is None:
                messages.success(
                    request,
                    _("账号已建立，初始密码已发送到本人邮箱 %(email)s，本页不显示。")
                    % {"email": masked_address(user.email)},
                )
                return redirect("security-account", pk=user.pk)
            return render(request, "security/password_issued.html", {"account": user, "password": password})
    return render(request, "security/account_new.html", {"form": form})


@duty_required(Duty.SECURITY)
def account_detail(request, pk):
    account = get_object_or_404(User.objects.select_related("profile"), pk=pk)
    from campaigns.services.accounts import profile_of

    profile = profile_of(account)
    form = AccountEditForm(
        request.POST if request.method == "POST" else None,
        initial={
            "full_name": account.first_name,
            "email": account.email,
            "is_active": account.is_active,
            "duty": profile.duty,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_update(
                actor=request.user,
                user=account,
                full_name=data["full_name"],
                email=data["email"],
                is_active=data["is_active"],
                duty=data["duty"],
            )
        except AccountRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("账号已保存。"))
            return redirect("security-account", pk=account.pk)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return render(
        request,
        "security/account_detail.html",
        {
            "account": account,
            "profile": profile,
            "form": form,
            "membership_form": MembershipForm(),
            "memberships": account.memberships.select_related("unit").order_by("unit__name"),
            "locked": is_locked(account.get_username()),
            "second_factor": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
            "is_self": account.pk == request.user.pk,
        },
    )


def _account_act(request, pk, act, done_message):
    account = get_object_or_404(User, pk=pk)
    try:
        result = act(account)
    except AccountRefused as refused:
        messages.error(request, str(refused))
        return redirect("security-account", pk=pk)
    if isinstance(result, str):  # a temporary password, shown once
        return render(request, "security/password_issued.html", {"account": account, "password": result})
    messages.success(request, done_message)
    return redirect("security-account", pk=pk)


@require_POST
@duty_required(Duty.SECURITY)
def account_reset_password(request, pk):
    account = get_object_or_404(User, pk=pk)
    # A duty holder's new password is mailed to them (None comes back); nobody else sees it.
    mailed = _("新密码已发送到本人邮箱 %(email)s，本页不显示。") % {"email": masked_address(account.email)}
    return _account_act(request, pk, lambda user: account_password_reset(actor=request.user, user=user), mailed)


@require_POST
@duty_required(Duty.SECURITY)
def account_unlock_view(request, pk):
    def unlock(user):
        account_unlock(actor=request.user, user=user)

    return _account_act(request, pk, unlock, _("已解除锁定。"))


@require_POST
@duty_required(Duty.SECURITY)
def account_second_factor_reset_view(request, pk):
    def reset(user):
        account_second_factor_reset(actor=request.user, user=user)

    return _account_act(request, pk, reset, _("动态口令已重置，本人下次登录时重新绑定。"))


@require_POST
@duty_required(Duty.SECURITY)
def membership_add(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = MembershipForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("security-account", pk=pk)
    try:
        membership_grant(actor=request.user, user=account, **form.cleaned_data)
    except AccountRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已授予角色。"))
    return redirect("security-account", pk=pk)


@require_POST
@duty_required(Duty.SECURITY)
def membership_remove(request, pk, membership_id):
    membership = get_object_or_404(Membership.objects.select_related("user", "unit"), pk=membership_id, user_id=pk)
    try:
        membership_revoke(actor=request.user, membership=membership)
    except AccountRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已收回角色。"))
    return redirect("security-account", pk=pk)


@duty_required(Duty.SECURITY)
def second_factor_policies(request):
    districts = list(OrgUnit.objects.filter(kind=UnitKind.DISTRICT).order_by("name"))
    rules = {rule.district_id: rule for rule in SecondFactorPolicy.objects.filter(district__in=districts)}
    if request.method == "POST":
        for district in districts:
            supervisors = request.POST.get(f"supervisors-{district.pk}") == "on"
            admins = request.POST.get(f"admins-{district.pk}") == "on"
            rule = rules.get(district.pk)
            if rule is None and not (supervisors or admins):
                continue
            if rule and (rule.required_for_supervisors, rule.required_for_admins) == (supervisors, admins):
                continue
            SecondFactorPolicy.objects.update_or_create(
                district=district,
                defaults={"required_for_supervisors": supervisors, "required_for_admins": admins},
            )
        messages.success(request, _("双因素认证要求已保存，相关人员下次登录时生效。"))
        return redirect("security-second-factor")
    rows = [(district, rules.get(district.pk)) for district in districts]
    return render(request, "security/second_factor_policies.html", {"rows": rows})


# --- the audit admin -------------------------------------------------------------------


def _audit_filtered(request):
    events = AuditEvent.objects.select_related("user", "district").order_by("-at", "-id")
    return AuditFilter(request.GET or None, queryset=events)


@require_safe
@duty_required(Duty.AUDIT)
def audit_list(request):
    audit_filter = _audit_filtered(request)
    page = Paginator(audit_filter.qs, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "security/audit_list.html",
        {
            "filter": audit_filter,
            "page": page,
            "query": query.urlencode(),
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )


@require_safe
@duty_required(Duty.AUDIT)
def audit_export(request):
    audit_filter = _audit_filtered(request)
    audit_record(AuditKind.EXPORT, request=request, target="audit-log", query=request.GET.urlencode()[:500])
    writer = CsvWriter()
    header = [_("时间"), _("事件"), _("账号"), _("区"), _("对象"), _("来源 IP"), _("结果"), _("请求编号"), _("详情")]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for event in audit_filter.qs.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.get_kind_display(),
                    event.username,
                    event.district.name if event.district else "",
                    event.target,
                    event.ip or "",
                    _("成功") if event.success else _("失败"),
                    event.request_id,
                    event.details,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
