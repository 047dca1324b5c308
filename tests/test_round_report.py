"""The 整改报告 for a round: 铁西区 answers 市督查第 3 期 with every finding, its fix and its photos.

Each district answers for its own part of a city round; the report is a .docx version written
by a task with a progress bar, a printable page, and a command for the shell.
"""

import datetime
import io
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from campaigns import workflow
from campaigns.models import (
    AuditEvent,
    AuditKind,
    DocumentSettings,
    FindingOutcome,
    PhotoKind,
    RectificationReport,
    SummaryStatus,
)
from campaigns.selectors.round_report import FIXED, NOT_FIXED, VOIDED, round_report
from campaigns.services.photos import photo_store
from campaigns.services.rectification_reports import (
    generate_rectification_report,
    rectification_report_generate,
    rectification_report_request,
)
from campaigns.services.sweeps import sweep_left_work

from .assessment_world import build_standard, city_round, fixed, found
from .documents_read import open_docx
from .factories import form_key, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(tx):
    return DocumentSettings.objects.create(
        district=tx.unit,
        mark="铁西区创建国家卫生城市工作领导小组办公室",
        signature="铁西区创建国家卫生城市工作领导小组办公室",
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
        superior="四平市创建国家卫生城市工作领导小组办公室",
    )


@pytest.fixture
def world(tx, td, city_admin):
    """市督查第 3 期 over 铁西区 and 铁东区, on the standard both campaigns are scored on."""
    standard = build_standard(campaigns=[tx.campaign, td.campaign])
    return standard, city_round([tx, td], city_admin)


def texts(document):
    body = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return body, cells


