"""Keeping a year's 节假日安排: typed in row by row, or imported from the notice's table.

Both take the State Council notice's own shape — one row per festival with its days off
(放假日期) and its make-up working days (调休上班日期) — and both replace the whole year at
once, with an audit row. The calendar itself is read in campaigns/workdays.py.
"""

import datetime
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import cast

import chinese_calendar
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import workdays
from campaigns.models import AuditKind, HolidayDay, HolidayDayKind, HolidayImport, HolidaySchedule
from campaigns.services.xlsx_import import (
    Column,
    GuideSection,
    ImportPreview,
    Layout,
    SheetRows,
    read_upload,
    record_confirm,
    record_preview,
    record_upload,
    start_preview,
    start_row,
    template_bytes,
)
from security.audit import audit_record

FIRST_YEAR, LAST_YEAR = 2000, 2100
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
# chinesecalendar and holidays name festivals in English.
FESTIVAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
FESTIVAL_MAX = cast(int, HolidayDay._meta.get_field("festival").max_length)  # a CharField has one

SEPARATORS = re.compile(r"[、，,；;\s]+")
RANGE = re.compile(r"\s*(?:至|到|~|～|—|－)\s*")
ISO = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日?$")
DAY_ONLY = re.compile(r"^(\d{1,2})日$")
WEEKDAY_NOTE = re.compile(r"\s*[（(](?:周|星期)[一二三四五六日天][）)]")


class ScheduleRefused(ValueError):
    """The rows cannot be a schedule; the message says why, in the reader's language."""


@dataclass
class FestivalRow:
    festival: str
    days_off: str = ""
    working: str = ""


def _one_date(text: str, year: int, month_before: int | None) -> datetime.date:
    text = WEEKDAY_NOTE.sub("", text).strip()
    if match := ISO.match(text):
        parts = [int(part) for part in match.groups()]
    elif match := MONTH_DAY.match(text):
        parts = [year, int(match[1]), int(match[2])]
    elif (match := DAY_ONLY.match(text)) and month_before:
        # "1月1日至3日": the second end borrows the first end's month.
        parts = [year, month_before, int(match[1])]
    else:
        raise ScheduleRefused(_("“%(text)s”不是日期，请写成 2027-01-01 或 1月1日。") % {"text": text})
    try:
        return datetime.date(*parts)
    except ValueError:
        raise ScheduleRefused(_("“%(text)s”不是存在的日期。") % {"text": text}) from None


