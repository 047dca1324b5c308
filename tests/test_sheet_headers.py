"""Every list sheet the ledger writes opens with its header row frozen and filters on the table:
the ticket export, each sheet of the monthly summary, the scoring sheet, the import templates
and the one-time passwords — scrolled or sorted, the headers stay."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from campaigns.services.checklist import checklist_apply_standard
from campaigns.services.monthly import summary_generate, summary_request
from campaigns.services.people import passwords_workbook


def workbook_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def assert_list_sheet(sheet, header_row, rows):
    """Frozen below the header; the filter spans the header's columns down to the last row."""
    header = [cell.value for cell in sheet[header_row]]
    columns = len(header) - header[::-1].index(next(v for v in reversed(header) if v is not None))
    assert sheet.freeze_panes == f"A{header_row + 1}", sheet.title
    assert sheet.auto_filter.ref == f"A{header_row}:{get_column_letter(columns)}{header_row + rows}", sheet.title


def test_the_ticket_export(client, tx):
    for _n in range(3):
        tx.log()
    client.force_login(tx.supervisor)
    sheet = workbook_of(client.get(reverse("campaigns:ticket-export", args=["xlsx"]))).active
    assert sheet.max_row == 4
    assert_list_sheet(sheet, 1, 3)


def test_every_sheet_of_the_monthly_summary(tx):
    today = timezone.localdate()
    for _n in range(2):
        tx.closed()
    tx.log()
    summary = summary_generate(summary_request(district=tx.unit, month=today.replace(day=1), actor=tx.admin))
    with summary.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    overview = workbook["汇总"]
    assert overview["A6"].value == "指标" and overview["A7"].value == "本月发现问题（件）"
    assert_list_sheet(overview, 6, 14)  # the fourteen headline figures
    figures = summary.figures
    assert_list_sheet(workbook["按类别"], 1, len(figures["by_category"]))
    assert_list_sheet(workbook["按街道"], 1, len(figures["by_street"]))
    assert_list_sheet(workbook["按责任单位"], 1, len(figures["by_unit"]))
    assert_list_sheet(workbook["日报情况"], 1, len(figures["reports"]))
    # Streamed into the saved file after the header: the filter still reaches the last ticket.
    assert_list_sheet(workbook["台账明细"], 1, 3)


def test_the_scoring_sheet(client, tx):
    checklist_apply_standard(campaign=tx.campaign, actor=tx.admin)
    client.force_login(tx.admin)
    sheet = workbook_of(client.get(reverse("campaigns:scoring-export", args=[tx.campaign.pk]))).active
    last = max(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, 1).value == "合计")
    assert_list_sheet(sheet, 3, last - 3)  # every task, each area's subtotal and the total


@pytest.mark.parametrize(
    "url",
    [
        lambda tx: reverse("campaigns:checklist-template", args=[tx.campaign.pk]),
        lambda tx: reverse("campaigns:point-template", args=["TX"]),
        lambda tx: reverse("campaigns:setup-units-template", args=["TX"]),
    ],
)
def test_the_import_templates(client, tx, url):
    client.force_login(tx.admin)
    workbook = workbook_of(client.get(url(tx)))
    sheet = workbook.worksheets[0]
    assert_list_sheet(sheet, 1, sheet.max_row - 1)  # the example rows (and a district's own rows)


def test_the_one_time_passwords(tx):
    people = [
        {"full_name": f"王{n}", "username": f"tx_wang{n}", "password": "x", "unit": "英雄街道", "role": "工作人员"}
        for n in range(4)
    ]
    sheet = load_workbook(io.BytesIO(passwords_workbook(tx.unit, people))).active
    assert_list_sheet(sheet, 2, 4)


def test_an_empty_export_keeps_its_filter_on_the_header(client, tx):
    client.force_login(tx.supervisor)
    sheet = workbook_of(client.get(reverse("campaigns:ticket-export", args=["xlsx"]))).active
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref.endswith("1")
