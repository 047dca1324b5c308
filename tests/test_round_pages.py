"""The rounds' pages: the admin's desk (make a round, draw, share out, finish, 复查) and the
inspector's phone (我的检查, one page per point), with their denials and their query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import workflow
from campaigns.models import (
    InspectionRound,
    RoundCheck,
    RoundFinding,
    RoundKind,
    RoundLevel,
    RoundPoint,
    RoundStatus,
    Standard,
    TicketPhoto,
)
from campaigns.services.rounds import round_draw, round_finish, round_point_add
from campaigns.services.standard import standard_default

from .factories import form_key, jpeg_bytes, pending_photo, photo_upload
from .rounds_world import ALLEY, MARKET, SmallStandard, make_round, more_points


@pytest.fixture
def standard(tx, td):
    small = SmallStandard()
    small.adopt(tx, td)
    return small


@pytest.fixture
def city_round(tx, td, city_admin, standard):
    """市督查第 3 期 over both districts; tx's 网格员 and td's 网格员 on its team."""
    return make_round([tx, td], city_admin, [tx.staff, td.staff], standard=standard.standard)


def new_round_form(tx, standard, **changes):
    today = timezone.localdate()
    data = {
        "submission": form_key(),
        "name": "铁西区四季度自查",
        "kind": RoundKind.SELF,
        "level": RoundLevel.DISTRICT,
        "districts": [tx.unit.pk],
        "standard": standard.standard.pk,
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "letter_number": "",
        "letter_date": "",
        "deadline_working_days": 5,
        "team": [tx.staff.pk],
    }
    data.update(changes)
    return data


# --- the desk ---------------------------------------------------------------------------------


def test_a_district_admin_makes_a_round_once_however_often_the_form_is_sent(client, tx, standard):
    client.force_login(tx.admin)
    assert client.get(reverse("campaigns:round-new")).status_code == 200
    data = new_round_form(tx, standard)
    first = client.post(reverse("campaigns:round-new"), data)
    again = client.post(reverse("campaigns:round-new"), data)
    made = InspectionRound.objects.get()
    assert first.url == again.url == reverse("campaigns:round-points", args=[made.pk])
    assert (made.created_by, list(made.team.all()), list(made.campaigns.all())) == (tx.admin, [tx.staff], [tx.campaign])
    assert re.fullmatch(r"[0-9a-f]{8}", made.sample_seed)


def test_a_new_round_offers_the_standard_its_districts_campaigns_are_scored_on(client, tx, td, city_admin, standard):
    """铁西区 and 铁东区 are scored on the small standard (an older version, no longer current): a
    round of either, or of both, offers it first; once 铁东区 moves to the national standard, a
    round of both offers the current one."""
    Standard.objects.filter(pk=standard.standard.pk).update(is_current=False)
    national = standard_default()
    client.force_login(tx.admin)
    assert client.get(reverse("campaigns:round-new")).context["form"].initial["standard"] == standard.standard.pk
    client.force_login(city_admin)
    assert client.get(reverse("campaigns:round-new")).context["form"].initial["standard"] == standard.standard.pk
    td.campaign.standard = national
    td.campaign.save(update_fields=["standard"])
    offered = client.get(reverse("campaigns:round-new")).context["form"].initial["standard"]
    assert offered == national.pk != standard.standard.pk


def test_a_district_admin_may_not_make_a_city_round_nor_reach_another_district(client, tx, td, standard):
    client.force_login(tx.admin)
    answer = client.post(
        reverse("campaigns:round-new"), new_round_form(tx, standard, level=RoundLevel.CITY, districts=[td.unit.pk])
    )
    assert answer.status_code == 400
    assert not InspectionRound.objects.exists()
    form = answer.context["form"]
    assert "level" in form.errors and "districts" in form.errors


def test_a_team_member_must_work_in_the_round_s_district(client, tx, td, standard):
    client.force_login(tx.supervisor)
    answer = client.post(reverse("campaigns:round-new"), new_round_form(tx, standard, team=[tx.leader.pk]))
    assert answer.status_code == 400 and "team" in answer.context["form"].errors


def test_the_city_admin_draws_and_each_district_sees_only_its_own_part(client, tx, td, city_admin, city_round):
    more_points(tx, ALLEY, 1, "胡同")
    client.force_login(city_admin)
    answer = client.post(reverse("campaigns:round-draw", args=[city_round.pk]), {"seed": "sp2026"}, follow=True)
    shown = [str(message) for message in answer.context["messages"]]
    assert any("种子 sp2026" in text for text in shown)
    assert any("铁西区 · 背街小巷：应抽 3 个，只有 1 个启用点位，已全部抽取" in text for text in shown)
    assert RoundPoint.objects.filter(inspection_round=city_round, district=td.unit).exists()

    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:round", args=[city_round.pk])).content.decode()
    assert "铁西区" in page and "铁东区" not in page and "结束本轮" not in page  # the city runs it
    listing = client.get(reverse("campaigns:rounds")).content.decode()
    assert city_round.name in listing and "铁东区" not in listing
    assert client.get(reverse("campaigns:round-points", args=[city_round.pk])).status_code == 403
    assert client.post(reverse("campaigns:round-finish", args=[city_round.pk])).status_code == 403


def test_a_leader_reads_and_staff_use_their_own_page(client, tx, td, city_round):
    client.force_login(tx.leader)
    page = client.get(reverse("campaigns:round", args=[city_round.pk])).content.decode()
    assert city_round.name in page and "发起复查" not in page and "编辑" not in page
    client.force_login(tx.staff)
    assert client.get(reverse("campaigns:rounds")).status_code == 403
    assert client.get(reverse("campaigns:round", args=[city_round.pk])).status_code == 403
    own = make_round([td], td.admin, name="铁东区自查", level=RoundLevel.DISTRICT)
    client.force_login(tx.supervisor)
    assert client.get(reverse("campaigns:round", args=[own.pk])).status_code == 404


def test_a_covert_city_round_hides_its_sample_from_the_district_until_it_ends(client, tx, city_admin, standard):
    covert = make_round([tx], city_admin, [tx.staff], standard=standard.standard, kind=RoundKind.COVERT, name="市暗访")
    round_point_add(inspection_round=covert, point=tx.point)
    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:round", args=[covert.pk])).content.decode()
    assert "不预先通知" in page and 'id="progress-title"' not in page
    round_finish(inspection_round=covert)
    page = client.get(reverse("campaigns:round", args=[covert.pk])).content.decode()
    assert 'id="progress-title"' in page


def test_the_admin_shares_the_points_by_hand_and_evenly(client, tx, city_admin, city_round):
    more_points(tx, ALLEY, 3, "胡同")
    round_draw(inspection_round=city_round, actor=city_admin)
    client.force_login(city_admin)
    points = list(RoundPoint.objects.filter(inspection_round=city_round, district=tx.unit))
    client.post(reverse("campaigns:round-assign", args=[city_round.pk]), {"split": "1"})
    assert all(point.inspector_id is None for point in points)  # objects in hand: read them again
    assert set(RoundPoint.objects.filter(district=tx.unit).values_list("inspector", flat=True)) == {tx.staff.pk}
    answer = client.post(
        reverse("campaigns:round-assign", args=[city_round.pk]), {f"inspector-{points[0].pk}": str(tx.leader.pk)}
    )
    assert answer.status_code == 302
    assert RoundPoint.objects.get(pk=points[0].pk).inspector == tx.staff  # a leader is no inspector


# --- the inspector's phone --------------------------------------------------------------------


def score_form(standard, *, fail=("bins",), key=None):
    data = {"submission": key or form_key()}
    for name in ("bins", "clutter", "rats"):
        item = getattr(standard, name)
        data[f"i{item.pk}-result"] = "fail" if name in fail else "pass"
        data[f"i{item.pk}-note"] = "西侧垃圾桶满溢" if name == "bins" else ""
    return data


def test_the_inspector_scores_a_point_on_the_phone_and_its_failures_become_tickets(client, tx, standard, city_round):
    market = round_point_add(inspection_round=city_round, point=tx.point)
    alley = round_point_add(inspection_round=city_round, point=more_points(tx, ALLEY, 1, "胡同")[0])
    client.force_login(tx.staff)
    home = client.get(reverse("campaigns:inspect")).content.decode()
    assert tx.point.name in home and "我的检查" in home
    url = reverse("campaigns:inspect-point", args=[market.pk])
    page = client.get(url).content.decode()
    assert "3.1.1" in page and "8.1.1" in page and "1.1.1" not in page and "必备条件" in page

    data = score_form(standard, fail=("bins",))
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
    answer = client.post(url, data, follow=True)
    finding = RoundFinding.objects.get()
    assert f"已生成工单 {finding.ticket.number}" in answer.content.decode()
    assert finding.ticket.photos.count() == 1
    assert "下一个点位" in answer.content.decode() and alley.point.name in answer.content.decode()

    # The same form again (a double tap, a retry): no second ticket, the first result shown.
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
    again = client.post(url, data)
    assert again.status_code == 302 and again.url == url
    assert RoundFinding.objects.count() == 1 and TicketPhoto.objects.filter(ticket__isnull=False).count() == 1


def test_not_applicable_is_recorded_without_a_ticket(client, tx, standard, city_round):
    """At the market the stalls are closed for rebuilding: the 网格员 marks 乱堆乱放 不适用, the
    bins 不达标 and the rats 达标. One ticket; the 不适用 is kept as such, never a pass or a failure."""
    market = round_point_add(inspection_round=city_round, point=tx.point)
    client.force_login(tx.staff)
    data = score_form(standard, fail=("bins",))
    data[f"i{standard.clutter.pk}-result"] = "na"
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
    assert client.post(reverse("campaigns:inspect-point", args=[market.pk]), data).status_code == 302
    results = dict(RoundCheck.objects.filter(round_point=market).values_list("item__code", "result"))
    assert results == {"3.1.1": "fail", "3.1.2": "na", "8.1.1": "pass"}
    assert [finding.item for finding in RoundFinding.objects.all()] == [standard.bins]
    assert not RoundCheck.objects.get(round_point=market, item=standard.clutter).ticket_id


def test_a_failure_without_a_photo_comes_back_with_everything_kept(client, tx, standard, city_round):
    market = round_point_add(inspection_round=city_round, point=tx.point)
    client.force_login(tx.staff)
    url = reverse("campaigns:inspect-point", args=[market.pk])
    data = score_form(standard, fail=("bins", "rats"))
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]  # the rats' photo is missing
    answer = client.post(url, data)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "不达标请至少拍一张照片" in page and "西侧垃圾桶满溢" in page
    kept = TicketPhoto.objects.get(uploaded_by=tx.staff, ticket__isnull=True)
    assert f'name="i{standard.bins.pk}-kept" value="{kept.pk}"' in page
    assert not RoundCheck.objects.exists()
    # Sent again with the rats' photo: the kept one is used, nothing is taken twice.
    data = score_form(standard, fail=("bins", "rats"))
    data[f"i{standard.bins.pk}-kept"] = [kept.pk]
    data[f"i{standard.rats.pk}-photos"] = [photo_upload("rat.jpg", jpeg_bytes(color=(10, 10, 10)))]
    assert client.post(url, data).status_code == 302
    assert RoundFinding.objects.count() == 2
    assert kept.pk in RoundFinding.objects.get(item=standard.bins).ticket.photos.values_list("pk", flat=True)


def test_a_missing_photo_is_named_at_the_top_and_its_camera_button_takes_the_focus(client, tx, standard, city_round):
    """张伟 marks 3.1.1 and 8.1.1 不达标 and photographs neither: the list at the top of the form
    names both, each linked to its row's camera, and the first one is focused (even without
    scripts); the form is marked for ledger.js to bring it into view on a phone."""
    market = round_point_add(inspection_round=city_round, point=tx.point)
    client.force_login(tx.staff)
    answer = client.post(
        reverse("campaigns:inspect-point", args=[market.pk]), score_form(standard, fail=("bins", "rats"))
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert re.search(r'<form [^>]*class="inspect-form"[^>]* data-failed-form>', html)
    summary = html[html.index('class="alert alert-error error-summary"') : html.index("</ul>")]
    assert "autofocus" not in summary.split(">")[0]  # a field takes the focus, not the list
    bins, rats = f"id_i{standard.bins.pk}-photos", f"id_i{standard.rats.pk}-photos"
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        (bins, "3.1.1 现场照片：不达标请至少拍一张照片。"),
        (rats, "8.1.1 现场照片：不达标请至少拍一张照片。"),
    ]
    first = re.search(rf'<input [^>]*id="{bins}"[^>]*>', html).group(0)
    second = re.search(rf'<input [^>]*id="{rats}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in first and "autofocus" in first
    assert 'aria-invalid="true"' in second and "autofocus" not in second
    assert html.count('class="check-row has-error"') == 2
    assert not RoundCheck.objects.exists()


def bins_failed_at_the_market(client, tx, standard, city_round):
    """网格员 scores the market 不达标 on its bins, with a photo: the round's one finding."""
    market = round_point_add(inspection_round=city_round, point=tx.point)
    client.force_login(tx.staff)
    data = score_form(standard, fail=("bins",))
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
    client.post(reverse("campaigns:inspect-point", args=[market.pk]), data)
    return RoundFinding.objects.get()


