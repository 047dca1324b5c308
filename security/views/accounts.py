"""Signing in: the lockout page, the password change the policy may require, the second factor."""

import base64
import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaigns.models import AccountProfile, AuditKind
from security.accounts import lock_ends_at
from security.audit import audit_record
from security.forms import SsoOnlyAuthenticationForm, TokenForm
from security.middleware import PASSWORD_KEY, SECOND_FACTOR_KEY
from security.second_factor import totp_device_pending, totp_qr_svg


def locked_out(request, response=None, credentials=None, *args, **kwargs):
    """What axes shows for a locked account: the login page, saying why and for how long."""
    username = (credentials or {}).get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    ends = lock_ends_at(username) if username else None
    if ends is None:  # not in the table (a lock by another parameter): the rule, without a time
        locked = _("该账号连续 %(n)s 次登录失败，已锁定 %(minutes)s 分钟。请稍后再试，或联系安全管理员解锁。")
    else:
        locked = _(
            "该账号连续 %(n)s 次登录失败，已锁定 %(minutes)s 分钟，请于 %(until)s 后再试，或联系安全管理员解锁。"
        )
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked": locked
            % {"n": settings.AXES_FAILURE_LIMIT, "minutes": minutes, "until": _local_minute(ends) if ends else ""},
            "next": request.POST.get("next", ""),
            **_sso_context(),
        },
        status=403,
    )


def _local_minute(moment):
    """19:52 today, or 2026-12-04 00:15 on another day; rounded up, so "after" is true."""
    local = timezone.localtime(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _policy_context():
    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "max_age": settings.PASSWORD_MAX_AGE_DAYS,
    }


def remember_language(response, language):
    """The language lives in a cookie, so choosing it costs no page a query or a session read."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


# A language chosen with the switcher before signing in, kept in the session (which survives the
# login) so that it becomes the account's choice: unlike the cookie, it was this person's.
CHOSEN_LANGUAGE_KEY = "chosen_language"


def _sso_context():
    return {"sso_oidc": settings.OIDC_ENABLED, "sso_cas": settings.CAS_ENABLED, "sso_only": settings.SSO_ONLY}


class LoginView(auth_views.LoginView):
    authentication_form = SsoOnlyAuthenticationForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_policy_context(), **_sso_context()}

    def form_valid(self, form):
        chosen = self.request.session.get(CHOSEN_LANGUAGE_KEY, "")
        response = super().form_valid(form)
        user = form.get_user()
        language = AccountProfile.objects.filter(user=user).values_list("language", flat=True).first()
        if not language and chosen in dict(settings.LANGUAGES):
            AccountProfile.objects.update_or_create(user=user, defaults={"language": chosen})
            language = chosen
        # A person's language follows them from the office PC to their phone; an account that
        # never chose one reads 简体中文, whatever the last person at this PC chose.
        return remember_language(response, language or settings.LANGUAGE_CODE)


class LogoutView(auth_views.LogoutView):
    """Logging out also empties the device: a shared phone must not show the next person the
    last one's pages, offline pack or unsent queue. Browsers that honour Clear-Site-Data drop
    the site's caches, IndexedDB and service worker; static/js/offline.js clears them itself
    before it sends the logout, for the others."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


@require_POST
def language_set(request):
    """Switch the interface language; for a signed-in person it is remembered with the account."""
    language = request.POST.get("language", "")
    # Back to the page the switch was on. It is not written into every page as a field: an
    # error page would then carry the path a person asked for (another district's number).
    back = _next_url(request) if request.POST.get("next") else _referer(request)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("不支持这种语言。"))
        return redirect(back)
    if request.user.is_authenticated:
        AccountProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    else:
        request.session[CHOSEN_LANGUAGE_KEY] = language
    translation.activate(language)
    return remember_language(redirect(back), language)


def _referer(request):
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse_lazy("campaigns:home")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, plus: the policy hold is lifted and the change is audited."""

    success_url = reverse_lazy("password_change_done")

    def dispatch(self, request, *args, **kwargs):
        # Whoever has only the password must not be able to replace it and lock the owner
        # out: an account with a second factor gives it first (asked of the database, not
        # the session, so a device bound mid-session counts too).
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        ):
            messages.info(request, _("修改密码前，请先输入动态口令。"))
            return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.get_full_path()})}")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_policy_context()}

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(PASSWORD_KEY, None)
        audit_record(AuditKind.PASSWORD_CHANGE, request=self.request, user=self.request.user)
        messages.success(self.request, _("密码已修改。"))
        return response

    def form_invalid(self, form):
        audit_record(
            AuditKind.PASSWORD_CHANGE,
            request=self.request,
            user=self.request.user,
            success=False,
            errors=sorted(form.errors),
        )
        return super().form_invalid(form)


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse_lazy("campaigns:home")


def _verified(request, device):
    otp_login(request, device)
    request.session.pop(SECOND_FACTOR_KEY, None)
    audit_record(AuditKind.SECOND_FACTOR, request=request, device=device.persistent_id)


@login_required
def second_factor(request):
    """Second step of signing in for people who have a second factor."""
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect("second-factor-setup")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            allowed, _details = device.verify_is_allowed()
            if allowed and device.verify_token(form.cleaned_data["token"]):
                _verified(request, device)
                return redirect(_next_url(request))
        audit_record(AuditKind.SECOND_FACTOR, request=request, success=False)
        form.add_error("token", _("动态口令不正确或已过期，请重新输入。多次错误将暂时不能验证。"))
    return render(request, "registration/second_factor.html", {"form": form, "next": _next_url(request)})


@login_required
def second_factor_setup(request):
    """Bind an authenticator app: scan the code, type one token to prove it works."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() and not request.user.is_verified():
        return redirect("second-factor")
    device = totp_device_pending(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _verified(request, device)
            messages.success(request, _("动态口令已启用，以后登录时需要输入。"))
            return redirect(_next_url(request))
        form.add_error("token", _("动态口令不正确，请确认手机时间准确后重新输入。"))
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr": totp_qr_svg(device),
            "secret": _secret_groups(device),
            "required": request.session.get(SECOND_FACTOR_KEY) == "setup",
            "next": _next_url(request),
        },
    )


def _secret_groups(device):
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
