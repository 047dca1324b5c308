"""A problem an inspection round found becomes a ticket of the normal chain, tagged with its round."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    InspectionRound,
    RoundFinding,
    RoundKind,
    RoundLevel,
    TicketState,
)

from .factories import pending_photo


@pytest.fixture
def city_round(tx, city_admin):
    """市督查第 3 期: its letter dated Monday 30 November gives ten working days."""
    inspection_round = InspectionRound.objects.create(
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.CITY,
        name="市督查第 3 期",
        starts_on=datetime.date(2026, 11, 23),
        ends_on=datetime.date(2026, 11, 27),
        letter_date=datetime.date(2026, 11, 30),
        deadline_working_days=10,
        created_by=city_admin,
    )
    inspection_round.districts.add(tx.unit)
    return inspection_round


def record(tx, inspection_round, **facts):
    """A finding of the round in 铁西区, recorded by its supervisor in the campaign's first category."""
    return workflow.finding_record(
        inspection_round=inspection_round, actor=tx.supervisor, campaign=tx.campaign, category=tx.category, **facts
    )


def test_a_failed_check_becomes_a_ticket_tagged_with_its_round(tx, city_round):
    finding = record(
        tx,
        city_round,
        description="农贸市场西侧垃圾桶满溢",
        point=tx.point,
        photos=[pending_photo(tx.supervisor)],
    )
    ticket = finding.ticket
    assert (finding.serial, ticket.inspection_round, ticket.state) == (1, city_round, TicketState.REPORTED)
    assert ticket.photos.count() == 1


def test_a_problem_list_row_may_come_without_photos_and_straight_to_its_unit(tx, city_round):
    # Ten working days after Monday 30 November (whatever today is: the letter's date counts).
    assert workflow.finding_deadline(city_round, timezone.localdate()) == datetime.date(2026, 12, 14)
    deadline = timezone.localdate() + datetime.timedelta(days=14)
    finding = record(
        tx,
        city_round,
        description="北沟社区楼道堆物",
        street=tx.street,
        place="北沟社区 3 号楼",
        assignment={"unit": tx.department, "person": "", "deadline": deadline},
        serial=17,
    )
    assert finding.serial == 17
    assert (finding.ticket.state, finding.ticket.deadline) == (TicketState.ASSIGNED, deadline)
    second = record(
        tx,
        city_round,
        description="北沟社区 5 号楼堆物",
        street=tx.street,
        place="北沟社区 5 号楼",
    )
    assert second.serial == 18  # the round's next number in this district
    assert RoundFinding.objects.filter(inspection_round=city_round).count() == 2


def test_a_patrol_log_still_needs_a_photo(tx):
    with pytest.raises(workflow.TransitionRefused, match="照片"):
        workflow.ticket_log(
            actor=tx.staff, campaign=tx.campaign, category=tx.category, description="无照片", point=tx.point, photos=[]
        )


def test_the_ticket_page_names_the_round_as_its_source(client, tx, city_round):
    """The district's supervisor opens a finding's ticket: 来源 is the round and its letter."""
    city_round.letter_number = "四创卫办督〔2026〕3号"
    city_round.save(update_fields=["letter_number"])
    finding = record(
        tx,
        city_round,
        description="农贸市场西侧垃圾桶满溢",
        point=tx.point,
        photos=[pending_photo(tx.supervisor)],
    )
    patrol = tx.log()
    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:ticket-detail", args=[finding.ticket.number])).content.decode()
    assert "<dt>来源</dt><dd>市督查第 3 期 · 四创卫办督〔2026〕3号</dd>" in page
    assert "<dt>来源</dt>" not in client.get(reverse("campaigns:ticket-detail", args=[patrol.number])).content.decode()
