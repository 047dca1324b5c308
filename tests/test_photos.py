"""Photos: checked by content, resized for lists, served only to people who may see them."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from campaigns.models import PhotoKind, TicketPhoto
from campaigns.services.photos import photo_inspect, photo_store
from campaigns.tasks import purge_abandoned_uploads

from .factories import jpeg_bytes, pending_photo, photo_upload


def image_bytes(fmt, size=(40, 30), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt,content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_phone_formats_are_accepted(fmt, content_type):
    assert photo_inspect(SimpleUploadedFile("p", image_bytes(fmt))) == content_type


@pytest.mark.parametrize(
    "name,content",
    [
        ("virus.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 100),
        ("page.jpg", b"<html><script>alert(1)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("anim.gif", None),
        ("truncated.jpg", None),
    ],
)
def test_things_that_are_not_photos_are_refused(name, content):
    if name == "anim.gif":
        content = image_bytes("GIF", mode="P")
    if name == "truncated.jpg":
        content = jpeg_bytes(size=(200, 200))[:200]
    with pytest.raises(ValidationError) as exc:
        photo_inspect(SimpleUploadedFile(name, content))
    assert "不是照片" in exc.value.messages[0]


def test_too_many_pixels_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationError, match="像素过大"):
        photo_inspect(SimpleUploadedFile("wide.png", image_bytes("PNG", size=(200, 200))))


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="空文件"):
        photo_inspect(SimpleUploadedFile("empty.jpg", b""))


def test_stored_photo_gets_a_small_copy_after_commit(tx, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        photo = photo_store(
            photo_upload("big.jpg", jpeg_bytes(size=(2000, 1500))), user=tx.staff, kind=PhotoKind.BEFORE
        )
        assert not photo.thumbnail  # not made on the request path
    assert len(callbacks) == 1
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (2000, 1500)
    with photo.thumbnail.open() as handle, Image.open(handle) as thumb:
        assert max(thumb.size) <= settings.PHOTO_THUMB_SIZE
    assert photo.image.name.endswith(".jpg") and "big" not in photo.image.name


def test_photo_view_serves_the_picture_to_its_district(client, tx):
    ticket = tx.log()
    photo = ticket.photos.get()
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(reverse("campaigns:photo-thumb", args=[photo.pk])).status_code == 200


def test_until_the_small_copy_exists_the_original_is_shown(client, tx):
    photo = pending_photo(tx.staff)
    assert not photo.thumbnail
    client.force_login(tx.staff)
    response = client.get(reverse("campaigns:photo-thumb", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    from campaigns.services.photos import photo_thumbnail_create

    assert photo_thumbnail_create(photo.pk) is True
    assert photo_thumbnail_create(photo.pk) is False  # twice is harmless
    photo.refresh_from_db()
    assert photo.thumbnail.name.startswith("thumbs/")


def test_pending_photo_is_seen_only_by_its_uploader(client, tx):
    photo = pending_photo(tx.staff)
    client.force_login(tx.supervisor)
    assert client.get(reverse("campaigns:photo-thumb", args=[photo.pk])).status_code == 404
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:photo-thumb", args=[photo.pk])).status_code == 200


def test_abandoned_uploads_are_purged_but_ticket_photos_stay(tx):
    ticket = tx.log()
    old = pending_photo(tx.staff)
    TicketPhoto.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - datetime.timedelta(days=2))
    fresh = pending_photo(tx.staff)
    storage = old.image.storage
    old_file = old.image.name
    assert purge_abandoned_uploads.delay().get() == 1
    assert not TicketPhoto.objects.filter(pk=old.pk).exists()
    assert not storage.exists(old_file)
    assert TicketPhoto.objects.filter(pk=fresh.pk).exists()
    assert ticket.photos.count() == 1


def test_decompression_bomb_is_refused_without_decoding_it():
    # 20000×20000 one-bit pixels compress to a few kilobytes and would take 400 MB decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000), 0).save(out, "PNG")
    assert out.tell() < 200_000
    with pytest.raises(ValidationError, match="像素过大"):
        photo_inspect(SimpleUploadedFile("bomb.png", out.getvalue()))
