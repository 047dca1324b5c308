"""Working without signal, the server's side: 网格员 小王 (tx.staff) logs problems in a basement
market with no signal; her phone sends them hours later. What the server must keep is when
and where each photo was *taken*, make one ticket per queued form however often it is sent,
and give her phone only her own district's tasks, points and categories to keep."""

import datetime
import io
import json
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from campaigns.models import (
    CaptureSource,
    InspectionPoint,
    OrgUnit,
    PhotoKind,
    Recheck,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketPhoto,
    TicketState,
    UnitKind,
)

from .conftest import login
from .factories import UserFactory, photo_upload

pytestmark = pytest.mark.django_db

# 铁西区's basement market, as the phone's position gives it.
MARKET = {"lat": 43.170512, "lon": 124.350871, "acc": 12.4}


def note(taken, **place):
    """What static/js/offline.js sends beside a photo: the file's time and the phone's position."""
    return json.dumps({"t": int(taken.timestamp() * 1000), **place})


def queue_key():
    """An offline queue makes its own key for each kept form (a UUID without dashes)."""
    return uuid.uuid4().hex


def log_post(tx, *, notes=(), photos=None, key=None):
    return {
        "point": tx.point.pk,
        "category": tx.category.pk,
        "description": "地下市场东侧垃圾堆放",
        "photos": photos if photos is not None else [photo_upload()],
        "photo_capture": list(notes),
        "submission": key or queue_key(),
    }


