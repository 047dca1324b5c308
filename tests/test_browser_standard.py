"""The standard and the gate in a real browser, at a desk: 四平市's admin reads and edits the
standard and its sample quotas; 铁西区's leader finds the 一票否决风险 on the board.

Reuses the fixtures of test_browser.py; screenshots are named standard-*.
"""

import pytest

from campaigns.models import ChecklistItem, StandardItem
from campaigns.services.standard import campaign_link_tasks, standard_default

from .test_browser import DESKTOP, SHOTS, browser, open_as, visit_and_collect_refusals

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_city_admin_reads_and_edits_the_standard(browser, live_server, tx, city_admin):
    national = standard_default()
    page = open_as(browser, live_server, city_admin, DESKTOP)
    refusals = visit_and_collect_refusals(page, f"{live_server.url}/board/TX/")
    page.click("nav.mainnav >> text=测评标准")
    page.click(f"text={national.name}（{national.version}）")
    page.wait_for_selector(".standard-totals")
    assert page.locator(".standard-items tr.is-gate").count() == 13
    assert "群众对卫生状况满意率≥90%" in page.inner_text("#aspect-1")
    page.screenshot(path=SHOTS / "standard-01-tree-desktop.png", full_page=False)
    page.locator("#aspect-8").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "standard-02-vectors-desktop.png", full_page=False)

    item = StandardItem.objects.get(article__aspect__standard=national, code="3.1.4")
    page.click(f"#item-{item.pk} >> text=编辑")
    page.fill("#id_requirement", "主次干道每日两次保洁")
    page.check("#id_is_gate")
    page.screenshot(path=SHOTS / "standard-03-edit-item-desktop.png", full_page=True)
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages")
    assert "第 3.1.4 项已保存" in page.inner_text(".messages")
    item.refresh_from_db()
    assert item.is_gate and item.requirement == "主次干道每日两次保洁"

    page.click("text=抽样数量")
    page.wait_for_selector(".quota-table")
    page.screenshot(path=SHOTS / "standard-04-quotas-desktop.png", full_page=True)
    assert not refusals
    page.context.close()


def test_the_leader_sees_the_veto_risk_on_the_board(browser, live_server, tx):
    tx.campaign.standard = standard_default()
    tx.campaign.save(update_fields=["standard"])
    rats = ChecklistItem.objects.create(
        campaign=tx.campaign, area=tx.area2, code="8.2", requirement="重点行业防鼠设施达标", full_score=10
    )
    ChecklistItem.objects.create(campaign=tx.campaign, area=tx.area, code="3.1", requirement="道路整洁", full_score=20)
    campaign_link_tasks(tx.campaign)
    tx.assigned(checklist_item=rats, category=tx.category2, description="农贸市场粮油区无挡鼠板")
    page = open_as(browser, live_server, tx.leader, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/")
    risk = page.locator(".gate-risk")
    risk.scroll_into_view_if_needed()
    assert "不达标（必备条件）" in risk.inner_text() and "8.2.2" in risk.inner_text()
    page.screenshot(path=SHOTS / "standard-05-board-gate-desktop.png", full_page=False)
    page.context.close()
