"""Logging a problem and acting on a ticket through the pages: bad input loses nothing."""

import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import LedgerSequence, PhotoKind, Ticket, TicketEvent, TicketPhoto, TicketState

from .factories import form_key, jpeg_bytes, pending_photo, photo_upload

LOG_URL = reverse("campaigns:ticket-log")


def log_data(tx, **overrides):
    data = {
        "point": tx.point.pk,
        "place": "东门口",
        "street": "",
        "category": tx.category.pk,
        "description": "市场东门垃圾桶满溢",
        "submission": form_key(),
    }
    data.update(overrides)
    return data


class TestLogPage:
    def test_form_offers_this_districts_points_and_categories(self, client, tx, td):
        client.force_login(tx.staff)
        html = client.get(LOG_URL).content.decode()
        assert tx.point.name in html and tx.category.name in html
        assert td.point.name not in html
        assert 'capture="environment"' in html and 'accept="image/*"' in html

    def test_staff_logs_a_problem_with_photos(self, client, tx, django_capture_on_commit_callbacks):
        client.force_login(tx.staff)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(LOG_URL, {**log_data(tx), "photos": [photo_upload("a.jpg"), photo_upload("b.jpg")]})
        ticket = Ticket.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("campaigns:ticket-detail", args=[ticket.number])
        assert ticket.state == TicketState.REPORTED and ticket.reported_by == tx.staff
        assert ticket.finder_group == tx.finder_group
        assert ticket.photos.filter(kind=PhotoKind.BEFORE).count() == 2
        assert ticket.photos.first().thumbnail.name.startswith("thumbs/")

    def test_staff_log_straight_to_a_unit(self, client, tx):
        client.force_login(tx.staff)
        deadline = timezone.localdate() + datetime.timedelta(days=2)
        client.post(
            LOG_URL,
            {
                **log_data(tx),
                "photos": [photo_upload()],
                "responsible_unit": tx.department.pk,
                "deadline": deadline.isoformat(),
            },
        )
        ticket = Ticket.objects.get()
        assert ticket.state == TicketState.ASSIGNED and ticket.deadline == deadline

    def test_typed_place_needs_a_street(self, client, tx):
        client.force_login(tx.staff)
        response = client.post(LOG_URL, {**log_data(tx, point="", place="解放路口"), "photos": [photo_upload()]})
        assert response.status_code == 400
        assert "请选择所在街道" in response.content.decode()
        response = client.post(
            LOG_URL, {**log_data(tx, point="", place="解放路口", street=tx.street2.pk), "photos": [photo_upload()]}
        )
        assert response.status_code == 302
        assert Ticket.objects.get().street == tx.street2

    def test_not_an_image_is_refused_clearly_and_nothing_is_saved(self, client, tx):
        client.force_login(tx.staff)
        fake = photo_upload("virus.jpg", b"MZ\x90\x00 this is an executable pretending to be a jpeg")
        response = client.post(LOG_URL, {**log_data(tx), "photos": [fake]})
        html = response.content.decode()
        assert response.status_code == 400
        assert "“virus.jpg”不是照片" in html
        assert "市场东门垃圾桶满溢" in html  # what they typed is still there
        assert Ticket.objects.count() == 0
        assert LedgerSequence.objects.count() == 0
        assert TicketPhoto.objects.count() == 0

    def test_huge_upload_is_refused_with_the_limit(self, client, tx, settings):
        settings.PHOTO_MAX_BYTES = 2048
        client.force_login(tx.staff)
        big = photo_upload("big.jpg", jpeg_bytes(size=(800, 600), color=(1, 2, 3)) + b"\0" * 4096)
        response = client.post(LOG_URL, {**log_data(tx), "photos": [big]})
        assert response.status_code == 400
        assert "超过 2.0 KB 的上限" in response.content.decode().replace("\xa0", " ")
        assert Ticket.objects.count() == 0

    def test_missing_field_keeps_input_and_the_good_photo(self, client, tx):
        client.force_login(tx.staff)
        response = client.post(LOG_URL, {**log_data(tx, category=""), "photos": [photo_upload()]})
        assert response.status_code == 400
        html = response.content.decode()
        assert "这个字段是必填项" in html or "必填" in html
        assert "市场东门垃圾桶满溢" in html
        assert Ticket.objects.count() == 0
        kept = TicketPhoto.objects.get()
        assert kept.ticket_id is None and kept.uploaded_by == tx.staff
        assert f'name="kept_photos" value="{kept.pk}"' in html
        # Sending again with the category filled in uses the photo already taken.
        response = client.post(LOG_URL, {**log_data(tx), "kept_photos": [kept.pk]})
        assert response.status_code == 302
        kept.refresh_from_db()
        assert kept.ticket == Ticket.objects.get()

    def test_photo_missing_entirely(self, client, tx):
        client.force_login(tx.staff)
        response = client.post(LOG_URL, log_data(tx))
        assert response.status_code == 400
        assert "请至少拍一张问题照片" in response.content.decode()

    def test_someone_elses_kept_photo_is_not_taken(self, client, tx):
        other = pending_photo(tx.supervisor)
        client.force_login(tx.staff)
        response = client.post(LOG_URL, {**log_data(tx), "kept_photos": [other.pk]})
        assert response.status_code == 400
        assert Ticket.objects.count() == 0

    def test_no_running_campaign_explains_itself(self, client, tx):
        tx.campaign.status = "finished"
        tx.campaign.save()
        client.force_login(tx.staff)
        response = client.get(LOG_URL)
        assert "没有进行中的活动" in response.content.decode()


