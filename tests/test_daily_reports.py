"""The daily report (日报): filing, the ledger's own counts, cutoffs, who may file, compliance."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from campaigns import workflow
from campaigns.models import DailyReport, PhotoKind
from campaigns.selectors.daily_reports import report_compliance, reports_on
from campaigns.services.daily_reports import daily_report_submit

from .factories import UserFactory, member, pending_photo

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


MONDAY = datetime.date(2026, 11, 23)


class TestFiling:
    def test_counts_come_from_the_ledger(self, tx, duties):
        with time_machine.travel(at(MONDAY, 9)):
            tx.log()
            tx.log(actor=tx.supervisor)  # not a member of the street: not counted for it
            ticket = tx.assigned(unit=tx.community)
        with time_machine.travel(at(MONDAY, 11)):
            workflow.ticket_submit_fix(
                ticket=ticket, actor=tx.staff, note="已清理", photos=[pending_photo(tx.staff, PhotoKind.AFTER)]
            )
        with time_machine.travel(at(MONDAY, 16)):
            report = daily_report_submit(
                duty=duties.street, actor=tx.staff, day=MONDAY, points_visited=8, notes="巡查 8 处"
            )
        assert report.problems_found == 2 and report.problems_fixed == 1
        assert not report.is_late and report.points_visited == 8

    def test_zero_report_in_one_tap(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            client.force_login(tx.staff)
            response = client.post(reverse("campaigns:report-submit", args=[duties.street.pk]), {"nothing_found": "on"})
        assert response.status_code == 302
        report = DailyReport.objects.get()
        assert report.nothing_found and report.problems_found == 0 and report.submitted_by == tx.staff

    def test_zero_report_is_refused_when_problems_were_logged(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            tx.log()
            with pytest.raises(ValidationError, match="零报告"):
                daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY, nothing_found=True)

    def test_editable_until_the_cutoff_then_locked(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY, points_visited=3)
        with time_machine.travel(at(MONDAY, 16, 59)):
            report = daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY, points_visited=5)
        assert report.points_visited == 5 and DailyReport.objects.count() == 1
        with time_machine.travel(at(MONDAY, 17, 1)), pytest.raises(ValidationError, match="不能再修改"):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY, points_visited=9)
        report.refresh_from_db()
        assert report.points_visited == 5

    def test_after_the_cutoff_it_is_accepted_as_late(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 18, 30)):
            client.force_login(tx.staff)
            client.post(reverse("campaigns:report-submit", args=[duties.street.pk]), {"points_visited": 4})
            report = DailyReport.objects.get()
            assert report.is_late
            page = client.get(reverse("campaigns:reports-mine")).content.decode()
            assert "已报（迟报）" in page and "不能再修改" in page

    def test_a_change_refused_after_the_cutoff_says_why(self, client, tx, duties):
        """The locked card has no form, but the refusal still reaches the person."""
        with time_machine.travel(at(MONDAY, 18, 30)):
            client.force_login(tx.staff)
            url = reverse("campaigns:report-submit", args=[duties.street.pk])
            client.post(url, {"points_visited": 4})
            response = client.post(url, {"points_visited": 9})
            assert response.status_code == 400
            assert 'role="alert"' in response.content.decode() and "不能再修改" in response.content.decode()
            assert DailyReport.objects.get().points_visited == 4

    def test_filing_a_missed_day_later_is_late(self, tx, duties):
        with time_machine.travel(at(MONDAY, 9)):
            report = daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY - datetime.timedelta(days=1))
        assert report.is_late

    def test_no_reports_for_tomorrow(self, tx, duties):
        with time_machine.travel(at(MONDAY, 9)), pytest.raises(ValidationError, match="提前"):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY + datetime.timedelta(days=1))

    def test_a_group_member_files_for_the_group(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            report = daily_report_submit(duty=duties.group, actor=tx.staff, day=MONDAY)
        assert report.duty == duties.group


class TestWhoMayFile:
    def test_a_unit_files_only_its_own_report(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            with pytest.raises(PermissionDenied):
                daily_report_submit(duty=duties.street, actor=tx.unit_liaison, day=MONDAY)
            client.force_login(tx.unit_liaison)
            response = client.post(reverse("campaigns:report-submit", args=[duties.street.pk]), {"nothing_found": "on"})
            assert response.status_code == 403
            client.force_login(tx.leader)
            assert client.post(reverse("campaigns:report-submit", args=[duties.street.pk]), {}).status_code == 403
        assert DailyReport.objects.count() == 0

    def test_another_district_cannot_reach_the_duty(self, client, tx, td, duties):
        client.force_login(td.staff)
        assert client.post(reverse("campaigns:report-submit", args=[duties.street.pk]), {}).status_code == 404
        assert client.get(reverse("campaigns:report-history", args=[duties.street.pk])).status_code == 404
        assert client.get(reverse("campaigns:reports-today", args=[tx.campaign.pk])).status_code == 404

    def test_staff_see_their_own_duties_only(self, client, tx, duties):
        street2_staff = member(UserFactory(username="street2_staff"), tx.street2, "staff")
        client.force_login(street2_staff)
        assert client.get(reverse("campaigns:reports-mine")).context["cards"] == []
        assert client.get(reverse("campaigns:report-history", args=[duties.street.pk])).status_code == 403
        assert client.get(reverse("campaigns:reports-today", args=[tx.campaign.pk])).status_code == 403
        client.force_login(tx.staff)
        names = [card["duty"].name for card in client.get(reverse("campaigns:reports-mine")).context["cards"]]
        assert names == [tx.street.name, tx.finder_group.name]


class TestDistrictView:
    def test_today_submitted_late_missing_and_pending(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY)
        with time_machine.travel(at(MONDAY, 12)):
            assert {r.duty.pk: r.status for r in reports_on(tx.campaign, MONDAY)} == {
                duties.street.pk: "on_time",
                duties.group.pk: "pending",
            }
        with time_machine.travel(at(MONDAY, 17, 30)):
            client.force_login(tx.supervisor)
            response = client.get(reverse("campaigns:reports-today", args=[tx.campaign.pk]))
            assert response.context["counts"]["on_time"] == 1 and response.context["counts"]["missing"] == 1
            daily_report_submit(duty=duties.group, actor=tx.staff, day=MONDAY)
            assert {r.status for r in reports_on(tx.campaign, MONDAY)} == {"on_time", "late"}

    def test_rest_days_when_the_campaign_reports_on_working_days_only(self, tx, duties):
        duties.schedule.on_rest_days = False
        duties.schedule.save()
        national_day = datetime.date(2026, 10, 1)
        with time_machine.travel(at(national_day, 18)):
            assert {r.status for r in reports_on(tx.campaign, national_day)} == {"rest"}
        make_up_saturday = datetime.date(2026, 10, 10)
        with time_machine.travel(at(make_up_saturday, 18)):
            assert {r.status for r in reports_on(tx.campaign, make_up_saturday)} == {"missing"}

    def test_compliance_counts_working_days_with_holidays(self, tx, duties):
        duties.schedule.on_rest_days = False
        duties.schedule.save()
        # 28 Sep – 11 Oct 2026: working days are 28, 29, 30 Sep, 8, 9, 10 (调休 Saturday) Oct.
        days = [
            datetime.date(2026, 9, 28),
            datetime.date(2026, 9, 29),
            datetime.date(2026, 10, 9),
            datetime.date(2026, 10, 10),
        ]
        for day in days[:3]:
            with time_machine.travel(at(day, 9)):
                daily_report_submit(duty=duties.street, actor=tx.staff, day=day)
        with time_machine.travel(at(days[3], 20)):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=days[3])
        with time_machine.travel(at(datetime.date(2026, 10, 12), 9)):
            rows = {
                row.duty.pk: row
                for row in report_compliance(tx.campaign, datetime.date(2026, 9, 28), datetime.date(2026, 10, 11))
            }
        street, group = rows[duties.street.pk], rows[duties.group.pk]
        assert (street.due, street.on_time, street.late, street.missing) == (6, 3, 1, 2)
        assert (group.due, group.missing, group.rate) == (6, 6, 0.0)

    def test_today_is_not_due_before_its_cutoff(self, tx, duties):
        with time_machine.travel(at(MONDAY, 12)):
            rows = report_compliance(tx.campaign, MONDAY, MONDAY)
        assert all(row.due == 0 for row in rows)
        with time_machine.travel(at(MONDAY, 17, 1)):
            rows = report_compliance(tx.campaign, MONDAY, MONDAY)
        assert all(row.due == 1 and row.missing == 1 for row in rows)

    def test_history_page(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY, notes="走访农贸市场")
            client.force_login(tx.staff)
            html = client.get(reverse("campaigns:report-history", args=[duties.street.pk])).content.decode()
        assert "走访农贸市场" in html

    def test_board_shows_todays_reports(self, client, tx, duties):
        with time_machine.travel(at(MONDAY, 18)):
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY)
            client.force_login(tx.leader)
            reports = client.get(reverse("campaigns:board", args=["TX"])).context["board"].reports
        assert (reports.on_time, reports.late, reports.missing) == (0, 1, 1)
        assert reports.missing_names == [tx.finder_group.name]
