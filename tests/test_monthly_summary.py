"""The monthly summary: hand-counted figures, frozen versions, the workbook, the command, isolation."""

import csv
import datetime
import io
import re
import zoneinfo
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns import workflow
from campaigns.models import MonthlySummary, PhotoKind, SummaryStatus
from campaigns.services.monthly import summary_generate, summary_request
from infra.dates import last_full_month, month_label

from .factories import form_key, pending_photo

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime.date(2026, 11, 1)


def at(day, hour=10):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def month(tx, td):
    """November: five tickets found (one voided), one returned, one reopened; October's one closed in November."""
    made = {}
    with time_machine.travel(at(datetime.date(2026, 10, 28))):
        made["october"] = tx.submitted()
    with time_machine.travel(at(datetime.date(2026, 11, 2))):
        workflow.ticket_close_out(ticket=made["october"], actor=tx.supervisor)  # closed in November
        made["closed"] = tx.closed(unit=tx.department)
    with time_machine.travel(at(datetime.date(2026, 11, 4))):
        ticket = tx.submitted(unit=tx.department)
        made["returned"] = workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不合格")
        made["reopened"] = workflow.ticket_reopen(
            ticket=tx.closed(unit=tx.department2, by=tx.supervisor2),
            actor=tx.supervisor,
            reason="反弹",
            deadline=datetime.date(2026, 11, 6),
        )
    with time_machine.travel(at(datetime.date(2026, 11, 5))):
        made["voided"] = workflow.ticket_void(ticket=tx.log(), actor=tx.supervisor, reason="重复")
        made["new"] = tx.log(point=None, place="二街", street=tx.street2, category=tx.category2)
    with time_machine.travel(at(datetime.date(2026, 11, 5))):
        td.closed()  # another district: never in 铁西区's summary
    return made


def generate(tx, when=datetime.date(2026, 11, 20)):
    with time_machine.travel(at(when, 12)):
        return summary_generate(summary_request(district=tx.unit, month=NOVEMBER, actor=tx.admin))


def test_figures_against_a_hand_count(tx, month):
    summary = generate(tx)
    h = summary.figures["headline"]
    assert h["found"] == 4 and h["voided"] == 1
    assert h["closed_of_found"] == 1 and h["open_of_found"] == 3
    assert h["overdue_of_found"] == 2  # by the 20th: the reopened one (due 6 Nov) and the returned one (due 7 Nov)
    assert h["close_outs_in_month"] == 3  # October's, "closed", and "reopened" before it came back
    assert h["returns_in_month"] == 1 and h["reopens_in_month"] == 1
    assert h["closure_rate"] == 25.0
    streets = {row["name"]: row for row in summary.figures["by_street"]}
    assert streets[tx.street.name]["found"] == 3 and streets[tx.street2.name]["found"] == 1
    units = {row["name"]: row for row in summary.figures["by_unit"]}
    assert units[tx.department.name]["returns"] == 1 and units[tx.department.name]["found"] == 2
    assert sum(day[1] for day in summary.figures["trend"]) == 4
    assert summary.ticket_count == 5


def test_the_snapshot_is_frozen_and_regenerating_adds_a_version(tx, month):
    first = generate(tx)
    before = dict(first.figures["headline"])
    with time_machine.travel(at(datetime.date(2026, 11, 21))):
        workflow.ticket_submit_fix(
            ticket=month["returned"],
            actor=tx.unit_liaison,
            note="再改",
            photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)],
        )
        workflow.ticket_close_out(ticket=month["returned"], actor=tx.supervisor)
    first.refresh_from_db()
    assert first.figures["headline"] == before
    second = generate(tx, datetime.date(2026, 11, 22))
    assert (first.version, second.version) == (1, 2)
    assert second.figures["headline"]["closed_of_found"] == before["closed_of_found"] + 1
    first.refresh_from_db()
    assert first.figures["headline"]["closed_of_found"] == before["closed_of_found"]
    assert summary_generate(first).figures == first.figures  # generating a finished version again changes nothing


