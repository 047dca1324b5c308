"""Reminders on a schedule: each rule at frozen times, holidays and 调休, and at most once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from campaigns.models import Delivery, Notification, NotificationKind, TicketState
from campaigns.services.daily_reports import daily_report_submit
from campaigns.services.reminders import escalation_level, reminders_run
from campaigns.tasks import send_due_reminders

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.date(2026, 11, 23)


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def told(kind=None):
    notes = Notification.objects.all()
    if kind:
        notes = notes.filter(kind=kind)
    return sorted((n.recipient.username, n.occasion.split(":")[0]) for n in notes)


@pytest.fixture
def emails(tx, td, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user in (tx.staff, tx.supervisor, tx.supervisor2, tx.admin, tx.unit_liaison):
        user.email = f"{user.username}@example.gov.cn"
        user.save()


class TestReportReminder:
    def test_before_remind_time_nothing(self, tx, duties):
        reminders_run(at(MONDAY, 14, 59))
        assert told() == []

    def test_units_that_have_not_reported_are_reminded(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.group, actor=tx.staff, day=MONDAY)
        reminders_run(at(MONDAY, 15, 5))
        # The street has not reported: its people are told; the group reported: nobody is.
        assert told(NotificationKind.REPORT_REMINDER) == [("tx_staff", "report-remind")]

    def test_no_reminder_after_the_cutoff(self, tx, duties):
        reminders_run(at(MONDAY, 17, 1))
        assert told(NotificationKind.REPORT_REMINDER) == []

    def test_holiday_is_quiet_and_make_up_saturday_is_not(self, tx, duties):
        duties.schedule.on_rest_days = False
        duties.schedule.save()
        reminders_run(at(datetime.date(2026, 10, 1), 15, 30))
        assert told() == []
        reminders_run(at(datetime.date(2026, 10, 10), 15, 30))  # 调休: a working Saturday
        # The staffer reports for the street and for the finder group: two duties, two reminders.
        assert told(NotificationKind.REPORT_REMINDER) == [("tx_staff", "report-remind")] * 2

    def test_every_day_campaign_reminds_on_a_holiday(self, tx, duties):
        reminders_run(at(datetime.date(2026, 10, 1), 15, 30))
        assert len(told(NotificationKind.REPORT_REMINDER)) >= 1


class TestMissedList:
    def test_supervisors_get_the_list_after_the_cutoff(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.group, actor=tx.staff, day=MONDAY)
        reminders_run(at(MONDAY, 17, 10))
        assert told(NotificationKind.REPORT_MISSED) == []  # list goes out at 17:30
        reminders_run(at(MONDAY, 17, 35))
        assert told(NotificationKind.REPORT_MISSED) == [
            ("tx_supervisor", "report-missed"),
            ("tx_supervisor2", "report-missed"),
        ]
        note = Notification.objects.filter(kind=NotificationKind.REPORT_MISSED).first()
        assert tx.street.name in note.body and tx.finder_group.name not in note.body

    def test_nothing_when_everyone_reported(self, tx, duties):
        with time_machine.travel(at(MONDAY, 10)):
            daily_report_submit(duty=duties.group, actor=tx.staff, day=MONDAY)
            daily_report_submit(duty=duties.street, actor=tx.staff, day=MONDAY)
        reminders_run(at(MONDAY, 18))
        assert told(NotificationKind.REPORT_MISSED) == []


class TestTicketReminders:
    def test_due_within_a_day_reminds_the_unit(self, tx, duties):
        with time_machine.travel(at(MONDAY, 8)):
            due = tx.assigned(deadline=MONDAY + datetime.timedelta(days=1))
            tx.assigned(deadline=MONDAY + datetime.timedelta(days=3))
        reminders_run(at(MONDAY, 8, 50))
        assert told(NotificationKind.TICKET_DUE_SOON) == []
        reminders_run(at(MONDAY, 9, 5))
        assert told(NotificationKind.TICKET_DUE_SOON) == [("tx_unit", "due-soon")]
        body = Notification.objects.get(kind=NotificationKind.TICKET_DUE_SOON).body
        assert due.number in body and "明天到期" in body and body.count("TX-") == 1

    @pytest.mark.parametrize(
        "days_late,audience",
        [
            (1, ["tx_unit"]),
            (4, ["tx_supervisor", "tx_supervisor2", "tx_unit"]),
            (8, ["tx_admin", "tx_supervisor", "tx_supervisor2", "tx_unit"]),
        ],
    )
    def test_overdue_digest_escalates(self, tx, duties, days_late, audience):
        deadline = MONDAY - datetime.timedelta(days=days_late)
        with time_machine.travel(at(deadline - datetime.timedelta(days=1), 9)):
            ticket = tx.assigned(deadline=deadline)
        reminders_run(at(MONDAY, 8, 35))
        got = sorted({name for name, occasion in told(NotificationKind.TICKET_OVERDUE)})
        assert got == audience
        assert ticket.number in Notification.objects.filter(kind=NotificationKind.TICKET_OVERDUE).first().body

    def test_closed_tickets_are_not_chased(self, tx, duties):
        with time_machine.travel(at(MONDAY - datetime.timedelta(days=5), 9)):
            ticket = tx.closed(deadline=MONDAY - datetime.timedelta(days=2))
        assert ticket.state == TicketState.CLOSED
        reminders_run(at(MONDAY, 9, 30))
        assert told(NotificationKind.TICKET_OVERDUE) == []

    def test_escalation_levels(self):
        assert escalation_level(1)[2] == ("unit",)
        assert escalation_level(3)[2] == ("unit", "supervisors")
        assert escalation_level(30)[2] == ("unit", "supervisors", "admins")


class TestAtMostOnce:
    def test_a_duplicated_beat_sends_nothing_new(self, tx, duties, emails):
        with time_machine.travel(at(MONDAY, 8)):
            tx.assigned(deadline=MONDAY - datetime.timedelta(days=0) + datetime.timedelta(days=1))
        first = reminders_run(at(MONDAY, 15, 10))
        count = Notification.objects.count()
        second = reminders_run(at(MONDAY, 15, 10))
        third = reminders_run(at(MONDAY, 15, 40))  # the next tick the same afternoon
        assert count > 0 and Notification.objects.count() == count
        assert first and second == [] and third == []
        assert Delivery.objects.count() == len(first)

    def test_a_retried_task_sends_each_mail_once(self, tx, duties, emails, django_capture_on_commit_callbacks):
        with time_machine.travel(at(MONDAY, 15, 10)), django_capture_on_commit_callbacks(execute=True):
            send_due_reminders.delay()
            send_due_reminders.apply()  # the same task run again, as after a worker restart
        recipients = sorted(address for message in mail.outbox for address in message.to)
        assert recipients == ["tx_staff@example.gov.cn"] * 2  # the street's reminder and the group's
        assert len({message.subject for message in mail.outbox}) == 2
        assert mail.outbox[0].subject.startswith("[创卫台账]")
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}

    def test_the_next_day_is_a_new_occasion(self, tx, duties):
        reminders_run(at(MONDAY, 15, 10))
        reminders_run(at(MONDAY + datetime.timedelta(days=1), 15, 10))
        occasions = set(Notification.objects.values_list("occasion", flat=True))
        assert len(occasions) == 4  # two duties on two days
        assert {occasion.rsplit(":", 1)[1] for occasion in occasions} == {"2026-11-23", "2026-11-24"}
