"""Faults survived: Redis down, a worker killed mid-task, PostgreSQL restarted under the app,
two people doing the same thing at the same moment. Each story ends with what the ledger
and the people it tells must see — nothing lost, nothing twice."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    ChecklistImport,
    ChecklistItem,
    ChecklistUpdate,
    Heartbeat,
    ImportStatus,
    Notification,
    OutboxItem,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
)
from campaigns.services import checklist_import as importer
from campaigns.services import outbox

from .factories import form_key, photo_upload
from .test_checklist_import import good_rows, workbook_bytes
from .together import run_together

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once, like a stopped Redis


@pytest.fixture
def redis_down(settings):
    """Cache and broker both pointed at a Redis that is not there; `.back()` brings them back."""
    from ledger.celery import app

    saved = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
        "task_always_eager": app.conf.task_always_eager,
    }

    def use_broker(**conf):
        for key, value in conf.items():
            setattr(app.conf, key, value)
        # Celery keeps a connection pool and a producer pool made from the old URL.
        app._pool = None
        app.amqp._producer_pool = None

    # Only the shared cache dies: each process's own (CACHES["navigation"]) has no server.
    kept = settings.CACHES
    settings.CACHES = {**kept, "default": {"BACKEND": "infra.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS}}
    use_broker(
        broker_url=DEAD_REDIS,
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2},
        task_always_eager=False,
    )

    class Switch:
        @staticmethod
        def back():
            settings.CACHES = {**kept, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
            use_broker(**{**saved, "task_always_eager": True})

    yield Switch
    use_broker(**saved)


def log_post(tx):
    return {
        "point": tx.point.pk,
        "place": "东门口",
        "category": tx.category.pk,
        "description": "市场东门垃圾桶满溢",
        "photos": [photo_upload()],
        "submission": form_key(),
    }


@pytest.mark.django_db
def test_with_redis_down_problems_are_logged_and_closed_and_nobody_is_forgotten(
    client, tx, redis_down, django_capture_on_commit_callbacks
):
    from campaigns.services.sweeps import sweep_left_work
    from campaigns.tasks import drain_outbox

    submitted = tx.submitted()  # before the outage; its messages are already out
    OutboxItem.objects.update(done_at=timezone.now())
    told_before_the_outage = Notification.objects.count()

    client.force_login(tx.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:ticket-log"), log_post(tx))
    assert response.status_code == 302
    logged = Ticket.objects.exclude(pk=submitted.pk).get()
    assert logged.state == TicketState.REPORTED

    client.force_login(tx.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:ticket-close-out", args=[submitted.number]), {"note": "核验通过"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == TicketState.CLOSED
    # Pages come from the database while the cache is away.
    assert client.get(reverse("campaigns:board", args=["TX"])).status_code == 200
    assert client.get(reverse("campaigns:ticket-list")).status_code == 200

    pending = OutboxItem.objects.filter(done_at__isnull=True)
    assert pending.count() == 2  # the new problem for the supervisors, the 销号 for the unit
    assert Notification.objects.count() == told_before_the_outage  # nobody told yet, nothing lost either
    photo = TicketPhoto.objects.get(ticket=logged)
    assert not photo.thumbnail  # its task message could not be sent either

    redis_down.back()
    drain_outbox.delay()  # what beat's periodic drain does
    sweep_left_work(now=timezone.now() + timezone.timedelta(minutes=5))

    assert not OutboxItem.objects.filter(done_at__isnull=True).exists()
    log_event = TicketEvent.objects.get(ticket=logged, action=TicketAction.LOG)
    told = set(Notification.objects.filter(occasion=f"ticket-event:{log_event.pk}").values_list("recipient", flat=True))
    assert told == {tx.supervisor.pk, tx.supervisor2.pk}
    close_event = TicketEvent.objects.get(ticket=submitted, action=TicketAction.CLOSE_OUT)
    assert Notification.objects.filter(occasion=f"ticket-event:{close_event.pk}", recipient=tx.unit_liaison).exists()
    photo.refresh_from_db()
    assert photo.thumbnail

    # Beat drains again a minute later: nothing new goes out.
    before = Notification.objects.count()
    drain_outbox.delay()
    assert Notification.objects.count() == before


class Killed(BaseException):
    """What the drain sees of a SIGKILL: it stops where it is, nothing after runs."""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_drain_leaves_nothing_half_sent(tx, monkeypatch):
    from campaigns import queue

    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: False)  # the broker took no message
    tickets = [tx.log() for _ in range(3)]
    assert OutboxItem.objects.filter(done_at__isnull=True).count() == 3

    real = outbox.HANDLERS[outbox.TICKET_EVENT]
    calls = []

    def dies_in_the_second(ref_id):
        calls.append(ref_id)
        made = real(ref_id)  # the second item's notifications are written …
        if len(calls) == 2:
            raise Killed  # … and the process dies before its transaction commits
        return made

    monkeypatch.setitem(outbox.HANDLERS, outbox.TICKET_EVENT, dies_in_the_second)
    with pytest.raises(Killed):
        outbox.outbox_drain()
    assert OutboxItem.objects.filter(done_at__isnull=False).count() == 1
    assert Notification.objects.count() == 2  # the first item's two supervisors; the second's rolled back

    monkeypatch.setitem(outbox.HANDLERS, outbox.TICKET_EVENT, real)
    outbox.outbox_drain()  # the task runs again (beat's periodic drain, or the redelivered message)
    outbox.outbox_drain()  # and once more, for good measure
    assert not OutboxItem.objects.filter(done_at__isnull=True).exists()
    for ticket in tickets:
        event = TicketEvent.objects.get(ticket=ticket, action=TicketAction.LOG)
        told = list(
            Notification.objects.filter(occasion=f"ticket-event:{event.pk}").values_list("recipient", flat=True)
        )
        assert sorted(told) == sorted([tx.supervisor.pk, tx.supervisor2.pk]), "told twice or not at all"


def _wsgi_get(path, **headers):
    """One request the way gunicorn makes it: through WSGIHandler, with its start and finish signals."""
    statuses = []
    environ = {
        **headers,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    body = b"".join(response)
    response.close()  # request_finished: what a server does after sending
    return int(statuses[0].split()[0]), body


def _restart_postgresql_under_the_app():
    """Every server process of this database ends, as in a restart; the app's sockets go dead."""
    others = "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    name = [connection.settings_dict["NAME"]]
    admin = connections.create_connection("default")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"SELECT count(pg_terminate_backend(pid)) {others}", name)  # noqa: S608 - constant SQL
            assert cursor.fetchone()[0] >= 1
            for _ in range(100):  # the processes end a moment after being told to
                cursor.execute(f"SELECT count(*) {others}", name)  # noqa: S608
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
    finally:
        admin.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_postgresql_restart_the_next_request_succeeds(settings):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL restart needs PostgreSQL (CI runs this with DATABASE_URL)")
    settings.ALLOWED_HOSTS = ["testserver"]
    Heartbeat.objects.create(name="worker", at=timezone.now())
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.settings_dict["CONN_MAX_AGE"] = 600  # a connection kept between requests, as in production
    try:
        # Without the check, the first request after the restart pays for it with an error.
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
        connection.close()  # both settings are read when a connection opens
        assert _wsgi_get("/healthz")[0] == 200
        _restart_postgresql_under_the_app()
        settings.HEALTHZ_TOKEN = "monitor"
        status, body = _wsgi_get("/healthz", HTTP_X_HEALTHZ_TOKEN="monitor")
        assert status == 503 and b'"database": {"ok": false' in body

        # With the project's setting, the dead connection is noticed and replaced before use.
        connection.settings_dict["CONN_HEALTH_CHECKS"] = saved["CONN_HEALTH_CHECKS"]
        connection.close()
        assert _wsgi_get("/healthz")[0] == 200
        _restart_postgresql_under_the_app()
        status, body = _wsgi_get("/healthz")
        assert status == 200, body
        assert _wsgi_get("/healthz")[0] == 200
    finally:
        connection.settings_dict.update(saved)


