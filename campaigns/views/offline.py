"""Working without signal: the service worker, the app manifest and the offline pack.

The worker is served from the site's root (its scope is every page) and carries its settings
at its head: which static files it keeps, which pages it may keep for offline use, and the
text of its "no signal" page, in the person's language. Any change to the settings or to
static/js/sw.js changes the script's bytes, which is what makes the browser update it.
"""

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaigns.access import scope_for
from campaigns.selectors.offline import offline_pack

# What a page needs to draw itself with no network: kept when the worker is installed.
PRECACHE = (
    "css/ledger.css",
    "js/ledger.js",
    "js/offline.js",
    "favicon.svg",
    "favicon.ico",
    "apple-touch-icon.png",
)
# Pages a staffer works in the street (their paths, as patterns for the worker): 登记问题, 我的待办,
# a ticket's page (提交整改, 复查) and the daily report. Nothing else is kept on the device.
KEPT_PAGES = (
    r"^/tickets/new/$",
    r"^/my/$",
    r"^/tickets/[A-Z0-9]+-\d{6}-\d+/$",
    r"^/reports/$",
)


def _worker_source() -> str:
    # From the source folders (STATICFILES_DIRS), present wherever the code is: collectstatic
    # need not have run, and the worker's own address never carries a content hash.
    path = finders.find("js/sw.js")
    with open(str(path), encoding="utf-8") as handle:
        return handle.read()


def _worker_settings(request: HttpRequest) -> dict[str, object]:
    return {
        "static": [static(name) for name in PRECACHE],
        "staticPrefix": static(""),
        "pages": list(KEPT_PAGES),
        "warm": [reverse("campaigns:ticket-log"), reverse("campaigns:my-tasks"), reverse("campaigns:reports-mine")],
        "pack": reverse("campaigns:offline-pack"),
        "offlineTitle": _("没有网络"),
        "offlineText": _("这一页没有存在本机上。登记问题、我的待办、工单页和日报在离线时也能打开；联网后再试。"),
        "lang": request.LANGUAGE_CODE,
    }


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    config = json.dumps(_worker_settings(request), ensure_ascii=False, sort_keys=True)
    source = _worker_source()
    version = hashlib.sha256((config + source).encode()).hexdigest()[:12]
    body = f'"use strict";\nself.LEDGER = {config};\nself.LEDGER.version = "{version}";\n{source}'
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Its scope is the whole site, though the worker is not under /static/.
    response["Service-Worker-Allowed"] = "/"
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("创卫台账"),
        "short_name": _("创卫台账"),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("campaigns:my-tasks"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5d4b",
        "icons": [
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": static("apple-touch-icon.png"), "sizes": "180x180", "type": "image/png"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    patch_cache_control(response, max_age=3600)
    return response


@login_required
@require_GET
def offline_pack_view(request: HttpRequest) -> JsonResponse:
    """The person's own tasks, points and categories, for the device to keep until logout."""
    if not scope_for(request.user).district_ids:
        raise Http404(_("您的账号还没有加入任何区。"))
    response = JsonResponse(offline_pack(request.user), json_dumps_params={"ensure_ascii": False})
    # The worker keeps its own copy (cleared at logout); no other cache on the way may.
    patch_cache_control(response, private=True, no_store=True)
    return response
