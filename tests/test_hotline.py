"""The 12345 hotline: 工单 pushed (signed) or imported, one ticket per 工单号, events back on a
signed webhook with retries, 满意率 per unit and street; and every outbound webhook signed."""

import datetime
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from campaigns import workflow
from campaigns.models import (
    AuditEvent,
    AuditKind,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    HotlineCategory,
    HotlineImport,
    HotlineOrder,
    HotlineSettings,
    HotlineStreet,
    ImportStatus,
    PhotoKind,
    Ticket,
    TicketState,
    UnitWebhook,
)
from campaigns.services.hotline_import import hotline_import_upload
from campaigns.services.notifications import MAX_ATTEMPTS, DeliveryFailed, deliver, notify
from campaigns.services.outbox import outbox_drain
from campaigns.services.system_actor import HOTLINE_USERNAME
from campaigns.workdays import add_working_days
from campaigns.workflow.hotline import hotline_import_confirm
from infra.signing import signed_headers

from .conftest import BEIJING
from .factories import pending_photo
from .test_webhooks import message

README = Path(__file__).resolve().parent.parent / "README.md"


class Receiver:
    """The hotline's (or a robot's) end: records each request's path, headers and raw body."""

    def __init__(self):
        self.received = []
        self.statuses = []  # per request; the last one repeats; empty: 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((self.path, dict(self.headers.items()), body))
                statuses = receiver.statuses
                status = statuses[min(len(receiver.received), len(statuses)) - 1] if statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hotline/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hotline(tx, receiver):
    """铁西区's link to the hotline: its 诉求类型 垃圾清运 is our 垃圾暴露; its street names are longer."""
    link = HotlineSettings.objects.create(
        district=tx.unit, enabled=True, campaign=tx.campaign, outbound_url=receiver.url, default_days=5
    )
    HotlineCategory.objects.create(settings=link, hotline_name="垃圾清运", category=tx.category)
    HotlineStreet.objects.create(settings=link, hotline_name="第一街道办事处", street=tx.street)
    HotlineStreet.objects.create(settings=link, hotline_name="第二街道办事处", street=tx.street2)
    return link


def readme_verify():
    """The receiver's check as README shows it, run as written."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```python\n(import hashlib, hmac, time.*?)```", text, re.S).group(1)
    namespace = {}
    exec(block, namespace)  # noqa: S102 - the README's own snippet, tested as documentation
    return namespace["verify"]


@pytest.fixture(autouse=True)
def _friday():
    """The hotline's 工单 are dated Friday 2026-12-04 (the call at 09:30, a deadline counted in
    working days from it): the stories happen that morning, whatever the process clock."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, 0, tzinfo=BEIJING), tick=True):
        yield


def order(number="12345-20261204-0001", **more):
    data = {
        "order_no": number,
        "called_at": "2026-12-04 09:30",
        "kind": "垃圾清运",
        "content": "小区门口垃圾堆放多日无人清理",
        "street": "第一街道办事处",
        "address": "中心路 8 号",
        "time_limit_days": 5,
    }
    data.update(more)
    return data


def push(client, link, data, secret=None, now=None):
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = signed_headers(secret or link.inbound_secret, body, now=now)
    return client.post(
        reverse("campaigns:hotline-push", args=[link.district.code]),
        data=body,
        content_type="application/json",
        headers=headers,
    )


# --- intake by push ---------------------------------------------------------------------------


def test_a_pushed_order_becomes_one_ticket_and_a_second_push_updates_it(client, tx, hotline):
    first = push(client, hotline, order())
    assert first.status_code == 201, first.content
    ticket = Ticket.objects.get(number=first.json()["ticket"])
    # Straight to its street, waiting for the 签收, due 5 working days after the call (Fri 4 Dec).
    assert ticket.state == TicketState.ASSIGNED and ticket.responsible_unit == tx.street
    assert ticket.deadline == add_working_days(datetime.date(2026, 12, 4), 5) == datetime.date(2026, 12, 11)
    assert ticket.reported_by.username == HOTLINE_USERNAME and ticket.category == tx.category
    assert ticket.place == "中心路 8 号" and ticket.street == tx.street

    again = push(client, hotline, order(content="小区门口垃圾堆放多日，已有异味", visit_result="不满意"))
    assert again.status_code == 200 and again.json()["changed"] == ["content", "visit_result"]
    assert Ticket.objects.count() == 1 and HotlineOrder.objects.count() == 1
    hotline_order = HotlineOrder.objects.get()
    assert hotline_order.visit_result == "不满意" and hotline_order.updates == 1
    ticket.refresh_from_db()
    assert ticket.description == "小区门口垃圾堆放多日，已有异味"
    assert AuditEvent.objects.filter(kind=AuditKind.INTEGRATION, target__contains="12345-20261204-0001").exists()
    # The same words once more: nothing to change, still one ticket.
    same = push(client, hotline, order(content="小区门口垃圾堆放多日，已有异味"))
    assert same.status_code == 200 and same.json()["changed"] == []
    assert Ticket.objects.count() == 1
    # The supervisor reads where it came from on the ticket's page: the hotline and its 工单号.
    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
    assert "12345热线 · 工单号 12345-20261204-0001" in page


