"""Smaller things a new user tripped on (issue 16), in a real browser.

The phone's navigation shows that it scrolls; the English header fits a 390 px phone; the
before/after photos are over 400 px wide on a desk and open large on a tap or Enter; the unit
chooser finds a unit by typing part of its name.
"""

import datetime

import pytest
from django.utils import timezone

from campaigns import workflow
from campaigns.models import AccountProfile, OrgUnit, PhotoKind, UnitKind

from .factories import pending_photo
from .test_browser import DESKTOP, SHOTS, browser, no_sideways_scroll, open_as
from .test_phone_pages import TOUCH, WIDTHS, phone

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUPS_JS = """
(select) => {
  const groups = {};
  for (const option of select.options) {
    const label = option.parentElement.tagName === 'OPTGROUP' ? option.parentElement.label : '';
    (groups[label] = groups[label] || []).push(option.text);
  }
  return groups;
}
"""

EDGES_JS = """
() => {
  const wrap = document.querySelector('.mainnav-wrap');
  const nav = wrap.querySelector('.mainnav');
  const shade = (side) => getComputedStyle(wrap, side).opacity;
  return {
    overflows: nav.scrollWidth > nav.clientWidth,
    left: wrap.classList.contains('more-left') && shade('::before') === '1',
    right: wrap.classList.contains('more-right') && shade('::after') === '1',
  };
}
"""


def test_the_phone_navigation_shows_there_is_more_to_the_side(browser, live_server, tx):  # noqa: F811
    """The admin's nine links do not fit 360 px: the right edge fades with an arrow; scrolled
    to the end, the left edge does instead."""
    page = open_as(browser, live_server, tx.admin, phone(360), **TOUCH)
    page.goto(f"{live_server.url}/my/")
    page.wait_for_function(f"() => ({EDGES_JS})().right")  # the fade comes in over .15 s
    assert page.evaluate(EDGES_JS) == {"overflows": True, "left": False, "right": True}
    page.screenshot(path=SHOTS / "phone-360-nav-more-right.png", clip={"x": 0, "y": 0, "width": 360, "height": 160})
    page.evaluate("() => { const nav = document.querySelector('.mainnav'); nav.scrollLeft = nav.scrollWidth; }")
    page.wait_for_function(f"() => ({EDGES_JS})().left")
    assert page.evaluate(EDGES_JS) == {"overflows": True, "left": True, "right": False}
    page.screenshot(path=SHOTS / "phone-360-nav-more-left.png", clip={"x": 0, "y": 0, "width": 360, "height": 160})
    # A page far along the list opens with its own link in view.
    page.goto(f"{live_server.url}/holidays/")
    current = page.locator(".mainnav a[aria-current=page]").bounding_box()
    assert current["x"] >= 0 and current["x"] + current["width"] <= 360
    page.context.close()
    # On a desk all links fit: no shading.
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    assert page.evaluate(EDGES_JS) == {"overflows": False, "left": False, "right": False}
    page.context.close()


def test_the_english_header_fits_a_phone(browser, live_server, tx):  # noqa: F811
    AccountProfile.objects.update_or_create(user=tx.admin, defaults={"language": "en"})
    for width in WIDTHS:
        page = open_as(browser, live_server, tx.admin, phone(width), **TOUCH)
        for url in ("/my/", "/tickets/new/", "/board/TX/", "/tickets/"):
            page.goto(live_server.url + url)
            assert page.get_attribute("html", "lang") == "en"
            assert no_sideways_scroll(page), (width, url)
            # The mark, “＋ Log problem”, the bell and “Log out” share the top row.
            tops = page.evaluate(
                "() => ['.brand', '.log-button', '.bell', '.usermenu .linkbutton']"
                ".map((s) => Math.round(document.querySelector(s).getBoundingClientRect().top))"
            )
            assert max(tops) - min(tops) <= 8, (width, url, tops)
            # The name is still the link's name for a screen reader.
            assert page.get_by_role("link", name="Campaign Ledger").count() == 1
        if width == 390:
            page.goto(f"{live_server.url}/my/")
            page.screenshot(
                path=SHOTS / "phone-390-english-header.png", clip={"x": 0, "y": 0, "width": 390, "height": 200}
            )
        page.context.close()


