from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from campaigns.api.open311 import api as open311_api
from campaigns.api.v1 import api as api_v1
from campaigns.views import ops

admin.site.site_header = _("创卫台账 · 系统设置")
admin.site.site_title = _("创卫台账")

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("api/v1/", api_v1.urls),
    path("api/open311/v2/", open311_api.urls),
    path("", include("security.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("campaigns.urls")),
]

handler500 = "campaigns.views.ops.server_error"