def _upload(tx):
    content = workbook_bytes(good_rows(tx))
    record, preview = importer.checklist_import_upload(
        campaign=tx.campaign, actor=tx.admin, uploaded=SimpleUploadedFile("任务清单.xlsx", content)
    )
    assert preview.is_clean
    return record


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestTwoImportsAtOnce:
    @pytest.fixture(autouse=True)
    def _postgres_only(self, settings, tmp_path):
        if connection.vendor != "postgresql":
            pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)")

    def test_one_file_confirmed_twice_imports_once(self, tx):
        record = _upload(tx)
        first, second = ChecklistImport.objects.get(pk=record.pk), ChecklistImport.objects.get(pk=record.pk)
        results = run_together(
            lambda: importer.checklist_import_confirm(record=first, actor=tx.admin),
            lambda: importer.checklist_import_confirm(record=second, actor=tx.admin),
        )
        assert all(kind == "ok" for kind, _ in results), results
        clean = [preview for _, preview in results if preview.is_clean]
        refused = [preview for _, preview in results if not preview.is_clean]
        assert len(clean) == 1 and len(refused) == 1
        assert "已经处理过了" in refused[0].file_errors[0]
        assert ChecklistItem.objects.filter(campaign=tx.campaign).count() == 3
        assert ChecklistUpdate.objects.count() == 3  # one import's worth, not two
        assert ChecklistImport.objects.get(pk=record.pk).status == ImportStatus.DONE

    def test_the_same_file_uploaded_twice_and_confirmed_at_once(self, tx):
        one, two = _upload(tx), _upload(tx)
        results = run_together(
            lambda: importer.checklist_import_confirm(record=one, actor=tx.admin),
            lambda: importer.checklist_import_confirm(record=two, actor=tx.admin),
        )
        assert all(kind == "ok" for kind, _ in results), results
        statuses = sorted(ChecklistImport.objects.values_list("status", flat=True))
        assert statuses == [ImportStatus.DONE, ImportStatus.REFUSED]
        refused = next(preview for _, preview in results if not preview.is_clean)
        assert "请重新上传预览" in refused.file_errors[0]
        assert ChecklistUpdate.objects.count() == 3


@pytest.mark.django_db
def test_a_confirm_after_someone_else_imported_says_why(client, tx):
    """The same rule through the page: the second admin learns what happened and what to do."""
    stale, fresh = _upload(tx), _upload(tx)
    client.force_login(tx.admin)
    response = client.post(reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, fresh.pk]))
    assert response.status_code == 302
    response = client.post(reverse("campaigns:checklist-import-confirm", args=[tx.campaign.pk, stale.pk]))
    assert response.status_code == 409
    assert "在您预览之后" in response.content.decode()
    assert ChecklistUpdate.objects.count() == 3
