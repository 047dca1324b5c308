"""Forms that come back with errors, and required fields, as the HTML draws them (issue 16).

The browser side (in view, focused, the ticket's address) is tests/test_browser_form_errors.py;
here: what the page carries for it, with or without ledger.js.
"""

import re

from django.urls import reverse

from campaigns.models import Ticket

from .factories import photo_upload

LOG_URL = reverse("campaigns:ticket-log")


def tag(html, pattern):
    """The one opening tag that matches."""
    found = re.findall(rf"<[a-z]+[^>]*{pattern}[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


class TestAFormThatFails:
    def test_the_fix_without_a_photo_comes_back_pointing_at_the_photo_and_the_ticket_page(self, client, tx):
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        response = client.post(reverse("campaigns:ticket-submit-fix", args=[ticket.number]), {"note": "已清理完毕"})
        html = response.content.decode()
        assert response.status_code == 400
        # Where ledger.js puts the address back: the ticket's page, at this form.
        failed = tag(html, "data-failed-form")
        assert 'id="act-submit_fix"' in failed
        assert f'data-page-url="/tickets/{ticket.number}/#act-submit_fix"' in failed
        # At the top of the form, every error linked to its field; the photo takes the focus.
        assert '<a href="#id_submit_fix_photos">整改后照片：提交整改至少需要一张整改后照片。</a>' in html
        assert "autofocus" in tag(html, 'id="id_submit_fix_photos"')
        assert "autofocus" not in tag(html, 'id="id_submit_fix_note"')
        assert html.count("autofocus") == 1
        # What she typed is still there.
        assert "已清理完毕</textarea>" in html

    def test_the_first_field_in_trouble_is_the_first_on_the_page(self, client, tx):
        """The log form draws the photo first: with the photo and the place both missing, the
        photo is where the cursor goes."""
        client.force_login(tx.staff)
        response = client.post(
            LOG_URL, {"point": "", "place": "", "street": tx.street.pk, "category": tx.category.pk, "description": "x"}
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "autofocus" in tag(html, 'id="id_photos"')
        assert "autofocus" not in tag(html, 'id="id_place"')
        assert tag(html, "data-failed-form").startswith("<form")

    def test_a_refusal_of_the_whole_form_puts_the_focus_on_the_list_of_errors(self, client, tx, duties):
        tx.log()  # a colleague logged a problem for the street this morning
        client.force_login(tx.staff)
        response = client.post(
            reverse("campaigns:report-submit", args=[duties.street.pk]), {"nothing_found": "on", "points_visited": 0}
        )
        html = response.content.decode()
        assert response.status_code == 400
        summary = tag(html, 'class="alert alert-error error-summary"')
        assert "autofocus" in summary and 'tabindex="-1"' in summary
        failed = tag(html, "data-failed-form")
        assert f'id="duty-{duties.street.pk}"' in failed
        assert f'data-page-url="/reports/#duty-{duties.street.pk}"' in failed

    def test_an_empty_ticket_page_has_no_failed_form_and_no_autofocus(self, client, tx):
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        assert "data-failed-form" not in html and "autofocus" not in html and "error-summary" not in html

    def test_kept_photos_come_back_with_the_failed_form(self, client, tx):
        """Only the note is missing: the photo that was fine is kept, and the note takes the focus."""
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        response = client.post(
            reverse("campaigns:ticket-submit-fix", args=[ticket.number]), {"note": "", "photos": [photo_upload()]}
        )
        html = response.content.decode()
        assert 'name="kept_photos"' in html and "无需重拍" in html
        assert "autofocus" in tag(html, 'id="id_submit_fix_note"')
        assert Ticket.objects.get(pk=ticket.pk).state == ticket.state


class TestRequiredFields:
    def test_the_log_form_marks_the_photo_as_required_and_the_place_as_one_of_two(self, client, tx):
        client.force_login(tx.staff)
        html = client.get(LOG_URL).content.decode()
        picker = html[html.index('class="field photo-picker') : html.index("photo-previews")]
        assert "required" in tag(html, 'class="field photo-picker')
        assert 'class="required-mark"' in picker.split("</label>")[0]  # the star sits in the camera button
        assert 'aria-required="true"' in tag(html, 'id="id_photos"')
        # The file field is never `required` in HTML: photos kept from a failed try count too.
        assert " required" not in tag(html, 'id="id_photos"')
        legend = re.search(r"<legend>(.*?)</legend>", html, re.S).group(1)
        assert "点位或具体地点（二选一，至少填一项）" in legend and 'class="required-mark"' in legend
        # Inside the pair, neither field is starred on its own.
        pair = html[html.index('<fieldset class="one-of">') : html.index("</fieldset>")]
        assert pair.count('class="required-mark"') == 1
        assert "标 * 的为必填项。" in html

    def test_required_fields_carry_the_same_mark_everywhere(self, client, tx):
        ticket = tx.assigned()
        client.force_login(tx.unit_liaison)
        html = client.get(reverse("campaigns:ticket-detail", args=[ticket.number])).content.decode()
        fix = html[html.index('id="act-submit_fix"') :]
        fix = fix[: fix.index("</details>")]
        assert re.search(r'<label for="id_submit_fix_note">整改情况<span class="required-mark"', fix)
        assert 'aria-required="true"' in tag(fix, 'id="id_submit_fix_photos"')
        # Evidence photos that help the case but are not needed carry no star.
        extension = html[html.index('id="act-ext_request"') :]
        extension = extension[: extension.index("</details>")]
        photo_button = extension[extension.index('class="photo-button"') :].split("</label>")[0]
        assert "required-mark" not in photo_button
        assert re.search(r'<label for="id_ext_request_reason">延期原因<span class="required-mark"', extension)
