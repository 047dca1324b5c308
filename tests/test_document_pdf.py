"""A 通报 as LibreOffice prints it: converted headless to PDF, it has the pages its length asks for.

Needs Debian's libreoffice-writer (soffice) and poppler-utils (pdfinfo, pdftotext), which
.ci/run installs; skipped where they are missing.
"""

import shutil
import subprocess  # nosec B404 - fixed commands on files this test wrote

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import DocumentSettings, Notice

pytestmark = pytest.mark.django_db
SOFFICE, PDFINFO, PDFTOTEXT = shutil.which("soffice"), shutil.which("pdfinfo"), shutil.which("pdftotext")
# A paragraph of the body: 110 characters after its two-character indent, four lines of 28.
PARAGRAPH = (
    "请各街道（乡镇）和责任单位对照问题清单逐项整改，整改一件、销号一件，确保问题不反弹。" * 2
    + "整改情况按时报送区创卫办。" * 2
)


def _convert(tmp_path, content):
    source = tmp_path / "notice.docx"
    source.write_bytes(content)
    profile = (tmp_path / "profile").as_uri()  # its own profile: another soffice may be running
    subprocess.run(  # nosec B603
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "notice.pdf"
    info = subprocess.run([PDFINFO, str(pdf)], check=True, capture_output=True, text=True).stdout  # nosec B603
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(  # nosec B603
        [PDFTOTEXT, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return pages, ["".join(page.split()) for page in text.split("\f")]  # pdftotext spaces things out


@pytest.mark.skipif(
    not (SOFFICE and PDFINFO and PDFTOTEXT), reason="needs soffice (libreoffice-writer) and poppler-utils"
)
def test_a_notice_of_five_paragraphs_prints_on_two_pages_with_its_head_first_and_its_record_last(client, tx, tmp_path):
    DocumentSettings.objects.create(
        district=tx.unit,
        mark="铁西区创建国家卫生城市工作领导小组办公室",
        signature="铁西区创建国家卫生城市工作领导小组办公室",
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
        copy_to="区委办公室，区政府办公室",
    )
    today = timezone.localdate()
    # Page 1 holds the 版头, the title and about ten lines of body; five paragraphs of four lines,
    # the 署名, the date and the 版记 end on page 2, well before its foot.
    notice = Notice.objects.create(
        district=tx.unit,
        campaign=tx.campaign,
        title="关于创卫问题整改情况的通报",
        period_start=today.replace(day=1),
        period_end=today,
        intro="\n".join([PARAGRAPH] * 5),
        issuer="铁西区创建国家卫生城市工作领导小组办公室",
        created_by=tx.admin,
    )
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-issue", args=[notice.pk]))
    response = client.get(reverse("campaigns:notice-docx", args=[notice.pk]))
    pages, texts = _convert(tmp_path, b"".join(response.streaming_content))
    assert pages == 2
    first, last = texts[0], texts[1]
    assert "〔" in first and f"{today.year}〕1号" in first and "通报" in first
    assert "抄送" in last and "印发" in last and "—2—" in last
