"""Staff pages on a phone: 360 to 414 px wide, thumbs for fingers, a camera, a slow connection.

The staffer's journey in the street — log a problem with a photo (shrunk in the browser before
it is sent), the unit's fix with an after-photo, the daily report — in Debian's chromium, with
touch emulation. Screenshots in test-artifacts/screenshots/ are named after the page and width.
"""

import datetime
import io

import pytest
from PIL import Image

from campaigns.models import DailyReport, Ticket, TicketPhoto, TicketState

from .test_browser import PHONE, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 - fixture used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 390, 414)
TOUCH = {"has_touch": True}
MIN_TARGET = 44

# Buttons, links in lists and menus, and form controls: what a thumb has to hit.
TARGETS = """
button, a.button, summary, .linkbutton, .log-button, .bell, .brand, .username, .more,
input:not([type=hidden]), select, textarea, label.photo-button,
li a, nav a, .tabs a
"""

SMALL_TARGETS_JS = """
([selector, minimum]) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (getComputedStyle(el).opacity === '0') continue;  // the photo field: its label is the button
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) {
      box = el.closest('label').getBoundingClientRect();  // the label is what a finger hits
    }
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      const name = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()}.${el.className} "${name}" ${size}`);
    }
  }
  return small;
}
"""


def open_everything(page):
    """Folded parts (action forms, the optional part of the log form) are measured open."""
    page.evaluate("document.querySelectorAll('details').forEach((el) => { el.open = true; })")


def small_targets(page):
    return page.evaluate(SMALL_TARGETS_JS, [TARGETS, MIN_TARGET])


def phone(width):
    return {"width": width, "height": 800}