def pictures(row):
    return sum(
        len(cell._element.findall(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip"))
        for cell in row.cells
    )


def generate(client, who, inspection_round, code="TX", **data):
    client.force_login(who)
    url = reverse("campaigns:round-report-generate", args=[inspection_round.pk, code])
    return client.post(url, {"submission": form_key(), **data})


def test_tiexi_answers_the_city_round_with_every_finding_its_fix_and_photos_side_by_side(
    client, tx, td, office, world, django_capture_on_commit_callbacks
):
    standard, inspection_round = world
    items = standard.items
    first = fixed(tx, found(tx, inspection_round, item=items["3.2.1"], description="农贸市场西侧垃圾桶满溢"))
    second = found(tx, inspection_round, item=items["8.1.2"], description="熟食区发现鼠迹", category=tx.category2)
    second.measures = "投放毒饵站 6 个，封堵孔洞 3 处"
    second.save(update_fields=["measures"])
    third = found(tx, inspection_round, description="北沟社区楼道堆物", unit=tx.department2, photos=[])
    found(td, inspection_round, description="铁东区解放街道垃圾暴露")  # 铁东区's own part: not in 铁西区's reply

    with django_capture_on_commit_callbacks(execute=True):  # the task runs at once in tests
        response = generate(client, tx.admin, inspection_round, issue="1")
    assert response.status_code == 302
    report = RectificationReport.objects.get(district=tx.unit)
    assert (report.status, report.version, report.progress) == (SummaryStatus.DONE, 1, 100)
    year = timezone.localdate().year
    assert report.doc_number == f"铁西创卫办〔{year}〕1号"
    assert report.counts == {"total": 3, "fixed": 1, "fixing": 2, "not_fixed": 0, "voided": 0}

    download = client.get(reverse("campaigns:round-report-download", args=[report.pk]))
    assert "attachment" in download["Content-Disposition"]
    document = open_docx(download)
    body, cells = texts(document)
    text = "\n".join(body)
    assert "关于市督查第 3 期反馈问题整改情况的报告" in text
    assert f"铁西创卫办〔{year}〕1号" in text and "四平市创建国家卫生城市工作领导小组办公室：" in text
    assert "反馈铁西区问题3个" in text and "已整改1个，整改中2个，未整改0个，整改率33.3%" in text
    by_unit, by_aspect, problems = document.tables[:3]
    assert [c.text for c in by_unit.rows[1].cells] == ["铁西区执法局", "2", "1", "1", "0", "50.0%"]
    assert [c.text for c in by_aspect.rows[1].cells][:3] == ["3 市容环境卫生", "1", "1"]
    assert [c.text for c in by_aspect.rows[2].cells][:3] == ["8 病媒生物预防控制", "1", "0"]
    assert [c.text for c in by_aspect.rows[3].cells][:2] == ["未对应标准", "1"]
    assert [c.text for c in problems.rows[0].cells] == ["序号", "问题及整改情况", "整改前照片", "整改后照片"]
    rows = problems.rows[1:]
    assert [row.cells[0].text for row in rows] == ["1", "2", "3"]  # in 序号 order
    assert [pictures(row) for row in rows] == [2, 1, 0]  # before and after, side by side
    first_text, second_text, third_text = (row.cells[1].text for row in rows)
    assert first_text.startswith("问题：垃圾暴露。农贸市场西侧垃圾桶满溢（")
    assert "整改措施：已清理完毕，更换密闭式垃圾桶" in first_text  # the fix note, as the unit wrote it
    assert "责任单位/责任人：铁西区执法局 / 张三" in first_text
    assert f"完成时间：{first.ticket.closed_at.year}年" in first_text
    assert "整改措施：投放毒饵站 6 个，封堵孔洞 3 处" in second_text  # the office's own 整改措施 first
    assert "8.1.2 项" in second_text and "完成时间：整改中（整改时限" in second_text
    assert rows[1].cells[3].text == "（待补充）" and rows[2].cells[2].text == "（待补充）"
    assert third.ticket.number in third_text and "铁西区卫健局" in third_text
    assert "铁东区" not in "\n".join(body + cells)
    assert len(document.inline_shapes) == 3
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, target__startswith="整改报告-市督查第-3-期-铁西区").exists()


def test_how_each_finding_is_counted(tx, world, city_admin):
    standard, inspection_round = world
    today = timezone.localdate()
    kept = fixed(tx, found(tx, inspection_round, description="保持"))
    relapsed = fixed(tx, found(tx, inspection_round, description="复查反弹"))
    refixed = fixed(tx, found(tx, inspection_round, description="反弹后又整改"))
    late = found(tx, inspection_round, description="逾期未整改", deadline=today + datetime.timedelta(days=1))
    voided = found(tx, inspection_round, description="重复问题", assign=False)
    workflow.ticket_void(ticket=voided.ticket, actor=tx.supervisor, reason="与第 1 条重复")
    recheck = city_round([tx], city_admin, name="市督查第 3 期复查", days_ago=1)
    for finding in (relapsed, refixed):
        finding.outcome, finding.outcome_round, finding.outcome_at = FindingOutcome.RELAPSED, recheck, timezone.now()
        finding.save()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3), tick=True):
        workflow.ticket_reopen(
            ticket=refixed.ticket, actor=tx.supervisor, reason="复查反弹", deadline=timezone.localdate()
        )
        refixed.refresh_from_db()
        fixed(tx, refixed)
        report = round_report(inspection_round, tx.unit)
    status = {entry.finding.description: entry.status for entry in report.entries}
    assert status == {
        "保持": FIXED,
        "复查反弹": NOT_FIXED,
        "反弹后又整改": FIXED,
        "逾期未整改": NOT_FIXED,  # three days on, past its deadline
        "重复问题": VOIDED,
    }
    assert (report.total.total, report.total.fixed, report.total.not_fixed, report.voided) == (4, 2, 2, 1)
    assert kept.ticket and late.ticket


def test_three_hundred_findings_with_photos_stay_under_thirty_megabytes(tx, world, office):
    """Small generated photos keep the test quick; the size budget itself is checked on a big
    photo below and in tests/test_print_photos.py."""
    standard, inspection_round = world
    for n in range(300):
        before = photo_store(photo_upload(content=_jpeg(n)), user=tx.supervisor, kind=PhotoKind.BEFORE)
        finding = found(tx, inspection_round, item=standard.items["3.1.1"], description=f"问题{n + 1}", photos=[before])
        after = photo_store(photo_upload(content=_jpeg(n + 1000)), user=tx.unit_liaison, kind=PhotoKind.AFTER)
        type(after).objects.filter(pk=after.pk).update(ticket=finding.ticket)
    report = rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.admin)
    report = rectification_report_generate(report)
    assert report.status == SummaryStatus.DONE and report.finding_count == 300
    assert report.file_size < 30 * 1024 * 1024
    with report.file.open("rb") as handle:
        document = open_docx(mock.Mock(content=handle.read(), streaming=False))
    assert len(document.inline_shapes) == 600
    assert len(document.tables[2].rows) == 301


