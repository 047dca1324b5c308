"""One form, one ticket: a create form sent twice (a double tap, a retry) makes one record, and
every later send is answered with the first one. Twenty tabs sent at the same instant:
test_one_submission_at_once.py."""

import io
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from campaigns import workflow
from campaigns.models import (
    AccountProfile,
    Campaign,
    ChecklistEvidence,
    ChecklistItem,
    ChecklistUpdate,
    DailyReport,
    Duty,
    InspectionPoint,
    Membership,
    MonthlySummary,
    Notice,
    OrgUnit,
    Role,
    SubmissionKey,
    SubmissionKind,
    Ticket,
    TicketPhoto,
    WorkGroup,
)
from campaigns.services import checklist_import, people, point_import, units
from campaigns.services.submissions import SubmissionRepeated
from campaigns.tasks import purge_submission_keys

from .factories import UserFactory, form_key, photo_upload

LOG_URL = reverse("campaigns:ticket-log")
# What a person sees when a form they sent already is sent again.
SENT_BEFORE = "这张表单已提交过，已为您打开第一次提交的结果，没有重复保存。要再填一份，请重新打开表单。"
NOW = "2026-12-03 10:00 +08:00"  # a Thursday, a working day, before the daily cutoff

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def key_in(html):
    """The key a rendered form carries."""
    found = re.search(r'name="submission" value="([^"]*)"', html)
    return found.group(1) if found else None


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def log_post(tx, key, **overrides):
    data = {
        "point": tx.point.pk,
        "place": "东门口",
        "category": tx.category.pk,
        "description": "市场东门垃圾桶满溢",
        "photos": [photo_upload("a.jpg")],
        "submission": key,
    }
    data.update(overrides)
    return data