def big_photo(path, size=(3000, 2000), orientation=None, taken="2026:11:30 09:15:00"):
    """A phone-sized JPEG with busy pixels (as photos have), a capture time and a place."""
    image = Image.effect_noise(size, 64).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation or 1
    exif.get_ifd(0x8769)[0x9003] = taken
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (43.0, 10.0, 12.0), 3: "E", 4: (124.0, 21.0, 36.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_staff_pages_fit_every_phone_and_every_target_takes_a_thumb(browser, live_server, tx, duties):  # noqa: F811
    reported = tx.log()
    rectifying = tx.assigned()
    tx.submitted()
    from campaigns.services.checklist import checklist_apply_standard

    checklist_apply_standard(campaign=tx.campaign, actor=tx.admin)
    item = tx.campaign.checklist_items.filter(lead_unit__isnull=True).first()
    item.lead_unit = tx.department
    item.save()
    pages = {
        tx.staff: [
            ("log", "/tickets/new/"),
            ("ticket", f"/tickets/{reported.number}/"),
            ("my-tasks", "/my/"),
            ("daily-report", "/reports/"),
            ("notifications", "/notifications/"),
            ("ticket-list", "/tickets/"),
        ],
        tx.unit_liaison: [
            ("fix-ticket", f"/tickets/{rectifying.number}/"),
            ("my-tasks-unit", "/my/"),
            ("checklist-mine", "/checklist/mine/"),
            ("checklist-item", f"/checklist/items/{item.pk}/"),
        ],
    }
    problems = []
    for user, urls in pages.items():
        for width in WIDTHS:
            page = open_as(browser, live_server, user, phone(width), **TOUCH)
            for name, url in urls:
                page.goto(live_server.url + url)
                if width == 390:
                    page.screenshot(path=SHOTS / f"phone-390-{name}.png", full_page=True)
                open_everything(page)
                if not no_sideways_scroll(page):
                    problems.append(f"{width}px {url}: scrolls sideways")
                problems.extend(f"{width}px {url}: {target} is smaller than 44×44" for target in small_targets(page))
                if width == 360:
                    page.screenshot(path=SHOTS / f"phone-360-{name}-open.png", full_page=True)
            page.context.close()
    assert not problems, "\n".join(problems)


def test_the_photo_field_opens_the_camera_and_offers_the_album(browser, live_server, tx):  # noqa: F811
    page = open_as(browser, live_server, tx.staff, PHONE, **TOUCH)
    page.goto(f"{live_server.url}/tickets/new/")
    field = page.locator("#id_photos")
    assert field.get_attribute("accept") == "image/*"
    assert field.get_attribute("capture") == "environment"
    assert field.get_attribute("multiple") is not None
    # On a touch screen the album is one tap away, through the same field without capture.
    gallery = page.locator("[data-gallery-for=id_photos]")
    assert gallery.is_visible()
    with page.expect_file_chooser() as chooser:
        gallery.click()
    assert chooser.value.element.get_attribute("capture") is None
    # The camera button brings the camera back.
    with page.expect_file_chooser() as chooser:
        page.click("label.photo-button")
    assert chooser.value.element.get_attribute("capture") == "environment"
    page.context.close()


def test_staffer_logs_a_problem_in_three_taps_plus_the_photo(browser, live_server, tx, tmp_path):  # noqa: F811
    """The taps: 登记问题 → (photo) → 点位 → 问题类别 → (one line of note) → 提交登记.

    The staffer's street is chosen already, the point list is grouped by street, the category
    list by assessment area; everything else folds away under "更多（可选）".
    """
    photo = big_photo(tmp_path / "IMG_2041.jpg", orientation=6)
    page = open_as(browser, live_server, tx.staff, PHONE, **TOUCH)
    page.click("text=登记问题")  # tap 1
    assert page.locator("#id_street").input_value() == str(tx.street.pk)
    assert page.locator(".assign-now").get_attribute("open") is None
    page.set_input_files("#id_photos", str(photo))  # the photo
    page.select_option("#id_point", str(tx.point.pk))  # tap 2
    page.select_option("#id_category", str(tx.category.pk))  # tap 3
    page.fill("#id_description", "市场东门垃圾桶满溢")
    # Shrunk in the browser: the field now holds a JPEG of at most 1600 px, the EXIF time kept.
    page.wait_for_function("() => document.querySelector('#id_photos').hasAttribute('data-shrunk')")
    picked = page.evaluate(
        "() => { const f = document.querySelector('#id_photos').files[0]; return [f.name, f.type, f.size]; }"
    )
    assert picked[0] == "IMG_2041.jpg" and picked[1] == "image/jpeg"
    assert picked[2] < photo.stat().st_size / 2, (picked, photo.stat().st_size)
    page.screenshot(path=SHOTS / "phone-390-log-filled.png", full_page=True)

    # Sent: the button says so, and a second tap sends nothing more. (The page holds the first
    # submission back here, long enough to look at it, as a slow connection would.)
    page.evaluate(
        """() => window.addEventListener('submit', (event) => {
             window.submits = (window.submits || []).concat([event.defaultPrevented]);
             event.preventDefault();
           })"""
    )
    button = page.locator(".log-form button[type=submit]")
    button.click()  # tap 4: 提交登记
    page.wait_for_function("() => document.querySelector('.log-form button[type=submit]').disabled")
    assert button.inner_text() == "正在上传…"
    page.screenshot(path=SHOTS / "phone-390-log-sending.png", full_page=True)
    page.evaluate("() => document.querySelector('.log-form').requestSubmit()")  # an impatient second tap
    assert page.evaluate("() => window.submits") == [False, True]  # the second was stopped by ledger.js
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.evaluate("() => HTMLFormElement.prototype.submit.call(document.querySelector('.log-form'))")
    page.wait_for_selector(".ticket-title")
    assert len(posts) == 1

    number = page.inner_text(".ticket-title").strip()
    assert f"已登记，台账编号 {number}。" in page.inner_text(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "phone-390-logged.png", full_page=True)
    page.context.close()

    ticket = Ticket.objects.get(number=number)
    assert Ticket.objects.count() == 1 and ticket.state == TicketState.REPORTED
    stored = ticket.photos.get()
    # Upright (the phone held it sideways: Orientation 6) and at most 1600 px on the long side.
    with Image.open(stored.image.path) as image:
        assert image.size == (1067, 1600), image.size
        assert image.getexif().get(0x0112, 1) == 1
    assert stored.taken_at == datetime.datetime(2026, 11, 30, 1, 15, tzinfo=datetime.UTC)
    assert stored.latitude is not None and round(float(stored.latitude), 3) == 43.170


def test_small_photos_go_as_they_are(browser, live_server, tx, tmp_path):  # noqa: F811
    small = big_photo(tmp_path / "small.jpg", size=(1200, 900))
    page = open_as(browser, live_server, tx.staff, PHONE, **TOUCH)
    page.goto(f"{live_server.url}/tickets/new/")
    page.set_input_files("#id_photos", str(small))
    page.select_option("#id_point", str(tx.point.pk))
    page.select_option("#id_category", str(tx.category.pk))
    page.fill("#id_description", "路灯下有小广告")
    page.click("text=提交登记")
    page.wait_for_selector(".ticket-title")
    page.context.close()
    stored = TicketPhoto.objects.get()
    # Not re-encoded: the same pixels, only the metadata cut out by the server.
    assert (stored.image.width, stored.image.height) == (1200, 900)
    assert stored.original_name == "small.jpg"


def test_unit_fixes_and_the_street_files_its_daily_report_on_a_phone(browser, live_server, tx, duties, tmp_path):  # noqa: F811
    ticket = tx.assigned()
    after = big_photo(tmp_path / "after.jpg", size=(2000, 3000))

    page = open_as(browser, live_server, tx.unit_liaison, PHONE, **TOUCH)
    page.click(f"text={ticket.number}")
    page.fill("#id_submit_fix_note", "已清理完毕，增加清运频次")
    page.set_input_files("#id_submit_fix_photos", str(after))
    page.click("button:has-text('确认提交整改')")
    page.wait_for_selector(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "phone-390-fix-submitted.png", full_page=True)
    page.context.close()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.SUBMITTED
    after_photo = ticket.photos.get(kind="after")
    assert max(after_photo.image.width, after_photo.image.height) == 1600

    page = open_as(browser, live_server, tx.staff, PHONE, **TOUCH)
    page.click(".mainnav >> text=日报")
    card = page.locator(f"#duty-{duties.street.pk}")
    card.locator("input[name=points_visited]").fill("6")
    card.locator("button:has-text('提交日报')").click()
    page.wait_for_selector(".messages")
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "phone-390-daily-report-filed.png", full_page=True)
    page.context.close()
    assert DailyReport.objects.get(duty=duties.street).points_visited == 6


