"""Rankings (红黑榜) by the shown rule, and the 通报 an admin drafts, edits and prints."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import Notice, OrgUnit, UnitKind
from campaigns.selectors.rankings import RankRow, red_and_black
from infra.dates import last_full_month, month_label

from .factories import form_key

SH = ZoneInfo("Asia/Shanghai")
ONE_DAY = datetime.timedelta(days=1)


def at(day, hour=10):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def period(tx):
    """In November: 执法局 closes two of two; 卫健局 closes none of two, one overdue and one returned."""
    with time_machine.travel(at(datetime.date(2026, 11, 3))):
        tx.closed(unit=tx.department)
        tx.closed(unit=tx.department)
        tx.assigned(unit=tx.department2, deadline=datetime.date(2026, 11, 5))
        ticket = tx.submitted(unit=tx.department2, by=tx.supervisor2)
        workflow.ticket_return(ticket=ticket, actor=tx.supervisor, reason="不合格")


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_units_ranked_by_the_rule(client, tx, period):
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:rankings", args=["TX"]), {"start": "2026-11-01", "end": "2026-11-20"})
    units = response.context["units"]
    assert [row.unit.name for row in units] == [tx.department.name, tx.department2.name]
    best, worst = units
    assert (best.total, best.closed, best.overdue, best.returns, best.closure_rate, best.score) == (
        2,
        2,
        0,
        0,
        100.0,
        100.0,
    )
    # 0% closed, 2 overdue (due 5 Nov, and the returned one due 6 Nov), 1 return: 0 − 2 × 2 − 1 = −5.
    assert (worst.closure_rate, worst.overdue, worst.returns, worst.score) == (0.0, 2, 1, -5.0)
    html = response.content.decode()
    assert "综合得分 = 销号率 × 60%" in html
    by_overdue = client.get(reverse("campaigns:rankings", args=["TX"]), {"basis": "overdue", "start": "2026-11-01"})
    assert by_overdue.context["units"][0].unit == tx.department


def test_red_and_black_never_name_the_same_unit():
    rows = [
        RankRow(
            unit=OrgUnit(pk=i, name=str(i), kind=UnitKind.DEPARTMENT),
            total=1,
            closed=1,
            overdue=0,
            returns=0,
            compliance=None,
        )
        for i in range(5)
    ]
    red, black = red_and_black(rows)
    assert len(red) == 2 and len(black) == 2 and not set(map(id, red)) & set(map(id, black))
    assert red_and_black(rows[:1]) == ([], [])


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_admin_drafts_edits_and_prints_a_notice(client, tx, period):
    client.force_login(tx.admin)
    response = client.post(
        reverse("campaigns:notice-draft", args=["TX"]),
        {"start": "2026-11-01", "end": "2026-11-20", "basis": "score", "submission": form_key()},
    )
    notice = Notice.objects.get()
    assert response["Location"] == reverse("campaigns:notice-edit", args=[notice.pk])
    assert tx.department.name in notice.red_list and tx.department2.name in notice.black_list
    assert "逾期" in notice.overdue_list and "TX-202611-" in notice.overdue_list
    assert notice.period_start == datetime.date(2026, 11, 1)
    response = client.post(
        reverse("campaigns:notice-edit", args=[notice.pk]),
        {
            "title": "关于11月创卫问题整改情况的通报",
            "doc_number": "铁创卫办〔2026〕12号",
            "period_start": "2026-11-01",
            "period_end": "2026-11-20",
            "intro": notice.intro,
            "red_list": notice.red_list,
            "black_list": notice.black_list + "\n（经研究，予以通报批评）",
            "overdue_list": notice.overdue_list,
            "closing": notice.closing,
            "issuer": notice.issuer,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("campaigns:notice-print", args=[notice.pk])).content.decode()
    assert "铁创卫办〔2026〕12号" in page and "予以通报批评" in page and "黑榜" in page


def test_notice_permissions(client, tx, td, period):
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    client.force_login(tx.leader)
    assert client.get(reverse("campaigns:notice-print", args=[notice.pk])).status_code == 200
    assert client.get(reverse("campaigns:notice-edit", args=[notice.pk])).status_code == 403
    assert client.post(reverse("campaigns:notice-draft", args=["TX"]), {}).status_code == 403
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:rankings", args=["TX"])).status_code == 403
    client.force_login(td.admin)
    assert client.get(reverse("campaigns:notice-print", args=[notice.pk])).status_code == 404
    assert client.get(reverse("campaigns:rankings", args=["TX"])).status_code == 404


def test_an_edit_with_a_backwards_period_keeps_the_input(client, tx, period):
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    response = client.post(
        reverse("campaigns:notice-edit", args=[notice.pk]),
        {"title": "改过的标题", "period_start": "2026-11-20", "period_end": "2026-11-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "统计止日期不能早于统计起日期" in html and "改过的标题" in html


@time_machine.travel(at(datetime.date(2026, 11, 20), 12), tick=False)
def test_ranked_by_the_weighted_composite_with_formulas_shown(client, tx, period):
    """执法局: 结案率 2/2, 按期 2/2, 返工 0/2, 超期待处置 0/0 (drops out), 延期 0/2:
    (30 + 20 + 20 + 10) ÷ 80 × 100 = 100.0.
    卫健局: 结案率 0/2, 按期 — , 返工 1/1, 超期待处置 2/2, 延期 0/2: (0 + 0 + 0 + 10) ÷ 80 × 100 = 12.5."""
    client.force_login(tx.leader)
    response = client.get(
        reverse("campaigns:rankings", args=["TX"]), {"start": "2026-11-01", "end": "2026-11-20", "basis": "composite"}
    )
    units = response.context["units"]
    assert [(row.unit, row.composite) for row in units] == [(tx.department, 100.0), (tx.department2, 12.5)]
    html = response.content.decode()
    assert 'title="返工率 = 期内退回次数 ÷ 期内提交整改次数"' in html
    assert "(1 − 超期待处置率) × 20" in html and "结案率 × 30" in html


def first_of_next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def test_rankings_open_on_the_last_full_month_and_say_so(client, tx):
    """Early in a month, month-to-date holds a few days; the rankings open on the last full month."""
    today = timezone.localdate()
    month_start, month_end = last_full_month(today)
    with time_machine.travel(at(month_start + 2 * ONE_DAY)):
        tx.closed(unit=tx.department)  # last month's
    tx.assigned(unit=tx.department2)  # this month's
    client.force_login(tx.leader)
    response = client.get(reverse("campaigns:rankings", args=["TX"]))
    assert (response.context["start"], response.context["end"]) == (month_start, month_end)
    assert response.context["default_period"] is True
    assert f"默认统计上一个完整月份（{month_label(month_start)}）" in response.content.decode()
    assert [row.unit for row in response.context["units"]] == [tx.department]
    presets = {label: (query, current) for label, query, current in response.context["presets"]}
    assert presets["上个月"][1] is True and f"start={month_start}&end={month_end}" in presets["上个月"][0]
    month_so_far = client.get(reverse("campaigns:rankings", args=["TX"]) + presets["本月至今"][0])
    assert (month_so_far.context["start"], month_so_far.context["end"]) == (today.replace(day=1), today)
    assert [row.unit for row in month_so_far.context["units"]] == [tx.department2]
    assert month_so_far.context["default_period"] is False and "默认统计" not in month_so_far.content.decode()
    last_30 = client.get(reverse("campaigns:rankings", args=["TX"]) + presets["近 30 天"][0])
    assert (last_30.context["start"], last_30.context["end"]) == (today - 29 * ONE_DAY, today)


def test_on_the_first_of_a_month_the_month_just_ended_is_ranked(client, tx):
    today = timezone.localdate()
    first = first_of_next_month(today)
    tx.closed()  # found this month, which has ended by the first of the next
    # 00:30 on the 1st in Beijing is still the previous month in UTC: the office's calendar counts.
    with time_machine.travel(datetime.datetime(first.year, first.month, 1, 0, 30, tzinfo=SH), tick=False):
        client.force_login(tx.leader)
        response = client.get(reverse("campaigns:rankings", args=["TX"]))
        assert (response.context["start"], response.context["end"]) == (today.replace(day=1), first - ONE_DAY)
        assert [row.unit for row in response.context["units"]] == [tx.department]
        client.force_login(tx.admin)
        client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    assert (notice.period_start, notice.period_end) == (today.replace(day=1), first - ONE_DAY)


@pytest.fixture
def last_month(tx):
    """The last full month: 执法局 closes one problem; 卫健局 lets one run overdue. Before it, an
    older problem went overdue too — not this period's business."""
    today = timezone.localdate()
    start, end = last_full_month(today)
    made = {"start": start, "end": end}
    with time_machine.travel(at(start - 10 * ONE_DAY)):
        made["older"] = tx.assigned(unit=tx.department2, deadline=start - 8 * ONE_DAY)
    with time_machine.travel(at(start + ONE_DAY)):
        made["closed"] = tx.closed(unit=tx.department)
        made["overdue"] = tx.assigned(unit=tx.department2, deadline=start + 3 * ONE_DAY)
    return made


