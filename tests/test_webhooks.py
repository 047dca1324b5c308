"""Group-robot webhooks and e-mail: delivered, retried with backoff, failures shown to admins."""

import datetime
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus, NotificationKind, UnitWebhook
from campaigns.services.notifications import MAX_ATTEMPTS, DeliveryFailed, Message, deliver, notify


class Robot:
    """A local group robot that records what it receives and answers as told."""

    def __init__(self):
        self.received = []
        self.answers = []  # (status, body) per request; the last one repeats
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                robot.received.append((self.path, json.loads(self.rfile.read(length))))
                status, body = (
                    robot.answers[min(len(robot.received), len(robot.answers)) - 1]
                    if robot.answers
                    else (
                        200,
                        {"errcode": 0, "errmsg": "ok"},
                    )
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    robot = Robot()
    yield robot
    robot.close()


def message(tx, occasion="test:1", users=(), units=()):
    return Message(
        district_id=tx.unit.pk,
        kind=NotificationKind.TICKET_OVERDUE,
        occasion=occasion,
        title="区执法局：2 件整改已逾期",
        body="- TX-202611-0001 垃圾暴露 逾期 2 天",
        link="/my/",
        user_ids=list(users),
        unit_ids=list(units),
    )


def test_wecom_robot_receives_markdown(tx, robot, settings):
    settings.SITE_URL = "https://ledger.example.gov.cn"
    UnitWebhook.objects.create(unit=tx.department, name="执法局群", flavor="wecom", url=robot.url)
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    assert deliver(delivery_id) == DeliveryStatus.SENT
    path, payload = robot.received[0]
    assert path.endswith("key=test")
    assert payload["msgtype"] == "markdown"
    assert "区执法局：2 件整改已逾期" in payload["markdown"]["content"]
    assert "https://ledger.example.gov.cn/my/" in payload["markdown"]["content"]
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at is not None
    # Sending again (a duplicated task) sends nothing.
    assert deliver(delivery_id) == DeliveryStatus.SENT
    assert len(robot.received) == 1


def test_dingtalk_robot_is_signed(tx, robot):
    UnitWebhook.objects.create(unit=tx.department, name="钉钉群", flavor="dingtalk", url=robot.url, secret="SECabc")
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    deliver(delivery_id)
    path, payload = robot.received[0]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    assert "timestamp" in query and "sign" in query
    assert payload["markdown"]["title"] == "区执法局：2 件整改已逾期"


def test_failing_robot_is_retried_with_backoff_then_succeeds(tx, robot):
    robot.answers = [
        (500, {"error": "busy"}),
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (200, {"errcode": 0}),
    ]
    UnitWebhook.objects.create(unit=tx.department, name="执法局群", flavor="wecom", url=robot.url)
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    with pytest.raises(DeliveryFailed, match="500"):
        deliver(delivery_id)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    with pytest.raises(DeliveryFailed, match="45009"):
        deliver(delivery_id)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - timezone.now() > datetime.timedelta(minutes=1)  # backing off
    assert deliver(delivery_id) == DeliveryStatus.SENT
    assert len(robot.received) == 3


def test_a_dead_robot_gives_up_and_shows_to_admins(client, tx, td, settings):
    settings.WEBHOOK_TIMEOUT = 1
    UnitWebhook.objects.create(unit=tx.department, name="失效的群", flavor="generic", url="http://127.0.0.1:9/nowhere")
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    for _attempt in range(MAX_ATTEMPTS - 1):
        with pytest.raises(DeliveryFailed):
            deliver(delivery_id)
    assert deliver(delivery_id) == DeliveryStatus.FAILED
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS and delivery.last_error
    client.force_login(tx.admin)
    page = client.get(reverse("campaigns:deliveries"), {"status": "failed"})
    assert page.status_code == 200 and "失效的群" not in page.content.decode()  # titles, not robot names
    assert list(page.context["page"].object_list) == [delivery] and page.context["failed"] == 1
    for outsider in (tx.supervisor, tx.staff):
        client.force_login(outsider)
        assert client.get(reverse("campaigns:deliveries")).status_code == 403
    client.force_login(td.admin)
    assert list(client.get(reverse("campaigns:deliveries")).context["page"].object_list) == []
    assert client.post(reverse("campaigns:delivery-retry", args=[delivery.pk])).status_code == 404


def test_a_failing_channel_never_blocks_the_others(tx, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEBHOOK_TIMEOUT = 1
    tx.unit_liaison.email = "liaison@example.gov.cn"
    tx.unit_liaison.save()
    UnitWebhook.objects.create(unit=tx.department, name="坏群", flavor="wecom", url="http://127.0.0.1:9/x")
    ids = notify(message(tx, users=[tx.unit_liaison.pk], units=[tx.department.pk]))
    results = {}
    for delivery_id in ids:
        try:
            results[delivery_id] = deliver(delivery_id)
        except DeliveryFailed:
            results[delivery_id] = "retry"
    assert sorted(results.values()) == ["retry", "sent"]
    assert [m.to for m in mail.outbox] == [["liaison@example.gov.cn"]]


def test_admin_retries_a_failed_delivery(client, tx, robot, django_capture_on_commit_callbacks):
    webhook = UnitWebhook.objects.create(unit=tx.department, name="群", flavor="wecom", url="http://127.0.0.1:9/x")
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    Delivery.objects.filter(pk=delivery_id).update(status="failed", attempts=MAX_ATTEMPTS)
    webhook.url = robot.url  # the office fixed the robot's address
    webhook.save()
    client.force_login(tx.admin)
    response = client.post(reverse("campaigns:delivery-retry", args=[delivery_id]))
    assert response.status_code == 302
    assert Delivery.objects.get().status == "sent" and len(robot.received) == 1