def test_focus_is_visible_on_every_control_of_the_log_form(browser, live_server, tx):  # noqa: F811
    """Tab from the top of the page to the bottom: every stop shows a clear ring."""
    page = open_as(browser, live_server, tx.staff, PHONE)
    page.goto(f"{live_server.url}/tickets/new/")
    seen, invisible = [], []
    for _step in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || el === document.body || el.hasAttribute('data-tabbed')) return null;
              el.setAttribute('data-tabbed', '');
              // The file field itself is invisible; its label (the camera button) shows the ring.
              const shown = el.type === 'file' ? document.querySelector(`label[for="${el.id}"]`) : el;
              const ring = getComputedStyle(shown);
              const control = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
              const name = ((control ? el.name : el.innerText) || el.className || '').trim().slice(0, 20);
              return {
                name: `${el.tagName.toLowerCase()} "${name}"`,
                ring: ring.outlineStyle !== 'none' && parseFloat(ring.outlineWidth) >= 2,
              };
            }"""
        )
        if focused is None:
            break
        seen.append(focused["name"])
        if not focused["ring"]:
            invisible.append(focused["name"])
        if focused["name"] == 'a "＋ 登记问题"':
            page.screenshot(path=SHOTS / "phone-390-focus-topbar.png")
        if focused["name"] == 'select "category"':
            page.screenshot(path=SHOTS / "phone-390-focus-field.png")
        if focused["name"] == 'input "photos"':
            page.screenshot(path=SHOTS / "phone-390-focus-photo.png")
    names = " | ".join(seen)
    for stop in ('a "作战图"', 'input "photos"', 'select "point"', 'select "category"', 'button "提交登记"'):
        assert stop in names, names
    assert not invisible, invisible
    page.context.close()
