"""迎检资料: 铁西区's office gathers the evidence per 项 and sends the binder as a streamed .zip."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns.models import AuditEvent, AuditKind, ChecklistEvidence, ChecklistItem
from campaigns.selectors.binder import binder_for
from campaigns.services.checklist import checklist_item_update

from .assessment_world import build_standard, city_round, fixed, found
from .factories import jpeg_bytes
from .test_sheet_headers import assert_list_sheet

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def task(d, standard_item, code, **fields):
    """A task of d's checklist linked to the 项, led by d's 执法局."""
    return ChecklistItem.objects.create(
        campaign=d.campaign,
        area=fields.pop("area", d.area),
        code=code,
        requirement=fields.pop("requirement", standard_item.requirement),
        full_score=fields.pop("full_score", standard_item.score),
        standard_item=standard_item,
        lead_unit=d.department,
        **fields,
    )


def upload(d, item, *files):
    checklist_item_update(item=item, actor=d.unit_liaison, note="上传佐证", files=list(files))


@pytest.fixture
def binder_world(tx, td, city_admin):
    """3.1.2 has its 制度 filed, 8.1.1 is proved by a fixed problem's photos, 3.2.2 has nothing."""
    standard = build_standard(campaigns=[tx.campaign, td.campaign])
    items = standard.items
    rules = task(tx, items["3.1.2"], "3.1.2")
    upload(tx, rules, SimpleUploadedFile("环卫保洁制度.pdf", PDF, content_type="application/pdf"))
    upload(tx, rules, SimpleUploadedFile("作业台账照片.jpg", jpeg_bytes(), content_type="image/jpeg"))
    vectors = task(tx, items["8.1.1"], "8.1.1", area=tx.area2)
    fixed_ticket = tx.closed(checklist_item=vectors, category=tx.category2)
    task(tx, items["3.2.2"], "3.2.2")
    inspection_round = city_round([tx], city_admin)
    fixed(tx, found(tx, inspection_round, item=items["3.1.1"]))  # a site 项: proved on site, not counted
    other = task(td, items["3.2.2"], "3.2.2")
    upload(td, other, SimpleUploadedFile("铁东区制度.pdf", PDF, content_type="application/pdf"))
    return items, fixed_ticket


def test_completeness_counts_the_records_items_with_any_evidence(client, tx, binder_world):
    items, fixed_ticket = binder_world
    binder = binder_for(tx.campaign)
    appearance, vectors = binder.aspects
    assert (appearance.needed, appearance.complete, appearance.rate) == (2, 1, Decimal("50.0"))
    assert (vectors.needed, vectors.complete, vectors.rate) == (1, 1, Decimal("100.0"))
    assert (binder.needed, binder.complete, binder.rate, binder.missing) == (3, 2, Decimal("66.7"), 1)
    assert [entry.item.code for entry in appearance.missing] == ["3.2.2"]
    entries = {entry.item.code: entry for entry in binder.aspects[0].items + binder.aspects[1].items}
    assert (entries["3.1.2"].evidence, entries["3.1.2"].photos) == (2, 0)
    assert (entries["8.1.1"].evidence, entries["8.1.1"].photos, entries["8.1.1"].closed) == (0, 2, 1)
    assert (entries["3.1.1"].photos, entries["3.1.1"].needs_records) == (2, False)

    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:binder", args=[tx.campaign.pk])).content.decode()
    assert "66.7%" in html and "50.0%" in html
    assert "资料齐全率 = 有至少一份佐证的“查阅资料”项 ÷ “查阅资料”项" in html  # the formula, on the page
    assert "3.2.2" in html and "农贸市场卫生管理制度健全" in html
    assert reverse("campaigns:binder-zip", args=[tx.campaign.pk]) in html


