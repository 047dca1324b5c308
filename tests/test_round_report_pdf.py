"""A round's 整改报告 as LibreOffice prints it: converted headless to PDF, its pages hold the head,
the counts and each problem with its photos (pdfimages finds each on the page of its problem), about
four problems a page.

Needs Debian's libreoffice-writer (soffice) and poppler-utils (pdfinfo, pdftotext), which
.ci/run installs; skipped where they are missing. The PDF is kept in test-artifacts/ to look at.
"""

import io
import shutil
import subprocess  # nosec B404 # poppler's pdfimages, on a file the test wrote
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from campaigns.models import DocumentSettings, PhotoKind
from campaigns.services.photos import photo_store
from campaigns.services.rectification_reports import rectification_report_generate, rectification_report_request

from .assessment_world import build_standard, city_round, fixed, found
from .factories import photo_upload
from .test_document_pdf import PDFINFO, PDFTOTEXT, SOFFICE, _convert

pytestmark = pytest.mark.django_db
PDFIMAGES = shutil.which("pdfimages")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def scene(n, after=False):
    """A 1600 × 1200 photo: a wall with rubbish in front of it, gone in the after-photo."""
    image = Image.new("RGB", (1600, 1200), (150 + n * 10, 150, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 800, 1600, 1200), fill=(90, 90, 90))
    if not after:
        for k in range(12):
            draw.ellipse(
                (200 + k * 100, 700 + (k % 3) * 60, 330 + k * 100, 820 + (k % 3) * 60), fill=(40 + k * 15, 120, 30)
            )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf_images(pdf):
    """(page, dots per inch) of every picture LibreOffice placed in the PDF, as pdfimages lists them."""
    listing = subprocess.run([PDFIMAGES, "-list", str(pdf)], check=True, capture_output=True, text=True).stdout  # nosec B603
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [(int(row[0]), int(row[12])) for row in rows if row[2] == "image"]


@pytest.mark.skipif(
    not (SOFFICE and PDFINFO and PDFTOTEXT and PDFIMAGES),
    reason="needs soffice (libreoffice-writer) and poppler-utils",
)
def test_six_problems_print_four_a_page_with_their_photos(tx, city_admin, tmp_path):
    DocumentSettings.objects.create(
        district=tx.unit,
        mark="铁西区创建国家卫生城市工作领导小组办公室",
        signature="铁西区创建国家卫生城市工作领导小组办公室",
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
        superior="四平市创建国家卫生城市工作领导小组办公室",
    )
    items = build_standard(campaigns=[tx.campaign]).items
    inspection_round = city_round([tx], city_admin)
    descriptions = [
        "农贸市场西侧垃圾桶满溢",
        "熟食区发现鼠迹",
        "背街小巷乱堆乱放",
        "公厕地面脏污",
        "楼道小广告",
        "绿化带垃圾",
    ]
    for n, text in enumerate(descriptions):
        before = photo_store(photo_upload(content=scene(n)), user=tx.supervisor, kind=PhotoKind.BEFORE)
        finding = found(
            tx, inspection_round, item=items["3.1.1" if n % 2 else "8.1.2"], description=text, photos=[before]
        )
        if n < 4:
            after = photo_upload(content=scene(n, after=True))
            fixed(tx, finding, photos=[photo_store(after, user=tx.unit_liaison, kind=PhotoKind.AFTER)])
    report = rectification_report_generate(
        rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.admin)
    )
    with report.file.open("rb") as handle:
        pages, texts = _convert(tmp_path, handle.read())
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "notice.pdf", ARTIFACTS / "round-rectification-report.pdf")
    # The head, the counts and the first problems; then four problems a page; then the close.
    assert 3 <= pages <= 5
    first, every = texts[0], "".join(texts)
    assert "关于市督查第3期反馈问题整改情况的报告" in first and "铁西创卫办〔" in first
    assert "已整改4个，整改中2个" in every and "按责任单位" in first
    assert every.count("序号问题及整改情况整改前照片整改后照片") >= 2  # the header on each page of the table
    for text in descriptions:
        assert text in every
    closing = next(page for page in texts if "三、下一步工作" in page)
    assert "—1—" in first and "印发" in closing
    # The photos are in place: six before and four after, each on a page of the problems' table
    # (LibreOffice's PDF keeps them at its 300 dpi for print; the 1200 px copies carry that).
    images = pdf_images(tmp_path / "notice.pdf")
    assert len(images) == 10 and all(dpi >= 290 for _page, dpi in images)
    # Rows never break over pages: each page holds the photos of exactly the problems printed on it.
    expected = {
        number: sum(2 if n < 4 else 1 for n, text in enumerate(descriptions) if text in page)
        for number, page in enumerate(texts, start=1)
    }
    placed = {number: sum(1 for page, _dpi in images if page == number) for number in expected}
    assert placed == expected