def parse_dates(text: object, year: int) -> list[datetime.date]:
    """Every date a cell names: single days and ranges ("1月1日至3日"), separated by 、 or commas."""
    if isinstance(text, datetime.datetime):
        text = text.date()
    if isinstance(text, datetime.date):
        dates: list[datetime.date] = [text]
    else:
        dates = []
        text = RANGE.sub("至", WEEKDAY_NOTE.sub("", str(text or ""))).strip()
        for part in SEPARATORS.split(text):
            if not part:
                continue
            ends = RANGE.split(part)
            if len(ends) > 2:
                raise ScheduleRefused(_("“%(text)s”看不懂：一个区间只能有起止两个日期。") % {"text": part})
            first = _one_date(ends[0], year, None)
            last = _one_date(ends[-1], year, first.month)
            if last < first or (last - first).days > 30:
                raise ScheduleRefused(_("“%(text)s”不是一个合理的放假区间。") % {"text": part})
            dates.extend(first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    for day in dates:
        if day.year != year:
            raise ScheduleRefused(
                _("%(day)s 不在 %(year)s 年；跨年的日期请录入到它所在年份的安排里。") % {"day": day, "year": year}
            )
    return dates


def schedule_days(rows: list[FestivalRow], year: int) -> list[HolidayDay]:
    """The days a year's rows name, checked against each other; ScheduleRefused says what is wrong."""
    seen: dict[datetime.date, str] = {}
    days: list[HolidayDay] = []
    for row in rows:
        festival = row.festival.strip()
        if not festival:
            raise ScheduleRefused(_("每一行都要写节日名称。"))
        if len(festival) > FESTIVAL_MAX:
            raise ScheduleRefused(_("节日名称“%(name)s”太长。") % {"name": festival[:FESTIVAL_MAX]})
        for kind, text in ((HolidayDayKind.HOLIDAY, row.days_off), (HolidayDayKind.WORKDAY, row.working)):
            for day in parse_dates(text, year):
                if day in seen:
                    raise ScheduleRefused(
                        _("%(day)s 在“%(a)s”和“%(b)s”里都出现了。") % {"day": day, "a": seen[day], "b": festival}
                    )
                if kind == HolidayDayKind.WORKDAY and day.weekday() < 5:
                    raise ScheduleRefused(
                        _("%(day)s 本来就是工作日，不是调休上班日（%(name)s）。") % {"day": day, "name": festival}
                    )
                seen[day] = festival
                days.append(HolidayDay(date=day, kind=kind, festival=festival))
    if not any(day.kind == HolidayDayKind.HOLIDAY for day in days):
        raise ScheduleRefused(_("至少要有一个放假日期。"))
    return days


def _ranges(dates: Iterable[datetime.date]) -> str:
    """Dates as the notice writes them: consecutive days as one range."""
    parts: list[str] = []
    start: datetime.date | None = None
    previous: datetime.date | None = None
    for day in [*sorted(dates), None]:
        # previous is set whenever start is.
        if start is not None and (day is None or day != cast(datetime.date, previous) + datetime.timedelta(days=1)):
            parts.append(f"{start:%Y-%m-%d}" if start == previous else f"{start:%Y-%m-%d}至{previous:%Y-%m-%d}")
            start = None
        if day is not None and start is None:
            start = day
        previous = day
    return "、".join(parts)


def _rows_from(pairs: Iterable[tuple[datetime.date, str, str]]) -> list[FestivalRow]:
    """FestivalRows from (date, kind, festival) in festival order of first appearance."""
    by_festival: dict[str, dict[str, list[datetime.date]]] = {}
    for day, kind, festival in sorted(pairs):
        by_festival.setdefault(festival, {HolidayDayKind.HOLIDAY: [], HolidayDayKind.WORKDAY: []})[kind].append(day)
    # In the notice's order: by each festival's first day off.
    ordered = sorted(by_festival.items(), key=lambda item: min(item[1][HolidayDayKind.HOLIDAY] or [datetime.date.max]))
    return [
        FestivalRow(festival, _ranges(kinds[HolidayDayKind.HOLIDAY]), _ranges(kinds[HolidayDayKind.WORKDAY]))
        for festival, kinds in ordered
    ]


def schedule_rows(year: int) -> list[FestivalRow]:
    """The year's rows: the office's schedule, else what the packages know, else the festivals alone."""
    saved = HolidayDay.objects.filter(schedule__year=year).values_list("date", "kind", "festival")
    if HolidaySchedule.objects.filter(year=year).exists():
        return _rows_from(saved)
    pairs: list[tuple[datetime.date, str, str]] = []
    known = workdays.chinesecalendar_year(year)
    if known is not None:
        for day in known.days_off | known.working_weekends:
            _on, name = chinese_calendar.get_holiday_detail(day)
            kind = HolidayDayKind.HOLIDAY if day in known.days_off else HolidayDayKind.WORKDAY
            pairs.append((day, kind, FESTIVAL_NAMES.get(name, name or "")))
        return _rows_from(pairs)
    return [FestivalRow(name) for name in FESTIVALS]


@transaction.atomic
def schedule_save(
    *, year: int, rows: list[FestivalRow], actor: User, source_note: str = "", how: str = "typed"
) -> HolidaySchedule:
    """Replace the year's schedule with `rows` (all of them or none), audited."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ScheduleRefused(_("年份应在 %(a)s 到 %(b)s 之间。") % {"a": FIRST_YEAR, "b": LAST_YEAR})
    days = schedule_days(rows, year)
    schedule, created = HolidaySchedule.objects.select_for_update().get_or_create(
        year=year, defaults={"updated_by": actor, "source_note": source_note}
    )
    before = dict(HolidayDay.objects.filter(schedule=schedule).values_list("date", "kind"))
    schedule.updated_by, schedule.updated_at, schedule.source_note = actor, timezone.now(), source_note
    schedule.save(update_fields=["updated_by", "updated_at", "source_note"])
    HolidayDay.objects.filter(schedule=schedule).delete()
    for day in days:
        day.schedule = schedule
    HolidayDay.objects.bulk_create(days)
    after = {day.date: day.kind for day in days}
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        target=str(schedule),
        change="created" if created else "changed",
        how=how,
        holidays=sum(1 for kind in after.values() if kind == HolidayDayKind.HOLIDAY),
        workdays=sum(1 for kind in after.values() if kind == HolidayDayKind.WORKDAY),
        added=sorted(str(day) for day in after.keys() - before.keys())[:60],
        removed=sorted(str(day) for day in before.keys() - after.keys())[:60],
    )
    workdays.schedules_changed()
    return schedule


# --- the Excel import -----------------------------------------------------------------------

COLUMNS = [
    Column("festival", gettext_lazy("节日"), True, ("节假日", "名称"), 14),
    Column(
        "days_off",
        gettext_lazy("放假日期"),
        True,
        ("放假", "放假时间"),
        34,
        gettext_lazy("如 2027-02-05至2027-02-11，或 2月5日至11日；多段用顿号隔开"),
    ),
    Column(
        "working",
        gettext_lazy("调休上班日期"),
        False,
        ("调休上班", "上班日期", "调休"),
        30,
        gettext_lazy("周末上班的日期，如 2月20日（周六）；没有就空着"),
    ),
]
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("节假日安排"),
    too_big=gettext_lazy("文件太大。节假日安排只需一张表。"),
    no_rows=gettext_lazy("表格里没有节日行。"),
)


def template_workbook(year: int) -> bytes:
    """The template, pre-filled with the festivals (and their dates where a package knows them)."""
    rows = [[row.festival, row.days_off, row.working] for row in schedule_rows(year)]
    examples = [["春节", "2月5日至11日", "2月20日（周六）"]]
    guide = [
        GuideSection(
            title=_("按国务院办公厅当年《关于部分节假日安排的通知》逐条填写，每个节日一行。"),
            rows=[["春节", "2月5日至11日", "2月20日（周六）"], ["国庆节", "10月1日至7日", "9月26日、10月9日"]],
        )
    ]
    return template_bytes(LAYOUT, examples=examples, guide=guide, rows=rows)


def holiday_import_check(sheet: SheetRows, year: int) -> ImportPreview:
    """Every row checked on its own and the rows against each other; nothing is written."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    data = sheet.rows
    saved = HolidaySchedule.objects.filter(year=year).exists()
    current = {row.festival: row for row in schedule_rows(year)} if saved else {}
    festivals: list[FestivalRow] = []
    for number, raw in data:
        row = start_row(number, raw, LAYOUT)
        festival = FestivalRow(row.values.get("festival", ""), raw.get("days_off") or "", raw.get("working") or "")
        for key, text in (("days_off", festival.days_off), ("working", festival.working)):
            try:
                dates = parse_dates(text, year)
                row.values[key] = _ranges(dates) if dates else ""
            except ScheduleRefused as refused:
                row.error(key, str(refused))
        if not row.errors:
            festival.days_off, festival.working = row.values["days_off"], row.values["working"]
            try:
                schedule_days([festival], year)  # a make-up day on a weekday, a row without days off
            except ScheduleRefused as refused:
                row.error("_row", str(refused))
        if not row.errors:
            before = current.get(festival.festival)
            row.action = "add" if before is None else ("same" if before == festival else "change")
            row.cleaned = {"row": festival}
            festivals.append(festival)
        preview.rows.append(row)
    if festivals and len(festivals) == preview.count("add") + preview.count("change") + preview.count("same"):
        try:
            schedule_days(festivals, year)
        except ScheduleRefused as refused:
            preview.file_errors.append(str(refused))
    return preview


def holiday_import_upload(
    *, year: int, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[HolidayImport, ImportPreview]:
    """Keep the uploaded file and return (import record, preview); nothing is imported yet.
    `sheet` is the file already read (by the upload form), so it is parsed once."""
    record = HolidayImport(year=year, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, lambda rows: holiday_import_check(rows, year), sheet=sheet)


def holiday_import_preview(record: HolidayImport) -> ImportPreview:
    return record_preview(record, LAYOUT, lambda rows: holiday_import_check(rows, record.year))


def holiday_import_confirm(
    *, record: HolidayImport, actor: User, ticked: Collection[int] = frozenset()
) -> ImportPreview:
    def write(locked: HolidayImport, preview: ImportPreview, _owner: None, _now: datetime.datetime) -> None:
        rows = [row.cleaned["row"] for row in preview.rows]
        schedule_save(
            year=locked.year,
            rows=rows,
            actor=actor,
            source_note=_("从 Excel 导入：%(name)s") % {"name": locked.original_name},
            how="import",
        )

    return record_confirm(
        record=record,
        lock_owner=lambda: None,
        siblings=HolidayImport.objects.filter(year=record.year),
        changed_message=gettext_lazy("%(who)s 于 %(at)s 导入了“%(name)s”，这一年的安排已经变了。请重新上传预览。"),
        layout=LAYOUT,
        check=lambda rows: holiday_import_check(rows, record.year),
        write=write,
        ticked=ticked,
    )


def holiday_read(uploaded: File) -> SheetRows:
    """An uploaded holiday schedule read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)