def test_before_and_after_photos_are_large_and_open_larger(browser, live_server, tx, tmp_path):  # noqa: F811
    ticket = tx.assigned()
    workflow.ticket_submit_fix(
        ticket=ticket,
        actor=tx.unit_liaison,
        note="已清理",
        photos=[pending_photo(tx.unit_liaison, PhotoKind.AFTER)],
    )
    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    widths = page.evaluate("() => Array.from(document.querySelectorAll('.photos-compare img')).map((i) => i.width)")
    assert len(widths) == 2 and min(widths) >= 400, widths
    page.screenshot(path=SHOTS / "desk-ticket-photos.png", full_page=True)
    # A click opens the picture itself over the page.
    page.click(".photos-compare a >> nth=0")
    dialog = page.locator("dialog.lightbox")
    assert dialog.is_visible()
    large = dialog.locator("img")
    page.wait_for_function("() => document.querySelector('dialog.lightbox img').naturalWidth > 0")
    assert large.get_attribute("src").endswith(f"/photos/{ticket.photos.filter(kind='before').get().pk}/")
    assert large.get_attribute("alt") == "整改前照片 1"
    page.screenshot(path=SHOTS / "desk-ticket-photo-large.png")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    # By keyboard: Tab to the after-photo, Enter opens it, the close button closes it, and
    # the focus is back on the photo.
    page.focus(".photos-compare a >> nth=1")
    page.keyboard.press("Enter")
    assert dialog.is_visible() and large.get_attribute("alt") == "整改后照片 1"
    assert page.evaluate("() => document.activeElement.className").startswith("button lightbox-close")
    page.keyboard.press("Enter")
    assert not dialog.is_visible()
    assert page.evaluate("() => document.activeElement.href") == large.get_attribute("src")
    page.context.close()
    # On a phone the two still sit side by side, within the screen.
    page = open_as(browser, live_server, tx.supervisor, phone(360), **TOUCH)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert no_sideways_scroll(page)
    page.click(".photos-compare a >> nth=1")
    assert page.locator("dialog.lightbox").is_visible()
    page.screenshot(path=SHOTS / "phone-360-photo-large.png")
    page.mouse.click(10, 400)  # a tap beside the picture closes it
    assert not page.locator("dialog.lightbox").is_visible()
    page.context.close()


def test_the_unit_chooser_finds_a_community_by_typing(browser, live_server, tx):  # noqa: F811
    for name in ("站前社区", "迎宾社区", "南站社区"):
        OrgUnit.objects.create(name=name, kind=UnitKind.COMMUNITY, parent=tx.street2)
    ticket = tx.log()
    page = open_as(browser, live_server, tx.supervisor, phone(390), **TOUCH)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    unit = page.locator("#id_assign_responsible_unit")
    search = page.get_by_role("searchbox", name="责任单位：输入名称查找")
    # The communities sit under their street, the departments apart.
    groups = unit.evaluate(GROUPS_JS)
    assert groups["铁西区第二街道"] == ["铁西区第二街道", "站前社区", "迎宾社区", "南站社区"]
    assert groups["铁西区第一街道"] == ["铁西区第一街道", "铁西区北沟社区"]
    assert groups["部门/责任单位"] == ["铁西区执法局", "铁西区卫健局"]
    # Typing a street's name keeps the whole street (and the unit already chosen: the point's
    # own department); typing a community's keeps just it, and chooses it.
    search.fill("第二街道")
    assert unit.evaluate(GROUPS_JS) == {
        "": ["— 请选择 —"],
        "铁西区第二街道": ["铁西区第二街道", "站前社区", "迎宾社区", "南站社区"],
        "部门/责任单位": ["铁西区执法局"],
    }
    assert page.inner_text("#act-assign .select-filter-count >> nth=0") == "找到 4 个"
    search.fill("迎宾")
    assert unit.evaluate("(s) => s.selectedOptions[0].text") == "迎宾社区"
    page.screenshot(path=SHOTS / "phone-390-unit-chooser.png", full_page=False)
    # Cleared: the whole list again, the chosen unit kept.
    search.fill("")
    units = OrgUnit.objects.filter(district=tx.unit).exclude(kind=UnitKind.DISTRICT).count()
    assert unit.evaluate("(s) => s.options.length") == units + 1  # and “— 请选择 —”
    assert unit.evaluate("(s) => s.selectedOptions[0].text") == "迎宾社区"
    page.fill("#id_assign_deadline", (timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    with page.expect_navigation():
        page.click("button:has-text('确认交办')")
    ticket.refresh_from_db()
    assert ticket.responsible_unit.name == "迎宾社区"
    page.context.close()


def test_the_favicon_is_served(browser, live_server, tx):  # noqa: F811
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    for icon in page.evaluate("() => Array.from(document.querySelectorAll('link[rel~=icon]')).map((l) => l.href)"):
        response = page.request.get(icon)
        assert response.status == 200 and len(response.body()) > 100, icon
    page.context.close()