def draft(client, admin, language="zh-hans"):
    client.cookies["django_language"] = language
    client.force_login(admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    return Notice.objects.get()


def test_a_notice_reads_as_an_office_writes_and_names_only_its_periods_overdue(client, tx, last_month):
    notice = draft(client, tx.admin)
    start, end, overdue = last_month["start"], last_month["end"], last_month["overdue"]
    assert notice.title == f"关于{start.year}年{start.month}月1日至{end.month}月{end.day}日创卫问题整改情况的通报"
    assert notice.intro.startswith(f"{start.month}月1日至{end.month}月{end.day}日，全区共发现问题2件，已销号1件。")
    days = (timezone.localdate() - overdue.deadline).days
    assert notice.overdue_list == (
        f"{overdue.number} {overdue.category.name}（{tx.street.name}，责任单位：{tx.department2.name}，"
        f"时限{overdue.deadline.month}月{overdue.deadline.day}日，已逾期{days}天）"
    )
    assert last_month["older"].number not in notice.overdue_list  # overdue, but found before the period
    assert "逾期1件，退回0次" in notice.black_list + notice.red_list
    for text in (notice.title, notice.intro, notice.overdue_list, notice.red_list, notice.black_list):
        assert f"{start:%Y-%m}" not in text and " 件" not in text and " 天" not in text
    page = client.get(reverse("campaigns:notice-print", args=[notice.pk])).content.decode()
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in page  # 成文日期 under the issuer


def test_a_notice_drafted_in_english_keeps_english_spacing(client, tx, last_month):
    notice = draft(client, tx.admin, "en")
    start, end = last_month["start"], last_month["end"]
    assert notice.intro.startswith(f"From {start.day} {start:%B} to {end.day} {end:%B}, 2 problems were found")
    assert f"{start.day} {start:%B} {start.year}" in notice.title and "年" not in notice.title
