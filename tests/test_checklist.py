"""The checklist: who updates what, points at risk, the scoring sheet and its export."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns import workflow
from campaigns.models import ChecklistEvidence, ChecklistItem, ChecklistStatus, ChecklistUpdate, TicketState
from campaigns.selectors.scoring import points_at_risk
from campaigns.services.checklist import checklist_apply_standard, default_full_scores

from .factories import form_key, jpeg_bytes

TODAY = datetime.date(2026, 11, 22)


def item_for(tx, code="3.1", full=10, lead=None, coop=(), area=None, **fields):
    item = ChecklistItem.objects.create(
        campaign=tx.campaign,
        area=area or tx.area,
        code=code,
        requirement=f"任务 {code}",
        full_score=Decimal(full),
        lead_unit=lead if lead is not None else tx.department,
        **fields,
    )
    item.cooperating_units.set(coop)
    return item


class TestPointsAtRisk:
    @pytest.mark.parametrize(
        "case,kwargs,expected",
        [
            (
                "done, no problems",
                dict(status="done", progress=100, deadline=None, open_problems=0, overdue_problems=0),
                "0.00",
            ),
            (
                "on time, no problems",
                dict(status="in_progress", progress=30, deadline=TODAY, open_problems=0, overdue_problems=0),
                "0.00",
            ),
            (
                "overdue at 30%",
                dict(
                    status="in_progress",
                    progress=30,
                    deadline=TODAY - datetime.timedelta(days=1),
                    open_problems=0,
                    overdue_problems=0,
                ),
                "7.00",
            ),
            (
                "flagged at risk",
                dict(status="at_risk", progress=80, deadline=None, open_problems=0, overdue_problems=0),
                "5.00",
            ),
            (
                "flagged and overdue: the larger",
                dict(
                    status="at_risk",
                    progress=20,
                    deadline=TODAY - datetime.timedelta(days=3),
                    open_problems=0,
                    overdue_problems=0,
                ),
                "8.00",
            ),
            (
                "two open problems",
                dict(status="in_progress", progress=50, deadline=None, open_problems=2, overdue_problems=0),
                "2.00",
            ),
            (
                "one open, one overdue",
                dict(status="in_progress", progress=50, deadline=None, open_problems=2, overdue_problems=1),
                "3.00",
            ),
            (
                "done but problems open",
                dict(
                    status="done",
                    progress=100,
                    deadline=TODAY - datetime.timedelta(days=9),
                    open_problems=1,
                    overdue_problems=1,
                ),
                "2.00",
            ),
            (
                "capped at full score",
                dict(
                    status="not_started",
                    progress=0,
                    deadline=TODAY - datetime.timedelta(days=1),
                    open_problems=5,
                    overdue_problems=5,
                ),
                "10.00",
            ),
        ],
        ids=lambda value: value if isinstance(value, str) else None,
    )
    def test_rules(self, case, kwargs, expected):
        assert points_at_risk(full_score=Decimal("10"), today=TODAY, **kwargs) == Decimal(expected)

    def test_zero_score_risks_nothing(self):
        assert (
            points_at_risk(
                full_score=0,
                status="at_risk",
                progress=0,
                deadline=TODAY,
                open_problems=3,
                overdue_problems=3,
                today=TODAY,
            )
            == 0
        )

    def test_linked_tickets_move_the_risk(self, client, tx):
        item = item_for(tx, full=10, status=ChecklistStatus.IN_PROGRESS, progress=50)
        ticket = tx.log(checklist_item=item)
        tx.log(checklist_item=item)
        client.force_login(tx.leader)
        page = client.get(reverse("campaigns:checklist-item", args=[item.pk]))
        assert page.context["item"].open_problems == 2 and page.context["item"].points_at_risk == Decimal("2.00")
        workflow.ticket_void(ticket=ticket, actor=tx.supervisor, reason="重复")
        page = client.get(reverse("campaigns:checklist-item", args=[item.pk]))
        assert page.context["item"].points_at_risk == Decimal("1.00")
        assert "风险分怎么算" in page.content.decode()


class TestTicketLink:
    def test_log_links_to_a_task_of_the_same_area(self, tx):
        item = item_for(tx)
        assert tx.log(checklist_item=item).checklist_item == item

    def test_task_of_another_area_is_refused(self, tx):
        item = item_for(tx, area=tx.area2, code="8.1")
        with pytest.raises(workflow.TransitionRefused, match="测评类别"):
            tx.log(checklist_item=item)

    def test_task_of_another_campaign_is_refused(self, tx, td):
        other = ChecklistItem.objects.create(
            campaign=td.campaign, area=td.area, code="3.1", requirement="x", full_score=1
        )
        with pytest.raises(workflow.TransitionRefused, match="活动"):
            tx.log(checklist_item=other)

    def test_triage_links_the_ticket(self, client, tx):
        item = item_for(tx)
        ticket = tx.log()
        client.force_login(tx.supervisor)
        form = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).context["action_forms"][0]["form"]
        assert list(form.fields["checklist_item"].queryset) == [item]  # only tasks of the ticket's area
        client.post(
            reverse("campaigns:ticket-assign", args=[ticket.number]),
            {
                "responsible_unit": tx.department.pk,
                "deadline": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
                "checklist_item": item.pk,
            },
        )
        ticket.refresh_from_db()
        assert ticket.state == TicketState.ASSIGNED and ticket.checklist_item == item

    def test_log_form_refuses_a_mismatched_task(self, client, tx):
        item = item_for(tx, area=tx.area2, code="8.1")
        client.force_login(tx.staff)
        response = client.post(
            reverse("campaigns:ticket-log"),
            {
                "point": tx.point.pk,
                "category": tx.category.pk,
                "description": "x",
                "checklist_item": item.pk,
                "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")],
                "submission": form_key(),
            },
        )
        assert response.status_code == 400 and "不属于这个问题类别的测评类别" in response.content.decode()


class TestUpdates:
    def url(self, item):
        return reverse("campaigns:checklist-item-update", args=[item.pk])

    def test_lead_unit_updates_progress_with_evidence(self, client, tx):
        item = item_for(tx)
        client.force_login(tx.unit_liaison)
        response = client.post(
            self.url(item),
            {
                "status": "in_progress",
                "progress": 60,
                "self_score": "5.5",
                "note": "已完成摸底",
                "submission": form_key(),
                "files": [
                    SimpleUploadedFile("现场.jpg", jpeg_bytes()),
                    SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%demo\n"),
                ],
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.status, item.progress, item.self_score) == ("in_progress", 60, Decimal("5.5"))
        update = item.updates.get()
        assert update.actor == tx.unit_liaison and update.note == "已完成摸底"
        assert update.changes["progress"] == ["0", "60"]
        kinds = sorted(update.evidence.values_list("kind", flat=True))
        assert kinds == ["file", "photo"]
        pdf = update.evidence.get(kind="file")
        download = client.get(reverse("campaigns:evidence", args=[pdf.pk]))
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"

    def test_cooperating_unit_adds_evidence_but_not_figures(self, client, tx):
        item = item_for(tx, lead=tx.department2, coop=[tx.department])
        client.force_login(tx.unit_liaison)
        page = client.get(reverse("campaigns:checklist-item", args=[item.pk]))
        assert "progress" not in page.context["form"].fields
        response = client.post(
            self.url(item), {"note": "配合完成宣传", "progress": 100, "status": "done", "submission": form_key()}
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.progress == 0 and item.status == "not_started"
        assert item.updates.get().kind == "evidence"

    def test_other_units_only_read(self, client, tx):
        item = item_for(tx, lead=tx.department2)
        client.force_login(tx.unit_liaison)
        assert client.get(reverse("campaigns:checklist-item", args=[item.pk])).context["form"] is None
        assert client.post(self.url(item), {"progress": 50, "status": "in_progress", "note": "x"}).status_code == 403
        client.force_login(tx.leader)
        assert client.post(self.url(item), {"note": "x"}).status_code == 403
        assert ChecklistUpdate.objects.count() == 0

    def test_other_district_sees_nothing(self, client, tx, td):
        item = item_for(tx)
        client.force_login(tx.unit_liaison)
        client.post(
            self.url(item),
            {
                "note": "证据",
                "files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")],
                "submission": form_key(),
                "status": "in_progress",
                "progress": 10,
            },
        )
        piece = ChecklistEvidence.objects.get()
        client.force_login(td.admin)
        for url in [
            reverse("campaigns:checklist-item", args=[item.pk]),
            reverse("campaigns:checklist", args=[tx.campaign.pk]),
            reverse("campaigns:scoring-sheet", args=[tx.campaign.pk]),
            reverse("campaigns:scoring-area", args=[tx.campaign.pk, "3"]),
            reverse("campaigns:scoring-export", args=[tx.campaign.pk]),
            reverse("campaigns:evidence", args=[piece.pk]),
        ]:
            assert client.get(url).status_code == 404, url
        assert client.post(self.url(item), {"note": "x"}).status_code == 404
        mine = client.get(reverse("campaigns:checklist-mine")).content.decode()
        assert item.requirement not in mine

    def test_bad_evidence_is_refused_and_nothing_saved(self, client, tx):
        item = item_for(tx)
        client.force_login(tx.unit_liaison)
        response = client.post(
            self.url(item),
            {
                "status": "in_progress",
                "progress": 30,
                "note": "进展",
                "files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10)],
            },
        )
        assert response.status_code == 400 and "格式不支持" in response.content.decode()
        assert "进展" in response.content.decode()
        item.refresh_from_db()
        assert item.progress == 0 and ChecklistUpdate.objects.count() == 0

    @pytest.mark.parametrize(
        "data,message",
        [
            ({"status": "in_progress", "progress": 30, "self_score": "11"}, "自评分不能超过分值"),
            ({"status": "done", "progress": 80}, "进度应为 100%"),
            ({"status": "in_progress", "progress": 130}, "100"),
        ],
    )
    def test_bad_figures(self, client, tx, data, message):
        item = item_for(tx, full=10)
        client.force_login(tx.supervisor)
        response = client.post(self.url(item), data)
        assert response.status_code == 400 and message in response.content.decode()

    def test_mine_lists_led_and_shared_tasks_overdue_first(self, client, tx):
        late = item_for(tx, code="3.2", deadline=timezone.localdate() - datetime.timedelta(days=2))
        shared = item_for(tx, code="3.3", lead=tx.department2, coop=[tx.department])
        item_for(tx, code="3.4", lead=tx.department2)
        client.force_login(tx.unit_liaison)
        items = client.get(reverse("campaigns:checklist-mine")).context["items"]
        assert [item.code for item in items] == [late.code, shared.code]
        assert items[0].i_lead and not items[1].i_lead


class TestSheet:
    def test_apply_standard_gives_a_full_sheet_once(self, client, tx):
        client.force_login(tx.admin)
        client.post(reverse("campaigns:checklist-apply-standard", args=[tx.campaign.pk]))
        items = ChecklistItem.objects.filter(campaign=tx.campaign)
        assert items.count() == 41
        assert sum(item.full_score for item in items) == Decimal("100")
        assert checklist_apply_standard(campaign=tx.campaign, actor=tx.admin) == 0
        client.force_login(tx.supervisor)
        assert client.post(reverse("campaigns:checklist-apply-standard", args=[tx.campaign.pk])).status_code == 403

    def test_default_scores_sum_exactly(self):
        for count in (1, 7, 41, 333):
            scores = default_full_scores(count)
            assert len(scores) == count and sum(scores) == 100

    def test_checklist_filters_and_grouping(self, client, tx):
        a = item_for(tx, code="3.1", status="done", progress=100)
        b = item_for(tx, code="8.1", area=tx.area2, lead=tx.department2, coop=[tx.department])
        c = item_for(tx, code="3.2", deadline=timezone.localdate() - datetime.timedelta(days=1))
        tx.log(checklist_item=c)
        client.force_login(tx.leader)
        url = reverse("campaigns:checklist", args=[tx.campaign.pk])

        def codes(params):
            groups = client.get(url, params).context["groups"]
            return sorted(item.code for _title, items in groups for item in items)

        assert codes({}) == ["3.1", "3.2", "8.1"]
        assert codes({"area": tx.area2.pk}) == ["8.1"]
        assert codes({"unit": tx.department.pk}) == ["3.1", "3.2", "8.1"]  # leads two, cooperates on one
        assert codes({"unit": tx.department2.pk}) == ["8.1"]
        assert codes({"status": "done"}) == ["3.1"]
        assert codes({"overdue": "on"}) == ["3.2"]
        assert codes({"at_risk": "on"}) == ["3.2"]
        assert codes({"q": "8."}) == ["8.1"]
        groups = client.get(url, {"by": "unit"}).context["groups"]
        assert [title for title, _items in groups] == [tx.department.name, tx.department2.name]
        assert a and b

    def test_scoring_sheet_and_area_totals(self, client, tx):
        item_for(tx, code="3.1", full=6, progress=50, self_score=Decimal("3"))
        item_for(tx, code="3.2", full=4, progress=100, status="done", self_score=Decimal("4"))
        item_for(tx, code="8.1", full=5, area=tx.area2, status="at_risk", progress=20)
        client.force_login(tx.leader)
        page = client.get(reverse("campaigns:scoring-sheet", args=[tx.campaign.pk]))
        scores = {score.area.code: score for score in page.context["scores"]}
        assert scores["3"].full_score == 10 and scores["3"].self_score == 7 and scores["3"].progress == 70
        assert scores["8"].at_risk == Decimal("2.50")
        assert page.context["total"].full_score == 15
        area_page = client.get(reverse("campaigns:scoring-area", args=[tx.campaign.pk, "8"]))
        assert [item.code for item in area_page.context["items"]] == ["8.1"]
        assert client.get(reverse("campaigns:scoring-area", args=[tx.campaign.pk, "99"])).status_code == 404

    def test_export_opens_with_the_right_rows(self, client, tx):
        # A task due in a week: not overdue, so it puts no points at risk (only 8.1 does).
        due = timezone.localdate() + datetime.timedelta(days=7)
        item_for(tx, code="3.1", full=6, coop=[tx.department2], deadline=due)
        item_for(tx, code="3.2", full=4, status="done", progress=100, self_score=Decimal("4"))
        item_for(tx, code="8.1", full=5, area=tx.area2, status="at_risk", progress=20)
        client.force_login(tx.leader)
        response = client.get(reverse("campaigns:scoring-export", args=[tx.campaign.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = workbook["赋分表"]
        rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
        assert "任务分解及赋分表" in rows[0][0]
        assert rows[2] == (
            "测评类别",
            "任务编号",
            "任务要求",
            "分值",
            "牵头单位",
            "配合单位",
            "完成时限",
            "状态",
            "自评分",
            "风险分",
        )
        body = rows[3:]
        assert [row[1] for row in body[:5]] == ["3.1", "3.2", None, "8.1", None]
        assert body[0][4] == tx.department.name and body[0][5] == tx.department2.name
        assert body[0][6].date() == due
        assert body[2][0] == "市容环境卫生 小计" and body[2][3] == 10
        assert body[5][0] == "合计" and body[5][3] == 15 and body[5][9] == 2.5
        assert sheet.page_setup.orientation == "landscape"
        assert any("风险分规则" in str(row[0]) for row in body if row and row[0])

    def test_empty_checklist_offers_the_way_in(self, client, tx):
        client.force_login(tx.admin)
        html = client.get(reverse("campaigns:checklist", args=[tx.campaign.pk])).content.decode()
        assert "按国家标准生成任务清单" in html and "下载导入模板" in html
        client.force_login(tx.leader)
        html = client.get(reverse("campaigns:checklist", args=[tx.campaign.pk])).content.decode()
        assert "请联系本区创卫办管理员" in html

    def test_board_shows_the_score_panel(self, client, tx):
        item_for(tx, code="3.1", full=6, deadline=timezone.localdate() - datetime.timedelta(days=1))
        client.force_login(tx.leader)
        board = client.get(reverse("campaigns:board", args=["TX"])).context["board"]
        (score,) = board.scores
        assert score.full_score == 6 and score.at_risk == 6 and score.overdue_tasks == 1


def test_checklist_updates_are_append_only(tx):
    item = item_for(tx)
    update = ChecklistUpdate.objects.create(item=item, kind="progress", actor=tx.admin, note="x")
    with pytest.raises(TypeError):
        update.save()
    with pytest.raises(TypeError):
        ChecklistUpdate.objects.filter(pk=update.pk).update(note="y")
