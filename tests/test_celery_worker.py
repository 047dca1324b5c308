"""End to end: a real Celery worker on the real Redis delivers a reminder.

The worker is a separate process reading the same (committed) test database, on a private
queue so it cannot take work meant for anyone else.
"""

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from campaigns.models import Delivery, Notification, ReportingDuty, ReportSchedule

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_and_postgres():
    missing = []
    if not settings.REDIS_URL:
        missing.append("REDIS_URL")
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL)")
    if missing:
        if os.environ.get("REQUIRE_CELERY_E2E"):
            pytest.fail(f"the Celery end-to-end test needs {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}; CI runs it against the real services")


def database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_real_worker_delivers_a_reminder_through_redis(redis_and_postgres, tx, tmp_path):
    from campaigns.tasks import send_due_reminders
    from ledger.celery import app

    # A reminder that is due whenever this test runs: reminding all day long.
    ReportSchedule.objects.create(
        campaign=tx.campaign,
        remind_at=datetime.time(0, 0),
        cutoff=datetime.time(23, 59, 59),
        missed_list_at=datetime.time(23, 59, 59),
    )
    ReportingDuty.objects.create(campaign=tx.campaign, unit=tx.street, since=datetime.date(2026, 1, 1))
    tx.staff.email = "staff@example.gov.cn"
    tx.staff.save()

    queue = f"e2e-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LEDGER_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ledger",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    app.conf.task_always_eager = False
    try:
        send_due_reminders.apply_async(queue=queue)
        deadline = time.monotonic() + 90
        delivered = False
        while time.monotonic() < deadline and not delivered:
            time.sleep(0.5)
            delivered = Delivery.objects.filter(status="sent").exists()
            if worker.poll() is not None:
                break
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    assert delivered, output[-4000:]
    note = Notification.objects.get()
    assert note.recipient == tx.staff and note.occasion.startswith("report-remind:")
    delivery = Delivery.objects.get()
    assert delivery.channel == "email" and delivery.attempts == 1
    sent = list(mail_dir.glob("*.log"))
    assert len(sent) == 1 and "staff@example.gov.cn" in sent[0].read_text()
    assert "send_due_reminders" in output and "deliver_one" in output
