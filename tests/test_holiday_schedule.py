"""节假日安排: the working-day calendar that every "N 个工作日" deadline and daily-report duty uses.

The packages know holidays only up to the year of their last release; the State Council
publishes next year's notice each November. 四平市's admin (city_admin) types 2027's notice
in or imports it; 铁西区's admin reads it and is reminded while it is missing; nobody else
changes it.
"""

import datetime
import io

import chinese_calendar
import holidays
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns import workdays, workflow
from campaigns.models import AuditEvent, AuditKind, Duty, HolidayDay, HolidayImport, HolidaySchedule, ImportStatus
from campaigns.services.holiday_schedule import (
    FestivalRow,
    ScheduleRefused,
    parse_dates,
    schedule_save,
)

from .conftest import BEIJING
from .test_accounts import duty_holder

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def _early_december():
    """These stories are about particular days of 2026 and 2027: everyone is enrolled on
    Friday 4 December 2026 (so a visit to February 2027 is within their password's age), and
    a story that needs another day travels there itself."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=BEIJING), tick=True):
        yield


# 2027 as the office typed it from the notice (the dates are the office's, not a package's).
SPRING_2027 = FestivalRow("春节", "2月5日至11日", "2月20日（周六）")
NEW_YEAR_2027 = FestivalRow("元旦", "1月1日至3日", "")
NATIONAL_2027 = FestivalRow("国庆节", "2027-10-01至2027-10-07", "9月26日、10月9日")


def at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=BEIJING)


def save_2027(actor, rows=(NEW_YEAR_2027, SPRING_2027, NATIONAL_2027)):
    return schedule_save(year=2027, rows=list(rows), actor=actor, source_note="国办发明电〔2026〕X号")


def rows_post(rows, note=""):
    data = {"source_note": note, "rows-TOTAL_FORMS": str(len(rows)), "rows-INITIAL_FORMS": "0"}
    for n, row in enumerate(rows):
        data |= {f"rows-{n}-festival": row[0], f"rows-{n}-days_off": row[1], f"rows-{n}-working": row[2]}
    return data


class TestSources:
    def test_a_year_the_package_knows_says_which_package(self):
        calendar = workdays.year_calendar(2026)
        assert calendar.source == workdays.CHINESECALENDAR and "chinesecalendar 1.11.0" in calendar.label
        # 2026-10-10 is a 调休 Saturday; 2026-10-05 a Monday of Golden Week.
        assert workdays.is_working_day(D(2026, 10, 10)) and not workdays.is_working_day(D(2026, 10, 5))

    def test_a_year_nobody_knows_falls_back_to_weekdays_and_says_so(self):
        calendar = workdays.year_calendar(2027)
        assert calendar.source == workdays.WEEKDAYS and not calendar.is_known
        assert "2027年节假日安排尚未录入" in calendar.label
        assert not workdays.is_working_day(D(2027, 2, 20)) and workdays.is_working_day(D(2027, 2, 8))

    def test_the_two_packages_agree_wherever_both_know_the_year(self):
        compared = 0
        for year in range(2004, 2101):
            ours, theirs = workdays.chinesecalendar_year(year), workdays.holidays_year(year)
            if ours is None or theirs is None:
                continue
            day = D(year, 1, 1)
            while day.year == year:
                # The one day they read differently: 2005-12-31, a Saturday the 2006 New Year
                # notice left a rest day (chinesecalendar) and holidays lists as worked.
                if day != D(2005, 12, 31):
                    assert ours.is_working_day(day) == theirs.is_working_day(day), day
                day += datetime.timedelta(days=1)
            compared += 1
        assert compared >= 20  # 2006–2026 at least
        assert (
            chinese_calendar.is_workday(D(2026, 2, 28))
            and D(2026, 2, 28) in holidays.China(years=2026).weekend_workdays
        )


class TestTypingTheNotice:
    def test_the_city_admin_types_2027_and_every_count_uses_it(self, client, city_admin, tx):
        client.force_login(city_admin)
        rows = [("元旦", "1月1日至3日", ""), ("春节", "2月5日至11日", "2月20日（周六）")]
        response = client.post(reverse("campaigns:holiday-year-save", args=[2027]), rows_post(rows, "国办发明电"))
        assert response.status_code == 302
        schedule = HolidaySchedule.objects.get(year=2027)
        assert schedule.updated_by == city_admin and schedule.source_note == "国办发明电"
        assert HolidayDay.objects.filter(schedule=schedule, kind="holiday").count() == 10
        assert HolidayDay.objects.get(schedule=schedule, kind="workday").date == D(2027, 2, 20)
        calendar = workdays.year_calendar(2027)
        assert calendar.source == workdays.OFFICE and "本系统录入的2027年节假日安排" in calendar.label
        assert not workdays.is_working_day(D(2027, 2, 8)) and workdays.is_working_day(D(2027, 2, 20))
        # Thursday 4 February + 3 working days: 5–11 off, then 12 (Fri), 15 (Mon), 16 (Tue).
        assert workdays.add_working_days(D(2027, 2, 4), 3) == D(2027, 2, 16)
        audit = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, target__contains="2027")
        assert audit.user == city_admin and audit.details["holidays"] == 10 and audit.details["workdays"] == 1

    def test_a_deadline_already_given_does_not_move(self, client, city_admin, tx):
        with time_machine.travel(at(2027, 2, 4)):
            before = tx.log()
            client.force_login(tx.supervisor)
            post = {"responsible_unit": tx.department.pk, "deadline_workdays": 3}
            assert client.post(reverse("campaigns:ticket-assign", args=[before.number]), post).status_code == 302
            before.refresh_from_db()
            assert before.deadline == D(2027, 2, 9)  # Monday–Friday: 5, 8, 9
            save_2027(city_admin)
            before.refresh_from_db()
            assert before.deadline == D(2027, 2, 9)
            after = tx.log()
            assert client.post(reverse("campaigns:ticket-assign", args=[after.number]), post).status_code == 302
            after.refresh_from_db()
            assert after.deadline == D(2027, 2, 16)

    def test_typing_it_again_replaces_the_year(self, city_admin):
        save_2027(city_admin)
        save_2027(city_admin, rows=[NEW_YEAR_2027])
        assert set(HolidayDay.objects.values_list("festival", flat=True)) == {"元旦"}
        assert workdays.is_working_day(D(2027, 2, 8))

    @pytest.mark.parametrize(
        "rows,message",
        [
            ([("春节", "2月5日至11日", "2月12日")], "本来就是工作日"),
            ([("春节", "2月5日至11日", ""), ("元宵", "2月10日", "")], "都出现了"),
            ([("元旦", "2026-12-31", "")], "不在 2027 年"),
            ([("元旦", "一月一日", "")], "不是日期"),
            ([("元旦", "2月30日", "")], "不是存在的日期"),
            ([("", "1月1日", "")], "节日名称"),
            ([("国庆节", "", "9月26日")], "至少要有一个放假日期"),
        ],
    )
    def test_a_mistake_is_named_and_nothing_is_saved(self, client, city_admin, rows, message):
        client.force_login(city_admin)
        response = client.post(reverse("campaigns:holiday-year-save", args=[2027]), rows_post(rows, "草稿"))
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page and 'role="alert"' in page
        assert rows[0][1] in page and "草稿" in page  # what was typed is still there
        assert not HolidaySchedule.objects.exists() and not HolidayDay.objects.exists()

    def test_dates_the_notice_writes(self):
        assert parse_dates("1月1日至3日", 2027) == [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]
        assert parse_dates("2月20日（周六）、3月6日(星期六)", 2027) == [D(2027, 2, 20), D(2027, 3, 6)]
        assert parse_dates("2027/9/30 ~ 2027/10/2", 2027) == [D(2027, 9, 30), D(2027, 10, 1), D(2027, 10, 2)]
        assert parse_dates(datetime.datetime(2027, 5, 1), 2027) == [D(2027, 5, 1)]
        assert parse_dates("", 2027) == []
        with pytest.raises(ScheduleRefused):
            parse_dates("1月1日至1月3日至5日", 2027)
        with pytest.raises(ScheduleRefused):
            parse_dates("3月1日至2月1日", 2027)


class TestWhoKeepsIt:
    def test_a_district_admin_reads_it_but_cannot_change_it(self, client, city_admin, tx):
        client.force_login(tx.admin)
        page = client.get(reverse("campaigns:holiday-year", args=[2026]))
        assert page.status_code == 200 and "国庆节" in page.content.decode()
        assert "由市创卫办管理员维护" in page.content.decode()
        response = client.post(reverse("campaigns:holiday-year-save", args=[2027]), rows_post([("元旦", "1月1日", "")]))
        assert response.status_code == 403
        assert not HolidaySchedule.objects.exists()
        upload = SimpleUploadedFile("节假日.xlsx", workbook([("元旦", "1月1日", "")]))
        assert client.post(reverse("campaigns:holiday-import", args=[2027]), {"file": upload}).status_code == 403
        assert not HolidayImport.objects.exists()

    def test_a_security_admin_with_no_district_reads_nothing(self, client, tx):
        client.force_login(duty_holder("anquan", Duty.SECURITY))
        assert client.get(reverse("campaigns:holidays")).status_code == 403

    def test_a_year_out_of_range_does_not_exist(self, client, tx):
        client.force_login(tx.admin)
        assert client.get(reverse("campaigns:holiday-year", args=[1999])).status_code == 404


def workbook(rows, header=("节日", "放假日期", "调休上班日期")):
    book = Workbook()
    sheet = book.active
    sheet.title = "节假日安排"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestImport:
    def test_the_notice_imported_from_excel(self, client, city_admin, tx):
        client.force_login(city_admin)
        rows = [
            ("元旦", "1月1日至3日", None),
            ("春节", "2月5日至11日", "2月20日（周六）"),
            ("劳动节", datetime.datetime(2027, 5, 1), None),
        ]
        upload = SimpleUploadedFile("2027节假日.xlsx", workbook(rows))
        response = client.post(reverse("campaigns:holiday-import", args=[2027]), {"file": upload})
        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview.is_clean and preview.added == 3
        assert "2027-02-05至2027-02-11" in response.content.decode()
        assert not HolidaySchedule.objects.exists()  # nothing before the confirm
        record = HolidayImport.objects.get()
        response = client.post(reverse("campaigns:holiday-import-confirm", args=[2027, record.pk]))
        assert response.status_code == 302
        assert workdays.year_calendar(2027).source == workdays.OFFICE
        assert HolidayDay.objects.filter(kind="holiday").count() == 11
        assert "从 Excel 导入：2027节假日.xlsx" in HolidaySchedule.objects.get().source_note
        record.refresh_from_db()
        assert record.status == ImportStatus.DONE and record.rows_added == 3
        audit = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, target__contains="2027")
        assert audit.user == city_admin and audit.details["how"] == "import" and audit.details["holidays"] == 11
        # Confirmed twice (a double click): the first did the work.
        again = client.post(reverse("campaigns:holiday-import-confirm", args=[2027, record.pk]))
        assert again.status_code == 302 and HolidayDay.objects.count() == 12

    def test_a_bad_row_imports_nothing(self, client, city_admin):
        client.force_login(city_admin)
        rows = [("元旦", "1月1日", None), ("春节", "2月5日至11日", "2月12日")]
        upload = SimpleUploadedFile("节假日.xlsx", workbook(rows))
        response = client.post(reverse("campaigns:holiday-import", args=[2027]), {"file": upload})
        assert response.status_code == 400 and "本来就是工作日" in response.content.decode()
        record = HolidayImport.objects.get()
        assert client.post(reverse("campaigns:holiday-import-confirm", args=[2027, record.pk])).status_code == 409
        assert not HolidaySchedule.objects.exists()

    def test_the_template_carries_what_the_package_knows(self, client, city_admin):
        client.force_login(city_admin)
        response = client.get(reverse("campaigns:holiday-template", args=[2026]))
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row[3] != "示例"}
        assert [c.value for c in sheet[1]] == ["节日", "放假日期", "调休上班日期", "示例标记"]
        assert rows["国庆节"][1] == "2026-10-01至2026-10-07" and "2026-10-10" in rows["国庆节"][2]
        unknown = load_workbook(io.BytesIO(client.get(reverse("campaigns:holiday-template", args=[2027])).content))
        festivals = [row[0] for row in unknown.active.iter_rows(min_row=2, values_only=True) if row[3] != "示例"]
        assert festivals[:2] == ["元旦", "春节"]

    def test_the_template_as_downloaded_imports_the_package_year_and_skips_its_example(self, client, city_admin):
        client.force_login(city_admin)
        template = client.get(reverse("campaigns:holiday-template", args=[2026])).content
        upload = SimpleUploadedFile("2026.xlsx", template)
        response = client.post(reverse("campaigns:holiday-import", args=[2026]), {"file": upload})
        assert response.status_code == 200 and "示例行已跳过" in response.content.decode()
        record = HolidayImport.objects.get()
        assert client.post(reverse("campaigns:holiday-import-confirm", args=[2026, record.pk])).status_code == 302
        # The office's copy of 2026 reads exactly as the package did; the example's 春节 dates are not in it.
        ours, package = workdays.year_calendar(2026), workdays.chinesecalendar_year(2026)
        assert ours.source == workdays.OFFICE
        assert ours.days_off == package.days_off and ours.working_weekends == package.working_weekends


class TestReminder:
    def test_from_november_admins_are_told_next_year_is_missing(self, client, city_admin, tx):
        client.force_login(tx.admin)
        with time_machine.travel(at(2026, 10, 31)):
            assert "2027 年节假日安排尚未录入" not in client.get(reverse("campaigns:ticket-list")).content.decode()
        with time_machine.travel(at(2026, 11, 1)):
            page = client.get(reverse("campaigns:ticket-list")).content.decode()
            assert "2027 年节假日安排尚未录入" in page
            client.force_login(tx.staff)
            assert "节假日安排尚未录入" not in client.get(reverse("campaigns:ticket-list")).content.decode()
            save_2027(city_admin)
            client.force_login(tx.admin)
            assert "节假日安排尚未录入" not in client.get(reverse("campaigns:ticket-list")).content.decode()

    def test_in_an_unknown_year_the_pages_that_count_say_so(self, client, tx, duties):
        with time_machine.travel(at(2027, 1, 4, 18)):
            client.force_login(tx.supervisor)
            ticket = tx.log()
            page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
            assert "2027年节假日安排尚未录入，暂按周一至周五计算" in page
            reports = client.get(reverse("campaigns:reports-today", args=[tx.campaign.pk])).content.decode()
            assert "2027年节假日安排尚未录入" in reports
            client.force_login(tx.staff)
            form = client.get(reverse("campaigns:ticket-log")).content.decode()
            assert "工作日依据：2027年节假日安排尚未录入" in form

    def test_in_a_known_year_the_log_form_names_the_package(self, client, tx):
        client.force_login(tx.staff)
        form = client.get(reverse("campaigns:ticket-log")).content.decode()
        assert "工作日依据：2026年国务院节假日安排（chinesecalendar 1.11.0）" in form


def test_the_workflow_counts_on_the_office_schedule(city_admin, tx):
    """A ticket logged on the last working day before 2027's Spring Festival, due in 2 working days."""
    save_2027(city_admin)
    with time_machine.travel(at(2027, 2, 4)):
        ticket = workflow.ticket_assign(
            ticket=tx.log(),
            actor=tx.supervisor,
            unit=tx.department,
            deadline=workdays.add_working_days(D(2027, 2, 4), 2),
        )
    assert ticket.deadline == D(2027, 2, 15)