def exif_jpeg(*, taken="2026:12:04 07:40:00", gps=True):
    """A phone photo whose camera wrote its own time (and place, unless `gps` is off)."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        place = exif.get_ifd(0x8825)
        place[1], place[2] = "N", (43.0, 10.0, 0.0)
        place[3], place[4] = "E", (124.0, 21.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(out, "JPEG", exif=exif.tobytes())
    return photo_upload("camera.jpg", out.getvalue())


def test_a_photo_sent_hours_later_keeps_the_time_and_place_the_phone_took_it(client, tx):
    taken = timezone.now() - datetime.timedelta(hours=3)
    response = login(client, tx.staff).post(
        reverse("campaigns:ticket-log"), log_post(tx, notes=[note(taken, **MARKET)])
    )

    assert response.status_code == 302
    photo = TicketPhoto.objects.get(ticket__isnull=False)
    assert abs(photo.taken_at - taken) < datetime.timedelta(seconds=1)
    assert photo.taken_at_source == CaptureSource.DEVICE
    assert (float(photo.latitude), float(photo.longitude)) == (MARKET["lat"], MARKET["lon"])
    assert photo.location_source == CaptureSource.DEVICE
    assert photo.location_accuracy == 13  # rounded up: never claims more precision than given


def test_the_photos_own_exif_comes_before_the_phones_note(client, tx):
    taken = timezone.now() - datetime.timedelta(hours=1)
    login(client, tx.staff).post(
        reverse("campaigns:ticket-log"), log_post(tx, photos=[exif_jpeg()], notes=[note(taken, **MARKET)])
    )

    photo = TicketPhoto.objects.get(ticket__isnull=False)
    assert timezone.localtime(photo.taken_at).strftime("%H:%M") == "07:40"
    assert photo.taken_at_source == CaptureSource.EXIF
    assert (photo.latitude, photo.longitude) != (None, None)
    assert float(photo.latitude) == pytest.approx(43.166667)
    assert photo.location_source == CaptureSource.EXIF
    assert photo.location_accuracy is None


def test_a_camera_that_wrote_no_place_gets_the_phones_position(client, tx):
    taken = timezone.now() - datetime.timedelta(minutes=20)
    login(client, tx.staff).post(
        reverse("campaigns:ticket-log"), log_post(tx, photos=[exif_jpeg(gps=False)], notes=[note(taken, **MARKET)])
    )

    photo = TicketPhoto.objects.get(ticket__isnull=False)
    assert photo.taken_at_source == CaptureSource.EXIF
    assert photo.location_source == CaptureSource.DEVICE
    assert float(photo.latitude) == MARKET["lat"]


@pytest.mark.parametrize(
    "notes",
    [
        pytest.param(
            [note(datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC), lat=0, lon=0)], id="future-and-null-island"
        ),
        pytest.param(['{"t": "yesterday", "lat": 91, "lon": 500}'], id="nonsense"),
        pytest.param(["not json at all"], id="garbage"),
        pytest.param([note(datetime.datetime(2026, 12, 4, 1, tzinfo=datetime.UTC)), "{}"], id="two-notes-one-photo"),
        pytest.param([json.dumps({"t": True, "lat": True, "lon": 1, "acc": 10})], id="booleans"),
        pytest.param([json.dumps({"lat": 43.1, "lon": 124.3, "acc": 5_000_000})], id="no-fix-worth-the-name"),
    ],
)
def test_a_phones_note_that_cannot_be_right_is_left_unknown_and_the_photo_still_counts(client, tx, notes):
    response = login(client, tx.staff).post(reverse("campaigns:ticket-log"), log_post(tx, notes=notes))

    assert response.status_code == 302
    photo = TicketPhoto.objects.get(ticket__isnull=False)
    assert (photo.taken_at, photo.latitude, photo.longitude) == (None, None, None)
    assert (photo.taken_at_source, photo.location_source) == ("", "")


def test_a_queued_problem_sent_twice_is_one_ticket(client, tx):
    """The answer to the first send was lost in a tunnel; the queue sends it again."""
    client = login(client, tx.staff)
    data = log_post(tx, notes=[note(timezone.now() - datetime.timedelta(hours=2), **MARKET)])
    first = client.post(reverse("campaigns:ticket-log"), data)
    data["photos"] = [photo_upload()]  # the file is read again from the phone's queue
    again = client.post(reverse("campaigns:ticket-log"), data)

    ticket = Ticket.objects.get()
    assert first.status_code == again.status_code == 302
    assert again.url == first.url == reverse("campaigns:ticket-detail", args=[ticket.number])
    assert TicketPhoto.objects.filter(ticket=ticket).count() == 1


def test_a_fix_sent_twice_from_the_queue_arrives_once(client, tx):
    ticket = tx.assigned()
    client = login(client, tx.unit_liaison)
    url = reverse("campaigns:ticket-submit-fix", args=[ticket.number])
    taken = timezone.now() - datetime.timedelta(hours=1)
    key = queue_key()

    def send():
        return client.post(
            url,
            {"note": "已清运", "photos": [photo_upload()], "photo_capture": [note(taken, **MARKET)], "submission": key},
        )

    first, again = send(), send()

    assert first.status_code == again.status_code == 302
    assert again.url == reverse("campaigns:ticket-detail", args=[ticket.number])
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.SUBMIT_FIX).count() == 1
    after = TicketPhoto.objects.get(ticket=ticket, kind=PhotoKind.AFTER)
    assert after.taken_at_source == CaptureSource.DEVICE
    assert abs(after.taken_at - taken) < datetime.timedelta(seconds=1)


def test_a_fix_key_is_its_senders_own(client, tx):
    """Another account's key claims nothing: the fix is judged on its own (here: already sent)."""
    ticket = tx.assigned()
    key = queue_key()
    url = reverse("campaigns:ticket-submit-fix", args=[ticket.number])
    login(client, tx.unit_liaison).post(url, {"note": "已清运", "photos": [photo_upload()], "submission": key})
    client.logout()
    response = login(client, tx.supervisor).post(
        url, {"note": "再交一次", "photos": [photo_upload()], "submission": key}
    )

    assert response.status_code == 409
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.SUBMIT_FIX).count() == 1


def test_a_recheck_sent_twice_from_the_queue_is_one_recheck(client, tx):
    """小王 rechecks the market a week after 销号, in the basement; her queue sends it twice."""
    ticket = tx.closed()
    url = reverse("campaigns:ticket-recheck-kept", args=[ticket.number])
    data = {"note": "保持良好", "submission": queue_key()}
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
        client = login(client, tx.staff)
        first, again = client.post(url, data), client.post(url, data)

    assert first.status_code == again.status_code == 302
    assert again.url == reverse("campaigns:ticket-detail", args=[ticket.number])
    assert TicketEvent.objects.filter(ticket=ticket, action=TicketAction.RECHECK_KEPT).count() == 1
    assert list(Recheck.objects.filter(ticket=ticket).order_by("due_on").values_list("result", flat=True)) == [
        "kept",
        "",
        "",
    ]


# --- the offline pack ------------------------------------------------------------------------------