class TestTicketPage:
    def test_shows_before_and_after_photos_and_timeline(self, client, tx):
        ticket = tx.submitted()
        client.force_login(tx.supervisor)
        response = client.get(reverse("campaigns:ticket-detail", args=[ticket.number]))
        html = response.content.decode()
        assert len(response.context["before_photos"]) == 1 and len(response.context["after_photos"]) == 1
        assert [e.action for e in response.context["events"]] == ["log", "assign", "sign", "submit_fix"]
        assert "已清理完毕" in html
        assert reverse("campaigns:ticket-close-out", args=[ticket.number]) in html
        assert reverse("campaigns:ticket-assign", args=[ticket.number]) not in html

    def test_only_buttons_this_user_may_press(self, client, tx):
        ticket = tx.submitted(by=tx.supervisor)
        client.force_login(tx.supervisor)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert reverse("campaigns:ticket-close-out", args=[ticket.number]) not in html
        assert "双人核验" in html
        client.force_login(tx.leader)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert '<form method="post" action="/tickets/' not in html

    def test_close_out_through_the_page(self, client, tx):
        ticket = tx.submitted()
        client.force_login(tx.supervisor2)
        response = client.post(reverse("campaigns:ticket-close-out", args=[ticket.number]), {"note": "现场核验通过"})
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.state == TicketState.CLOSED and ticket.closed_by == tx.supervisor2
        assert ticket.events.get(action="close_out").note == "现场核验通过"

    def test_four_eyes_through_the_page_is_403(self, client, tx):
        ticket = tx.submitted(by=tx.supervisor)
        client.force_login(tx.supervisor)
        response = client.post(reverse("campaigns:ticket-close-out", args=[ticket.number]))
        assert response.status_code == 403
        assert "双人核验" in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.state == TicketState.SUBMITTED

    def test_return_without_reason_keeps_the_form(self, client, tx):
        ticket = tx.submitted()
        client.force_login(tx.supervisor)
        response = client.post(
            reverse("campaigns:ticket-return", args=[ticket.number]), {"reason": "", "deadline": "2099-01-02"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "2099-01-02" in html
        ticket.refresh_from_db()
        assert ticket.state == TicketState.SUBMITTED and ticket.return_count == 0

    def test_stale_page_close_out_is_refused_with_a_message(self, client, tx):
        ticket = tx.closed()
        client.force_login(tx.supervisor2)
        response = client.post(reverse("campaigns:ticket-close-out", args=[ticket.number]))
        assert response.status_code == 409
        assert "已销号" in response.content.decode()
        assert TicketEvent.objects.filter(ticket=ticket, action="close_out").count() == 1

    def test_assign_through_the_page(self, client, tx):
        ticket = tx.log()
        client.force_login(tx.supervisor)
        url = reverse("campaigns:ticket-detail", args=[ticket.number])
        form = client.get(url).context["action_forms"][0]["form"]
        # The point's responsible department is offered first.
        assert form.initial["responsible_unit"] == tx.department.pk
        deadline = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
        response = client.post(
            reverse("campaigns:ticket-assign", args=[ticket.number]),
            {
                "responsible_unit": tx.department.pk,
                "responsible_person": "王五",
                "deadline": deadline,
                "work_group": tx.work_line.pk,
            },
        )
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.state == TicketState.ASSIGNED and ticket.responsible_person == "王五"

    def test_submit_fix_through_the_page_needs_a_photo(self, client, tx):
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        url = reverse("campaigns:ticket-submit-fix", args=[ticket.number])
        response = client.post(url, {"note": "已清理"})
        assert response.status_code == 400
        assert "整改后照片" in response.content.decode()
        response = client.post(url, {"note": "已清理", "photos": [photo_upload("after.jpg")]})
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.state == TicketState.SUBMITTED
        assert ticket.photos.filter(kind=PhotoKind.AFTER).count() == 1

    def test_unknown_number_is_404(self, client, tx):
        client.force_login(tx.supervisor)
        assert client.get(reverse("campaigns:ticket-detail", args=["TX-209901-9999"])).status_code == 404

    def test_get_on_an_action_is_not_allowed(self, client, tx):
        ticket = tx.submitted()
        client.force_login(tx.supervisor2)
        assert client.get(reverse("campaigns:ticket-close-out", args=[ticket.number])).status_code == 405


def test_overdue_days_are_said_once_per_ticket(client, tx):
    """An overdue ticket shows “逾期 N 天” once, in its state badge — on its page and as a card in
    the lists (it was said twice: badge and deadline hint). A running clock still shows “还剩”."""
    late = tx.assigned(deadline=timezone.localdate() + datetime.timedelta(days=1))
    running = tx.assigned(deadline=timezone.localdate() + datetime.timedelta(days=5))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        client.force_login(tx.supervisor)
        page = client.get(reverse("campaigns:ticket-detail", args=[late.number])).content.decode()
        assert page.count("逾期 3 天") == 1
        listing = client.get(reverse("campaigns:ticket-list")).content.decode()
        assert listing.count("逾期 3 天") == 1 and "还剩 1 天" in listing
        page = client.get(reverse("campaigns:ticket-detail", args=[running.number])).content.decode()
        assert "还剩 1 天" in page and "逾期" not in page.split('class="ticket-title"')[1].split("</p>")[0]


def test_a_kept_ticket_page_builds_no_empty_forms(client, tx, monkeypatch):
    """Supervisor Qian opens a fix waiting for 销号 twice: the second time its empty 核验销号 and
    退回 forms come with the kept page, and none is built again (only the ticket's own forms, built
    from its district's units and tasks, are)."""
    from campaigns.views import tickets as ticket_views

    ticket = tx.submitted()
    client.force_login(tx.supervisor2)
    url = reverse("campaigns:ticket-detail", args=[ticket.number])
    first = client.get(url)
    built = []
    real = ticket_views.action_form
    monkeypatch.setattr(
        ticket_views, "action_form", lambda action, *a, **k: built.append(action) or real(action, *a, **k)
    )
    second = client.get(url)
    assert second.status_code == 200
    assert not set(built) & ticket_views.KEPT_FORMS, built
    html = second.content.decode()
    assert 'enctype="multipart/form-data"' in html  # 核验销号 sends its site photos
    assert html.count("<form") == first.content.decode().count("<form")
