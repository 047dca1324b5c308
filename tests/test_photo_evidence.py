"""照片证据核验: a 督查 team asks of every after-photo whether it is last month's photo again,
whether it was taken at the point, and after the fix was handed over.

The stories use real pictures (shapes and noise drawn with Pillow), resized and saved again
the way a unit liaison would pass an old photo off as new. The clock is the suite's fixed one
(Friday 2026-12-04, 10:00 Beijing, tests/conftest.py); capture times are written relative to it.
"""

import datetime
import hashlib
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageStat

from campaigns import workflow
from campaigns.models import PhotoKind, TicketAction, TicketEvent, TicketPhoto
from campaigns.policy import TransitionRefused
from campaigns.selectors.evidence import distance_m, photo_checks, ticket_flags
from campaigns.selectors.rankings import rankings
from campaigns.services.photo_evidence import PLAIN, REUSE_MAX_BITS, hamming, phash_bands, photo_caption
from campaigns.services.photos import photo_store
from tests.conftest import BEIJING, login
from tests.factories import photo_upload
from tests.photo_scenes import jpeg, scene

# 铁西区's market, and places around it (WGS-84).
POINT = (Decimal("43.166500"), Decimal("124.350000"))
NEARBY = (Decimal("43.166800"), Decimal("124.350300"))  # about 40 m away
ACROSS_TOWN = (Decimal("43.175000"), Decimal("124.350000"))  # about 945 m north

FRIDAY_TEN = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=BEIJING)


def stored(user, data, kind=PhotoKind.AFTER):
    return photo_store(photo_upload("photo.jpg", data), user=user, kind=kind)


@pytest.fixture
def market(tx):
    tx.point.latitude, tx.point.longitude = POINT
    tx.point.save(update_fields=["latitude", "longitude"])
    return tx


def log_with(district, data, commit):
    with commit(execute=True):
        return district.log(photos=[stored(district.staff, data, PhotoKind.BEFORE)])


def fixed(district, ticket, data, commit):
    """The unit liaison of 执法局 signs, and submits the fix with this after-photo."""
    ticket = workflow.ticket_sign(ticket=ticket, actor=district.unit_liaison)
    with commit(execute=True):
        return workflow.ticket_submit_fix(
            ticket=ticket, actor=district.unit_liaison, note="已清理", photos=[stored(district.unit_liaison, data)]
        )


def assigned_ticket(district, before, commit):
    ticket = log_with(district, before, commit)
    return workflow.ticket_assign(
        ticket=ticket,
        actor=district.supervisor,
        unit=district.department,
        person="张三",
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )


def after_photo(ticket):
    return TicketPhoto.objects.get(ticket=ticket, kind=PhotoKind.AFTER)


# --- the fingerprint --------------------------------------------------------------------------


def test_a_resized_reencoded_photo_keeps_its_hash_and_another_scene_does_not(tx, django_capture_on_commit_callbacks):
    """The threshold's measure: 80 % and another JPEG quality move a few bits; another street all of them."""
    with django_capture_on_commit_callbacks(execute=True):
        original = stored(tx.staff, jpeg(scene(1)))
        again = stored(tx.staff, jpeg(scene(1), quality=55, scale=0.8))
        other = stored(tx.staff, jpeg(scene(2)))
    for photo in (original, again, other):
        photo.refresh_from_db()
        assert photo.phash not in ("", PLAIN)
    assert hamming(original.phash, again.phash) <= REUSE_MAX_BITS
    assert hamming(original.phash, other.phash) > 12
    # Pigeonhole: within REUSE_MAX_BITS at least one 16-bit band is equal, so the band lookup finds it.
    assert set(enumerate(phash_bands(original.phash))) & set(enumerate(phash_bands(again.phash)))