def test_the_offline_pack_holds_her_tasks_her_streets_points_and_her_categories(client, tx, td):
    other_street_point = InspectionPoint.objects.create(
        unit=OrgUnit.objects.create(name="铁西区第二街道社区", kind=UnitKind.COMMUNITY, parent=tx.street2),
        point_type=tx.point.point_type,
        name="第二街道公厕",
    )
    waiting = tx.log()  # her own problem, waiting to be assigned: not her task
    mine = tx.assigned(unit=tx.street)  # handed to her street: hers to fix
    td.log()

    response = login(client, tx.staff).get(reverse("campaigns:offline-pack"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    pack = response.json()
    assert pack["user"] == tx.staff.pk
    assert [point["name"] for point in pack["points"]] == [tx.point.name]
    assert other_street_point.name not in response.content.decode()
    assert {category["name"] for category in pack["categories"]} == {"垃圾暴露", "鼠迹"}
    assert {category["campaign"] for category in pack["categories"]} == {tx.campaign.pk}
    numbers = [ticket["number"] for tasks in pack["tasks"] for ticket in tasks["tickets"]]
    assert mine.number in numbers
    assert waiting.number not in numbers
    assert not any(number.startswith("TD") for number in numbers)
    assert "铁东区" not in response.content.decode()
    assert datetime.datetime.fromisoformat(pack["generated_at"]) == pytest.approx(
        timezone.now(), abs=datetime.timedelta(seconds=5)
    )


def test_a_supervisor_gets_the_whole_districts_points_and_nothing_of_the_next(client, tx, td):
    pack = login(client, tx.supervisor).get(reverse("campaigns:offline-pack")).json()

    assert [point["name"] for point in pack["points"]] == [tx.point.name]
    assert td.point.name not in json.dumps(pack, ensure_ascii=False)


def test_the_offline_pack_is_for_district_members_only(client, tx):
    assert client.get(reverse("campaigns:offline-pack")).status_code == 302  # to the login page
    stranger = UserFactory(username="no_district")
    assert login(client, stranger).get(reverse("campaigns:offline-pack")).status_code == 404


def test_a_leader_who_cannot_log_gets_no_categories(client, tx):
    pack = login(client, tx.leader).get(reverse("campaigns:offline-pack")).json()

    assert pack["categories"] == []


# --- the worker, the manifest, logging out -------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_with_its_settings(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    head = json.loads(body.split("self.LEDGER = ", 1)[1].split(";\n", 1)[0])
    assert reverse("campaigns:offline-pack") == head["pack"]
    assert reverse("campaigns:ticket-log") in head["warm"]
    assert any(url.endswith("js/offline.js") for url in head["static"])
    assert "没有网络" in body
    assert 'self.LEDGER.version = "' in body and 'addEventListener("fetch"' in body


def test_the_manifest_makes_the_ledger_installable(client):
    response = client.get(reverse("campaigns:manifest"))

    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "创卫台账"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == reverse("campaigns:my-tasks")
    assert {icon["type"] for icon in manifest["icons"]} == {"image/svg+xml", "image/png"}


def test_every_page_links_the_manifest_and_the_offline_script(client, tx):
    page = login(client, tx.staff).get(reverse("campaigns:ticket-log")).content.decode()

    assert reverse("campaigns:manifest") in page
    assert "js/offline.js" in page
    assert 'data-offline-kind="ticket-log"' in page
    assert 'id="offline-bar" hidden' in page  # without JavaScript nothing of the queue shows


def test_logging_out_tells_the_browser_to_clear_the_device(client, tx):
    response = login(client, tx.staff).post(reverse("logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_only_street_acts_are_offered_offline_on_the_ticket_page(client, tx):
    ticket = tx.assigned()
    page = login(client, tx.unit_liaison).get(reverse("campaigns:ticket-detail", args=[ticket.number])).content
    assert b'data-offline-kind="submit_fix"' in page

    supervisor_page = login(client, tx.supervisor).get(reverse("campaigns:ticket-detail", args=[ticket.number]))
    assert b'data-offline-kind="return"' not in supervisor_page.content
    assert b'data-offline-kind="void"' not in supervisor_page.content


def test_the_offline_pack_costs_the_same_for_many_tasks_as_for_one(client, tx, django_assert_max_num_queries):
    client = login(client, tx.unit_liaison)
    tx.assigned()
    client.get(reverse("campaigns:offline-pack"))  # the session and the scope, kept after the first
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("campaigns:offline-pack"))
    for _ in range(4):
        tx.assigned()
    with django_assert_max_num_queries(len(one.captured_queries)):
        pack = client.get(reverse("campaigns:offline-pack")).json()
    assert sum(len(tasks["tickets"]) for tasks in pack["tasks"]) == 5
