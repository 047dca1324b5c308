"""Big sheets streamed as text into an openpyxl workbook read back exactly as openpyxl would write them."""

import datetime
import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from infra.xlsx_stream import save_with_rows

ROWS = [
    ["TX-202611-0001", datetime.datetime(2026, 11, 3, 9, 15, 30), "英雄街道", "a < b & c > d", 3, 2.5, Decimal("1.25")],
    ["TX-202611-0002", None, "", "  leading and trailing  ", 0, None, None],
    [
        "TX-202611-0003",
        datetime.datetime(2026, 11, 30, 23, 59, 59),
        "控制\x07字符\x00已去掉",
        "换行\n保留",
        -1,
        1e-3,
        None,
    ],
    ["TX-202611-0004", datetime.date(2026, 12, 31), "日期", "\"引号\" 和 '单引号'", 10**6, 0.0, Decimal("0")],
]


def build(rows, **kwargs):
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    summary.append(["本月发现", 4])
    sheet = workbook.create_sheet("台账明细")
    sheet.append(["台账编号", "发现时间", "街道", "说明", "退回", "比例", "分"])
    out = io.BytesIO()
    written = save_with_rows(workbook, sheet, iter(rows), out, columns=7, **kwargs)
    out.seek(0)
    return written, load_workbook(out)


def test_values_and_types_read_back():
    written, book = build(ROWS)
    assert written == len(ROWS)
    assert book.sheetnames == ["汇总", "台账明细"]
    assert [c.value for c in book["汇总"][1]] == ["本月发现", 4]
    sheet = book["台账明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("台账编号", "发现时间", "街道", "说明", "退回", "比例", "分")
    assert len(rows) == 1 + len(ROWS), "the probe row was left in"
    assert rows[1][:2] == ("TX-202611-0001", datetime.datetime(2026, 11, 3, 9, 15, 30))
    assert rows[1][3:] == ("a < b & c > d", 3, 2.5, 1.25)
    assert rows[2] == ("TX-202611-0002", None, None, "  leading and trailing  ", 0, None, None)
    assert rows[3][2:4] == ("控制字符已去掉", "换行\n保留")
    assert rows[4][1] == datetime.datetime(2026, 12, 31, 0, 0) and rows[4][4] == 10**6
    assert sheet["B2"].is_date and sheet["B5"].is_date and not sheet["E2"].is_date
    assert sheet["B2"].number_format != sheet["B5"].number_format  # a datetime and a date look different


def test_many_rows_report_progress():
    seen = []
    rows = ([f"TX-{i:06d}", datetime.datetime(2026, 11, 1), "街道", "说明", i, None, None] for i in range(5000))
    written, book = build(rows, on_row=seen.append, chunk=1000)
    assert written == 5000 and seen == [1000, 2000, 3000, 4000, 5000]
    last = list(book["台账明细"].iter_rows(min_row=5001, values_only=True))
    assert last[0][0] == "TX-004999" and last[0][4] == 4999


def test_no_rows_at_all():
    written, book = build([])
    assert written == 0
    assert list(book["台账明细"].iter_rows(values_only=True)) == [
        ("台账编号", "发现时间", "街道", "说明", "退回", "比例", "分")
    ]
