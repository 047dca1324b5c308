"""Personal information in photos: a phone's EXIF (location, make, serial, owner) never leaves
the upload. What the ledger needs from it — when and where the photo was taken — is kept as
fields; the file stored and served has none of it, and its picture is unchanged."""

import datetime
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from campaigns.models import ChecklistEvidence, ChecklistItem, Ticket, TicketPhoto
from campaigns.services.photos import photo_scrub

from .factories import form_key

pytestmark = pytest.mark.django_db

SERIAL = b"SN-8842-PRIVATE"
OWNER = "张三的手机"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description photoshop:City="Siping"/></x:xmpmeta>'


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 100), 100)
    return (Fraction(degrees), Fraction(minutes), seconds)


def phone_exif(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x013B] = OWNER  # Artist
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:30"  # DateTimeOriginal
    exif.get_ifd(0x8769)[0xA431] = SERIAL.decode()  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(43.166667)
    gps[3], gps[4] = "E", _dms(124.350000)
    return exif


def phone_jpeg(orientation=1, size=(80, 60)):
    out = io.BytesIO()
    picture = Image.new("RGB", size, (30, 120, 200))
    picture.save(out, "JPEG", exif=phone_exif(orientation), comment=b"owner " + SERIAL, xmp=XMP)
    return out.getvalue()


def phone_png():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", OWNER)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "PNG", pnginfo=info, exif=phone_exif())
    return out.getvalue()


def assert_no_personal_data(data):
    for secret in (SERIAL, OWNER.encode(), b"PhoneMaker", b"Model X", b"xmpmeta", b"2026:11:20"):
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert not exif.get_ifd(0x8825), "GPS left in the file"
        assert set(exif) <= {0x0112}, f"EXIF tags left: {sorted(exif)}"


def test_jpeg_loses_metadata_but_not_a_pixel():
    original = phone_jpeg()
    clean, capture = photo_scrub(original, "image/jpeg")
    assert_no_personal_data(clean)
    with Image.open(io.BytesIO(clean)) as kept, Image.open(io.BytesIO(original)) as before:
        assert kept.tobytes() == before.tobytes()
    assert capture.taken_at == datetime.datetime(2026, 11, 20, 9, 15, 30, tzinfo=capture.taken_at.tzinfo)
    assert str(capture.taken_at.tzinfo) == "Asia/Shanghai"
    assert abs(capture.latitude - Decimal("43.166667")) < Decimal("0.0001")
    assert abs(capture.longitude - Decimal("124.35")) < Decimal("0.0001")


def test_a_portrait_photo_stays_upright():
    clean, _capture = photo_scrub(phone_jpeg(orientation=6), "image/jpeg")
    assert_no_personal_data(clean)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.getexif().get(0x0112) == 6


def test_png_text_chunks_go_too():
    clean, capture = photo_scrub(phone_png(), "image/png")
    assert_no_personal_data(clean)
    assert capture.taken_at is not None


def test_a_photo_without_metadata_is_stored_as_it_came():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), 90).save(out, "JPEG")
    clean, capture = photo_scrub(out.getvalue(), "image/jpeg")
    assert clean == out.getvalue()
    assert capture.taken_at is None and capture.latitude is None


def test_logged_photo_keeps_time_and_place_as_fields_and_is_served_clean(
    client, tx, django_capture_on_commit_callbacks
):
    client.force_login(tx.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("campaigns:ticket-log"),
            {
                "point": tx.point.pk,
                "place": "东门口",
                "category": tx.category.pk,
                "description": "市场东门垃圾桶满溢",
                "photos": [SimpleUploadedFile("IMG_0001.jpg", phone_jpeg(), content_type="image/jpeg")],
                "submission": form_key(),
            },
        )
    assert response.status_code == 302
    photo = TicketPhoto.objects.get()
    assert photo.taken_at.astimezone(datetime.UTC) == datetime.datetime(2026, 11, 20, 1, 15, 30, tzinfo=datetime.UTC)
    assert photo.latitude is not None and photo.longitude is not None
    assert_no_personal_data(photo.image.read())
    assert photo.size == photo.image.size

    client.force_login(tx.supervisor)
    served = client.get(reverse("campaigns:photo", args=[photo.pk]))
    assert served.status_code == 200
    assert_no_personal_data(b"".join(served.streaming_content) if served.streaming else served.content)
    thumb = client.get(reverse("campaigns:photo-thumb", args=[photo.pk]))
    assert_no_personal_data(b"".join(thumb.streaming_content) if thumb.streaming else thumb.content)

    page = client.get(reverse("campaigns:ticket-detail", args=[Ticket.objects.get().number]))
    assert "拍摄于 2026-11-20 09:15" in page.content.decode()


def test_checklist_evidence_photos_are_stripped_too(client, tx):
    item = ChecklistItem.objects.create(
        campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路保洁", full_score=Decimal("10")
    )
    client.force_login(tx.supervisor)
    response = client.post(
        reverse("campaigns:checklist-item-update", args=[item.pk]),
        {
            "status": "in_progress",
            "progress": "40",
            "note": "现场照片",
            "files": [SimpleUploadedFile("现场.jpg", phone_jpeg(), content_type="image/jpeg")],
            "submission": form_key(),
        },
    )
    assert response.status_code == 302
    piece = ChecklistEvidence.objects.get()
    assert_no_personal_data(piece.file.read())


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"restart_marker_blocks": 4}, {"progressive": True, "restart_marker_rows": 1}],
    ids=["progressive", "restart-markers", "progressive-with-restarts"],
)
def test_every_kind_of_scan_keeps_its_pixels(options):
    import random

    rng = random.Random(5)
    picture = Image.new("RGB", (120, 90))
    picture.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(120 * 90)])
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=phone_exif(), quality=90, **options)
    original = out.getvalue()
    clean, _capture = photo_scrub(original, "image/jpeg")
    assert_no_personal_data(clean)
    assert clean.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(clean)) as kept, Image.open(io.BytesIO(original)) as before:
        assert kept.tobytes() == before.tobytes()


def test_fill_bytes_before_a_marker_are_read_as_fill():
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 20, 30)).save(out, "JPEG", exif=phone_exif())
    data = out.getvalue()
    padded = data[:-2] + b"\xff\xff\xff" + data[-2:]  # fill before EOI, as some encoders write
    clean, _capture = photo_scrub(padded, "image/jpeg")
    assert_no_personal_data(clean)
    with Image.open(io.BytesIO(clean)) as kept:
        kept.load()