def test_a_recheck_without_its_photo_names_the_problem_by_its_serial(client, tx, city_admin, standard, city_round):
    finding = bins_failed_at_the_market(client, tx, standard, city_round)
    round_finish(inspection_round=city_round)
    client.force_login(city_admin)
    client.post(reverse("campaigns:round-recheck", args=[city_round.pk]), {"submission": form_key()})
    point = RoundPoint.objects.get(inspection_round__rechecks=city_round)

    client.force_login(tx.staff)
    answer = client.post(
        reverse("campaigns:inspect-point", args=[point.pk]),
        {"submission": form_key(), f"f{finding.pk}-result": "not_fixed", f"f{finding.pk}-note": "仍有满溢"},
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    field = f"id_f{finding.pk}-photos"
    assert f'<a href="#{field}">序号 {finding.serial} 现场照片：未整改或反弹请拍一张现场照片。</a>' in html
    assert "autofocus" in re.search(rf'<input [^>]*id="{field}"[^>]*>', html).group(0)
    assert "仍有满溢" in html


def test_outsiders_cannot_open_a_point(client, tx, td, city_round):
    market = round_point_add(inspection_round=city_round, point=tx.point)
    url = reverse("campaigns:inspect-point", args=[market.pk])
    for who, status in ((tx.unit_liaison, 403), (tx.supervisor, 403), (tx.leader, 403), (td.staff, 404)):
        client.force_login(who)
        assert client.get(url).status_code == status, who
        assert client.post(url, {}).status_code == status, who
    assert not RoundCheck.objects.exists()


def test_the_recheck_page_reopens_a_closed_problem_found_again(client, tx, city_admin, standard, city_round):
    finding = bins_failed_at_the_market(client, tx, standard, city_round)
    ticket = workflow.ticket_submit_fix(
        ticket=finding.ticket, actor=tx.unit_liaison, note="已清理", photos=[pending_photo(tx.unit_liaison)]
    )
    workflow.ticket_close_out(ticket=ticket, actor=tx.supervisor, note="核验通过")
    round_finish(inspection_round=city_round)

    client.force_login(city_admin)
    answer = client.post(reverse("campaigns:round-recheck", args=[city_round.pk]), {"submission": form_key()})
    recheck = InspectionRound.objects.get(rechecks=city_round)
    assert answer.url == reverse("campaigns:round-edit", args=[recheck.pk])
    point = RoundPoint.objects.get(inspection_round=recheck)

    client.force_login(tx.staff)
    url = reverse("campaigns:inspect-point", args=[point.pk])
    assert finding.description in client.get(url).content.decode()
    sent = client.post(
        url,
        {
            "submission": form_key(),
            f"f{finding.pk}-result": "relapsed",
            f"f{finding.pk}-note": "垃圾桶又满了",
            f"f{finding.pk}-photos": [photo_upload()],
        },
    )
    assert sent.status_code == 302
    finding.refresh_from_db()
    finding.ticket.refresh_from_db()
    assert (finding.outcome, finding.ticket.state, finding.outcome_photos.count()) == ("relapsed", "rectifying", 1)
    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:round", args=[recheck.pk])).content.decode()
    assert "整改率" in page and "反弹" in page
    recheck.refresh_from_db()
    assert recheck.status == RoundStatus.INSPECTING


def test_team_members_find_their_page_in_the_navigation(client, tx, city_round):
    client.force_login(tx.staff)
    assert reverse("campaigns:inspect") in client.get(reverse("campaigns:my-tasks")).content.decode()
    client.force_login(tx.unit_liaison)
    assert reverse("campaigns:inspect") not in client.get(reverse("campaigns:my-tasks")).content.decode()


# --- queries ------------------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # warm: sessions, scope and choices cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_point_page_costs_the_same_however_many_items_it_has(
    client, tx, standard, city_round, django_assert_max_num_queries
):
    market = round_point_add(inspection_round=city_round, point=tx.point)
    client.force_login(tx.staff)
    url = reverse("campaigns:inspect-point", args=[market.pk])
    data = score_form(standard, fail=("bins",))
    data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
    client.post(url, data)
    few = count_queries(client, url)
    for n in range(12):
        SmallStandard._item(standard.bins.article, f"3.9.{n}", f"要求{n}", [tx.point.point_type], "", 10 + n)
    with django_assert_max_num_queries(16):
        many = count_queries(client, url)
    assert many == few


