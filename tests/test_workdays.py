"""Working days with China's statutory holidays and make-up working days (调休)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import TicketState
from campaigns.workdays import add_working_days, calendar_covers, is_working_day, working_days_between

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "day,working",
    [
        (D(2026, 10, 1), False),  # National Day, a Thursday
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # a Saturday made a working day (调休)
        (D(2026, 9, 20), True),  # a Sunday made a working day
        (D(2026, 2, 14), True),  # Spring Festival make-up Saturday
        (D(2026, 2, 17), False),  # Spring Festival
        (D(2026, 11, 21), False),  # an ordinary Saturday
        (D(2026, 11, 23), True),  # an ordinary Monday
    ],
)
def test_holidays_and_make_up_days(day, working):
    assert is_working_day(day) is working


def test_adding_working_days_skips_the_golden_week():
    # From 30 September, three working days: 8 and 9 October, then the make-up Saturday.
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Friday → Monday
    assert add_working_days(D(2026, 11, 20), 0) == D(2026, 11, 20)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3


def test_a_year_without_data_falls_back_to_weekdays():
    assert calendar_covers(D(2026, 6, 1))
    assert not calendar_covers(D(2031, 6, 2))
    assert is_working_day(D(2031, 6, 2))  # a Monday
    assert not is_working_day(D(2031, 6, 7))  # a Saturday


@time_machine.travel(datetime.datetime(2026, 9, 30, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
def test_assigning_in_working_days(client, tx):
    ticket = tx.log()
    client.force_login(tx.supervisor)
    response = client.post(
        reverse("campaigns:ticket-assign", args=[ticket.number]),
        {"responsible_unit": tx.department.pk, "deadline": "", "deadline_workdays": 3},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED and ticket.deadline == D(2026, 10, 10)


def test_assign_needs_a_date_or_working_days(client, tx):
    ticket = tx.log()
    client.force_login(tx.supervisor)
    response = client.post(
        reverse("campaigns:ticket-assign", args=[ticket.number]), {"responsible_unit": tx.department.pk, "deadline": ""}
    )
    assert response.status_code == 400 and "几个工作日内完成" in response.content.decode()
