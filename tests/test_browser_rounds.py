"""A round in a real browser: the city admin sets up 市督查 and draws its sample at a desk, two
inspectors score their points on phones (390 px), the failures are tickets of the round, and
after the round the 复查 finds one problem back.

Screenshots in test-artifacts/screenshots/rounds-*.png.
"""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import InspectionRound, PhotoKind, RoundFinding, RoundPoint, TicketState
from campaigns.services.rounds import round_draw, round_inspectors_split

from .factories import jpeg_bytes, pending_photo
from .rounds_world import ALLEY, MARKET, SmallStandard, make_round, more_points
from .test_accessibility import axe_problems, login_bypassing_csp
from .test_browser import DESKTOP, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - fixture used by name
from .test_phone_pages import open_everything, phone, small_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = phone(390)


def shot(page, name):
    page.screenshot(path=SHOTS / f"rounds-{name}.png", full_page=True)


def fits_a_thumb(page):
    """No sideways scrolling, every target at least 44×44 (folded parts measured open)."""
    page.wait_for_load_state()
    open_everything(page)
    assert no_sideways_scroll(page)
    assert small_targets(page) == []


def score_point(page, fail_code, photo, note, name):
    """On a point's page: 不达标 on one 项 (the rest stay 达标), a photo, a note, one submit."""
    row = page.locator("fieldset.check-row", has_text=fail_code)
    row.locator("label.seg-fail").click()
    row.locator("input[type=file]").set_input_files(str(photo))
    row.locator("textarea").fill(note)
    shot(page, name)
    page.click("button:has-text('提交本点位结果')")
    page.wait_for_selector(".messages")


