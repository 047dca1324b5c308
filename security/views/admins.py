"""The security admin's pages (accounts, roles, unlocks, second-factor rules) and the audit
admin's (the audit log, read-only). Each checks the duty on the database, not the session."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import (
    AuditEvent,
    AuditKind,
    Duty,
    Membership,
    OrgUnit,
    SecondFactorPolicy,
    SubmissionKind,
    UnitKind,
)
from campaigns.once import (
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from infra.cells import CsvWriter
from security.accounts import (
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
    profile_of,
)
from security.audit import audit_record
from security.filters import AccountFilter, AuditFilter
from security.forms import AccountCreateForm, AccountEditForm, MembershipForm

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