def test_a_photo_from_a_phone_is_printed_at_1200_pixels(tx, world, office):
    standard, inspection_round = world
    big = Image.effect_noise((4000, 3000), 40).convert("RGB")
    data = io.BytesIO()
    big.save(data, "JPEG", quality=90)
    before = photo_store(photo_upload(content=data.getvalue()), user=tx.supervisor, kind=PhotoKind.BEFORE)
    found(tx, inspection_round, description="大照片", photos=[before])
    report = rectification_report_generate(
        rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.admin)
    )
    with report.file.open("rb") as handle:
        document = open_docx(mock.Mock(content=handle.read(), streaming=False))
    images = [part for part in document.part.package.parts if part.partname.startswith("/word/media/")]
    sizes = [Image.open(io.BytesIO(part.blob)).size for part in images]
    assert sizes and max(max(size) for size in sizes) == 1200


def _jpeg(seed):
    image = Image.new("RGB", (96, 72), (seed * 7 % 256, seed * 13 % 256, seed * 29 % 256))
    image.putpixel((seed % 96, seed % 72), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_the_page_follows_the_version_being_written_then_offers_its_download(client, tx, world, office):
    standard, inspection_round = world
    fixed(tx, found(tx, inspection_round, item=standard.items["3.1.1"]))
    report = rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.supervisor)
    client.force_login(tx.leader)  # reads and downloads, does not generate
    page_url = reverse("campaigns:round-report", args=[inspection_round.pk, "TX"])
    progress_url = reverse("campaigns:round-report-progress", args=[report.pk])
    html = client.get(page_url).content.decode()
    assert f'data-progress-url="{progress_url}"' in html and 'http-equiv="refresh"' in html
    assert "关于市督查第 3 期反馈问题整改情况的报告" in html and "已整改 1 个" in html  # the page as it stands
    assert reverse("campaigns:round-report-generate", args=[inspection_round.pk, "TX"]) not in html
    assert client.get(progress_url).json() == {"status": "queued", "progress": 0, "error": False}
    download_url = reverse("campaigns:round-report-download", args=[report.pk])
    assert client.get(download_url).status_code == 404  # not written yet
    rectification_report_generate(report)
    assert client.get(progress_url).json() == {"status": "done", "progress": 100, "error": False}
    html = client.get(page_url).content.decode()
    assert download_url in html and "http-equiv" not in html
    assert client.get(download_url).status_code == 200


def test_a_failed_version_says_so_and_keeps_its_error_off_the_page(client, tx, world, office):
    standard, inspection_round = world
    found(tx, inspection_round)
    report = rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.supervisor)
    with mock.patch(
        "campaigns.services.rectification_reports.round_rectification_document", side_effect=OSError("disk full")
    ):
        with pytest.raises(OSError):
            generate_rectification_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.error) == (SummaryStatus.FAILED, "disk full")
    client.force_login(tx.supervisor)
    assert client.get(reverse("campaigns:round-report-progress", args=[report.pk])).json()["status"] == "failed"
    html = client.get(reverse("campaigns:round-report", args=[inspection_round.pk, "TX"])).content.decode()
    assert "请重新生成" in html and "disk full" not in html
    generate_rectification_report(report.pk)  # tried again (the sweep, or a new message): it is written
    report.refresh_from_db()
    assert report.status == SummaryStatus.DONE


def test_the_same_form_sent_twice_makes_one_version(client, tx, world, office, django_capture_on_commit_callbacks):
    standard, inspection_round = world
    found(tx, inspection_round)
    client.force_login(tx.supervisor)
    url = reverse("campaigns:round-report-generate", args=[inspection_round.pk, "TX"])
    key = form_key()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"submission": key})
        second = client.post(url, {"submission": key})
    assert first.status_code == second.status_code == 302
    assert RectificationReport.objects.filter(district=tx.unit).count() == 1
    assert client.post(url, {}).status_code == 302  # no key: nothing made, the page says why
    assert RectificationReport.objects.filter(district=tx.unit).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"submission": form_key()})  # a new form: a second version, a draft again
    assert list(RectificationReport.objects.values_list("version", "doc_number")) == [(2, ""), (1, "")]


