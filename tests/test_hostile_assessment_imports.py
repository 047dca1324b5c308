"""Hostile files at the assessment cycle's imports: the 问题清单 (its workbook, its pasted table and
its photos' zip), the standard's workbook and the sample quotas' workbook.

王 (tx.admin) imports 铁西区's lists and 四平市's admin (city_admin) keeps the standard; someone
sends them files built to hurt. Each is refused with the reason in Chinese before anything is
kept, or — a photo in the zip that is no photo — named on its row, and nothing is imported.
"""

import functools
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import (
    InspectionRound,
    ProblemListImport,
    RoundFinding,
    SampleQuota,
    Standard,
    StandardImport,
    StandardItem,
)
from campaigns.services.problem_list_read import PASTED_MAX_CHARS, PHOTOS_ZIP_MAX_ENTRIES
from campaigns.services.standard import standard_default

from .hostile import ELF, PE, SVG, assert_says_why_in_chinese, png_claiming, snapshot
from .problem_lists import a_photo, city_round_for, pasted_text, standard_for, tx_rows, tx_world, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def zipped(members, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def patched(content, member, change):
    source = zipfile.ZipFile(io.BytesIO(content))
    return zipped(
        {
            info.filename: change(source.read(info)) if info.filename == member else source.read(info)
            for info in source.infolist()
        }
    )


@functools.cache
def no_workbooks():
    """Files named .xlsx that are not one (or are one built to exhaust the reader)."""
    good = workbook_bytes([[1, "楼道堆物", "北沟社区3号楼", "第一街道", "", "", ""]])
    return {
        "a program (ELF)": ELF,
        "a program (PE)": PE,
        "a PNG claiming 30000 × 30000": png_claiming(30000, 30000),
        "an SVG with a script": SVG,
        "random bytes": bytes(range(256)) * 8,
        "a zip of text": zipped({"readme.txt": "你好"}),
        "broken XML": patched(good, "xl/worksheets/sheet1.xml", lambda body: body[: len(body) // 2]),
        "a zip bomb": zipped({"[Content_Types].xml": "<Types/>", "xl/big.xml": b"\x00" * (61 * 1024 * 1024)}),
    }


def kept(settings):
    """Everything a refused import must leave as it was: the watched rows and files, and the
    assessment's own rows."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values_list("pk", flat=True))
        for model in (InspectionRound, RoundFinding, ProblemListImport, Standard, StandardImport, SampleQuota)
    }
    return snapshot(settings), rows


@pytest.fixture
def wang(client, tx):
    standard_for(tx.campaign)
    tx_world(tx)
    client.force_login(tx.admin)
    return client


@pytest.fixture
def city_round(tx, city_admin):
    return city_round_for(city_admin, tx.unit)


class TestTheProblemList:
    @pytest.mark.parametrize("case", list(no_workbooks()))
    def test_a_file_that_is_no_workbook_is_refused_and_not_kept(self, wang, tx, city_round, settings, case):
        before = kept(settings)
        response = upload(wang, content=no_workbooks()[case], inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400, case
        assert_says_why_in_chinese(response)
        assert kept(settings) == before, case

    def test_a_workbook_saved_as_xls_is_told_to_be_saved_as_xlsx(self, wang, tx, city_round, settings):
        before = kept(settings)
        ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
        response = upload(wang, content=ole, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400 and "另存为 .xlsx" in response.content.decode()
        assert kept(settings) == before

    def test_a_pasted_table_over_the_limit_is_refused_in_chinese_and_kept_in_the_box(
        self, wang, tx, city_round, settings
    ):
        """One character past the box's limit, in Chinese: the page says why (not Django's bare
        "Bad Request" for a body over DATA_UPLOAD_MAX_MEMORY_SIZE) and keeps what was pasted."""
        before = kept(settings)
        table = pasted_text(tx_rows(tx)[:1])
        text = table + "楼" * (PASTED_MAX_CHARS + 1 - len(table))
        assert len(text.encode()) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        response = upload(wang, pasted=text, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400
        assert f"粘贴的内容超过 {PASTED_MAX_CHARS:,} 字" in response.content.decode()
        assert table.split("\n")[1].split("\t")[1] in response.content.decode()  # the text stays in the box
        assert kept(settings) == before

    @pytest.mark.parametrize(
        "case,archive,message",
        [
            ("no zip", ELF, "照片压缩包不是有效的 .zip 文件"),
            (
                "too many files",
                zipped({f"{n}.jpg": b"" for n in range(PHOTOS_ZIP_MAX_ENTRIES + 1)}, zipfile.ZIP_STORED),
                f"照片压缩包里的文件超过 {PHOTOS_ZIP_MAX_ENTRIES} 个",
            ),
        ],
    )
    def test_a_photos_zip_built_to_hurt_is_refused_before_anything_is_kept(
        self, wang, tx, city_round, settings, case, archive, message
    ):
        before = kept(settings)
        response = upload(wang, rows=tx_rows(tx), photos=archive, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400, case
        assert message in response.content.decode(), case
        assert kept(settings) == before, case

    def test_photos_in_the_zip_that_are_no_photos_are_named_on_their_rows(self, wang, tx, city_round, settings):
        """A program named 3.jpg and a 200 MB bomb named 1.jpg: each row says why, and the list
        cannot be imported until they are gone. The bomb is read no further than the photo limit."""
        rows = tx_rows(tx)
        rows[0][6] = "1.jpg"
        archive = zipped({"1.jpg": b"\xff\xd8\xff" + b"\x00" * (200 * 1024 * 1024), "3.jpg": ELF, "ok.jpg": a_photo()})
        assert len(archive) < 1024 * 1024  # small on disk
        response = upload(wang, rows=rows, photos=archive, inspection_round=city_round, office=tx.unit)
        preview = response.context["preview"]
        errors = {row.number: " ".join(row.errors.get("photos", [])) for row in preview.rows}
        assert re.search("“1.jpg”", errors[2]) and re.search("“3.jpg”", errors[4]), errors
        assert not preview.is_clean and "确认导入" not in response.content.decode()
        record = ProblemListImport.objects.get()
        confirm = wang.post(reverse("campaigns:problem-list-confirm", args=[record.pk]), {"action": "import"})
        assert confirm.status_code in (400, 409)
        assert not RoundFinding.objects.exists()


class TestTheStandardsWorkbooks:
    @pytest.fixture
    def keeper(self, client, tx, city_admin):
        client.force_login(city_admin)
        return client

    @pytest.mark.parametrize("case", list(no_workbooks()))
    def test_a_standard_that_is_no_workbook_is_refused_and_not_kept(self, keeper, settings, case):
        national = standard_default()
        before = kept(settings), StandardItem.objects.count()
        response = keeper.post(
            reverse("campaigns:standard-import", args=[national.pk]),
            {
                "file": SimpleUploadedFile("测评标准.xlsx", no_workbooks()[case]),
                "name": national.name,
                "version": "2021版（四平市细则）",
                "scope": "city",
                "issued_by": "",
                "source": "本市修订",
            },
        )
        assert response.status_code == 400, case
        assert_says_why_in_chinese(response)
        assert (kept(settings), StandardItem.objects.count()) == before, case

    @pytest.mark.parametrize("case", list(no_workbooks()))
    def test_sample_quotas_that_are_no_workbook_are_refused_and_not_kept(self, keeper, settings, case):
        national = standard_default()
        before = kept(settings)
        response = keeper.post(
            reverse("campaigns:sample-quotas-import", args=[national.pk]),
            {"file": SimpleUploadedFile("抽样数量.xlsx", no_workbooks()[case])},
        )
        assert response.status_code == 400, case
        assert_says_why_in_chinese(response)
        assert kept(settings) == before, case