def test_the_zip_has_a_folder_per_aspect_and_article_an_index_and_a_ledger(client, tx, td, binder_world):
    items, fixed_ticket = binder_world
    tx.campaign.standard.aspects.filter(code="8").update(name='=HYPERLINK("http://x")病媒')  # typed, never a formula
    client.force_login(tx.supervisor)
    response = client.get(reverse("campaigns:binder-zip", args=[tx.campaign.pk]))
    assert response.streaming and response["Content-Type"] == "application/zip"
    root = f"迎检资料-铁西区-{timezone.localdate():%Y%m%d}"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == f"{root}/资料索引.xlsx"
    folder = f"{root}/3 市容环境卫生/3.1 城市道路和背街小巷保洁"
    assert f"{folder}/3.1.2 佐证1-环卫保洁制度.pdf" in names
    assert f"{folder}/3.1.2 佐证2-作业台账照片.jpg" in names
    assert archive.read(f"{folder}/3.1.2 佐证1-环卫保洁制度.pdf") == PDF
    photos = [name for name in names if "8.1.1 照片" in name]
    assert photos == [
        f"{root}/8 =HYPERLINK( http x )病媒/8.1 病媒生物密度控制/8.1.1 照片1-{fixed_ticket.number}-整改前.jpg",
        f"{root}/8 =HYPERLINK( http x )病媒/8.1 病媒生物密度控制/8.1.1 照片2-{fixed_ticket.number}-整改后.jpg",
    ]
    assert f"{root}/3 市容环境卫生/台账-市容环境卫生.xlsx" in names
    assert not any("铁东区" in name for name in names)

    index = load_workbook(io.BytesIO(archive.read(names[0])))
    rows = list(index["资料索引"].iter_rows(values_only=True))
    assert rows[0][:3] == ("方面", "条", "项")
    by_code = {row[2]: row for row in rows[1:]}
    assert by_code["3.2.2"][7:12] == (0, 0, 0, 0, "否")
    assert by_code["3.1.2"][11] == "是" and by_code["3.1.1"][11] == "不计"
    assert by_code["8.1.1"][0] == '8 =HYPERLINK("http://x")病媒'
    cell = next(c for c in index["资料索引"]["A"] if c.value and "HYPERLINK" in c.value)
    assert cell.data_type == "s"
    rates = list(index["资料齐全率"].iter_rows(values_only=True))
    assert rates[-5][:4] == ("合计", 3, 2, 66.7)
    # List sheets, as every sheet the ledger writes: the header frozen, filters over the table.
    assert_list_sheet(index["资料索引"], 1, len(rows) - 1)
    assert_list_sheet(index["资料齐全率"], 1, len(rates) - 6)  # the aspects; 合计 and the rules below

    ledger = load_workbook(io.BytesIO(archive.read(f"{root}/3 市容环境卫生/台账-市容环境卫生.xlsx")))
    ledger_rows = list(ledger.active.iter_rows(values_only=True))
    assert ledger_rows[0][0] == "台账编号" and len(ledger_rows) == 2  # the 3.1.1 finding
    assert_list_sheet(ledger.active, 1, 1)
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, target=f"{root}.zip").exists()


def test_a_file_missing_from_storage_leaves_the_archive_whole(client, tx, binder_world):
    piece = ChecklistEvidence.objects.filter(item__campaign=tx.campaign, original_name="环卫保洁制度.pdf").get()
    piece.file.storage.delete(piece.file.name)
    client.force_login(tx.admin)
    response = client.get(reverse("campaigns:binder-zip", args=[tx.campaign.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    missing = next(name for name in archive.namelist() if name.endswith("环卫保洁制度.pdf"))
    assert archive.read(missing) == b""


def test_the_binder_is_the_district_offices_and_its_leaders(client, tx, td, binder_world, city_admin):
    urls = [reverse("campaigns:binder", args=[tx.campaign.pk]), reverse("campaigns:binder-zip", args=[tx.campaign.pk])]
    client.force_login(td.admin)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(tx.staff)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.force_login(tx.unit_liaison)
    assert client.get(urls[0]).status_code == 403
    client.force_login(city_admin)
    assert client.get(urls[0]).status_code == 200


def test_a_campaign_without_a_standard_is_told_what_to_do(client, tx):
    client.force_login(tx.admin)
    html = client.get(reverse("campaigns:binder", args=[tx.campaign.pk])).content.decode()
    assert "本活动还没有选定测评标准" in html
    assert reverse("campaigns:binder-zip", args=[tx.campaign.pk]) not in html


def test_the_page_costs_the_same_queries_for_more_evidence(client, tx, binder_world, django_assert_max_num_queries):
    items, _ticket = binder_world
    client.force_login(tx.supervisor)
    url = reverse("campaigns:binder", args=[tx.campaign.pk])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    more = task(tx, items["3.2.2"], "3.2.2-2")
    for n in range(3):
        upload(tx, more, SimpleUploadedFile(f"制度{n}.pdf", PDF, content_type="application/pdf"))
        tx.closed(checklist_item=more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["binder"].aspects[0].rate == 100  # 3.2.2 is proved now


def test_the_board_links_the_binder_and_its_zip_for_those_who_may_open_them(client, tx, binder_world):
    """The leader finds 迎检资料 and its .zip on the board; the 网格员 and the unit's liaison read the
    same board without links they would be refused."""
    urls = [reverse("campaigns:binder", args=[tx.campaign.pk]), reverse("campaigns:binder-zip", args=[tx.campaign.pk])]
    board = reverse("campaigns:board", args=["TX"])
    client.force_login(tx.leader)
    html = client.get(board).content.decode()
    assert all(url in html for url in urls) and "迎检模拟" in html
    for who in (tx.staff, tx.unit_liaison):
        client.force_login(who)
        html = client.get(board).content.decode()
        assert "迎检模拟" in html and not any(url in html for url in urls)