def test_a_city_round_from_setup_to_recheck(browser, live_server, tx, city_admin, tmp_path):  # noqa: F811
    standard = SmallStandard()
    standard.adopt(tx)
    more_points(tx, MARKET, 2, "菜场")
    more_points(tx, ALLEY, 3, "胡同")
    photo = tmp_path / "problem.jpg"
    photo.write_bytes(jpeg_bytes(size=(1200, 900), color=(130, 90, 60)))

    # 1. The city admin sets the round up at a desk and draws its sample.
    page = open_as(browser, live_server, city_admin, DESKTOP)
    page.goto(f"{live_server.url}/rounds/")
    page.click("text=新建轮次")
    page.fill("#id_name", "市督查第 3 期")
    page.select_option("#id_kind", "supervision")
    page.select_option("#id_level", "city")
    page.check(f"input[name=districts][value='{tx.unit.pk}']")
    today = timezone.localdate()
    page.fill("#id_starts_on", (today - datetime.timedelta(days=2)).isoformat())
    page.fill("#id_ends_on", (today + datetime.timedelta(days=5)).isoformat())
    page.fill("#id_letter_number", f"四创卫办督〔{today.year}〕3号")
    page.fill("#id_letter_date", (today - datetime.timedelta(days=1)).isoformat())
    page.check(f"input[name=team][value='{tx.staff.pk}']")
    page.check(f"input[name=team][value='{tx.supervisor2.pk}']")
    # The form offers the current national standard first (installed by a migration, and still
    # there unless an earlier journey's flush took it); this round assesses against the small one.
    page.select_option("#id_standard", str(standard.standard.pk))
    shot(page, "01-new-round-desktop")
    page.click("button:has-text('建立轮次')")
    page.wait_for_selector("#draw-title")
    page.fill("#id_seed", "sp2026")
    page.click("button:has-text('抽取点位')")
    page.wait_for_selector(".sample-table")
    assert "已按抽样数量抽取 5 个点位（种子 sp2026）" in page.inner_text(".messages")
    page.click("button:has-text('未检查的点位平均分给检查组')")
    page.wait_for_selector(".messages")
    shot(page, "02-sample-desktop")
    page.context.close()
    inspection_round = InspectionRound.objects.get(name="市督查第 3 期")
    assert RoundPoint.objects.filter(inspection_round=inspection_round, inspector__isnull=False).count() == 5

    # 2. Two inspectors on phones: each takes the first of their points, one problem each.
    for inspector, note in ((tx.staff, "西侧垃圾桶满溢"), (tx.supervisor2, "北门垃圾桶破损外溢")):
        page = open_as(browser, live_server, inspector, PHONE_390, has_touch=True)
        page.goto(f"{live_server.url}/my/")
        page.click("text=我的检查：本轮分给我的点位")
        page.wait_for_selector(".inspect-round")
        page.wait_for_load_state()  # its stylesheet too: the sizes are measured next
        fits_a_thumb(page)
        shot(page, f"03-inspect-home-{inspector.username}")
        page.locator("a.point-link").first.click()
        page.wait_for_selector("fieldset.check-row")
        fits_a_thumb(page)
        score_point(page, "3.1.1", photo, note, f"04-scoring-{inspector.username}")
        assert "已生成工单" in page.inner_text(".messages")
        shot(page, f"04-scored-{inspector.username}")
        assert page.locator("a.next-point").count() == 1
        fits_a_thumb(page)
        page.context.close()
    findings = list(RoundFinding.objects.filter(inspection_round=inspection_round).select_related("ticket"))
    assert len(findings) == 2
    assert all(f.ticket.inspection_round_id == inspection_round.pk and f.ticket.photos.count() == 1 for f in findings)

    # 3. The round's page lists them with their tickets; the unit fixes one and it is struck off.
    first = findings[0].ticket
    first = workflow.ticket_submit_fix(
        ticket=first,
        actor=tx.unit_liaison,
        note="已更换垃圾桶",
        photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)],
    )
    workflow.ticket_close_out(ticket=first, actor=tx.supervisor, note="核验通过")
    page = open_as(browser, live_server, city_admin, DESKTOP)
    page.goto(f"{live_server.url}/rounds/{inspection_round.pk}/")
    assert first.number in page.inner_text(".findings-table")
    shot(page, "05-round-findings-desktop")
    page.click("button:has-text('结束本轮')")
    page.wait_for_selector("button:has-text('发起复查')")
    page.click("button:has-text('发起复查')")
    page.wait_for_selector("#id_name")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages")
    page.context.close()
    recheck = InspectionRound.objects.get(rechecks=inspection_round)

    # 4. The 复查 on a phone: the struck-off problem is back (反弹) and reopens.
    recheck_point = RoundPoint.objects.get(inspection_round=recheck, point=first.point)
    page = open_as(browser, live_server, tx.staff, PHONE_390, has_touch=True)
    page.goto(f"{live_server.url}/inspect/points/{recheck_point.pk}/")
    row = page.locator("fieldset.check-row", has_text=first.number)
    row.locator("label.seg-relapsed").click()
    row.locator("input[type=file]").set_input_files(str(photo))
    row.locator("textarea").fill("垃圾桶又满了")
    fits_a_thumb(page)
    shot(page, "06-recheck-phone")
    page.click("button:has-text('提交复查结果')")
    page.wait_for_selector(".messages")
    page.context.close()
    first.refresh_from_db()
    assert (first.state, first.reopen_count) == (TicketState.RECTIFYING, 1)

    page = open_as(browser, live_server, city_admin, DESKTOP)
    page.goto(f"{live_server.url}/rounds/")
    shot(page, "07-rounds-list-desktop")
    page.goto(f"{live_server.url}/rounds/{recheck.pk}/")
    assert "整改率" in page.inner_text("#rate-title + .figures")
    shot(page, "08-recheck-round-desktop")
    page.goto(f"{live_server.url}/tickets/{first.number}/")
    shot(page, "09-reopened-ticket-desktop")
    page.context.close()


def test_the_rounds_pages_pass_axe(browser, live_server, tx, city_admin):  # noqa: F811
    standard = SmallStandard()
    standard.adopt(tx)
    more_points(tx, ALLEY, 3, "胡同")
    inspection_round = make_round([tx], city_admin, [tx.staff], standard=standard.standard)
    round_draw(inspection_round=inspection_round, actor=city_admin)
    round_inspectors_split(inspection_round=inspection_round, district_ids=[tx.unit.pk])
    market = RoundPoint.objects.get(inspection_round=inspection_round, point=tx.point)
    workflow.round_point_score(
        round_point=market,
        actor=tx.staff,
        scores=[workflow.ItemScore(item=standard.bins, result="fail", note="满溢", photos=[pending_photo(tx.staff)])],
    )
    problems = []
    page = login_bypassing_csp(browser, live_server, city_admin, DESKTOP)
    for url in (
        "/rounds/",
        f"/rounds/{inspection_round.pk}/",
        f"/rounds/{inspection_round.pk}/points/",
        "/rounds/new/",
    ):
        problems += axe_problems(page, live_server.url + url)
    page.context.close()
    page = login_bypassing_csp(browser, live_server, tx.staff, PHONE_390)
    for url in ("/inspect/", f"/inspect/points/{market.pk}/"):
        problems += axe_problems(page, live_server.url + url)
    page.context.close()
    assert problems == []
