"""Evidence files for checklist tasks: photos, PDFs and Office documents, checked by content."""

import zipfile
from typing import IO, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .photos import _thumbnail, photo_inspect, photo_scrub

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
# A document is accepted only under a name that says what it is: an OLE file may as well be
# an .msi installer, and a "%PDF-" header may front an .html page, each downloaded by the
# colleagues under the name it was uploaded with.
DOCUMENT_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/msword": (".doc", ".wps", ".ppt", ".dps"),
    "application/vnd.ms-excel": (".xls", ".et"),
    OOXML_TYPES["word/"]: (".docx",),
    OOXML_TYPES["xl/"]: (".xlsx",),
    OOXML_TYPES["ppt/"]: (".pptx",),
}


def _ooxml_type(uploaded: File) -> str | None:
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


def _scrub_in_place(uploaded: File, content_type: str) -> None:
    """Cut the photo's EXIF/XMP out of the upload itself, so whatever stores it stores none."""
    uploaded.seek(0)
    data = uploaded.read()
    clean, _capture = photo_scrub(data, content_type)
    if clean != data:
        handle = cast(IO[bytes], uploaded.file)  # an upload always holds its data
        handle.seek(0)
        handle.write(clean)
        handle.truncate()
        if hasattr(handle, "flush"):
            handle.flush()  # a large upload is a temporary file that storage moves by its path
        uploaded.size = len(clean)
    uploaded.seek(0)


def _document_type(head: bytes, uploaded: File, lower: str) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(OLE_MAGIC):
        return "application/vnd.ms-excel" if lower.endswith((".xls", ".et")) else "application/msword"
    if head.startswith(b"PK\x03\x04"):
        content_type = _ooxml_type(uploaded)
        uploaded.seek(0)
        return content_type
    return None


def evidence_inspect(uploaded: File) -> tuple[str, str]:
    """Return (kind, content_type) for an acceptable evidence file, or raise ValidationError.

    An accepted photo also loses its metadata (location, phone serial …) here, in the
    upload itself, before anything is stored.
    """
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
        photo_type = photo_inspect(uploaded)
        _scrub_in_place(uploaded, photo_type)
        return "photo", photo_type
    lower = name.lower()
    content_type = _document_type(head, uploaded, lower)
    if content_type and not lower.endswith(DOCUMENT_EXTENSIONS[content_type]):
        raise ValidationError(
            _("“%(name)s”的扩展名与文件内容不符（内容是 %(ext)s 文件）。请用原来的文件名上传。")
            % {"name": name, "ext": DOCUMENT_EXTENSIONS[content_type][0]},
            code="extension_mismatch",
        )
    if content_type:
        return "file", content_type
    raise ValidationError(
        _("“%(name)s”的格式不支持。佐证材料可以是照片（JPG、PNG、WebP）、PDF 或 Word、Excel、PowerPoint 文件。")
        % {"name": name},
        code="unsupported",
    )


def evidence_thumbnail(uploaded: File) -> ContentFile:
    return _thumbnail(uploaded)
