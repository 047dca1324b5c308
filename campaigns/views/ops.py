"""/healthz: is this instance able to serve? Database, Redis (cache and broker), worker."""

import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache

from campaigns.models import Heartbeat

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


@never_cache
def healthz(request):
    """200 when every part answers, 503 otherwise; the body says which part and how fast."""
    checks = {"database": _check(_database), "redis": _check(_redis)}
    checks["worker"] = _check(_worker) if checks["database"]["ok"] else {"ok": False, "error": "database"}
    healthy = all(check["ok"] for check in checks.values())

    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


def server_error(request):
    """Our 500 page, with the request id a person can quote to support (it finds the log lines).

    Rendered without context processors, so nothing that failed can fail here again.
    """
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": getattr(request, "request_id", "")}))
