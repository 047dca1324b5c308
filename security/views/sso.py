"""Single sign-on's doors: the OIDC and CAS round trips, the refusal page, and the pages where
security and district admins tie identities of the identity service to ledger accounts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_cas_ng import views as cas_views
from mozilla_django_oidc import views as oidc_views

from campaigns.access import get_district_for_admin
from campaigns.models import Duty, SsoLink
from security.accounts import AccountRefused
from security.forms import SsoLinkForm
from security.sso import INACTIVE, LOCKED, REFUSAL_KEY, UNMAPPED, sso_link_create, sso_link_remove
from security.sso_backends import oidc_setting
from security.views.admins import duty_required

User = get_user_model()
LINKS_PER_PAGE = 50


class _OIDCLogin(oidc_views.OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class _OIDCCallback(oidc_views.OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)


class _CASLogin(cas_views.LoginView):
    def get(self, request):
        try:
            return super().get(request)
        except PermissionDenied:  # the ticket was refused: say why, as OIDC does
            return redirect("sso-refused")


def _oidc_on():
    if not settings.OIDC_ENABLED:
        raise Http404(_("本系统没有启用统一身份认证。"))


def oidc_login(request):
    _oidc_on()
    return _OIDCLogin.as_view()(request)


def oidc_callback(request):
    _oidc_on()
    return _OIDCCallback.as_view()(request)


def cas_login(request):
    """Off to the CAS server, and back here with the ticket it issued (the service URL)."""
    if not settings.CAS_ENABLED:
        raise Http404(_("本系统没有启用统一身份认证。"))
    return _CASLogin.as_view()(request)


def sso_refused(request):
    reason = request.session.pop(REFUSAL_KEY, "")
    messages_by_reason = {
        UNMAPPED: _("统一身份认证账号尚未关联本系统账号，请联系管理员"),
        INACTIVE: _("统一身份认证已通过，但关联的本系统账号已停用，请联系安全管理员。"),
        LOCKED: _("统一身份认证已通过，但关联的本系统账号已被锁定，请稍后再试或联系安全管理员解锁。"),
    }
    text = messages_by_reason.get(reason, _("统一身份认证没有完成，请重新登录；如果一再出现，请联系管理员。"))
    return render(request, "registration/sso_refused.html", {"text": text}, status=403)


# --- tying identities to accounts -----------------------------------------------------------


def _links_page(request, *, accounts: QuerySet, district=None, back: str):
    """The list and the add form; `accounts` is whom this admin may tie an identity to."""
    links = (
        SsoLink.objects.filter(user__in=accounts).select_related("user", "created_by").order_by("user__username", "pk")
    )
    form = SsoLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = accounts.filter(username=data["username"]).first()
        if account is None:
            form.add_error("username", _("没有这个账号，或不是本区的人员。统一身份认证只关联已有的账号。"))
        else:
            try:
                sso_link_create(actor=request.user, provider=data["provider"], subject=data["subject"], user=account)
            except AccountRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("已关联：%(username)s。") % {"username": account.get_username()})
                return redirect(back)
    return render(
        request,
        "security/sso_links.html",
        {
            "page": Paginator(links, LINKS_PER_PAGE).get_page(request.GET.get("page")),
            "form": form,
            "district": district,
            "sso_on": settings.OIDC_ENABLED or settings.CAS_ENABLED,
        },
    )


@duty_required(Duty.SECURITY)
def sso_links(request):
    return _links_page(request, accounts=User.objects.filter(is_active=True), back=reverse("security-sso-links"))


@require_POST
@duty_required(Duty.SECURITY)
def sso_link_delete(request, pk):
    link = get_object_or_404(SsoLink.objects.select_related("user"), pk=pk)
    sso_link_remove(actor=request.user, link=link)
    messages.success(request, _("已解除关联。"))
    return redirect("security-sso-links")


def _district_accounts(district) -> QuerySet:
    in_district = Q(memberships__unit__district=district) | Q(memberships__unit=district)
    return User.objects.filter(in_district, is_active=True).distinct()


@login_required
def district_sso_links(request, code):
    district = get_district_for_admin(request.user, code)
    back = reverse("district-sso-links", args=[district.code])
    return _links_page(request, accounts=_district_accounts(district), district=district, back=back)


@require_POST
@login_required
def district_sso_link_delete(request, code, pk):
    district = get_district_for_admin(request.user, code)
    link = get_object_or_404(SsoLink.objects.select_related("user"), pk=pk, user__in=_district_accounts(district))
    sso_link_remove(actor=request.user, link=link)
    messages.success(request, _("已解除关联。"))
    return redirect("district-sso-links", code=district.code)