def test_a_flat_picture_is_never_compared(tx, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        flat = stored(tx.staff, jpeg(Image.new("RGB", (400, 300), (90, 90, 90))))
    flat.refresh_from_db()
    assert flat.phash == PLAIN and flat.phash_b0 is None


def test_the_stored_file_sha256_is_in_the_event_that_took_it(tx, django_capture_on_commit_callbacks):
    ticket = assigned_ticket(tx, jpeg(scene(3)), django_capture_on_commit_callbacks)
    ticket = fixed(tx, ticket, jpeg(scene(4)), django_capture_on_commit_callbacks)
    photo = after_photo(ticket)
    event = TicketEvent.objects.get(ticket=ticket, action=TicketAction.SUBMIT_FIX)
    assert event.details["files"] == {str(photo.pk): photo.sha256}
    with photo.image.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == photo.sha256


# --- reused photos ----------------------------------------------------------------------------


def test_last_months_photo_of_another_ticket_resized_and_reencoded_is_caught(
    market, django_capture_on_commit_callbacks
):
    """网格员 logged a market problem with a photo; weeks later 执法局's liaison closes another
    ticket with that same photo, shrunk to 80 % and saved again."""
    commit = django_capture_on_commit_callbacks
    old = assigned_ticket(market, jpeg(scene(10)), commit)
    old_before = TicketPhoto.objects.get(ticket=old, kind=PhotoKind.BEFORE)
    ticket = assigned_ticket(market, jpeg(scene(11)), commit)
    ticket = fixed(market, ticket, jpeg(scene(10), quality=60, scale=0.8), commit)
    photo = after_photo(ticket)
    assert photo.reused_of_id == old_before.pk
    assert photo.evidence_checked_at is not None
    assert "reused" in ticket_flags(ticket)


def test_the_before_photo_sent_again_as_the_after_photo_is_caught(market, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    ticket = assigned_ticket(market, jpeg(scene(20)), commit)
    ticket = fixed(market, ticket, jpeg(scene(20), quality=70, scale=0.8), commit)
    before = TicketPhoto.objects.get(ticket=ticket, kind=PhotoKind.BEFORE)
    assert after_photo(ticket).reused_of_id == before.pk


def test_a_real_after_photo_of_another_scene_is_not_flagged(market, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    assigned_ticket(market, jpeg(scene(30)), commit)
    ticket = assigned_ticket(market, jpeg(scene(31)), commit)
    ticket = fixed(market, ticket, jpeg(scene(32), place=NEARBY), commit)
    photo = after_photo(ticket)
    assert photo.reused_of_id is None and photo.evidence_checked_at is not None
    assert ticket_flags(ticket) == []


def test_another_districts_photo_is_not_looked_at(market, td, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    assigned_ticket(td, jpeg(scene(40)), commit)
    ticket = assigned_ticket(market, jpeg(scene(41)), commit)
    ticket = fixed(market, ticket, jpeg(scene(40), quality=60, scale=0.8), commit)
    assert after_photo(ticket).reused_of_id is None


def test_reused_photos_are_counted_per_unit_in_rankings(market, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    ticket = assigned_ticket(market, jpeg(scene(50)), commit)
    fixed(market, ticket, jpeg(scene(50), quality=60, scale=0.8), commit)
    honest = assigned_ticket(market, jpeg(scene(51)), commit)
    fixed(market, honest, jpeg(scene(52)), commit)
    today = timezone.localdate()
    _streets, units, _basis = rankings(market.unit, market.campaign, today, today)
    row = next(row for row in units if row.unit == market.department)
    assert (row.total, row.reused_photos) == (2, 1)


# --- place and time ---------------------------------------------------------------------------


def test_an_after_photo_taken_across_town_is_flagged_and_one_at_the_point_is_not(
    market, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    far = fixed(market, assigned_ticket(market, jpeg(scene(60)), commit), jpeg(scene(61), place=ACROSS_TOWN), commit)
    near = fixed(market, assigned_ticket(market, jpeg(scene(62)), commit), jpeg(scene(63), place=NEARBY), commit)
    assert ticket_flags(far) == ["far"]
    assert ticket_flags(near) == []
    check = photo_checks(far, list(far.photos.select_related("reused_of")))[0]
    assert 900 < check.distance < 1000 and check.limit == 200


def test_the_distance_is_the_campaigns_setting(market, django_capture_on_commit_callbacks):
    market.campaign.photo_distance_m = 1500
    market.campaign.save(update_fields=["photo_distance_m"])
    commit = django_capture_on_commit_callbacks
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(64)), commit), jpeg(scene(65), place=ACROSS_TOWN), commit)
    assert ticket_flags(ticket) == []


def test_a_photo_without_a_place_says_so(market, client, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(66)), commit), jpeg(scene(67)), commit)
    check = photo_checks(ticket, list(ticket.photos.select_related("reused_of")))[0]
    assert check.no_place and not check.far and ticket_flags(ticket) == []
    login(client, market.supervisor)
    page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
    assert "照片无定位" in page


def test_an_after_photo_taken_before_the_assignment_is_flagged(market, django_capture_on_commit_callbacks):
    """The clock stands at 2026-12-04 10:00; the 交办 is now. A photo taken at 09:00 shows the
    place before the unit had the problem."""
    commit = django_capture_on_commit_callbacks
    with time_machine.travel(FRIDAY_TEN, tick=False):  # the photos' EXIF times are that morning's
        early = fixed(
            market,
            assigned_ticket(market, jpeg(scene(70)), commit),
            jpeg(scene(71), taken="2026:12:04 09:00:00", place=NEARBY),
            commit,
        )
        later = fixed(
            market,
            assigned_ticket(market, jpeg(scene(72)), commit),
            jpeg(scene(73), taken="2026:12:04 11:30:00", place=NEARBY),
            commit,
        )
    assert ticket_flags(early) == ["early"]
    assert ticket_flags(later) == []


def test_distance_is_great_circle_metres():
    assert distance_m(*POINT, *POINT) == 0
    assert 940 < distance_m(*POINT, *ACROSS_TOWN) < 950


# --- the verifier ------------------------------------------------------------------------------


def test_a_verifier_closing_a_flagged_ticket_writes_why(market, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    ticket = assigned_ticket(market, jpeg(scene(80)), commit)
    ticket = fixed(market, ticket, jpeg(scene(80), quality=60, scale=0.8), commit)
    with pytest.raises(TransitionRefused, match="疑似重复使用照片"):
        workflow.ticket_close_out(ticket=ticket, actor=market.supervisor, note="  ")
    ticket.refresh_from_db()
    assert ticket.state == "submitted"
    workflow.ticket_close_out(ticket=ticket, actor=market.supervisor, note="现场复核，已整改，照片为同一角度补拍")
    event = TicketEvent.objects.get(ticket=ticket, action=TicketAction.CLOSE_OUT)
    assert event.details["evidence_flags"] == ["reused"]
    assert event.note == "现场复核，已整改，照片为同一角度补拍"


def test_the_close_out_form_refuses_an_empty_reason_and_shows_both_photos(
    market, client, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    ticket = assigned_ticket(market, jpeg(scene(81)), commit)
    ticket = fixed(market, ticket, jpeg(scene(81), quality=60, scale=0.8), commit)
    login(client, market.supervisor)
    page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
    photo = after_photo(ticket)
    assert "疑似重复使用照片" in page
    assert reverse("campaigns:photo-thumb", args=[photo.reused_of_id]) in page
    response = client.post(reverse("campaigns:ticket-close-out", args=[ticket.number]), {"note": ""})
    assert response.status_code == 409
    assert "通过核验须在意见中写明理由" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == "submitted"


def test_an_unflagged_fix_closes_without_a_reason(market, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(82)), commit), jpeg(scene(83), place=NEARBY), commit)
    workflow.ticket_close_out(ticket=ticket, actor=market.supervisor, note="")
    ticket.refresh_from_db()
    assert ticket.state == "closed"


def test_the_verification_page_costs_the_same_queries_with_more_flagged_photos(
    market, client, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    one = fixed(market, assigned_ticket(market, jpeg(scene(90)), commit), jpeg(scene(90), scale=0.8), commit)
    many = assigned_ticket(market, jpeg(scene(91)), commit)
    many = workflow.ticket_sign(ticket=many, actor=market.unit_liaison)
    with commit(execute=True):
        photos = [stored(market.unit_liaison, jpeg(scene(s), quality=60, scale=0.8)) for s in (90, 91, 92, 93)]
        many = workflow.ticket_submit_fix(ticket=many, actor=market.unit_liaison, note="已清理", photos=photos)
    login(client, market.supervisor)
    client.get(reverse("campaigns:ticket-list"))  # the session's first request costs its own
    counts = []
    for ticket in (one, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], "\n".join(q["sql"][:200] for q in queries.captured_queries)


# --- watermark and the chain --------------------------------------------------------------------


def test_the_display_copy_carries_time_place_and_number_and_the_original_is_unchanged(
    market, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    data = jpeg(scene(100), taken="2026:12:04 11:31:00", place=NEARBY)
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(101)), commit), data, commit)
    photo = after_photo(ticket)
    assert photo_caption(photo) == f"2026-12-04 11:31 | 43.1668N 124.3503E | {ticket.number}"
    with photo.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        bottom = thumb.convert("L").crop((0, thumb.height - 6, thumb.width, thumb.height))
        assert ImageStat.Stat(bottom).mean[0] < 110  # the dark caption band
    with photo.image.open("rb") as handle, Image.open(handle) as original:
        assert original.size == (800, 600)