def test_workbook_sheets_headers_and_rows(tx, month):
    summary = generate(tx)
    with summary.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    assert workbook.sheetnames == ["汇总", "按类别", "按街道", "按责任单位", "日报情况", "台账明细"]
    detail = list(workbook["台账明细"].iter_rows(values_only=True))
    assert detail[0] == (
        "台账编号",
        "发现时间",
        "街道/乡镇",
        "点位/地点",
        "测评类别",
        "问题类别",
        "问题描述",
        "责任单位",
        "整改时限",
        "状态",
        "提交整改时间",
        "销号时间",
        "退回次数",
        "用时（天）",
        "签收时间",
        "延期次数",
        "挂账至",
        "黄牌",
        "挂牌督办",
    )
    assert len(detail) == 1 + 5  # every ticket found in November, the voided one too
    numbers = [row[0] for row in detail[1:]]
    assert all(number.startswith("TX-202611-") for number in numbers)
    closed = next(row for row in detail[1:] if row[0] == month["closed"].number)
    assert closed[9] == "已销号" and closed[13] == 0.0 and closed[11] is not None
    summary_rows = {row[0]: row[1] for row in workbook["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary_rows["本月发现问题（件）"] == 4
    assert [row[0] for row in workbook["按街道"].iter_rows(values_only=True)][0] == "街道/乡镇"
    assert workbook["按类别"].max_row == 1 + len(summary.figures["by_category"])


def test_the_command(tx, month, tmp_path):
    output = tmp_path / "tx.xlsx"
    out = io.StringIO()
    with time_machine.travel(at(datetime.date(2026, 11, 20), 12)):
        call_command("export_monthly", district="TX", month="2026-11", output=str(output), stdout=out)
    assert "v1: 5 tickets" in out.getvalue()
    assert load_workbook(output).sheetnames[0] == "汇总"
    assert MonthlySummary.objects.get().status == SummaryStatus.DONE
    with pytest.raises(CommandError, match="No district"):
        call_command("export_monthly", district="XX", month="2026-11", output=str(output))
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("export_monthly", district="TX", month="11/2026", output=str(output))


@time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True)
def test_by_click_with_progress_and_download(client, tx, month, django_capture_on_commit_callbacks):
    """In December, November's summary can be made (a month not over yet cannot)."""
    client.force_login(tx.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("campaigns:summary-create", args=["TX"]), {"month": "2026-11", "submission": form_key()}
        )
    summary = MonthlySummary.objects.get()
    assert response["Location"] == reverse("campaigns:summary", args=[summary.pk])
    progress = client.get(reverse("campaigns:summary-progress", args=[summary.pk])).json()
    assert progress == {"status": "done", "progress": 100, "error": ""}
    page = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert "创卫工作情况专报" in page and "<svg" in page
    download = client.get(reverse("campaigns:summary-download", args=[summary.pk]))
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(download.streaming_content))).sheetnames[-1] == "台账明细"


def test_a_running_summary_shows_a_progress_bar(client, tx):
    summary = summary_request(district=tx.unit, month=NOVEMBER, actor=tx.admin)
    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert "正在生成专报" in html and "<progress" in html and 'http-equiv="refresh"' in html
    # Queued, nothing is counted yet: no "本月共 0 件" that reads as an empty month.
    assert "排队中：马上开始统计2026年11月的工单" in html and "共 0 件" not in html and "共0件" not in html
    assert client.get(reverse("campaigns:summary-download", args=[summary.pk])).status_code == 404
    MonthlySummary.objects.filter(pk=summary.pk).update(status=SummaryStatus.RUNNING, ticket_count=154)
    html = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert "2026年11月共154件工单" in html


