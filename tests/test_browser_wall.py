"""The office wall (/board/TX/wall/) fills one screen and turns its own pages (issue 16).

It was 2,268 px tall at 1920×1080, in a 1,370 px column, and never moved. Now: the figures stay
on top, the panels below show a screenful at a time, in type sized from the screen's height (a
4K wall shows the same picture at twice the size), and the page turns by itself.
"""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import OrgUnit, Ticket, UnitKind
from campaigns.services.checklist import checklist_apply_standard

from .test_browser import SHOTS, browser, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"1080p": {"width": 1920, "height": 1080}, "4k": {"width": 3840, "height": 2160}}

SHOWN_JS = """
() => Array.from(document.querySelectorAll('.board-grid > .card'))
  .filter((panel) => panel.offsetParent !== null)
  .map((panel) => panel.querySelector('h2').firstChild.textContent.trim())
"""

FITS_JS = """
() => {
  const scroller = document.scrollingElement;
  const outside = Array.from(document.querySelectorAll('.board-grid > .card, .figure, .wall-head'))
    .filter((el) => el.offsetParent !== null)
    .filter((el) => {
      const b = el.getBoundingClientRect();
      return b.bottom > innerHeight + 0.5 || b.right > innerWidth + 0.5;
    })
    .map((el) => (el.querySelector('h2, .figure-label') || el).textContent.trim().slice(0, 20));
  return {
    fits: scroller.scrollHeight <= innerHeight && scroller.scrollWidth <= innerWidth,
    outside: outside,
    cut: Array.from(document.querySelectorAll('.is-cut')).map((el) => el.querySelector('h2').textContent.trim()),
    type: parseFloat(getComputedStyle(document.querySelector('.board-grid table.data td')).fontSize),
  };
}
"""


def a_busy_district(tx, duties):
    """铁西区 a month into the campaign: a dozen units with open and overdue work, a 黄牌, a
    挂牌督办, the checklist from the national standard, and daily reports due."""
    today = timezone.localdate()
    checklist_apply_standard(campaign=tx.campaign, actor=tx.admin)
    units = [tx.department, tx.department2, tx.community, tx.street2]
    units += [
        OrgUnit.objects.create(name=name, kind=UnitKind.DEPARTMENT, parent=tx.unit)
        for name in (
            "区民政局",
            "区环卫处",
            "区教育局",
            "区市场监管局",
            "区农业农村局",
            "区政务服务局",
            "区住建局",
            "区交通局",
        )
    ]
    for number, unit in enumerate(units):
        tx.assigned(unit=unit, deadline=today + datetime.timedelta(days=2 + number))
        late = tx.assigned(unit=unit, deadline=today + datetime.timedelta(days=1))
        Ticket.objects.filter(pk=late.pk).update(deadline=today - datetime.timedelta(days=number + 1))
    carded = tx.assigned()
    Ticket.objects.filter(pk=carded.pk).update(
        yellow_card_at=timezone.now(), deadline=today - datetime.timedelta(days=9)
    )
    workflow.ticket_supervise(
        ticket=carded,
        actor=tx.supervisor,
        document_number="铁创督〔2026〕3号",
        supervising_unit="铁西区创卫办",
        leader="李副区长",
        deadline=today + datetime.timedelta(days=10),
        reason="反复出现",
    )
    tx.closed()
    tx.log()


def test_the_wall_fills_one_screen_and_turns_its_pages(browser, live_server, tx, duties):  # noqa: F811
    a_busy_district(tx, duties)
    for name, screen in SCREENS.items():
        page = open_as(browser, live_server, tx.leader, screen)
        page.goto(f"{live_server.url}/board/TX/wall/")
        pages = page.locator(".wall-dots i").count()
        assert pages >= 3, pages
        seen = []
        for number in range(1, pages + 1):
            assert page.inner_text("[data-wall-page-of]") == f"第 {number}/{pages} 页"
            where = page.evaluate(FITS_JS)
            assert where["fits"] and not where["outside"], (name, number, where)
            assert not where["cut"], (name, number, where["cut"])  # each panel whole on its page
            # Large type: a table's figures at a tenth of the screen's width in … 2 % of its height.
            assert where["type"] >= screen["height"] * 0.019, where["type"]
            shown = page.evaluate(SHOWN_JS)
            assert shown and not set(shown) & {title for group in seen for title in group}, (shown, seen)
            seen.append(shown)
            page.screenshot(path=SHOTS / f"wall-{name}-page-{number}.png")
            page.click("[data-wall-next]")
        # Every panel of the board (but the newest tickets, which need a desk) was on some page.
        titles = {title for group in seen for title in group}
        assert {"按状态", "挂牌督办", "今日日报", "近 30 天发现与销号", "按街道/乡镇", "按责任单位"} <= titles
        assert {"按测评类别的问题", "测评类别得分", "黄牌"} <= titles and "最新登记" not in titles
        # Back at the first page after the last.
        assert page.inner_text("[data-wall-page-of]") == f"第 1/{pages} 页"
        page.context.close()


def test_the_wall_turns_by_itself_and_can_be_paused(browser, live_server, tx, duties):  # noqa: F811
    a_busy_district(tx, duties)
    page = open_as(browser, live_server, tx.leader, SCREENS["1080p"])
    page.clock.install()  # the page's own timers, moved on by the test
    page.goto(f"{live_server.url}/board/TX/wall/?every=2")
    assert page.get_attribute("[data-wall]", "data-page-seconds") == "2"
    first = page.evaluate(SHOWN_JS)
    page.clock.run_for(2_100)
    assert page.inner_text("[data-wall-page-of]").startswith("第 2/")
    assert page.evaluate(SHOWN_JS) != first
    # 暂停翻页 holds the page (someone is pointing at it); 继续翻页 lets it go on.
    page.click("[data-wall-pause]")
    assert page.inner_text("[data-wall-pause]") == "继续翻页"
    page.clock.run_for(60_000)
    assert page.inner_text("[data-wall-page-of]").startswith("第 2/")
    page.click("[data-wall-pause]")
    page.clock.run_for(2_100)
    assert page.inner_text("[data-wall-page-of]").startswith("第 3/")
    page.context.close()


def test_without_scripts_the_wall_is_a_plain_page(browser, live_server, tx, duties):  # noqa: F811
    """No pages to turn: every panel, one under another, and the browser reloads it (meta refresh)."""
    a_busy_district(tx, duties)
    page = open_as(browser, live_server, tx.leader, SCREENS["1080p"], java_script_enabled=False)
    page.goto(f"{live_server.url}/board/TX/wall/")
    assert page.locator("[data-wall-pager]").is_hidden()
    assert page.locator(".board-grid > .card:visible").count() >= 9
    page.screenshot(path=SHOTS / "wall-1080p-no-script.png", full_page=True)
    page.context.close()
