"""/healthz: is this instance able to serve? Database, Redis (cache and broker), worker."""

import secrets
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache

from campaigns.models import Duty, Heartbeat
from security.accounts import duty_of

# Beat asks the worker to beat every HEARTBEAT_SECONDS; three missed beats is a dead worker.
HEARTBEAT_STALE_SECONDS = settings.HEARTBEAT_SECONDS * 3


class Unhealthy(Exception):
    """A check's own finding; its message is ours and safe to show (others show only their type)."""


def _check(probe):
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, reported by name
        answer = {"ok": False, "error": type(exc).__name__, "ms": round((time.perf_counter() - started) * 1000, 1)}
        if isinstance(exc, Unhealthy):
            answer["detail"] = str(exc)
        return answer
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis():
    if not settings.REDIS_URL:
        return {"embedded": True}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _worker():
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        raise Unhealthy("no heartbeat yet")
    age = (timezone.now() - beat.at).total_seconds()
    if age > HEARTBEAT_STALE_SECONDS:
        raise Unhealthy(f"last heartbeat {int(age)} s ago")
    return {"age_s": int(age)}


def _may_see_details(request):
    """The monitor with HEALTHZ_TOKEN (header or ?token=), or signed-in staff and security admins.

    Which part is down, and how slow, tells an attacker when to strike; anyone else hears
    only ok or not ok.
    """
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token") or request.GET.get("token") or ""
    if token and given and secrets.compare_digest(given.encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or duty_of(user) == Duty.SECURITY


@never_cache
def healthz(request):
    """200 when every part answers, 503 otherwise; for those allowed, which part and how fast."""
    checks = {"database": _check(_database), "redis": _check(_redis)}
    checks["worker"] = _check(_worker) if checks["database"]["ok"] else {"ok": False, "error": "database"}
    healthy = all(check["ok"] for check in checks.values())
    status = 200 if healthy else 503
    if not _may_see_details(request):
        return JsonResponse({"ok": healthy}, status=status)
    return JsonResponse({"ok": healthy, "status": "ok" if healthy else "fail", "checks": checks}, status=status)


def server_error(request):
    """Our 500 page, with the request id a person can quote to support (it finds the log lines).

    Rendered without context processors, so nothing that failed can fail here again.
    """
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": getattr(request, "request_id", "")}))