def test_chinese_keys_and_the_default_deadline(client, tx, hotline):
    data = {
        "工单号": "A-1",
        "来电时间": "2026-12-04 08:00",
        "诉求类型": "鼠迹",
        "诉求内容": "楼道有老鼠",
        "所属街道": "铁西区第二街道",
    }
    answer = push(client, hotline, data)
    assert answer.status_code == 201, answer.content
    ticket = HotlineOrder.objects.get(order_no="A-1").ticket
    # No mapping row: the campaign's category and the district's street of the same name.
    assert ticket.category == tx.category2 and ticket.street == tx.street2
    assert ticket.deadline == add_working_days(datetime.date(2026, 12, 4), hotline.default_days)


def test_bad_signature_stale_timestamp_and_replay_are_refused(client, tx, hotline):
    assert push(client, hotline, order(), secret="not-the-secret").status_code == 401
    stale = timezone.now().timestamp() - 301
    assert push(client, hotline, order(), now=stale).status_code == 401
    future = timezone.now().timestamp() + 301
    assert push(client, hotline, order(), now=future).status_code == 401
    unsigned = client.post(
        reverse("campaigns:hotline-push", args=["TX"]), data=json.dumps(order()), content_type="application/json"
    )
    assert unsigned.status_code == 401
    assert not Ticket.objects.exists() and not HotlineOrder.objects.exists()
    refused = AuditEvent.objects.filter(kind=AuditKind.INTEGRATION, success=False)
    assert refused.count() == 4 and {e.details["reason"] for e in refused} >= {"bad signature", "stale timestamp"}
    # A captured good push sent again, byte for byte: taken once.
    body = json.dumps(order()).encode()
    headers = signed_headers(hotline.inbound_secret, body)
    url = reverse("campaigns:hotline-push", args=["TX"])
    assert client.post(url, data=body, content_type="application/json", headers=headers).status_code == 201
    assert client.post(url, data=body, content_type="application/json", headers=headers).status_code == 409


