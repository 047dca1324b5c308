"""The 文号 a district issues (one count a year, never the same twice) and the 公文设置 its admin
keeps on the setup pages."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import AuditEvent, AuditKind, DocumentKind, DocumentNumber, DocumentSettings, Notice
from campaigns.policy import TransitionRefused
from campaigns.services.documents.numbers import DocumentNumberTaken, document_number_issue, notice_issue

from .factories import form_key
from .together import run_together

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def supervise(tx, number=""):
    return workflow.ticket_supervise(
        ticket=tx.assigned(),
        actor=tx.supervisor,
        document_number=number,
        supervising_unit="铁西区创卫办",
        leader="李副区长",
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )


def new_notice(tx, **fields):
    today = timezone.localdate()
    return Notice.objects.create(
        district=tx.unit,
        campaign=tx.campaign,
        title="关于创卫问题整改情况的通报",
        period_start=today.replace(day=1),
        period_end=today,
        created_by=tx.admin,
        **fields,
    )


def test_numbers_count_up_through_the_year_across_kinds_and_skip_what_was_typed(tx, td):
    DocumentSettings.objects.create(
        district=tx.unit,
        mark="铁西区创卫办",
        signature="铁西区创卫办",
        number_prefix="铁西创卫办",
        printer="铁西区创卫办",
    )
    year = timezone.localdate().year
    first = notice_issue(notice=new_notice(tx), actor=tx.admin)
    listed = supervise(tx)
    typed = supervise(tx, number=f"铁西创卫办〔{year}〕3号")  # numbered by hand, ahead of the count
    after = notice_issue(notice=new_notice(tx), actor=tx.admin)
    assert [first.doc_number, listed.document_number, typed.document_number, after.doc_number] == [
        f"铁西创卫办〔{year}〕{n}号" for n in (1, 2, 3, 4)
    ]
    with pytest.raises(TransitionRefused, match="已用过"):
        supervise(tx, number=f"铁西创卫办〔{year}〕2号")
    with pytest.raises(DocumentNumberTaken):
        notice_issue(notice=new_notice(tx, doc_number=f"铁西创卫办〔{year}〕4号"), actor=tx.admin)
    assert notice_issue(notice=new_notice(tx, doc_number="铁西创卫函〔2026〕8号"), actor=tx.admin).issued_at
    # Another district keeps its own count; its default 代字 comes from its name.
    assert notice_issue(notice=new_notice(td), actor=td.admin).doc_number == f"铁东创卫办〔{year}〕1号"
    register = DocumentNumber.objects.filter(district=tx.unit)
    assert register.count() == 5
    assert register.get(text=listed.document_number).kind == DocumentKind.SUPERVISION
    assert register.get(text=listed.document_number).object_id == listed.pk


def test_a_new_year_starts_at_one(tx):
    notice_issue(notice=new_notice(tx), actor=tx.admin)
    new_year = datetime.datetime(timezone.localdate().year + 1, 1, 4, 9, tzinfo=BEIJING)
    with time_machine.travel(new_year, tick=False):
        later = notice_issue(notice=new_notice(tx), actor=tx.admin)
        assert later.doc_number.endswith(f"〔{timezone.localdate().year}〕1号")


def test_a_refused_act_leaves_no_number_behind(tx):
    with pytest.raises(TransitionRefused):
        workflow.ticket_supervise(
            ticket=tx.assigned(),
            actor=tx.supervisor,
            document_number="",
            supervising_unit="铁西区创卫办",
            leader="李副区长",
            deadline=timezone.localdate() - datetime.timedelta(days=1),  # in the past: refused
        )
    assert not DocumentNumber.objects.exists()
    assert supervise(tx).document_number.endswith("〕1号")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_offices_issuing_at_the_same_instant_get_two_numbers(tx):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)")
    notices = [new_notice(tx) for _ in range(4)]
    results = run_together(*(lambda n=n: notice_issue(notice=n, actor=tx.admin).doc_number for n in notices))
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(int(value.split("〕")[1].rstrip("号")) for _, value in results)
    assert numbers == [1, 2, 3, 4]
    assert DocumentSettings.objects.filter(district=tx.unit).count() == 1
    numbers = run_together(
        *(
            lambda: document_number_issue(district=tx.unit, kind=DocumentKind.RECTIFICATION, actor=tx.admin).text
            for _ in range(3)
        )
    )
    assert len({value for _, value in numbers}) == 3


class TestSettingsPage:
    def url(self, code="TX"):
        return reverse("campaigns:setup-documents", args=[code])

    def values(self, **changes):
        values = {
            "mark": "铁西区创建国家卫生城市工作领导小组办公室",
            "signature": "铁西区创建国家卫生城市工作领导小组办公室",
            "number_prefix": "铁西创卫办",
            "printer": "铁西区创卫办",
            "addressee": "各街道（乡镇）、区直各有关部门",
            "superior": "四平市创卫办",
            "copy_to": "区委办公室，区政府办公室",
            "date_style": "chinese",
        }
        values.update(changes)
        return values

    def test_the_admin_sets_the_documents_and_sees_the_numbers_issued(self, client, tx):
        client.force_login(tx.admin)
        page = client.get(self.url())
        assert page.status_code == 200
        assert "铁西区创建国家卫生城市工作领导小组办公室" in page.content.decode()  # the defaults, before saving
        response = client.post(self.url(), self.values(number_prefix="铁西创卫办", superior="四平市创卫办"))
        assert response.status_code == 302
        client.post(self.url(), self.values(number_prefix="铁西创卫办", superior="四平市创卫办"))  # sent twice
        settings = DocumentSettings.objects.get()
        assert settings.superior == "四平市创卫办" and settings.printer == "铁西区创卫办"
        assert AuditEvent.objects.filter(kind=AuditKind.SETTINGS_CHANGE, user=tx.admin).count() == 1
        notice_issue(notice=new_notice(tx), actor=tx.admin)
        page = client.get(self.url()).content.decode()
        assert f"铁西创卫办〔{timezone.localdate().year}〕1号" in page and "通报" in page
        assert "templates/documents/notice.docx" in page and "{{正文}}" in page

    def test_a_prefix_with_the_year_in_it_is_refused_and_nothing_typed_is_lost(self, client, tx):
        client.force_login(tx.admin)
        response = client.post(self.url(), self.values(number_prefix="铁西创卫办〔2026〕", copy_to="市创卫办"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "代字只写机关代字" in html and "市创卫办" in html
        assert not DocumentSettings.objects.exists()

    def test_only_the_districts_admins_keep_its_settings(self, client, tx, td):
        for who in (tx.supervisor, tx.leader, tx.staff):
            client.force_login(who)
            assert client.get(self.url()).status_code == 403
            assert client.post(self.url(), self.values()).status_code == 403
        client.force_login(td.admin)
        assert client.get(self.url()).status_code == 404
        assert not DocumentSettings.objects.exists()

    def test_the_setup_pages_lead_to_it(self, client, tx):
        client.force_login(tx.admin)
        assert self.url() in client.get(reverse("campaigns:setup", args=["TX"])).content.decode()


def test_the_notice_form_keeps_an_issued_number(client, tx):
    client.force_login(tx.admin)
    client.post(reverse("campaigns:notice-draft", args=["TX"]), {"submission": form_key()})
    notice = Notice.objects.get()
    client.post(reverse("campaigns:notice-issue", args=[notice.pk]))
    notice.refresh_from_db()
    issued = notice.doc_number
    data = {
        "title": notice.title,
        "doc_number": "改过的文号",
        "period_start": notice.period_start.isoformat(),
        "period_end": notice.period_end.isoformat(),
        "issuer": notice.issuer,
    }
    assert client.post(reverse("campaigns:notice-edit", args=[notice.pk]), data).status_code == 302
    notice.refresh_from_db()
    assert notice.doc_number == issued
