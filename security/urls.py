"""Signing in and the security and audit admins' pages. Names are not namespaced: Django's
auth views and the admin reverse "login" and "password_change" by these names."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from security.views import accounts, admins, sso

urlpatterns = [
    # Before Django's own account URLs: the same names, with the ledger's password policy.
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/language/", accounts.language_set, name="language"),
    path("accounts/second-factor/", accounts.second_factor, name="second-factor"),
    path("accounts/second-factor/setup/", accounts.second_factor_setup, name="second-factor-setup"),
    # 统一身份认证: each answers 404 while its protocol is not configured.
    path("accounts/sso/oidc/login/", sso.oidc_login, name="sso-oidc-login"),
    path("accounts/sso/oidc/callback/", sso.oidc_callback, name="sso-oidc-callback"),
    path("accounts/sso/cas/login/", sso.cas_login, name="sso-cas-login"),
    path("accounts/sso/refused/", sso.sso_refused, name="sso-refused"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("security/accounts/", admins.account_list, name="security-accounts"),
    path("security/accounts/new/", admins.account_new, name="security-account-new"),
    path("security/accounts/<int:pk>/", admins.account_detail, name="security-account"),
    path(
        "security/accounts/<int:pk>/reset-password/",
        admins.account_reset_password,
        name="security-account-reset-password",
    ),
    path("security/accounts/<int:pk>/unlock/", admins.account_unlock_view, name="security-account-unlock"),
    path(
        "security/accounts/<int:pk>/second-factor-reset/",
        admins.account_second_factor_reset_view,
        name="security-account-second-factor-reset",
    ),
    path("security/accounts/<int:pk>/roles/", admins.membership_add, name="security-membership-add"),
    path(
        "security/accounts/<int:pk>/roles/<int:membership_id>/remove/",
        admins.membership_remove,
        name="security-membership-remove",
    ),
    path("security/second-factor/", admins.second_factor_policies, name="security-second-factor"),
    path("security/sso/", sso.sso_links, name="security-sso-links"),
    path("security/sso/<int:pk>/remove/", sso.sso_link_delete, name="security-sso-link-remove"),
    path("setup/<str:code>/sso/", sso.district_sso_links, name="district-sso-links"),
    path("setup/<str:code>/sso/<int:pk>/remove/", sso.district_sso_link_delete, name="district-sso-link-remove"),
    path("security/audit/", admins.audit_list, name="security-audit"),
    path("security/audit/export.csv", admins.audit_export, name="security-audit-export"),
]