def test_an_unknown_street_or_district_is_refused(client, tx, td, hotline):
    answer = push(client, hotline, order(street="不存在街道"))
    assert answer.status_code == 422 and "street" in answer.json()["errors"]
    assert push(client, hotline, order(order_no="")).status_code == 422
    assert not Ticket.objects.exists()
    # 铁东区 has no link; 铁西区's switched off answers the same.
    td_link = HotlineSettings(district=td.unit, campaign=td.campaign, inbound_secret=hotline.inbound_secret)
    assert push(client, td_link, order()).status_code == 404
    HotlineSettings.objects.filter(pk=hotline.pk).update(enabled=False)
    assert push(client, hotline, order()).status_code == 404
    assert client.get(reverse("campaigns:hotline-push", args=["TX"])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_pushes_of_a_new_order_at_once_make_one_ticket(tx, hotline, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    from django.db import connection
    from django.test import Client

    results = []

    def send():
        try:
            results.append(push(Client(), hotline, order()).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in ([200, 201], [201, 409])
    assert HotlineOrder.objects.count() == 1 and Ticket.objects.count() == 1


# --- what goes back to the hotline ------------------------------------------------------------


def sent_events(receiver):
    deliver_all()
    return [json.loads(body)["event"] for _path, _headers, body in receiver.received]


def deliver_all():
    for delivery_id in outbox_drain():
        try:
            deliver(delivery_id)
        except DeliveryFailed:
            pass


def test_sign_decline_extension_and_reply_go_back_signed(client, tx, hotline, receiver):
    number = push(client, hotline, order()).json()["ticket"]
    ticket = Ticket.objects.get(number=number)
    deliver_all()
    assert receiver.received == []  # logging and the 交办 to the street are the hotline's own doing
    ticket = workflow.ticket_decline(
        ticket=ticket, actor=tx.staff, reason="不属于本街道，应由区执法局处理", suggested_unit=tx.department
    )
    assert sent_events(receiver) == ["decline"]
    ticket = workflow.ticket_reassign(
        ticket=ticket,
        actor=tx.supervisor,
        unit=tx.department,
        deadline=datetime.date(2026, 12, 11),
        reason="执法局职责",
    )
    ticket = workflow.ticket_sign(ticket=ticket, actor=tx.unit_liaison, note="已签收")
    ticket = workflow.ticket_request_extension(
        ticket=ticket, actor=tx.unit_liaison, reason="需协调环卫车辆", until=datetime.date(2026, 12, 18)
    )
    ticket = workflow.ticket_approve_extension(ticket=ticket, actor=tx.supervisor, note="同意")
    ticket = workflow.ticket_submit_fix(
        ticket=ticket, actor=tx.unit_liaison, note="已清运", photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)]
    )
    workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="核验通过，已办结")
    assert sent_events(receiver) == ["decline", "reassign", "sign", "extension", "reply"]
    verify = readme_verify()
    for _path, headers, body in receiver.received:
        assert verify(hotline.outbound_secret, headers, body)
        assert not verify("another-secret", headers, body)
    reply = json.loads(receiver.received[-1][2])
    assert reply["order_no"] == "12345-20261204-0001" and reply["ticket"] == number
    assert reply["state"] == TicketState.CLOSED and reply["note"] == "核验通过，已办结"
    extension = json.loads(receiver.received[3][2])
    assert extension["deadline"] == "2026-12-18"
    # A second drain finds everything recorded: nothing is sent twice.
    assert outbox_drain() == [] and len(receiver.received) == 5


def test_a_failing_hotline_is_retried_with_backoff_then_shown_to_admins(client, tx, td, hotline, receiver):
    receiver.statuses = [500]
    ticket = Ticket.objects.get(number=push(client, hotline, order()).json()["ticket"])
    workflow.ticket_sign(ticket=ticket, actor=tx.staff)
    (delivery_id,) = outbox_drain()
    delays = []
    for _attempt in range(MAX_ATTEMPTS - 1):
        with pytest.raises(DeliveryFailed, match="500"):
            deliver(delivery_id)
        delivery = Delivery.objects.get(pk=delivery_id)
        delays.append(round((delivery.next_attempt_at - timezone.now()).total_seconds() / 60))
    assert delays == [1, 2, 4, 8, 16]  # backing off
    assert deliver(delivery_id) == DeliveryStatus.FAILED
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.channel == DeliveryChannel.HOTLINE and "500" in delivery.last_error
    assert len(receiver.received) == MAX_ATTEMPTS

    client.force_login(tx.admin)
    failed = client.get(reverse("campaigns:deliveries"), {"status": "failed"})
    assert list(failed.context["page"].object_list) == [delivery]
    assert "签收：12345-20261204-0001" in failed.content.decode() and "重新发送" in failed.content.decode()
    page = client.get(reverse("campaigns:hotline", args=["TX"]))
    assert page.context["failed"] == 1
    receiver.statuses = [200]
    assert client.post(reverse("campaigns:delivery-retry", args=[delivery_id])).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    client.force_login(td.admin)
    assert client.post(reverse("campaigns:delivery-retry", args=[delivery_id])).status_code == 404


# --- part 7: every webhook signed -------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["generic", "wecom", "dingtalk"])
def test_every_robot_message_is_signed_with_its_own_secret(tx, receiver, flavor):
    webhook = UnitWebhook.objects.create(
        unit=tx.department, name="执法局群", flavor=flavor, url=receiver.url, secret="SECabc"
    )
    other = UnitWebhook.objects.create(unit=tx.department2, name="卫健局群", url=receiver.url)
    assert webhook.signing_secret and webhook.signing_secret != other.signing_secret
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    assert deliver(delivery_id) == DeliveryStatus.SENT
    path, headers, body = receiver.received[0]
    assert headers["X-Ledger-Signature"].startswith("sha256=")
    assert readme_verify()(webhook.signing_secret, headers, body)
    assert ("sign=" in path) == (flavor == "dingtalk")  # DingTalk's own 加签 as well