def test_verify_ledger_names_the_ticket_and_photo_whose_file_was_swapped(
    market, capsys, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(110)), commit), jpeg(scene(111)), commit)
    call_command("verify_ledger", "--district", "tx")
    assert "photo files, each as recorded" in capsys.readouterr().out
    photo = after_photo(ticket)
    with open(photo.image.path, "wb") as handle:  # someone swaps the evidence on the server's disk
        handle.write(jpeg(scene(112)))
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--district", "tx")
    err = capsys.readouterr().err
    assert f"{ticket.number}, photo {photo.pk}" in err and "SHA-256" in err
    call_command("verify_ledger", "--district", "tx", "--no-files")  # the chains alone are intact


def test_the_backfill_fingerprints_photos_stored_before_and_reports_progress(
    market, capsys, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    old = assigned_ticket(market, jpeg(scene(120)), commit)
    ticket = fixed(market, assigned_ticket(market, jpeg(scene(121)), commit), jpeg(scene(120), scale=0.8), commit)
    TicketPhoto.objects.update(sha256="", phash="", phash_b0=None, reused_of=None, evidence_checked_at=None)
    call_command("photo_fingerprints")
    out = capsys.readouterr().out
    total = TicketPhoto.objects.count()
    assert f"{total}/{total} photos fingerprinted" in out
    assert TicketPhoto.objects.filter(phash="").count() == 0
    assert after_photo(ticket).reused_of.ticket_id == old.pk
