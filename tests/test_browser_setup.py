"""The first day of a new district, in a real browser: its admin stands it up from Excel files
— units, people, then a campaign with the national standard's checklist — guided by the
setup pages, without ever opening /admin/."""

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from campaigns.models import AccountProfile, Campaign, ChecklistItem, Membership, OrgUnit, Role, UnitKind

from .factories import UserFactory, member
from .test_browser import CSP_REFUSAL, DESKTOP, SHOTS, browser, no_sideways_scroll, open_as  # noqa: F401 # browser is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    page.screenshot(path=SHOTS / f"setup-{name}.png", full_page=True)


def test_a_new_admin_stands_up_an_empty_district_from_excel(browser, live_server, city, tmp_path):  # noqa: F811
    district = OrgUnit.objects.create(name="铁北区", kind=UnitKind.DISTRICT, code="TB", parent=city)
    admin = member(UserFactory(username="tb_admin", first_name="铁北区创卫办"), district, Role.ADMIN)

    page = open_as(browser, live_server, admin, DESKTOP)
    visited, refusals = [], []
    page.on("request", lambda request: visited.append(request.url))
    page.on("console", lambda m: refusals.append(m.text) if any(w in m.text for w in CSP_REFUSAL) else None)
    base = live_server.url

    # The board of an empty district leads to the setup; the overview says where to start.
    page.goto(f"{base}/board/TB/")
    page.click("text=本区设置")
    page.wait_for_selector(".setup-steps")
    assert "先建好本区的单位" in page.inner_text("#step-1")
    assert "下一步" in page.inner_text("#step-1")
    shot(page, "01-overview-empty")

    # 1. Units: the template, filled in as an office would in Excel.
    page.click("#step-1 >> text=从 Excel 导入")
    with page.expect_download() as download:
        page.click("text=下载模板")
    units_file = tmp_path / "units.xlsx"
    download.value.save_as(units_file)
    workbook = load_workbook(units_file)
    sheet = workbook["单位"]
    rows = [
        ["北沟社区", "社区", "英雄街道", "李书记", "13804340001"],  # its street comes later: a mistake
        ["英雄街道", "街道", "", "王主任", "0434-3261234"],
        ["迎宾社区", "社区", "英雄街道", "", ""],
        ["站前街道", "街道", "", "", ""],
        ["园北社区", "社区", "站前街道", "", ""],
        ["平西乡", "乡镇", "", "", ""],
        ["平西村", "村", "平西乡", "", ""],
        ["区执法局", "部门", "", "赵科长", ""],
        ["区卫健局", "部门", "", "", ""],
    ]
    for row in rows:
        sheet.append(row)
    workbook.save(units_file)
    page.set_input_files("#id_file", str(units_file))
    page.click("text=上传并预览")
    page.wait_for_selector(".import-preview")
    assert "请把那一行移到这一行之前" in page.inner_text(".import-preview")
    assert page.locator("text=确认导入").count() == 0
    shot(page, "02-units-preview-error")
    assert not OrgUnit.objects.filter(district=district).exclude(pk=district.pk).exists()

    # Row 2 is the template's example (marked 示例, skipped); the mistaken row 3 moves below its street.
    sheet.delete_rows(3)
    sheet.insert_rows(4)
    for column, value in enumerate(rows[0], start=1):
        sheet.cell(row=4, column=column, value=value)
    workbook.save(units_file)
    page.click("a.button:has-text('重新上传')")
    page.set_input_files("#id_file", str(units_file))
    page.click("text=上传并预览")
    page.wait_for_selector("text=确认导入")
    shot(page, "03-units-preview-clean")
    page.click("button:has-text('确认导入')")
    page.wait_for_selector(".messages")
    assert "新增 9 个单位" in page.inner_text(".messages")
    assert no_sideways_scroll(page)
    shot(page, "04-units-tree")
    assert OrgUnit.objects.get(name="北沟社区").street == OrgUnit.objects.get(name="英雄街道")

    # 2. People, from the people template.
    page.goto(f"{base}/setup/TB/")
    assert "下一步" in page.inner_text("#step-2")
    page.click("#step-2 >> text=从 Excel 导入")
    with page.expect_download() as download:
        page.click("text=下载模板")
    people_file = tmp_path / "people.xlsx"
    download.value.save_as(people_file)
    workbook = load_workbook(people_file)
    sheet = workbook["人员"]
    sheet.append(["王五", "tb_wangwu", "13804340011", "北沟社区", "工作人员"])
    sheet.append(["赵六", "tb_zhaoliu", "", "区执法局", "工作人员"])
    sheet.append(["钱七", "tb_qianqi", "13804340013", "铁北区", "督导/创卫办"])
    sheet.append(["孙八", "tb_sunba", "", "铁北区", "领导"])
    workbook.save(people_file)
    page.set_input_files("#id_file", str(people_file))
    page.click("text=上传并预览")
    page.wait_for_selector("text=确认导入")
    assert page.locator(".import-preview tbody tr").count() == 4
    shot(page, "05-people-preview")
    page.click("button:has-text('确认导入')")
    page.wait_for_selector(".issued-passwords")
    shown = page.inner_text(".issued-passwords")
    shot(page, "06-people-passwords-once")
    with page.expect_download() as download:
        page.click("button:has-text('下载初始密码')")
    passwords_file = tmp_path / "passwords.xlsx"
    download.value.save_as(passwords_file)
    issued = {row[1]: row[2] for row in load_workbook(passwords_file).active.iter_rows(min_row=3, values_only=True)}
    assert set(issued) == {"tb_wangwu", "tb_zhaoliu", "tb_qianqi", "tb_sunba"}
    assert all(password in shown for password in issued.values())
    User = get_user_model()
    for username, password in issued.items():
        user = User.objects.get(username=username)
        assert user.check_password(password) and AccountProfile.objects.get(user=user).must_change_password
    assert Membership.objects.get(user__username="tb_qianqi").role == Role.SUPERVISOR

    # The list masks phones; the person's own page shows the number.
    page.goto(f"{base}/setup/TB/people/")
    assert "138****0011" in page.inner_text("main") and "13804340011" not in page.inner_text("main")
    shot(page, "07-people-list")

    # 5. The campaign: a mistake in the dates is explained, what was typed stays.
    page.goto(f"{base}/setup/TB/")
    assert "下一步" in page.inner_text("#step-5")
    page.click("#step-5 >> text=创建活动")
    page.fill("#id_name", "铁北区创建国家卫生城市")
    page.select_option("#id_kind", "create")
    assert page.input_value("#id_status") == "running"  # what the board shows
    page.fill("#id_start_date", "2026-12-01")
    page.fill("#id_inspection_date", "2027-06-30")
    page.fill("#id_end_date", "2026-11-01")
    page.click("button:has-text('创建活动')")
    page.wait_for_selector(".has-error")
    assert "结束日期不能早于开始日期" in page.inner_text("main form")
    assert page.input_value("#id_name") == "铁北区创建国家卫生城市"
    shot(page, "08-campaign-date-error")
    page.fill("#id_end_date", "2027-12-31")
    page.click("button:has-text('创建活动')")
    page.wait_for_selector("#checklist-step")
    assert "下一步：生成任务清单" in page.inner_text("#checklist-step")
    shot(page, "09-campaign-next-checklist")
    page.click("button:has-text('按国家标准生成任务清单')")
    page.wait_for_selector(".messages")
    assert "已按国家卫生城市标准生成" in page.inner_text(".messages")
    campaign = Campaign.objects.get(district=district)
    assert ChecklistItem.objects.filter(campaign=campaign).count() > 20

    # 3. A work group, now that there is a campaign.
    page.goto(f"{base}/setup/TB/groups/")
    page.click("text=添加第一个工作组")
    page.select_option("#id_kind", "finder_group")
    page.fill("#id_name", "发现问题第一组")
    page.select_option("#id_leader", label="钱七（tb_qianqi）")
    page.check("text=英雄街道")
    shot(page, "10-group-form")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".messages")
    assert "发现问题第一组" in page.inner_text("main")

    page.goto(f"{base}/setup/TB/")
    for number in (1, 2, 3, 5):
        assert "已完成" in page.inner_text(f"#step-{number}"), number
    assert no_sideways_scroll(page)
    shot(page, "11-overview-done")
    page.goto(f"{base}/board/TB/")
    assert "铁北区创建国家卫生城市" in page.inner_text(".page-head")
    page.context.close()
    assert not [url for url in visited if "/admin/" in url]
    assert not refusals, refusals

    # A new staffer signs in with the one-time password and must set their own first.
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "tb_wangwu")
    page.fill("#id_password", issued["tb_wangwu"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/password_change/" in page.url
    shot(page, "12-staff-first-login")
    page.context.close()