def test_a_stale_message_fails_the_readme_check(tx, receiver):
    webhook = UnitWebhook.objects.create(unit=tx.department, name="执法局群", flavor="generic", url=receiver.url)
    (delivery_id,) = notify(message(tx, units=[tx.department.pk]))
    deliver(delivery_id)
    _path, headers, body = receiver.received[0]
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        assert not readme_verify()(webhook.signing_secret, headers, body)


# --- 满意率 -----------------------------------------------------------------------------------


def test_satisfaction_per_unit_and_street(client, tx, td, hotline, django_assert_max_num_queries):
    visits = [("第一街道办事处", "满意"), ("第一街道办事处", "基本满意"), ("第一街道办事处", "不满意")]
    visits += [("第二街道办事处", "满意"), ("第二街道办事处", ""), ("第二街道办事处", "")]
    for n, (street, visit) in enumerate(visits):
        assert push(client, hotline, order(f"N-{n}", street=street, visit_result=visit)).status_code == 201
    client.force_login(tx.supervisor)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("campaigns:hotline", args=["TX"]))
    assert page.status_code == 200
    total = page.context["total"]
    assert (total.orders, total.visited, total.rate) == (6, 4, 75.0)  # (1 + 1 + 1) ÷ 4
    by_street = {row.name: row for row in page.context["by_street"]}
    assert by_street["铁西区第一街道"].rate == 66.7 and by_street["铁西区第二街道"].rate == 100.0
    assert by_street["铁西区第二街道"].visited == 1 and by_street["铁西区第二街道"].orders == 3
    assert {row.name: row.rate for row in page.context["by_unit"]} == {"铁西区第一街道": 66.7, "铁西区第二街道": 100.0}
    text = page.content.decode()
    assert "满意率 =（满意 + 基本满意）÷ 已回访 × 100%" in text and "75.0%" in text
    unhappy = client.get(reverse("campaigns:hotline", args=["TX"]), {"visit": "不满意"})
    assert [o.order_no for o in unhappy.context["page"].object_list] == ["N-2"]
    # Ten more 工单: the page costs the same.
    for n in range(10):
        push(client, hotline, order(f"M-{n}", visit_result="满意"))
    with django_assert_max_num_queries(14):
        client.get(reverse("campaigns:hotline", args=["TX"]))


def test_the_12345_page_is_for_the_districts_managers(client, tx, td, hotline):
    url = reverse("campaigns:hotline", args=["TX"])
    for person in (tx.staff, tx.unit_liaison, tx.leader):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.force_login(td.admin)
    assert client.get(url).status_code == 404
    client.force_login(tx.admin)
    assert client.get(url).status_code == 200


# --- intake by the hotline's export -----------------------------------------------------------


