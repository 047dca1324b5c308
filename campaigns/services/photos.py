"""Photos from phones: checked by content, not by name, stored through Django's storage."""

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from campaigns.models import TicketPhoto

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def photo_inspect(uploaded):
    """Return the content type of an acceptable photo, or raise ValidationError saying why not."""
    name = getattr(uploaded, "name", "") or _("照片")
    if uploaded.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”大小为 %(size)s，超过 %(limit)s 的上限，请压缩后再上传。")
            % {
                "name": name,
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.PHOTO_MAX_BYTES),
            },
            code="too_large",
        )
    if uploaded.size == 0:
        raise ValidationError(_("“%(name)s”是空文件。") % {"name": name}, code="empty")
    not_image = ValidationError(
        _("“%(name)s”不是照片。请上传 JPG、PNG 或 WebP 格式的图片。") % {"name": name}, code="not_image"
    )
    uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise not_image
                if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                    raise ValidationError(
                        _("“%(name)s”的像素过大（%(w)s×%(h)s），请缩小后再上传。")
                        % {"name": name, "w": image.width, "h": image.height},
                        code="too_many_pixels",
                    )
                image.verify()
                content_type = ACCEPTED_FORMATS[image.format]
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("“%(name)s”的像素过大，无法处理。") % {"name": name}, code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_image from None
    finally:
        uploaded.seek(0)
    return content_type


def _thumbnail(uploaded):
    uploaded.seek(0)
    with Image.open(uploaded) as image:
        image.draft("RGB", (settings.PHOTO_THUMB_SIZE * 2, settings.PHOTO_THUMB_SIZE * 2))
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.thumbnail((settings.PHOTO_THUMB_SIZE, settings.PHOTO_THUMB_SIZE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True)
    uploaded.seek(0)
    return ContentFile(out.getvalue())


def photo_store(uploaded, *, user, kind):
    """Keep an uploaded photo (not yet on any ticket); its list-size copy is made off the request.

    Decoding and shrinking a phone photo costs more than everything else in logging a
    problem, so a Celery task does it once the photo is saved; until then lists show the
    original, scaled by the browser.
    """
    from campaigns.tasks import make_photo_thumbnail

    content_type = photo_inspect(uploaded)
    photo = TicketPhoto(
        kind=kind,
        uploaded_by=user,
        content_type=content_type,
        size=uploaded.size,
        original_name=(getattr(uploaded, "name", "") or "")[:200],
    )
    photo.image.save(f"photo.{photo.extension}", uploaded, save=False)
    photo.save()
    photo_id = photo.pk
    transaction.on_commit(lambda: make_photo_thumbnail.delay(photo_id))
    return photo


def photo_thumbnail_create(photo_id):
    """Make a photo's list-size copy if it has none yet (safe to run twice)."""
    photo = TicketPhoto.objects.filter(pk=photo_id).first()
    if photo is None or photo.thumbnail:
        return False
    with photo.image.open("rb") as handle:
        thumb = _thumbnail(handle)
    photo.thumbnail.save("thumb.jpg", thumb, save=False)
    TicketPhoto.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name)
    return True


def photos_pending_for(user, ids):
    """Photos this user uploaded on an earlier, failed attempt of a form."""
    clean = [int(i) for i in ids if str(i).isdigit()][: settings.PHOTOS_PER_TICKET_MAX]
    if not clean:
        return []
    return list(TicketPhoto.objects.filter(pk__in=clean, uploaded_by=user, ticket__isnull=True).order_by("id"))


def photos_purge_abandoned(older_than):
    """Remove photos no ticket claimed; their files go with them."""
    removed = 0
    for photo in TicketPhoto.objects.filter(ticket__isnull=True, uploaded_at__lt=older_than).iterator():
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        photo.delete()
        removed += 1
    return removed
