"""The city's 问题清单 in a real browser: 王 pastes the letter's table, adds its photos, corrects
a suggestion in the preview and imports it; the tickets appear under the round.

Reuses the fixtures of test_browser.py (chromium through Playwright, screenshots into
test-artifacts/screenshots/, files named problem-list-*).
"""

import pytest

from campaigns.models import RoundFinding, TicketState

from .problem_lists import a_photo, city_round_for, pasted_text, photos_zip, standard_for, tx_rows, tx_world
from .test_browser import DESKTOP, SHOTS, browser, open_as, visit_and_collect_refusals

__all__ = ["browser"]  # a fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_pastes_a_problem_list_corrects_it_and_imports_it(browser, live_server, tx, city_admin, tmp_path):
    standard_for(tx.campaign)
    tx_world(tx)
    city_round = city_round_for(city_admin, tx.unit)
    rows = [*tx_rows(tx), [4, "楼道内堆放杂物，疑似乱堆乱放", "北沟社区5号楼", "第一街道", "城管委", "7天", ""]]
    archive = tmp_path / "照片.zip"
    archive.write_bytes(photos_zip({"3.jpg": a_photo()}))

    page = open_as(browser, live_server, tx.admin, DESKTOP)
    refusals = visit_and_collect_refusals(page, f"{live_server.url}/problem-lists/?round={city_round.pk}")
    assert page.input_value("#id_inspection_round") == str(city_round.pk)
    page.fill("#id_pasted", pasted_text(rows))
    page.set_input_files("#id_photos", str(archive))
    page.screenshot(path=SHOTS / "problem-list-01-upload-desktop.png", full_page=True)
    page.click("text=上传并预览")
    page.wait_for_selector(".problem-list-preview")
    text = page.inner_text(".problem-list-preview")
    assert "地点含点位名称" in text and "地址相符" in text and "1 张" in text
    assert "铁西区没有责任单位“城管委”" in text
    assert page.locator("button[value=import]").count() == 0  # row 5 must be settled first
    page.screenshot(path=SHOTS / "problem-list-02-preview-desktop.png", full_page=True)

    # 王 knows 城管委 is the district's 执法局.
    page.select_option("select[name=r5-unit]", str(tx.department.pk))
    page.click("button[value=check]")
    page.wait_for_selector("button[value=import]")
    assert "没有发现问题" in page.inner_text(".import-summary")
    page.screenshot(path=SHOTS / "problem-list-03-checked-desktop.png", full_page=True)
    page.click("button[value=import]")
    page.wait_for_selector(".messages")
    assert "导入完成：4 个问题已生成工单" in page.inner_text(".messages")
    page.screenshot(path=SHOTS / "problem-list-04-imported-desktop.png", full_page=True)
    findings = {f.serial: f.ticket for f in RoundFinding.objects.select_related("ticket", "ticket__responsible_unit")}
    assert findings[4].responsible_unit == tx.department and findings[2].state == TicketState.REPORTED
    assert findings[3].photos.count() == 1
    assert not refusals, refusals
    page.context.close()
