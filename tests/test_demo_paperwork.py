"""The demo's paperwork: a binder about half full, a 整改报告 for each finished 市督查 round."""

import pytest

from campaigns.models import ChecklistEvidence, ChecklistItem, RectificationReport, RoundStatus, SummaryStatus
from campaigns.selectors.binder import binder_for
from devdata.demo.paperwork import build_demo_paperwork, demo_pdf

from .assessment_world import build_standard, city_round, fixed, found

pytestmark = pytest.mark.django_db


def test_the_demo_files_half_the_records_items_and_answers_the_finished_city_round(tx, td, city_admin):
    items = build_standard(campaigns=[tx.campaign]).items
    for code in ("3.1.2", "3.2.2", "8.1.1"):
        ChecklistItem.objects.create(
            campaign=tx.campaign,
            area=tx.area2 if code.startswith("8") else tx.area,
            code=code,
            requirement=items[code].requirement,
            standard_item=items[code],
            lead_unit=tx.department,
        )
    finished = city_round([tx, td], city_admin, status=RoundStatus.FINISHED)
    fixed(tx, found(tx, finished))
    still_running = city_round([tx], city_admin, name="市督查第 4 期")
    found(tx, still_running)
    logged = []
    build_demo_paperwork([tx.unit, td.unit], log=logged.append)
    binder = binder_for(tx.campaign)
    assert (binder.needed, binder.complete) == (3, 2)  # half, rounded up: 3.1.2 and 3.2.2; 8.1.1 is left to do
    assert [entry.item.code for aspect in binder.aspects for entry in aspect.missing] == ["8.1.1"]
    report = RectificationReport.objects.get()
    assert (report.inspection_round, report.district, report.status) == (finished, tx.unit, SummaryStatus.DONE)
    assert logged == ["铁西区: 迎检资料归档 2 项，整改报告 1 份。"]
    build_demo_paperwork([tx.unit, td.unit], log=logged.append)  # loaded twice: nothing new
    assert ChecklistEvidence.objects.count() == 2 and RectificationReport.objects.count() == 1


def test_the_demo_documents_are_real_pdfs():
    content = demo_pdf("DEMO 3.1.2 evidence (plan)")
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    xref = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert content[xref:].startswith(b"xref")