def test_each_district_reads_only_its_own_part_and_only_its_office_writes(client, tx, td, world, office, city_admin):
    standard, inspection_round = world
    found(tx, inspection_round)
    report = rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.admin)
    own = reverse("campaigns:round-report", args=[inspection_round.pk, "TX"])
    generate_url = reverse("campaigns:round-report-generate", args=[inspection_round.pk, "TX"])
    downloads = [
        reverse("campaigns:round-report-progress", args=[report.pk]),
        reverse("campaigns:round-report-download", args=[report.pk]),
    ]
    client.force_login(td.admin)  # 铁东区 is in the round too, but 铁西区's part is not theirs
    assert client.get(own).status_code == 404
    assert all(client.get(url).status_code == 404 for url in downloads)
    assert client.post(generate_url, {"submission": form_key()}).status_code == 404
    assert client.get(reverse("campaigns:round-report", args=[inspection_round.pk, "TD"])).status_code == 200
    client.force_login(tx.staff)
    assert client.get(own).status_code == 403 and client.get(downloads[0]).status_code == 403
    client.force_login(tx.leader)
    assert client.post(generate_url, {"submission": form_key()}).status_code == 403
    client.force_login(tx.supervisor)  # generates drafts; 印发 is the admin's
    assert client.post(generate_url, {"submission": form_key(), "issue": "1"}).status_code == 403
    only_td = city_round([td], city_admin, name="铁东区自查")
    client.force_login(tx.admin)
    assert client.get(reverse("campaigns:round-report", args=[only_td.pk, "TX"])).status_code == 404
    client.force_login(city_admin)  # the city reads every district's part
    assert client.get(own).status_code == 200
    assert RectificationReport.objects.count() == 1


def test_the_page_costs_the_same_queries_for_more_findings(client, tx, world, office, django_assert_max_num_queries):
    standard, inspection_round = world
    client.force_login(tx.supervisor)
    url = reverse("campaigns:round-report", args=[inspection_round.pk, "TX"])
    fixed(tx, found(tx, inspection_round, item=standard.items["3.1.1"]))
    rectification_report_generate(
        rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.supervisor)
    )
    client.get(url)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    for n in range(4):
        finding = found(tx, inspection_round, item=standard.items["8.1.2"], description=f"鼠迹{n}")
        if n % 2:
            fixed(tx, finding)
    rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.supervisor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_from_a_shell(tx, td, world, office, tmp_path):
    standard, inspection_round = world
    fixed(tx, found(tx, inspection_round))
    output = tmp_path / "report.docx"
    call_command(
        "export_rectification_report", "--round", str(inspection_round.pk), "--district", "tx", "--output", str(output)
    )
    document = open_docx(mock.Mock(content=output.read_bytes(), streaming=False))
    assert "关于市督查第 3 期反馈问题整改情况的报告" in [p.text for p in document.paragraphs]
    assert len(document.inline_shapes) == 2
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, details__via="export_rectification_report command").exists()
    with pytest.raises(CommandError, match="covers several districts"):
        call_command("export_rectification_report", "--round", str(inspection_round.pk), "--output", str(output))
    with pytest.raises(CommandError, match="does not cover"):
        call_command(
            "export_rectification_report", "--round", str(inspection_round.pk), "--district", "XX", "--output", "x"
        )


def test_a_version_whose_message_was_lost_is_written_by_the_sweep(tx, world, office):
    standard, inspection_round = world
    found(tx, inspection_round)
    report = rectification_report_request(inspection_round=inspection_round, district=tx.unit, actor=tx.supervisor)
    assert report.status == SummaryStatus.QUEUED  # the broker was down: nothing was sent
    assert sweep_left_work()["reports"] == 0  # too fresh: its message may still be on its way
    swept = sweep_left_work(now=timezone.now() + datetime.timedelta(minutes=5))  # tasks run at once in tests
    report.refresh_from_db()
    assert (swept["reports"], report.status) == (1, SummaryStatus.DONE)
