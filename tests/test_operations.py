"""Operations: /healthz tells what is wrong, every log line and error page carries the
request id, and a command finds stored files the ledger refers to but storage lost."""

import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns.models import Heartbeat, TicketPhoto

pytestmark = pytest.mark.django_db


MONITOR_TOKEN = "monitor-7f3a9c"


@pytest.fixture
def monitor(client, settings):
    """The load balancer's monitor: it sends the token, so it hears which part failed."""
    settings.HEALTHZ_TOKEN = MONITOR_TOKEN
    client.defaults["HTTP_X_HEALTHZ_TOKEN"] = MONITOR_TOKEN
    return client


class TestHealthz:
    def test_healthy(self, monitor):
        client = monitor
        Heartbeat.objects.create(name="worker", at=timezone.now())
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert {"database", "redis", "worker"} <= body["checks"].keys()
        assert response["Cache-Control"].startswith("max-age=0")

    def test_a_worker_that_stopped_beating(self, monitor):
        client = monitor
        Heartbeat.objects.create(name="worker", at=timezone.now() - timezone.timedelta(minutes=10))
        response = client.get("/healthz")
        assert response.status_code == 503
        worker = response.json()["checks"]["worker"]
        assert worker["ok"] is False and worker["detail"].startswith("last heartbeat 60")

    def test_no_worker_ever(self, monitor):
        client = monitor
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json()["checks"]["database"]["ok"] is True

    def test_redis_down(self, monitor, settings):
        client = monitor
        Heartbeat.objects.create(name="worker", at=timezone.now())
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["redis"] == {
            "ok": False,
            "error": "ConnectionError",
            "ms": pytest.approx(0, abs=2000),
        }

    def test_the_beat_task_records_the_heartbeat(self):
        from campaigns.tasks import worker_heartbeat

        worker_heartbeat.delay()
        assert (timezone.now() - Heartbeat.objects.get(name="worker").at).total_seconds() < 5


class TestRequestIds:
    def test_every_response_has_one(self, client):
        first, second = client.get("/healthz"), client.get("/healthz")
        assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]

    def test_the_proxys_id_is_kept_when_sane(self, client):
        assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-4f2a9c01")["X-Request-ID"] == "nginx-4f2a9c01"
        forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>\nlog injection")["X-Request-ID"]
        assert forged != "<script>\nlog injection" and len(forged) == 32

    def test_log_lines_carry_it_as_json(self, client, tx):
        """The production format: one JSON object per line, with the request id."""
        from pythonjsonlogger.json import JsonFormatter

        from infra.request_log import RequestIdFilter

        lines = []

        class Collect(logging.Handler):
            def emit(self, record):
                lines.append(self.format(record))

        handler = Collect()
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"))
        logger = logging.getLogger("campaigns.audit")
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        try:
            response = client.post("/accounts/login/", {"username": tx.staff.username, "password": "wrong"})
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        assert lines, "the failed login was not logged"
        record = json.loads(lines[-1])
        assert record["request_id"] == response["X-Request-ID"]


class TestCheckPhotos:
    def test_all_present(self, tx, capsys):
        tx.closed()
        call_command("check_photos")
        assert "every one present" in capsys.readouterr().out

    def test_a_lost_file_is_named_by_ledger_number(self, tx, td):
        ticket = tx.closed()
        td.closed()
        photo = TicketPhoto.objects.filter(ticket=ticket).first()
        photo.image.storage.delete(photo.image.name)
        with pytest.raises(CommandError, match="1 of 4 files are missing"):
            call_command("check_photos")
        call_command("check_photos", district="TD")  # the other district is whole
        with pytest.raises(CommandError, match="No district"):
            call_command("check_photos", district="XX")

    def test_names_the_ticket(self, tx, capsys):
        ticket = tx.closed()
        photo = TicketPhoto.objects.filter(ticket=ticket).first()
        photo.image.storage.delete(photo.image.name)
        with pytest.raises(CommandError):
            call_command("check_photos", district="TX")
        assert ticket.number in capsys.readouterr().err


def test_security_headers_on_every_page(client, tx):
    client.force_login(tx.staff)
    response = client.get("/tickets/new/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # Every form that changes something carries the CSRF token.
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
