from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from campaigns.views import accounts, ops, security

admin.site.site_header = _("创卫台账 · 系统设置")
admin.site.site_title = _("创卫台账")

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    # Before Django's own account URLs: the same names, with the ledger's password policy.
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/language/", accounts.language_set, name="language"),
    path("accounts/second-factor/", accounts.second_factor, name="second-factor"),
    path("accounts/second-factor/setup/", accounts.second_factor_setup, name="second-factor-setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("security/accounts/", security.account_list, name="security-accounts"),
    path("security/accounts/new/", security.account_new, name="security-account-new"),
    path("security/accounts/<int:pk>/", security.account_detail, name="security-account"),
    path(
        "security/accounts/<int:pk>/reset-password/",
        security.account_reset_password,
        name="security-account-reset-password",
    ),
    path("security/accounts/<int:pk>/unlock/", security.account_unlock_view, name="security-account-unlock"),
    path(
        "security/accounts/<int:pk>/second-factor-reset/",
        security.account_second_factor_reset_view,
        name="security-account-second-factor-reset",
    ),
    path("security/accounts/<int:pk>/roles/", security.membership_add, name="security-membership-add"),
    path(
        "security/accounts/<int:pk>/roles/<int:membership_id>/remove/",
        security.membership_remove,
        name="security-membership-remove",
    ),
    path("security/second-factor/", security.second_factor_policies, name="security-second-factor"),
    path("security/audit/", security.audit_list, name="security-audit"),
    path("security/audit/export.csv", security.audit_export, name="security-audit-export"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("campaigns.urls")),
]

handler500 = "campaigns.views.ops.server_error"
