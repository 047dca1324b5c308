from django.contrib.auth import authenticate, login
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from oauth2_provider.oauth2_validators import OAuth2Validator


class GovernmentValidator(OAuth2Validator):
    """The identity service's subject is its own id (gov:<name>), not the ledger's username."""

    def get_additional_claims(self, request):
        return {"sub": f"gov:{request.user.username}", "preferred_username": request.user.username}


def login_page(request):
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(target)
    page = (
        '<!doctype html><meta charset="utf-8"><title>统一身份认证平台</title><h1>统一身份认证平台</h1>'
        '<form method="post"><input name="username" aria-label="账号"><input name="password" type="password" '
        f'aria-label="密码"><input type="hidden" name="next" value="{escape(target)}"><button>登录</button></form>'
    )
    return HttpResponse(page)


urlpatterns = [
    path("login/", login_page),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