def export(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工单号", "来电时间", "诉求类型", "诉求内容", "所属街道", "地址", "办理时限", "回访结果"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("12345导出.xlsx", out.getvalue())


ROW_A = ["E-1", datetime.datetime(2026, 12, 3, 14, 0), "垃圾清运", "路边垃圾未清", "第一街道办事处", "北街 2 号", 3, ""]
ROW_B = ["E-2", "2026-12-04 08:15", "鼠迹", "餐馆后厨有鼠迹", "第二街道办事处", "", "", ""]


def test_export_preview_then_confirm_then_again_updates(client, tx, hotline):
    client.force_login(tx.admin)
    url = reverse("campaigns:hotline-import", args=["TX"])
    preview = client.post(url, {"file": export([ROW_A, ROW_B])})
    assert preview.status_code == 200 and preview.context["preview"].added == 2
    assert not Ticket.objects.exists()  # a preview writes no ticket
    record = HotlineImport.objects.get()
    confirmed = client.post(reverse("campaigns:hotline-import-confirm", args=["TX", record.pk]))
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("campaigns:hotline", args=["TX"])
    assert HotlineOrder.objects.count() == 2 and Ticket.objects.count() == 2
    first = HotlineOrder.objects.get(order_no="E-1")
    assert first.source == "import" and first.ticket.deadline == add_working_days(datetime.date(2026, 12, 3), 3)
    assert AuditEvent.objects.filter(kind=AuditKind.INTEGRATION, user=tx.admin, details__added=2).exists()
    # The next export: the same 工单, one now with its 回访. Updated, never a second ticket.
    visited = [*ROW_A[:7], "满意"]
    record2, preview2 = hotline_import_upload(district=tx.unit, actor=tx.admin, uploaded=export([visited, ROW_B]))
    assert (preview2.changed, preview2.unchanged, preview2.added) == (1, 1, 0)
    hotline_import_confirm(record=record2, actor=tx.admin)
    assert Ticket.objects.count() == 2 and HotlineOrder.objects.get(order_no="E-1").visit_result == "满意"


def test_an_export_with_a_bad_row_imports_nothing(client, tx, hotline):
    bad = ["E-3", "昨天", "垃圾清运", "", "第九街道", "", "很多天", "还行"]
    record, preview = hotline_import_upload(district=tx.unit, actor=tx.admin, uploaded=export([ROW_A, bad]))
    errors = preview.rows[1].errors
    assert set(errors) == {"called_at", "content", "street", "time_limit_days", "visit_result"}
    hotline_import_confirm(record=record, actor=tx.admin)
    record.refresh_from_db()
    assert record.status == ImportStatus.REFUSED and not Ticket.objects.exists()


def test_a_row_that_fails_at_confirm_undoes_the_rows_before_it(tx, hotline):
    record, preview = hotline_import_upload(district=tx.unit, actor=tx.admin, uploaded=export([ROW_A, ROW_B]))
    assert preview.is_clean
    # Between preview and confirm the second street's mapping is removed and its name no longer matches.
    HotlineStreet.objects.filter(hotline_name="第二街道办事处").delete()
    result = hotline_import_confirm(record=record, actor=tx.admin)
    assert not result.is_clean
    assert not Ticket.objects.exists() and not HotlineOrder.objects.exists()


def test_the_import_pages_are_the_district_admins(client, tx, td, hotline):
    url = reverse("campaigns:hotline-import", args=["TX"])
    client.force_login(tx.supervisor)
    assert client.get(url).status_code == 403
    client.force_login(td.admin)
    assert client.get(url).status_code == 404
    client.force_login(tx.admin)
    assert client.get(url).status_code == 200
    assert client.get(reverse("campaigns:hotline-template", args=["TX"])).status_code == 200


# --- the settings page in the admin -----------------------------------------------------------


def test_the_district_admin_sets_up_the_link_audited_and_scoped(client, tx, td):
    tx.admin.is_staff = True
    tx.admin.save()
    client.force_login(tx.admin)
    form = {
        "district": tx.unit.pk,
        "enabled": "on",
        "campaign": tx.campaign.pk,
        "default_category": "",
        "default_days": 5,
        "inbound_secret": "push-secret-agreed-with-the-hotline",
        "outbound_url": "https://12345.example.gov.cn/ledger/events",
        "outbound_secret": "reply-secret",
        "categories-TOTAL_FORMS": 1,
        "categories-INITIAL_FORMS": 0,
        "categories-0-hotline_name": "垃圾清运",
        "categories-0-category": tx.category.pk,
        "streets-TOTAL_FORMS": 1,
        "streets-INITIAL_FORMS": 0,
        "streets-0-hotline_name": "第一街道办事处",
        "streets-0-street": tx.street.pk,
    }
    # Another district's category is not on offer: the form comes back and nothing is saved.
    refused = client.post(
        reverse("admin:campaigns_hotlinesettings_add"), {**form, "categories-0-category": td.category.pk}
    )
    assert refused.status_code == 200 and not HotlineSettings.objects.exists()
    saved = client.post(reverse("admin:campaigns_hotlinesettings_add"), form)
    assert saved.status_code == 302
    link = HotlineSettings.objects.get()
    assert link.categories.get().category == tx.category and link.streets.get().street == tx.street
    audit = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, target="12345热线对接")
    assert audit.user == tx.admin and audit.district_id == tx.unit.pk
    assert "hotlinecategory" in audit.details["changed"] and "reply-secret" not in json.dumps(audit.details)
    # A new robot's signing secret is generated and shown on its admin page.
    webhook = UnitWebhook.objects.create(unit=tx.department, name="执法局群", url="https://example.com/hook")
    page = client.get(reverse("admin:campaigns_unitwebhook_change", args=[webhook.pk]))
    assert webhook.signing_secret in page.content.decode()
