"""The account policy: idle logout, password age, second factor."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from campaigns.models import AccountProfile
from security.passwords import password_expired
from security.second_factor import second_factor_need

SEEN_KEY = "ledger_seen"
PASSWORD_KEY = "ledger_password_expired"  # nosec B105 # a session key name
SECOND_FACTOR_KEY = "ledger_second_factor"
DUTY_KEY = "ledger_duty"
SEEN_WRITE_EVERY = 60  # seconds: the session is written at most this often for "last seen"

# Pages a person must still reach while the policy holds them back.
POLICY_EXEMPT_NAMES = {
    "logout",
    "password_change",
    "password_change_done",
    "second-factor",
    "second-factor-setup",
    "set_language",
    "language",
    "healthz",
}


def session_start(request, user):
    """At login: note the time, and whether the password or a second factor must come first."""
    session = request.session
    session[SEEN_KEY] = int(time.time())
    profile = AccountProfile.objects.filter(user=user).first()
    if profile is None:
        profile = AccountProfile(user=user, password_changed_at=user.date_joined)
    session[DUTY_KEY] = profile.duty  # for the navigation only; pages check the database
    if password_expired(profile):
        session[PASSWORD_KEY] = True
    else:
        session.pop(PASSWORD_KEY, None)
    need = second_factor_need(user)
    if need:
        session[SECOND_FACTOR_KEY] = need
    else:
        session.pop(SECOND_FACTOR_KEY, None)


class AccountPolicyMiddleware:
    """Logs out after IDLE_LOGOUT_SECONDS without a request; holds a person at the password
    change or second-factor page until they have done it. Costs no query: the session knows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = int(time.time())
        seen = session.get(SEEN_KEY)
        if seen is not None and now - seen > settings.IDLE_LOGOUT_SECONDS:
            request._ledger_idle_logout = True
            logout(request)
            messages.info(
                request,
                _("您已超过 %(minutes)s 分钟未操作，为保护数据已自动退出，请重新登录。")
                % {"minutes": settings.IDLE_LOGOUT_SECONDS // 60},
            )
            return redirect_to_login(request.get_full_path())
        if seen is None or now - seen >= SEEN_WRITE_EVERY:
            session[SEEN_KEY] = now
        held = self._held_at(request, session, user)
        if held is not None:
            return held
        return self.get_response(request)

    def _held_at(self, request, session, user):
        if not (session.get(PASSWORD_KEY) or session.get(SECOND_FACTOR_KEY)):
            return None
        match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
        # The namespaced name: the admin's own password change ("admin:password_change") is
        # not the ledger's, and must not let a password alone past the second factor.
        exempt = match is None or match.view_name in POLICY_EXEMPT_NAMES
        if exempt or request.path_info.startswith(settings.STATIC_URL):
            return None
        need = session.get(SECOND_FACTOR_KEY)
        if need and not user.is_verified():
            target = "second-factor" if need == "verify" else "second-factor-setup"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        if session.get(PASSWORD_KEY):
            messages.warning(
                request,
                _("您的密码已超过 %(days)s 天未修改或由管理员重置，请先设置新密码。")
                % {"days": settings.PASSWORD_MAX_AGE_DAYS},
            )
            return redirect("password_change")
        return None


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None