@pytest.mark.parametrize("first_of_month", [False, True])
def test_the_form_offers_the_last_full_month(client, tx, first_of_month):
    """The month still filling up is in the list, but the one chosen is the last full month."""
    today = timezone.localdate()
    if first_of_month:
        today = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    with time_machine.travel(datetime.datetime(today.year, today.month, today.day, 0, 30, tzinfo=SH), tick=False):
        client.force_login(tx.admin)
        response = client.get(reverse("campaigns:summaries", args=["TX"]))
    html = response.content.decode()
    last_month, _end = last_full_month(today)
    assert response.context["default_month"] == last_month
    assert re.findall(r'<option value="([\d-]+)" selected>', html) == [f"{last_month:%Y-%m}"]
    assert f'<option value="{today:%Y-%m}">{month_label(today)}（本月至今）</option>' in html


def test_isolation_and_roles(client, tx, td, month):
    summary = generate(tx)
    client.force_login(td.admin)
    for url in (
        reverse("campaigns:summary", args=[summary.pk]),
        reverse("campaigns:summary-download", args=[summary.pk]),
        reverse("campaigns:summary-progress", args=[summary.pk]),
        reverse("campaigns:summaries", args=["TX"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("campaigns:summary-create", args=["TX"]), {"month": "2026-11"}).status_code == 404
    client.force_login(tx.leader)
    assert client.get(reverse("campaigns:summary", args=[summary.pk])).status_code == 200
    assert client.post(reverse("campaigns:summary-create", args=["TX"]), {"month": "2026-11"}).status_code == 403
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:summary", args=[summary.pk])).status_code == 403
    assert MonthlySummary.objects.count() == 1


def test_bad_month_is_refused_clearly(client, tx):
    client.force_login(tx.admin)
    response = client.post(reverse("campaigns:summary-create", args=["TX"]), {"month": "soon"}, follow=True)
    assert "YYYY-MM" in response.content.decode()
    assert MonthlySummary.objects.count() == 0


class TestTicketExport:
    def test_csv_has_a_bom_and_only_the_filtered_own_tickets(self, client, tx, td, month):
        client.force_login(tx.supervisor)
        response = client.get(reverse("campaigns:ticket-export", args=["csv"]), {"state": "closed"})
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith("\ufeff台账编号,")
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert {row[0] for row in rows[1:]} == {month["october"].number, month["closed"].number}
        assert all(row[0].startswith("TX-") for row in rows[1:])

    def test_xlsx(self, client, tx, month):
        client.force_login(tx.leader)
        response = client.get(reverse("campaigns:ticket-export", args=["xlsx"]), {"street": tx.street2.pk})
        rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
        assert rows[0][0] == "台账编号" and [row[0] for row in rows[1:]] == [month["new"].number]

    def test_other_formats_are_404(self, client, tx):
        client.force_login(tx.leader)
        assert client.get("/tickets/export.pdf").status_code == 404


def test_kpis_and_the_chain_in_the_summary(client, tx, month):
    """November's KPIs: 结案率 = 1 closed ÷ 4 found = 25%; 返工率 = 1 return ÷ 3 fixes submitted in
    November ("closed" on the 2nd, "returned" and "reopened" on the 4th) = 33.3%. Nothing is
    待签收 or 挂账 when it is generated."""
    summary = generate(tx)
    kpis = {row["key"]: row["value"] for row in summary.figures["kpis"]}
    assert kpis["closure"] == "25.0%" and kpis["rework"] == "33.3%"
    assert summary.figures["composite"] is not None
    h = summary.figures["headline"]
    assert (h["assigned_in_district"], h["on_hold_in_district"]) == (0, 0)
    client.force_login(tx.admin)
    page = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert "返工率 = 期内退回次数 ÷ 期内提交整改次数" in page and "截至生成时全区挂账（件）" in page
    with summary.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    cells = [row[:2] for row in workbook["汇总"].iter_rows(values_only=True) if row]
    assert ("返工率", "33.3%") in cells
