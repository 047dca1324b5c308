"""Hostile uploads: photos and evidence that are programs, drawings with scripts, decompression
bombs or polyglots are refused with the file's name and the reason, or stored as the picture alone.
"""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from campaigns.models import ChecklistEvidence, ChecklistItem, TicketPhoto

from .factories import form_key, jpeg_bytes
from .hostile import ELF, HOSTILE_PHOTOS, HTML, LOG_URL, PE, SVG, hostile_content, png_claiming, snapshot


@pytest.fixture
def staff_client(client, tx):
    client.force_login(tx.staff)
    return client


def log_post(tx, files):
    return {
        "point": tx.point.pk,
        "place": "东门口",
        "category": tx.category.pk,
        "description": "市场东门垃圾桶满溢",
        "photos": files,
        "submission": form_key(),
    }


class TestHostileUploads:
    @pytest.mark.parametrize("key", sorted(HOSTILE_PHOTOS))
    def test_ticket_photo(self, staff_client, tx, settings, key):
        name, content, message = hostile_content(key)
        before = snapshot(settings)
        response = staff_client.post(LOG_URL, log_post(tx, [SimpleUploadedFile(name, content)]))
        assert response.status_code == 400
        html = response.content.decode()
        assert f"“{name}”" in html and message in html
        assert "市场东门垃圾桶满溢" in html  # what was typed is still there
        assert snapshot(settings) == before

    @pytest.mark.parametrize("key", sorted(HOSTILE_PHOTOS))
    def test_after_photo(self, client, tx, settings, key):
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        name, content, message = hostile_content(key)
        before = snapshot(settings)
        response = client.post(
            reverse("campaigns:ticket-submit-fix", args=[ticket.number]),
            {"note": "已清理完毕，恢复整洁", "photos": [SimpleUploadedFile(name, content)]},
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert f"“{name}”" in html and message in html
        assert "已清理完毕，恢复整洁" in html
        assert snapshot(settings) == before

    @pytest.mark.parametrize(
        "name,content,message",
        [
            ("bomb.png", png_claiming(30000, 30000), "像素过大"),
            ("photo.jpg", ELF, "格式不支持"),
            ("photo.jpg", PE, "格式不支持"),
            ("drawing.svg", SVG, "格式不支持"),
            ("drawing.jpg", SVG, "格式不支持"),
            ("page.html", HTML, "格式不支持"),
            ("report.html", b"%PDF-1.4\n<html><script>alert(1)</script></html>", "扩展名与文件内容不符"),
            ("setup.msi", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "扩展名与文件内容不符"),
            ("tool.exe", None, "扩展名与文件内容不符"),
        ],
    )
    def test_evidence(self, client, tx, settings, name, content, message):
        if content is None:  # a real .docx under an executable's name
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as archive:
                archive.writestr("[Content_Types].xml", "<Types/>")
                archive.writestr("word/document.xml", "<w:document/>")
            content = out.getvalue()
        item = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路保洁", full_score=Decimal("10")
        )
        client.force_login(tx.supervisor)
        before = snapshot(settings)
        response = client.post(
            reverse("campaigns:checklist-item-update", args=[item.pk]),
            {
                "status": "in_progress",
                "progress": "30",
                "note": "佐证已上传",
                "files": [SimpleUploadedFile(name, content)],
            },
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert f"“{name}”" in html and message in html
        assert "佐证已上传" in html
        assert snapshot(settings) == before

    def test_photos_over_the_configured_limit(self, staff_client, tx, settings):
        """The real limits, not lowered for the test: PHOTO_MAX_BYTES for photos, EVIDENCE_MAX_BYTES for evidence."""
        photo = jpeg_bytes()
        oversized = photo + b"\x00" * (settings.PHOTO_MAX_BYTES + 1 - len(photo))
        before = snapshot(settings)
        response = staff_client.post(LOG_URL, log_post(tx, [SimpleUploadedFile("big.jpg", oversized)]))
        assert response.status_code == 400
        html = response.content.decode().replace("\xa0", " ")
        assert "“big.jpg”" in html and "超过 10.0 MB 的上限" in html and "市场东门垃圾桶满溢" in html
        assert snapshot(settings) == before

        item = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路保洁", full_score=Decimal("10")
        )
        huge = b"%PDF-1.4\n" + b"\x00" * settings.EVIDENCE_MAX_BYTES
        staff_client.force_login(tx.supervisor)
        before = snapshot(settings)
        response = staff_client.post(
            reverse("campaigns:checklist-item-update", args=[item.pk]),
            {"note": "佐证已上传", "files": [SimpleUploadedFile("huge.pdf", huge)]},
        )
        assert response.status_code == 400
        html = response.content.decode().replace("\xa0", " ")
        assert "“huge.pdf”" in html and "超过 20.0 MB 的上限" in html and "佐证已上传" in html
        assert snapshot(settings) == before

    def test_a_polyglot_photo_is_stored_as_the_picture_alone(
        self, staff_client, tx, django_capture_on_commit_callbacks
    ):
        """A JPEG with a script in a comment and a zip after its end: the picture is kept, the rest is not."""
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG", comment=b"<script>alert(1)</script>")
        tail = b"PK\x03\x04<html><script>alert(2)</script></html>"
        content = out.getvalue() + tail
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(LOG_URL, log_post(tx, [SimpleUploadedFile("photo.jpg", content)]))
        assert response.status_code == 302
        photo = TicketPhoto.objects.get()
        stored = photo.image.read()
        assert b"<script>" not in stored and b"PK\x03\x04" not in stored
        assert stored.endswith(b"\xff\xd9")
        with Image.open(io.BytesIO(stored)) as kept, Image.open(io.BytesIO(out.getvalue())) as original:
            assert kept.tobytes() == original.tobytes()
        assert b"<script>" not in photo.thumbnail.read()

    def test_a_polyglot_evidence_photo_too(self, client, tx):
        item = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路保洁", full_score=Decimal("10")
        )
        client.force_login(tx.supervisor)
        content = jpeg_bytes() + b"<html><script>alert(1)</script></html>"
        response = client.post(
            reverse("campaigns:checklist-item-update", args=[item.pk]),
            {
                "status": "in_progress",
                "progress": "40",
                "note": "现场照片",
                "files": [SimpleUploadedFile("现场.jpg", content)],
                "submission": form_key(),
            },
        )
        assert response.status_code == 302
        piece = ChecklistEvidence.objects.get()
        stored = piece.file.read()
        assert b"<script>" not in stored and stored.endswith(b"\xff\xd9")
        assert piece.size == len(stored)
