"""Hostile query strings: filters and sort keys that are not offered are ignored, never queried;
another district's ids reveal nothing of it; a period or page that cannot be is replaced by the
default with a message. The answer is never a 500.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from campaigns.models import ChecklistItem, MonthlySummary
from infra.dates import last_full_month

from .factories import form_key
from .hostile import (
    FEW,
    LIST_URL,
    SOME,
    TODAY,
    assert_says_why_in_chinese,
    form_value,
    numbers_in,
    snapshot,
    ticket_queries,
)

FILTER_KEYS = [
    "q",
    "district",
    "state",
    "overdue",
    "mine",
    "street",
    "area",
    "category",
    "responsible_unit",
    "work_group",
    "found_from",
    "found_to",
    "closed_from",
    "closed_to",
    "returned",
    "reopened",
    "checklist_item",
    "sort",
    "page",
]
UNKNOWN_KEYS = [
    "ordering",
    "order_by",
    "o",
    "reported_by__password",
    "reported_by__username__startswith",
    "district__code",
    "state__in",
    "id__gt",
    "format",
    "__proto__",
    "q[]",
]


@pytest.fixture
def ledger(tx, td):
    """铁西区: three tickets in different states; 铁东区: two that 铁西区 must never see."""
    first = tx.log()
    second = tx.assigned(deadline=TODAY() + datetime.timedelta(days=9))
    third = tx.closed()
    td_item = ChecklistItem.objects.create(
        campaign=td.campaign, area=td.area, code="3.1", requirement="铁东任务", full_score=Decimal("5")
    )
    other = [td.assigned(checklist_item=td_item), td.log()]
    return type(
        "Ledger",
        (),
        {"tx": [third.number, second.number, first.number], "td": [t.number for t in other], "td_item": td_item},
    )


def param_values(tx, td, ledger):
    ids = [
        tx.unit.pk,
        td.unit.pk,
        tx.street.pk,
        td.street.pk,
        tx.department.pk,
        td.department.pk,
        tx.area.pk,
        td.area.pk,
        tx.category.pk,
        td.category.pk,
        tx.work_line.pk,
        td.work_line.pk,
        ledger.td_item.pk,
    ]
    return st.one_of(
        form_value(*ids),
        st.sampled_from(
            ["open", "closed", "reported", "-reported_at", "deadline", "-number", "number,deadline", "on", "off"]
        ),
    )


class TestTicketListFilters:
    @SOME
    @given(data=st.data())
    def test_any_query_string_is_a_list_of_own_tickets(self, client, tx, td, ledger, data):
        client.force_login(tx.supervisor)
        values = param_values(tx, td, ledger)
        params = data.draw(st.dictionaries(st.sampled_from(FILTER_KEYS + UNKNOWN_KEYS), values, max_size=5))
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        shown = numbers_in(response)
        assert set(shown) <= set(ledger.tx), shown
        export = client.get(reverse("campaigns:ticket-export", args=["csv"]), params)
        assert export.status_code == 200
        body = b"".join(export.streaming_content).decode("utf-8-sig")
        assert not any(number in body for number in ledger.td)

    @FEW
    @given(data=st.data())
    def test_unknown_parameters_change_nothing(self, client, tx, td, ledger, data):
        client.force_login(tx.supervisor)
        values = param_values(tx, td, ledger)
        known = data.draw(st.dictionaries(st.sampled_from(FILTER_KEYS), values, max_size=3))
        unknown = data.draw(st.dictionaries(st.sampled_from(UNKNOWN_KEYS), values, min_size=1, max_size=3))
        plain = numbers_in(client.get(LIST_URL, known))
        assert numbers_in(client.get(LIST_URL, {**known, **unknown})) == plain

    @pytest.mark.parametrize(
        "sort", ["reported_by__password", "-reported_by__password", "password", "id); DROP TABLE x; --", "1", "?"]
    )
    def test_a_sort_not_offered_is_ignored_and_the_default_order_kept(self, client, tx, ledger, sort):
        client.force_login(tx.supervisor)
        default = numbers_in(client.get(LIST_URL))
        assert default == ledger.tx  # newest first
        assert numbers_in(client.get(LIST_URL, {"sort": "number"})) == ledger.tx[::-1]  # an offered sort does sort
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, {"sort": sort})
        assert response.status_code == 200
        assert numbers_in(response) == default
        assert_says_why_in_chinese(response)  # the sort box says the choice is not valid
        assert not any("password" in sql for sql in ticket_queries(queries))

    @pytest.mark.parametrize(
        "params",
        [
            {"reported_by__password": "pbkdf2_sha256$"},
            {"reported_by__password__startswith": "p"},
            {"ordering": "reported_by__password"},
            {"state__in": "closed,voided"},
            {"district__code": "TD"},
        ],
    )
    def test_field_lookups_in_the_query_string_are_never_queried(self, client, tx, ledger, params):
        client.force_login(tx.supervisor)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert numbers_in(response) == ledger.tx
        sql = " ".join(ticket_queries(queries))
        assert "campaigns_ticket" in sql and "password" not in sql and "pbkdf2" not in sql

    def test_a_quoted_state_is_refused_not_queried(self, client, tx, ledger):
        client.force_login(tx.supervisor)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, {"state": "closed' OR 1=1 --"})
        assert response.status_code == 200
        assert numbers_in(response) == ledger.tx
        assert_says_why_in_chinese(response)
        assert not any("1=1" in sql for sql in ticket_queries(queries))
        assert numbers_in(client.get(LIST_URL, {"state": "closed"})) == [ledger.tx[0]]  # a real state does filter

    @pytest.mark.parametrize("name", ["responsible_unit", "street", "district", "area", "category", "work_group"])
    def test_another_districts_id_reveals_none_of_its_tickets(self, client, tx, td, ledger, name):
        other = {
            "responsible_unit": td.department,
            "street": td.street,
            "district": td.unit,
            "area": td.area,
            "category": td.category,
            "work_group": td.work_line,
        }[name]
        client.force_login(tx.supervisor)
        response = client.get(LIST_URL, {name: other.pk})
        assert response.status_code == 200
        shown = numbers_in(response)
        assert not set(shown) & set(ledger.td)
        assert shown == ledger.tx  # ignored, not "narrowed to nothing"
        if name != "district":  # a one-district person has no district box to complain in
            assert_says_why_in_chinese(response)

    def test_another_districts_task_id_reveals_nothing(self, client, tx, ledger):
        client.force_login(tx.supervisor)
        response = client.get(LIST_URL, {"checklist_item": ledger.td_item.pk})
        assert response.status_code == 200 and numbers_in(response) == []

    @pytest.mark.parametrize(
        "params",
        [
            {"found_to": "9999-12-31"},
            {"found_from": "0001-01-01"},
            {"closed_to": "9999-12-31"},
            {"closed_from": "0001-01-01"},
            {"checklist_item": "9" * 30},
            {"checklist_item": "1e400"},
            {"q": "x" * 60000},
            {"page": "9" * 30},
        ],
    )
    def test_values_that_used_to_overflow_are_refused_with_a_message(self, client, tx, ledger, params):
        client.force_login(tx.supervisor)
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert numbers_in(response) == ledger.tx
        if "page" not in params:
            assert_says_why_in_chinese(response)
        assert client.get(reverse("campaigns:ticket-export", args=["xlsx"]), params).status_code == 200


class TestPeriodsAndPages:
    @SOME
    @given(data=st.data())
    def test_board_rankings_reports_and_checklist_pages(self, client, tx, duties, data):
        client.force_login(tx.supervisor)
        value = form_value(tx.area.pk, tx.department.pk)
        pages = [
            (reverse("campaigns:rankings", args=[tx.unit.code]), ["start", "end", "basis"]),
            (reverse("campaigns:board", args=[tx.unit.code]), ["period", "week", "start"]),
            (reverse("campaigns:reports-today", args=[tx.campaign.pk]), ["date"]),
            (reverse("campaigns:report-history", args=[duties.street.pk]), ["page"]),
            (
                reverse("campaigns:checklist", args=[tx.campaign.pk]),
                ["q", "area", "unit", "status", "overdue", "at_risk", "by"],
            ),
            (reverse("campaigns:summaries", args=[tx.unit.code]), ["month"]),
            (reverse("campaigns:notifications"), ["page", "unread"]),
        ]
        url, keys = data.draw(st.sampled_from(pages))
        params = data.draw(st.dictionaries(st.sampled_from(keys + UNKNOWN_KEYS), value, max_size=4))
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)

    @FEW
    @given(month=form_value())
    def test_monthly_summary_month(self, client, tx, settings, month):
        client.force_login(tx.admin)
        before = snapshot(settings)
        response = client.post(
            reverse("campaigns:summary-create", args=[tx.unit.code]), {"month": month, "submission": form_key()}
        )
        assert response.status_code == 302
        created = MonthlySummary.objects.count() > len(before[0]["MonthlySummary"])
        if not created:
            assert_says_why_in_chinese(client.get(response["Location"]))
            assert snapshot(settings) == before
        else:
            assert MonthlySummary.objects.order_by("-pk").first().month.year >= 2000

    @pytest.mark.parametrize(
        "params", [{"start": "0001-01-01"}, {"start": "0001-01-01", "end": "0001-01-01"}, {"end": "garbage"}]
    )
    def test_a_period_that_cannot_be_is_replaced_by_the_default_with_a_message(self, client, tx, params):
        client.force_login(tx.supervisor)
        response = client.get(reverse("campaigns:rankings", args=[tx.unit.code]), params)
        assert response.status_code == 200
        assert_says_why_in_chinese(response)
        assert response.context["start"] == last_full_month(TODAY())[0]  # the default period's start

    def test_day_zero_of_the_daily_reports(self, client, tx, duties):
        client.force_login(tx.supervisor)
        response = client.get(reverse("campaigns:reports-today", args=[tx.campaign.pk]), {"date": "0001-01-01"})
        assert response.status_code == 200 and response.context["day"] == TODAY()