def test_the_round_page_and_list_cost_the_same_however_many_findings(
    client, tx, standard, city_round, django_assert_max_num_queries
):
    client.force_login(tx.staff)
    points = more_points(tx, MARKET, 6, "菜场")
    counts = []
    for batch in (points[:2], points[2:]):
        for point in batch:
            round_point = round_point_add(inspection_round=city_round, point=point)
            data = score_form(standard, fail=("bins",))
            data[f"i{standard.bins.pk}-photos"] = [photo_upload()]
            client.post(reverse("campaigns:inspect-point", args=[round_point.pk]), data)
        client.force_login(tx.supervisor)
        counts.append(
            (count_queries(client, reverse("campaigns:round", args=[city_round.pk])), count_queries(client, "/rounds/"))
        )
        client.force_login(tx.staff)
    assert RoundFinding.objects.count() == 6
    assert counts[0] == counts[1]
    client.force_login(tx.supervisor)
    with django_assert_max_num_queries(16):
        client.get(reverse("campaigns:round", args=[city_round.pk]))


def test_a_round_page_leads_its_managers_to_the_problem_list_import(client, tx):
    """Supervisor Qian's round page and the rounds list both offer 导入问题清单, with the round chosen."""
    from campaigns.models import InspectionRound, RoundKind, RoundLevel

    inspection_round = InspectionRound.objects.create(
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.DISTRICT,
        name="区督查第 1 期",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        created_by=tx.supervisor,
    )
    inspection_round.districts.add(tx.unit)
    client.force_login(tx.supervisor)
    page = client.get(reverse("campaigns:round", args=[inspection_round.pk])).content.decode()
    assert f"{reverse('campaigns:problem-list-import')}?round={inspection_round.pk}" in page
    listing = client.get(reverse("campaigns:rounds")).content.decode()
    assert reverse("campaigns:problem-list-import") in listing


def test_a_round_page_links_each_of_the_readers_districts_to_its_rectification_report(client, tx):
    from campaigns.models import InspectionRound, RoundKind, RoundLevel

    inspection_round = InspectionRound.objects.create(
        kind=RoundKind.SUPERVISION,
        level=RoundLevel.DISTRICT,
        name="区督查第 2 期",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        created_by=tx.supervisor,
    )
    inspection_round.districts.add(tx.unit)
    client.force_login(tx.leader)
    page = client.get(reverse("campaigns:round", args=[inspection_round.pk])).content.decode()
    assert reverse("campaigns:round-report", args=[inspection_round.pk, tx.unit.code]) in page
