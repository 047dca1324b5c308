"""The monthly summary in the language it was asked for: the workbook the worker writes later,
and the page in the reader's language — labels, month names and times, nothing left in 简体中文."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from campaigns.models import MonthlySummary
from campaigns.services.monthly import HEADLINE_LABELS, TABLE_COLUMNS, summary_generate

from .factories import form_key
from .test_monthly_summary import at, month  # noqa: F401 - a fixture, used by name

ASKED = at(datetime.date(2026, 11, 20), 12)
MONTH_NAMES = {"en": "November 2026", "zh-hant": "2026年11月"}


def words(language, text):
    with translation.override(language):
        return _(text)


def ask_for_november(client, admin, language):
    """The admin asks in `language`; the worker is another process, in the default language."""
    client.cookies["django_language"] = language
    with time_machine.travel(ASKED, tick=False):
        client.force_login(admin)  # a session of that day (an older one would have timed out)
        client.post(reverse("campaigns:summary-create", args=["TX"]), {"month": "2026-11", "submission": form_key()})
    summary = MonthlySummary.objects.get()
    assert summary.language == language and summary.status == "queued"
    translation.activate("zh-hans")
    with time_machine.travel(ASKED + datetime.timedelta(minutes=1), tick=False):
        return summary_generate(summary)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_workbook_is_written_in_the_language_it_was_asked_for(client, tx, month, language):  # noqa: F811
    summary = ask_for_november(client, tx.admin, language)
    with summary.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    assert workbook.sheetnames == [
        words(language, name) for name in ("汇总", "按类别", "按街道", "按责任单位", "日报情况", "台账明细")
    ]
    overview = workbook.worksheets[0]
    rows = {row[0].value: row[1] for row in overview.iter_rows(min_row=2) if row[0].value}
    for _key, label in HEADLINE_LABELS:
        with translation.override(language):
            assert str(label) in rows, label
    with translation.override(language):
        assert rows[str(HEADLINE_LABELS[0][1])].value == 4
    assert MONTH_NAMES[language] in overview["A1"].value
    # The time it was made: a real date-time cell, shown to the minute (not 2026-11-20T12:01:00+08:00).
    made = rows[words(language, "生成时间")]
    assert made.value == datetime.datetime(2026, 11, 20, 12, 1) and made.number_format == "yyyy-mm-dd hh:mm"
    by_street = [cell.value for cell in workbook.worksheets[2][1]]
    with translation.override(language):
        assert by_street[1 : 1 + len(TABLE_COLUMNS)] == [str(label) for _key, label in TABLE_COLUMNS]
    kpis = {row[0].value for row in overview.iter_rows() if row[0].value}
    assert words(language, "返工率") in kpis and "返工率" not in kpis - {words(language, "返工率")}
    if language == "en":
        text = " ".join(str(cell.value) for row in overview.iter_rows() for cell in row if cell.value)
        assert "本月" not in text and "件" not in text and "T12:01" not in text


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_page_speaks_its_readers_language(client, tx, month, language):  # noqa: F811
    summary = ask_for_november(client, tx.admin, "zh-hans")  # asked in 简体中文 …
    client.cookies["django_language"] = language  # … read in another language
    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    with translation.override(language):
        for _key, label in [*HEADLINE_LABELS, *TABLE_COLUMNS]:
            assert f">{label}<" in html, label
    assert MONTH_NAMES[language] in html and "2026-11-20 12:01" in html and "T12:01" not in html
    assert words(language, "返工率 = 期内退回次数 ÷ 期内提交整改次数") in html
    if language == "en":
        for chinese in ("本月发现问题", "其中已销号", "2026年11月", ">发现<", ">逾期<"):
            assert chinese not in html, chinese
    listing = client.get(reverse("campaigns:summaries", args=["TX"])).content.decode()
    assert MONTH_NAMES[language] in listing


def test_the_traffic_lights_are_titled_in_the_readers_language(client, tx):
    tx.assigned()  # the street's row on the board gets its lights (green: nothing overdue)
    client.cookies["django_language"] = "en"
    client.force_login(tx.leader)
    html = client.get(reverse("campaigns:board", args=["TX"])).content.decode()
    assert 'class="light light-' in html and "灯" not in html
