"""The end of the 交办 chain on screen: my tasks per level, the ticket page, the setup page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import AuditEvent, ClosingLevel, PhotoKind, Role, TicketAction, TicketEvent, TicketState
from campaigns.selectors.tasks import my_tasks
from tests.factories import pending_photo, photo_upload

from .test_closing_chain import two_levels

pytestmark = pytest.mark.django_db


def lists_of(user):
    return {task.key: {t.number for t in task.tickets} for task in my_tasks(user)}


class TestMyTasks:
    def test_each_level_sees_the_fixes_waiting_at_its_own_level(self, tx):
        checker = two_levels(tx, photo_at_street=False)
        waiting_street = tx.submitted()
        passed = workflow.ticket_review(ticket=tx.submitted(), actor=checker)
        # 周 (the street's group) sees the first; supervisor2 (创卫办) sees the second.
        assert lists_of(checker)["verify"] == {waiting_street.number}
        assert lists_of(tx.supervisor2)["verify"] == {passed.number}
        # tx.supervisor is in the street group and a supervisor: both levels are his.
        assert lists_of(tx.supervisor)["verify"] == {waiting_street.number, passed.number}
        # The unit liaison verifies nothing.
        assert "verify" not in lists_of(tx.unit_liaison)

    def test_a_co_unit_sees_its_part_and_the_street_its_due_recheck(self, tx):
        helped = workflow.ticket_assign(
            ticket=tx.log(),
            actor=tx.supervisor,
            unit=tx.department,
            deadline=timezone.localdate() + datetime.timedelta(days=3),
            co_units=[tx.street],
        )
        closed = tx.closed()
        assert lists_of(tx.staff)["help"] == {helped.number}
        assert "recheck" not in lists_of(tx.staff)  # not due before day 7
        with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
            assert lists_of(tx.staff)["recheck"] == {closed.number}
            assert "recheck" not in lists_of(tx.unit_liaison)

    def test_the_staff_page_costs_the_same_with_more_tickets(self, client, tx):
        client.force_login(tx.staff)
        url = reverse("campaigns:my-tasks")

        def grow(n):
            for _ in range(n):
                tx.closed()
                workflow.ticket_assign(
                    ticket=tx.log(),
                    actor=tx.supervisor,
                    unit=tx.department,
                    deadline=timezone.localdate() + datetime.timedelta(days=3),
                    co_units=[tx.street],
                )

        def count():
            from infra.fragments import district_touch

            district_touch(tx.unit.pk)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            return len(ctx.captured_queries)

        grow(2)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=8), tick=False):
            client.force_login(tx.staff)
            client.get(url)
            small = count()
        grow(4)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=8), tick=False):
            client.force_login(tx.staff)
            large = count()
            assert "待复查" in client.get(url).content.decode()
        assert large == small


class TestTicketPage:
    def test_the_page_shows_the_chain_and_where_the_fix_stands(self, client, tx, django_capture_on_commit_callbacks):
        checker = two_levels(tx, photo_at_street=True)
        ticket = tx.submitted()
        client.force_login(checker)
        page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "第1级：街道自查" in page and "第2级：创卫办销号" in page
        assert reverse("campaigns:ticket-review", args=[ticket.number]) in page
        # Without the site photo the level refuses, and nothing changes.
        response = client.post(reverse("campaigns:ticket-review", args=[ticket.number]), {"note": "看过了"})
        assert response.status_code == 409
        assert "现场核验照片" in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):  # the page's kept fragment goes stale
            response = client.post(
                reverse("campaigns:ticket-review", args=[ticket.number]), {"note": "看过了", "photos": photo_upload()}
            )
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.review_level == 1 and ticket.photos.filter(kind=PhotoKind.REVIEW).count() == 1
        client.force_login(tx.supervisor2)
        page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "第2级：创卫办销号" in page and "✓" in page

    def test_the_page_shows_the_lead_and_co_units_with_their_parts(self, client, tx):
        ticket = workflow.ticket_assign(
            ticket=tx.log(),
            actor=tx.supervisor,
            unit=tx.department,
            deadline=timezone.localdate() + datetime.timedelta(days=3),
            co_units=[tx.street, tx.department2],
        )
        workflow.ticket_submit_part(
            ticket=ticket, actor=tx.staff, note="已清运", photos=[pending_photo(tx.staff, PhotoKind.PART)]
        )
        client.force_login(tx.unit_liaison)
        page = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "主办单位" in page and "协办单位" in page
        assert tx.street.name in page and "已提交" in page and "待提交" in page

    def test_co_units_are_chosen_on_the_assign_form(self, client, tx):
        ticket = tx.log()
        client.force_login(tx.supervisor)
        deadline = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
        url = reverse("campaigns:ticket-assign", args=[ticket.number])
        response = client.post(
            url, {"responsible_unit": tx.department.pk, "deadline": deadline, "co_units": [tx.department.pk]}
        )
        assert response.status_code == 400 and "主办单位不能同时是协办单位" in response.content.decode()
        response = client.post(
            url, {"responsible_unit": tx.department.pk, "deadline": deadline, "co_units": [tx.street.pk]}
        )
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.co_units_count == 1
        event = TicketEvent.objects.get(ticket=ticket, action=TicketAction.ASSIGN)
        assert event.details["co_units"] == [tx.street.name]

    def test_a_relapse_needs_a_photo_and_reopens(self, client, tx):
        ticket = tx.closed()
        with time_machine.travel(timezone.now() + datetime.timedelta(days=15), tick=False):
            client.force_login(tx.staff)
            url = reverse("campaigns:ticket-recheck-relapse", args=[ticket.number])
            response = client.post(url, {"note": "又脏了"})
            assert response.status_code == 400
            response = client.post(url, {"note": "又脏了", "photos": photo_upload()})
            assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.state == TicketState.RECTIFYING


class TestSetup:
    def test_wang_sets_a_two_level_chain(self, client, tx):
        client.force_login(tx.admin)
        add = reverse("campaigns:setup-level-add", args=[tx.unit.code, tx.campaign.pk])
        assert (
            client.post(add, {"name": "街道自查", "work_group": tx.work_line.pk, "photo_required": "on"}).status_code
            == 302
        )
        client.post(add, {"name": "街道自查", "work_group": tx.work_line.pk})  # sent twice: one level
        client.post(add, {"name": "创卫办销号", "role": Role.SUPERVISOR})
        client.post(add, {"name": "无人"})  # neither role nor group: refused
        levels = list(ClosingLevel.objects.filter(campaign=tx.campaign).values_list("order", "name", "photo_required"))
        assert levels == [(1, "街道自查", True), (2, "创卫办销号", False)]
        page = client.get(reverse("campaigns:setup-campaign", args=[tx.unit.code, tx.campaign.pk])).content.decode()
        assert "第1级：街道自查" in page
        assert AuditEvent.objects.filter(details__change="closing_level_added").count() == 2
        first = ClosingLevel.objects.get(campaign=tx.campaign, order=1)
        remove = reverse("campaigns:setup-level-remove", args=[tx.unit.code, tx.campaign.pk, first.pk])
        assert client.post(remove).status_code == 302
        assert list(ClosingLevel.objects.filter(campaign=tx.campaign).values_list("name", flat=True)) == ["创卫办销号"]

    def test_a_supervisor_may_not_change_the_chain(self, client, tx):
        client.force_login(tx.supervisor)
        add = reverse("campaigns:setup-level-add", args=[tx.unit.code, tx.campaign.pk])
        assert client.post(add, {"name": "街道自查", "role": Role.STAFF}).status_code in (403, 404)
        assert not ClosingLevel.objects.exists()