class TestTheLogForm:
    def test_every_opened_log_form_carries_its_own_key(self, client, tx):
        client.force_login(tx.staff)
        first, second = (key_in(client.get(LOG_URL).content.decode()) for _ in range(2))
        assert first and second and first != second
        assert len(first) >= 32

    def test_the_staffer_taps_submit_twice_and_gets_one_ticket(self, client, tx):
        client.force_login(tx.staff)
        key = key_in(client.get(LOG_URL).content.decode())
        first = client.post(LOG_URL, log_post(tx, key))
        ticket = Ticket.objects.get()
        assert first.status_code == 302

        again = client.post(LOG_URL, log_post(tx, key, description="又点了一次"))
        assert again.status_code == 302
        assert again["Location"] == reverse("campaigns:ticket-detail", args=[ticket.number])
        assert SENT_BEFORE in messages_of(again)
        assert Ticket.objects.count() == 1
        # The second send's photo was never even stored, not even as a pending one.
        assert TicketPhoto.objects.count() == 1
        recorded = SubmissionKey.objects.get()
        assert (recorded.key, recorded.user, recorded.kind) == (key, tx.staff, SubmissionKind.TICKET_LOG)
        assert recorded.object_id == ticket.pk

    def test_a_form_without_a_key_is_refused_and_keeps_what_was_typed(self, client, tx):
        client.force_login(tx.staff)
        data = log_post(tx, "")
        del data["submission"]
        response = client.post(LOG_URL, data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "这张表单缺少一次性提交编号" in html
        assert "市场东门垃圾桶满溢" in html
        assert not Ticket.objects.exists()
        # Sent again as the page now stands (a fresh key, the photo kept), it is logged.
        fresh = key_in(html)
        kept = TicketPhoto.objects.get(ticket__isnull=True, uploaded_by=tx.staff)
        assert f'name="kept_photos" value="{kept.pk}"' in html
        response = client.post(LOG_URL, log_post(tx, fresh, photos=[], kept_photos=[kept.pk]))
        assert response.status_code == 302
        assert Ticket.objects.get().photos.get() == kept

    @pytest.mark.parametrize("bad", ["short", "has spaces in it, quite long", "x" * 65])
    def test_a_malformed_key_is_refused_like_a_missing_one(self, client, tx, bad):
        client.force_login(tx.staff)
        response = client.post(LOG_URL, log_post(tx, bad))
        assert response.status_code == 400
        assert "这张表单缺少一次性提交编号" in response.content.decode()
        assert key_in(response.content.decode()) != bad
        assert not Ticket.objects.exists()

    def test_a_refused_send_leaves_the_key_for_the_corrected_form(self, client, tx):
        client.force_login(tx.staff)
        key = form_key()
        response = client.post(LOG_URL, log_post(tx, key, description=""))
        assert response.status_code == 400
        assert key_in(response.content.decode()) == key  # the same form, still unsent
        assert not SubmissionKey.objects.exists()
        assert client.post(LOG_URL, log_post(tx, key)).status_code == 302
        assert Ticket.objects.count() == 1

    def test_another_person_replaying_the_key_gets_nothing_of_the_first(self, client, tx):
        client.force_login(tx.staff)
        key = form_key()
        client.post(LOG_URL, log_post(tx, key))
        ticket = Ticket.objects.get()

        client = Client()  # the supervisor's own browser; supervisors may log problems too
        client.force_login(tx.supervisor)
        response = client.post(LOG_URL, log_post(tx, key, description="主管的另一个问题"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "这张表单的提交编号已被使用" in html
        assert ticket.number not in html
        assert "主管的另一个问题" in html  # what was typed stays
        fresh = key_in(html)
        assert fresh and fresh != key
        assert Ticket.objects.count() == 1
        # With the fresh key the page now carries, the supervisor's own problem is logged.
        response = client.post(LOG_URL, log_post(tx, fresh, description="主管的另一个问题"))
        assert response.status_code == 302
        assert Ticket.objects.filter(reported_by=tx.supervisor).count() == 1

    def test_a_key_from_another_form_logs_nothing(self, client, tx):
        key = form_key()
        SubmissionKey.objects.create(key=key, user=tx.staff, kind=SubmissionKind.NOTICE_DRAFT, response_url="/x/")
        client.force_login(tx.staff)
        response = client.post(LOG_URL, log_post(tx, key))
        assert response.status_code == 400
        assert not Ticket.objects.exists()


class TestTheLogVerb:
    def test_the_same_key_twice_raises_with_the_first_ticket_and_takes_no_number(self, tx):
        key = form_key()
        first = tx.log(submission_key=key)
        with pytest.raises(SubmissionRepeated) as raised:
            tx.log(submission_key=key)  # past the page's check: the unique key refuses it
        assert raised.value.first.object_id == first.pk
        assert raised.value.first.response_url == reverse("campaigns:ticket-detail", args=[first.number])
        assert Ticket.objects.count() == 1
        following = tx.log()
        assert int(following.number[-4:]) == int(first.number[-4:]) + 1  # the number was handed back

    def test_a_malformed_key_is_no_key_at_all(self, tx):
        with pytest.raises(ValueError):
            tx.log(submission_key="x" * 65)
        assert not Ticket.objects.exists()

    def test_a_failed_log_leaves_its_key_unused(self, tx):
        key = form_key()
        with pytest.raises(workflow.TransitionRefused):
            tx.log(submission_key=key, photos=[])
        assert not SubmissionKey.objects.exists()
        assert tx.log(submission_key=key).pk


class TestChecklistUpdates:
    def test_the_liaison_saves_progress_twice_and_the_task_has_one_entry_and_one_file(self, client, tx):
        item = ChecklistItem.objects.create(
            campaign=tx.campaign,
            area=tx.area,
            code="3.1",
            requirement="道路保洁",
            lead_unit=tx.department,
            full_score=10,
        )
        client.force_login(tx.unit_liaison)
        page = client.get(reverse("campaigns:checklist-item", args=[item.pk])).content.decode()
        key = key_in(page)
        url = reverse("campaigns:checklist-item-update", args=[item.pk])

        def send():
            pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%demo\n")
            data = {"status": "in_progress", "progress": 60, "note": "已完成摸底", "files": [pdf], "submission": key}
            return client.post(url, data)

        assert send().status_code == 302
        again = send()
        assert again.status_code == 302
        assert again["Location"] == reverse("campaigns:checklist-item", args=[item.pk])
        assert SENT_BEFORE in messages_of(again)
        assert ChecklistUpdate.objects.filter(item=item).count() == 1
        assert ChecklistEvidence.objects.filter(item=item).count() == 1
        assert SubmissionKey.objects.get().object_id == ChecklistUpdate.objects.get().pk

    def test_an_update_without_a_key_saves_nothing_and_keeps_the_note(self, client, tx):
        item = ChecklistItem.objects.create(
            campaign=tx.campaign, area=tx.area, code="3.1", requirement="x", full_score=1
        )
        client.force_login(tx.supervisor)
        url = reverse("campaigns:checklist-item-update", args=[item.pk])
        response = client.post(url, {"status": "in_progress", "progress": 20, "note": "督导现场查看"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "这张表单缺少一次性提交编号" in html and "督导现场查看" in html
        assert not ChecklistUpdate.objects.exists()
        assert key_in(html)


class TestNoticeDrafts:
    def test_the_admin_clicks_draft_twice_and_edits_one_notice(self, client, tx):
        client.force_login(tx.admin)
        page = client.get(reverse("campaigns:rankings", args=["TX"])).content.decode()
        key = key_in(page)
        data = {"start": "2026-11-01", "end": "2026-12-03", "basis": "score", "submission": key}
        first = client.post(reverse("campaigns:notice-draft", args=["TX"]), data)
        notice = Notice.objects.get()
        assert first["Location"] == reverse("campaigns:notice-edit", args=[notice.pk])
        again = client.post(reverse("campaigns:notice-draft", args=["TX"]), data)
        assert again["Location"] == reverse("campaigns:notice-edit", args=[notice.pk])
        assert SENT_BEFORE in messages_of(again)
        assert Notice.objects.count() == 1

    def test_a_draft_without_a_key_goes_back_to_the_rankings_with_why(self, client, tx):
        client.force_login(tx.admin)
        data = {"start": "2026-11-01", "end": "2026-12-03", "basis": "score"}
        response = client.post(reverse("campaigns:notice-draft", args=["TX"]), data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("campaigns:rankings", args=["TX"]) + "?start=2026-11-01")
        assert any("这张表单缺少一次性提交编号" in text for text in messages_of(response))
        assert not Notice.objects.exists()


class TestMonthlySummaries:
    def test_the_admin_clicks_generate_twice_and_gets_one_version(self, client, tx, django_capture_on_commit_callbacks):
        client.force_login(tx.admin)
        key = key_in(client.get(reverse("campaigns:summaries", args=["TX"])).content.decode())
        url = reverse("campaigns:summary-create", args=["TX"])
        with django_capture_on_commit_callbacks(execute=True) as generated:
            first = client.post(url, {"month": "2026-11", "submission": key})
            again = client.post(url, {"month": "2026-11", "submission": key})
        summary = MonthlySummary.objects.get()
        assert summary.version == 1
        assert first["Location"] == again["Location"] == reverse("campaigns:summary", args=[summary.pk])
        assert SENT_BEFORE in messages_of(again)
        assert len(generated) == 1  # generated once, not twice

    def test_generating_again_on_purpose_is_a_new_version(self, client, tx):
        client.force_login(tx.admin)
        url = reverse("campaigns:summary-create", args=["TX"])
        for _ in range(2):  # the list page opened afresh each time: a new form, a new key
            key = key_in(client.get(reverse("campaigns:summaries", args=["TX"])).content.decode())
            client.post(url, {"month": "2026-11", "submission": key})
        assert sorted(MonthlySummary.objects.values_list("version", flat=True)) == [1, 2]

    def test_a_request_without_a_key_makes_no_version(self, client, tx):
        client.force_login(tx.admin)
        response = client.post(reverse("campaigns:summary-create", args=["TX"]), {"month": "2026-11"})
        assert response["Location"] == reverse("campaigns:summaries", args=["TX"])
        assert any("这张表单缺少一次性提交编号" in text for text in messages_of(response))
        assert not MonthlySummary.objects.exists()


def test_keys_are_kept_thirty_days_then_purged_at_night(tx):
    with time_machine.travel("2026-11-01 10:00 +08:00", tick=False):
        old = tx.log(submission_key=form_key())
    with time_machine.travel("2026-11-20 10:00 +08:00", tick=False):
        recent = tx.log(submission_key=form_key())
    with time_machine.travel("2026-12-02 03:53 +08:00", tick=False):
        assert purge_submission_keys.delay().get() == 1
    assert list(SubmissionKey.objects.values_list("object_id", flat=True)) == [recent.pk]
    assert Ticket.objects.filter(pk=old.pk).exists()  # only the key goes
    assert "purge-submission-keys" in settings.CELERY_BEAT_SCHEDULE


# --- setting up a district: the same form twice, and every create form at the same instant ---


def _campaign(tx):
    data = {"name": "铁西区巩固国家卫生城市", "kind": "consolidate", "status": "planning", "start_date": "2026-12-01"}
    return (
        tx.admin,
        reverse("campaigns:setup-campaign-new", args=["TX"]),
        data,
        Campaign.objects.filter(name="铁西区巩固国家卫生城市"),
    )


def _unit(tx):
    data = {"name": "英雄街道", "kind": "street", "contact_person": "王主任"}
    return tx.admin, reverse("campaigns:setup-unit-new", args=["TX"]), data, OrgUnit.objects.filter(name="英雄街道")


def _group(tx):
    data = {"kind": "supervision_group", "name": "第一督导组", "leader": tx.supervisor.pk, "order": 1}
    url = reverse("campaigns:setup-group-new", args=["TX"]) + f"?campaign={tx.campaign.pk}"
    return tx.admin, url, data, WorkGroup.objects.filter(name="第一督导组")


def _notice(tx):
    data = {"start": "2026-11-01", "end": "2026-12-03", "basis": "score"}
    return tx.admin, reverse("campaigns:notice-draft", args=["TX"]), data, Notice.objects.all()


def _summary(tx):
    return (
        tx.admin,
        reverse("campaigns:summary-create", args=["TX"]),
        {"month": "2026-11"},
        MonthlySummary.objects.all(),
    )


def _checklist_update(tx):
    item = ChecklistItem.objects.create(
        campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路保洁", lead_unit=tx.department, full_score=10
    )
    data = {"status": "in_progress", "progress": 50, "note": "已完成一半"}
    url = reverse("campaigns:checklist-item-update", args=[item.pk])
    return tx.unit_liaison, url, data, ChecklistUpdate.objects.filter(item=item)


def _person(tx):
    data = {"full_name": "王五", "username": "tx_wangwu", "unit": tx.community.pk, "role": "staff"}
    made = get_user_model().objects.filter(username="tx_wangwu")
    return tx.admin, reverse("campaigns:setup-person-new", args=["TX"]), data, made


def _account(tx):
    security = UserFactory(username="anquan")
    AccountProfile.objects.create(user=security, duty=Duty.SECURITY)
    data = {"username": "xiaozhang", "full_name": "小张", "unit": tx.street.pk, "role": Role.STAFF}
    return security, reverse("security-account-new"), data, get_user_model().objects.filter(username="xiaozhang")


SETUP_FORMS = {"campaign": _campaign, "unit": _unit, "work group": _group}
EVERY_OTHER_FORM = {
    **SETUP_FORMS,
    "person": _person,
    "account": _account,
    "notice": _notice,
    "summary": _summary,
    "checklist update": _checklist_update,
}


@pytest.mark.parametrize("form", SETUP_FORMS)
def test_a_setup_form_saved_twice_makes_one_and_opens_it_the_second_time(client, tx, form):
    who, url, data, made = SETUP_FORMS[form](tx)
    client.force_login(who)
    key = key_in(client.get(url).content.decode())
    assert client.post(url, {**data, "submission": key}).status_code == 302
    again = client.post(url, {**data, "submission": key})
    assert made.count() == 1
    record = SubmissionKey.objects.get()
    assert record.object_id == made.get().pk
    # Not "a campaign of that name exists already" on the page kept open: the first one, opened.
    assert again.status_code == 302 and again["Location"] == record.response_url
    assert client.get(record.response_url).status_code == 200
    assert SENT_BEFORE in messages_of(again)


@pytest.mark.parametrize("form", SETUP_FORMS)
def test_a_setup_form_without_a_key_saves_nothing_and_keeps_the_input(client, tx, form):
    who, url, data, made = SETUP_FORMS[form](tx)
    client.force_login(who)
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "这张表单缺少一次性提交编号" in html and data["name"] in html
    assert key_in(html) and not made.exists()


# --- forms that were one-record already: kept so by a test each ----------------------------


def test_a_daily_report_sent_twice_is_one_report_for_the_day(client, tx, duties):
    client.force_login(tx.staff)
    url = reverse("campaigns:report-submit", args=[duties.street.pk])
    for _ in range(2):
        assert client.post(url, {"points_visited": 4, "notes": "巡查正常"}).status_code == 302
    report = DailyReport.objects.get(duty=duties.street)  # one per duty and day (a unique constraint)
    assert report.points_visited == 4


def test_a_point_added_twice_is_one_point(client, tx):
    client.force_login(tx.admin)
    url = reverse("campaigns:point-create", args=["TX"])
    data = {"name": "东门菜市场", "point_type": tx.point.point_type_id, "unit": tx.community.pk, "address": "东门"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400 and "已有名为“东门菜市场”的点位" in again.content.decode()
    assert InspectionPoint.objects.filter(name="东门菜市场").count() == 1  # unique per unit


def test_a_person_enrolled_twice_is_one_account_and_the_password_is_shown_once(client, tx):
    client.force_login(tx.admin)
    who, url, data, made = _person(tx)
    key = key_in(client.get(url).content.decode())
    first = client.post(url, {**data, "submission": key})
    assert first.status_code == 200  # the one-time password, shown once
    password = first.context["password"]
    again = client.post(url, {**data, "submission": key})
    person = made.get()
    assert again.status_code == 302
    assert again["Location"] == reverse("campaigns:setup-person", args=["TX", person.pk])
    assert SENT_BEFORE in messages_of(again)
    assert password not in client.get(again["Location"]).content.decode()
    assert Membership.objects.filter(user=person).count() == 1


def test_a_person_form_without_a_key_enrols_nobody(client, tx):
    client.force_login(tx.admin)
    who, url, data, made = _person(tx)
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "这张表单缺少一次性提交编号" in html and "王五" in html and key_in(html)
    assert not made.exists()


def test_an_account_created_twice_by_the_security_admin_is_one_account(client, tx):
    security, url, data, made = _account(tx)
    client.force_login(security)
    key = key_in(client.get(url).content.decode())
    first = client.post(url, {**data, "submission": key})
    assert first.status_code == 200  # the one-time password, shown once
    again = client.post(url, {**data, "submission": key})
    assert again.status_code == 302
    assert again["Location"] == reverse("security-account", args=[made.get().pk])
    assert SENT_BEFORE in messages_of(again)
    assert first.context["password"] not in client.get(again["Location"]).content.decode()


def test_an_account_form_without_a_key_makes_no_account(client, tx):
    security, url, data, made = _account(tx)
    client.force_login(security)
    response = client.post(url, data)
    assert "这张表单缺少一次性提交编号" in response.content.decode() and key_in(response.content.decode())
    assert not made.exists()


def _sheet(header, rows, title):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(f"{title}.xlsx", out.getvalue())


def _checklist_import(tx):
    header = [str(column.label) for column in checklist_import.COLUMNS]
    row = ["3 市容环境卫生", "3.9", "农贸市场划行归市", 5, tx.department.name, "", "", "", "", "", ""]
    args = [tx.campaign.pk]
    return "checklist-import", args, _sheet(header, [row], "任务清单"), ChecklistItem.objects.filter(code="3.9")


def _point_import(tx):
    header = [str(column.label) for column in point_import.COLUMNS]
    row = ["东门菜市场", tx.point.point_type.name, tx.community.name, "东门", "", None, None]
    return "point-import", ["TX"], _sheet(header, [row], "点位清单"), InspectionPoint.objects.filter(name="东门菜市场")


def _units_import(tx):
    header = [str(column.label) for column in units.COLUMNS]
    return (
        "setup-units-import",
        ["TX"],
        _sheet(header, [["英雄街道", "街道", "", "", ""]], "单位"),
        OrgUnit.objects.filter(name="英雄街道"),
    )


def _people_import(tx):
    header = [str(column.label) for column in people.COLUMNS]
    row = ["王五", "tx_wangwu", "", tx.community.name, "工作人员"]
    made = Membership.objects.filter(user__username="tx_wangwu")
    return "setup-people-import", ["TX"], _sheet(header, [row], "人员"), made


IMPORTS = {"checklist": _checklist_import, "points": _point_import, "units": _units_import, "people": _people_import}


def previewed(client, tx, which):
    name, args, upload, made = IMPORTS[which](tx)
    response = client.post(reverse(f"campaigns:{name}", args=args), {"file": upload})
    assert response.context["preview"].is_clean, response.context["preview"].file_errors
    record = response.context["record"]
    return reverse(f"campaigns:{name}-confirm", args=[*args, record.pk]), made


@pytest.mark.parametrize("which", IMPORTS)
def test_an_import_confirmed_twice_imports_once(client, tx, which):
    client.force_login(tx.admin)
    confirm, made = previewed(client, tx, which)
    assert client.post(confirm).status_code in (200, 302)
    again = client.post(confirm)  # the record is locked and marked done by the first
    assert again.status_code == 302
    assert any("这个文件已经处理过了" in text for text in messages_of(again))
    assert made.count() == 1
