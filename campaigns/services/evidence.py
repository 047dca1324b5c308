"""Evidence files for checklist tasks: photos, PDFs and Office documents, checked by content."""

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .photos import _thumbnail, photo_inspect

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


def _ooxml_type(uploaded):
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, content_type in OOXML_TYPES.items():
        if any(name.startswith(prefix) for name in names):
            return content_type
    return None


def evidence_inspect(uploaded):
    """Return (kind, content_type) for an acceptable evidence file, or raise ValidationError."""
    name = getattr(uploaded, "name", "") or _("文件")
    if uploaded.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s”大小为 %(size)s，超过 %(limit)s 的上限。")
            % {
                "name": name,
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
            },
            code="too_large",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if head.startswith(IMAGE_MAGIC):
        return "photo", photo_inspect(uploaded)
    if head.startswith(b"%PDF-"):
        return "file", "application/pdf"
    if head.startswith(OLE_MAGIC):
        lower = name.lower()
        return "file", "application/vnd.ms-excel" if lower.endswith(".xls") else "application/msword"
    if head.startswith(b"PK\x03\x04"):
        content_type = _ooxml_type(uploaded)
        uploaded.seek(0)
        if content_type:
            return "file", content_type
    raise ValidationError(
        _("“%(name)s”的格式不支持。佐证材料可以是照片（JPG、PNG、WebP）、PDF 或 Word、Excel、PowerPoint 文件。")
        % {"name": name},
        code="unsupported",
    )


def evidence_thumbnail(uploaded):
    return _thumbnail(uploaded)
