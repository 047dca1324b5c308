"""疑似重复 and 重复问题合并 (issue 19 part 5): stories of the same overflowing bin logged twice.

Every story runs on the suite's frozen clock (Friday 2026-12-04, 10:00 Beijing) and moves it
with time-machine where a story needs hours or days to pass.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    AuditEvent,
    AuditKind,
    DuplicateBasis,
    DuplicateDecision,
    DuplicateSuggestion,
    InspectionPoint,
    Role,
    Ticket,
    TicketAction,
    TicketDay,
    TicketState,
)
from campaigns.selectors.board import board_build
from campaigns.services.duplicates import distance_m, duplicates_suggest
from campaigns.services.tally import tally_check

from .factories import UserFactory, member


@pytest.fixture
def li(tx):
    """李敏, a second 网格员 of the same street, who walks past the same market later."""
    return member(UserFactory(username="tx_li", first_name="李敏"), tx.street, Role.STAFF)


@pytest.fixture
def log(django_capture_on_commit_callbacks):
    """Log through the workflow as the log page does, the after-commit comparison included."""

    def logged(district, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return district.log(**kwargs)

    return logged


def later(hours=0, days=0):
    return time_machine.travel(timezone.now() + datetime.timedelta(hours=hours, days=days), tick=True)


def near(point, metres_north, name):
    """Another point of the same street, `metres_north` north of `point`."""
    lat = point.latitude + Decimal(str(round(metres_north / 111_195, 6)))
    return InspectionPoint.objects.create(
        unit=point.unit,
        point_type=point.point_type,
        name=name,
        address="中心路",
        latitude=lat,
        longitude=point.longitude,
    )


@pytest.fixture
def bin_twice(tx, li, log):
    """The 网格员 logs the overflowing bin at the market at 10:00; 李敏 logs it again at 13:00."""
    first = log(tx)
    with later(hours=3):
        second = log(tx, actor=li, description="市场门口垃圾桶满了，垃圾散落一地")
    return first, second


def test_the_same_bin_logged_twice_is_suggested_and_merged_into_one_open_ticket(tx, li, bin_twice, client):
    first, second = bin_twice
    suggestion = DuplicateSuggestion.objects.get()
    assert (suggestion.ticket, suggestion.candidate) == (second, first)
    assert suggestion.basis == DuplicateBasis.SAME_POINT and suggestion.decision == ""

    client.force_login(tx.supervisor)
    queue = client.get(reverse("campaigns:duplicates", args=["TX"]))
    assert queue.status_code == 200
    assert first.number in queue.text and second.number in queue.text and "同一点位" in queue.text
    assert "疑似重复" in client.get(reverse("campaigns:ticket-list")).text
    assert "疑似重复" in client.get(reverse("campaigns:ticket-detail", args=[second.number])).text

    merge = reverse("campaigns:duplicate-merge", args=[suggestion.pk])
    response = client.post(merge, {"keep": "candidate", "note": "同一个垃圾桶"})
    assert response.status_code == 302 and response["Location"].endswith(f"/tickets/{first.number}/")

    first.refresh_from_db(), second.refresh_from_db()
    assert first.state == TicketState.REPORTED and first.merged_into is None
    assert second.state == TicketState.VOIDED and second.merged_into == first
    assert second.events.filter(action=TicketAction.MERGE).get().details == {"into": first.number}
    merged_in = first.events.filter(action=TicketAction.MERGE_IN).get()
    assert merged_in.details["duplicate"] == second.number and merged_in.details["reported_by"] == "李敏"
    suggestion.refresh_from_db()
    assert suggestion.decision == DuplicateDecision.MERGED and suggestion.decided_by == tx.supervisor
    assert AuditEvent.objects.filter(kind=AuditKind.TICKET_MERGE, target=f"{second.number} → {first.number}").exists()

    # The kept ticket shows both reporters and both sources; the duplicate links to it.
    page = client.get(reverse("campaigns:ticket-detail", args=[first.number])).text
    assert "网格员" in page and "李敏" in page and second.number in page and "问题来源" in page
    assert first.number in client.get(reverse("campaigns:ticket-detail", args=[second.number])).text

    # Counted once: one open problem found today on the board, the rollups still add up.
    figures = board_build(tx.unit).figures
    assert figures["open"] == 1 and figures["found_this_week"] == 1 and figures["total"] == 1
    assert sum(TicketDay.objects.filter(kind=TicketDay.Kind.FOUND).values_list("tickets", flat=True)) == 1
    assert tally_check() == {}

    # The same form sent again makes no second merge, and the queue is empty.
    again = client.post(merge, {"keep": "candidate"})
    assert again.status_code == 302 and again["Location"].endswith(f"/tickets/{first.number}/")
    assert first.events.filter(action=TicketAction.MERGE_IN).count() == 1
    empty = client.get(reverse("campaigns:duplicates", args=["TX"]))
    assert "没有待判断的疑似重复" in empty.text


def test_keeping_both_closes_the_suggestion_on_record(tx, bin_twice, client):
    first, second = bin_twice
    suggestion = DuplicateSuggestion.objects.get()
    client.force_login(tx.supervisor2)
    queue_url = reverse("campaigns:duplicates", args=["TX"])
    response = client.post(
        reverse("campaigns:duplicate-keep", args=[suggestion.pk]), {"note": "一个在门口，一个在后院", "next": queue_url}
    )
    assert response.status_code == 302 and response["Location"] == queue_url
    suggestion.refresh_from_db()
    assert suggestion.decision == DuplicateDecision.KEPT_BOTH
    assert (suggestion.decided_by, suggestion.note) == (tx.supervisor2, "一个在门口，一个在后院")
    assert Ticket.objects.filter(state=TicketState.REPORTED).count() == 2
    assert "没有待判断的疑似重复" in client.get(queue_url).text
    assert "疑似重复" not in client.get(reverse("campaigns:ticket-detail", args=[second.number])).text
    # A merge sent for a pair already judged different is still possible, on purpose.
    workflow.duplicate_keep_both(suggestion=suggestion, actor=tx.supervisor, note="再判一次")
    suggestion.refresh_from_db()
    assert suggestion.decided_by == tx.supervisor2  # the first decision stands


def test_merging_the_older_into_the_newer_keeps_the_newer(tx, bin_twice, client):
    first, second = bin_twice
    client.force_login(tx.admin)
    suggestion = DuplicateSuggestion.objects.get()
    client.post(reverse("campaigns:duplicate-merge", args=[suggestion.pk]), {"keep": "ticket"})
    first.refresh_from_db()
    assert first.merged_into == second and first.state == TicketState.VOIDED


def test_an_assigned_duplicate_merges_and_leaves_its_units_cell(tx, li, log):
    first = tx.assigned()
    with later(hours=1):
        second = log(tx, actor=li)
    assert DuplicateSuggestion.objects.filter(ticket=second, candidate=first).exists()
    workflow.ticket_merge(duplicate=first, into=second, actor=tx.supervisor, note="")
    first.refresh_from_db()
    assert first.state == TicketState.VOIDED and first.merged_into == second
    assert tally_check() == {}


def test_nothing_is_suggested_for_another_category_a_far_point_an_old_or_closed_problem(tx, li, log):
    tx.point.latitude, tx.point.longitude = Decimal("43.166000"), Decimal("124.350000")
    tx.point.save()
    far = near(tx.point, 400, "铁西区第二农贸市场")
    with later(days=-8):
        log(tx)  # eight days ago: older than the campaign's 7 days
    closed = tx.closed()
    with later(hours=1):
        log(tx, actor=li, category=tx.category2)  # 鼠迹, not 垃圾暴露
        log(tx, actor=li, point=far)  # 400 m away
        log(tx, actor=li, point=None, place="二街口", street=tx.street2)  # no point, another place
    assert closed.state == TicketState.CLOSED
    assert set(DuplicateSuggestion.objects.values_list("ticket__point_id", "candidate_id")) <= set()


def test_a_point_thirty_metres_away_is_suggested_with_its_distance(tx, li, log):
    tx.point.latitude, tx.point.longitude = Decimal("43.166000"), Decimal("124.350000")
    tx.point.save()
    gate = near(tx.point, 30, "铁西区农贸市场北门")
    first = log(tx)
    with later(hours=2):
        second = log(tx, actor=li, point=gate)
    suggestion = DuplicateSuggestion.objects.get()
    assert (suggestion.ticket, suggestion.candidate, suggestion.basis) == (second, first, DuplicateBasis.NEARBY)
    assert 28 <= suggestion.distance_m <= 32


def test_the_campaign_settings_decide_distance_and_days(tx, li, log):
    tx.point.latitude, tx.point.longitude = Decimal("43.166000"), Decimal("124.350000")
    tx.point.save()
    gate = near(tx.point, 30, "铁西区农贸市场北门")
    tx.campaign.duplicate_radius_m = 20
    tx.campaign.duplicate_days = 2
    tx.campaign.save()
    log(tx)
    with later(hours=1):
        log(tx, actor=li, point=gate)  # 30 m > 20 m
    assert not DuplicateSuggestion.objects.exists()
    with later(days=3):
        log(tx, actor=li)  # the same point, but three days on
    assert not DuplicateSuggestion.objects.exists()
    tx.campaign.duplicate_days = 0  # 0: compare nothing
    tx.campaign.save()
    with later(days=3, hours=1):
        log(tx, actor=li)
    assert not DuplicateSuggestion.objects.exists()


def test_the_same_written_place_without_a_point_is_suggested(tx, li, log):
    first = log(tx, point=None, place="北沟社区3号楼", street=tx.street)
    with later(hours=1):
        second = log(tx, actor=li, point=None, place="北沟社区3号楼", street=tx.street)
    assert DuplicateSuggestion.objects.get().basis == DuplicateBasis.SAME_PLACE
    assert DuplicateSuggestion.objects.get().ticket == second and first.pk


def test_computing_again_adds_nothing(tx, bin_twice):
    _first, second = bin_twice
    assert duplicates_suggest(second.pk) == 0
    assert DuplicateSuggestion.objects.count() == 1


def test_distance_is_measured_on_the_sphere():
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert round(distance_m(43.166, 124.35, 43.167, 124.35)) == 111
    assert distance_m(43.166, 124.35, 43.166, 124.35) == 0


def test_staff_and_leaders_cannot_decide_and_another_district_is_not_there(tx, td, city_admin, bin_twice, client):
    suggestion = DuplicateSuggestion.objects.get()
    merge = reverse("campaigns:duplicate-merge", args=[suggestion.pk])
    keep = reverse("campaigns:duplicate-keep", args=[suggestion.pk])
    queue = reverse("campaigns:duplicates", args=["TX"])
    for person in (tx.staff, tx.leader):
        client.force_login(person)
        assert client.get(queue).status_code == 403
        assert client.post(merge, {"keep": "candidate"}).status_code == 403
        assert client.post(keep).status_code == 403
        assert "疑似重复" not in client.get(reverse("campaigns:ticket-list")).text
    client.force_login(td.supervisor)
    assert client.get(queue).status_code == 404
    assert client.post(merge, {"keep": "candidate"}).status_code == 404
    assert client.post(keep).status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.decision == "" and Ticket.objects.filter(merged_into__isnull=False).count() == 0
    # Staff cannot merge through the verb either.
    with pytest.raises(workflow.ActionForbidden):
        workflow.ticket_merge(duplicate=suggestion.ticket, into=suggestion.candidate, actor=tx.staff)


def test_only_open_tickets_of_one_district_merge(tx, td, city_admin):
    open_tx, closed_tx, open_td = tx.log(), tx.closed(), td.log()
    with pytest.raises(workflow.TransitionRefused):
        workflow.ticket_merge(duplicate=open_tx, into=closed_tx, actor=tx.supervisor)
    with pytest.raises(workflow.TransitionRefused):
        workflow.ticket_merge(duplicate=closed_tx, into=open_tx, actor=tx.supervisor)
    with pytest.raises(workflow.TransitionRefused):  # the city office sees both, merges neither
        workflow.ticket_merge(duplicate=open_td, into=open_tx, actor=city_admin)
    with pytest.raises(workflow.TransitionRefused):
        workflow.ticket_merge(duplicate=open_tx, into=open_tx, actor=tx.supervisor)
    with pytest.raises(workflow.TicketNotFound):  # another district's ticket is not there for tx
        workflow.ticket_merge(
            duplicate=workflow.TicketRef(open_td.number, frozenset({tx.unit.pk})),
            into=workflow.TicketRef(open_tx.number, frozenset({tx.unit.pk})),
            actor=tx.supervisor,
        )
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()


def test_a_merge_without_a_choice_changes_nothing(tx, bin_twice, client):
    suggestion = DuplicateSuggestion.objects.get()
    client.force_login(tx.supervisor)
    response = client.post(reverse("campaigns:duplicate-merge", args=[suggestion.pk]), {})
    assert response.status_code == 400 and "请选择保留哪一张工单" in response.text
    assert not Ticket.objects.filter(state=TicketState.VOIDED).exists()


def test_tickets_merged_before_follow_into_the_ticket_kept(tx, li, log):
    a = tx.log()
    b = tx.log(actor=li)
    c = tx.log()
    workflow.ticket_merge(duplicate=a, into=b, actor=tx.supervisor)
    workflow.ticket_merge(duplicate=b, into=c, actor=tx.supervisor)
    assert set(Ticket.objects.filter(merged_into=c).values_list("number", flat=True)) == {a.number, b.number}
    assert c.events.get(action=TicketAction.MERGE_IN).details["also"] == [a.number]


def test_the_queue_reads_a_fixed_number_of_queries(tx, li, log, client, django_assert_max_num_queries):
    client.force_login(tx.supervisor)
    url = reverse("campaigns:duplicates", args=["TX"])
    log(tx)
    with later(hours=1):
        log(tx, actor=li)
    client.get(url)  # warm the session, the scope and the bell
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    counted = len(one.captured_queries)  # now: the log of queries is a ring that moves on
    with later(hours=2):
        for _ in range(6):
            log(tx, actor=li)
    assert DuplicateSuggestion.objects.count() > 6
    client.get(url)  # the bell's count is fresh again (the new problems told the supervisor)
    with django_assert_max_num_queries(counted):
        response = client.get(url)
    assert response.status_code == 200 and response.context["page"].paginator.count > 6
    assert counted <= 8


def test_a_pair_whose_older_ticket_was_closed_meanwhile_is_not_merged(tx, li, client, log):
    first = tx.submitted()
    with later(hours=1):
        second = log(tx, actor=li)
    suggestion = DuplicateSuggestion.objects.get(ticket=second, candidate=first)
    workflow.ticket_close_out(ticket=first, actor=tx.supervisor2, note="已清理")
    client.force_login(tx.supervisor)
    assert "没有待判断的疑似重复" in client.get(reverse("campaigns:duplicates", args=["TX"])).text
    response = client.post(reverse("campaigns:duplicate-merge", args=[suggestion.pk]), {"keep": "candidate"})
    assert response.status_code == 409 and "未能合并" in response.text
    second.refresh_from_db()
    assert second.state == TicketState.REPORTED and second.merged_into is None
