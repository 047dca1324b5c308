"""The 12345 page in a real browser: 满意率 with its formula, the 工单 list, the export's preview."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook

from campaigns.models import HotlineCategory, HotlineSettings, HotlineSource, HotlineStreet
from campaigns.workflow.hotline import hotline_order_receive

from .test_browser import DESKTOP, PHONE, SHOTS, browser, no_sideways_scroll, open_as

__all__ = ["browser"]  # the module-scoped fixture, shared with test_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path("/work/shots/hotline")


def shot(page, name):
    page.screenshot(path=str(SHOTS / name), full_page=True)
    if OUT.is_dir():  # the helper's own copy, for the report
        shutil.copy(SHOTS / name, OUT / name)


def test_the_12345_page_and_the_export_preview(browser, live_server, tx, tmp_path):
    link = HotlineSettings.objects.create(district=tx.unit, enabled=True, campaign=tx.campaign)
    HotlineCategory.objects.create(settings=link, hotline_name="垃圾清运", category=tx.category)
    HotlineStreet.objects.create(settings=link, hotline_name="第一街道办事处", street=tx.street)
    HotlineStreet.objects.create(settings=link, hotline_name="第二街道办事处", street=tx.street2)
    now = timezone.localtime()
    visits = ["满意", "基本满意", "不满意", "满意", "", "满意", ""]
    for n, visit in enumerate(visits):
        hotline_order_receive(
            settings=link,
            raw={
                "order_no": f"12345-{now:%Y%m%d}-{n + 1:04d}",
                "called_at": (now - datetime.timedelta(hours=n)).isoformat(),
                "kind": "垃圾清运" if n % 2 else "鼠迹",
                "content": ["小区门口垃圾堆放多日无人清理", "餐馆后厨有鼠迹", "背街小巷污水外溢"][n % 3],
                "street": "第一街道办事处" if n < 4 else "第二街道办事处",
                "address": f"中心路 {n + 1} 号",
                "time_limit_days": 5,
                "visit_result": visit,
            },
            source=HotlineSource.PUSH,
        )

    page = open_as(browser, live_server, tx.supervisor, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/hotline/")
    assert page.get_by_text("满意率 =（满意 + 基本满意）÷ 已回访 × 100%").is_visible()
    assert page.get_by_text("80.0%").first.is_visible()  # (3 满意 + 1 基本满意) ÷ 5 已回访
    shot(page, "hotline-page-desktop.png")

    page = open_as(browser, live_server, tx.supervisor, PHONE)
    page.goto(f"{live_server.url}/board/TX/hotline/?visit=不满意")
    assert page.get_by_text("背街小巷污水外溢").is_visible()
    assert no_sideways_scroll(page)
    shot(page, "hotline-page-phone.png")

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工单号", "来电时间", "诉求类型", "诉求内容", "所属街道", "地址", "办理时限", "回访结果"])
    sheet.append(
        [
            f"12345-{now:%Y%m%d}-0001",
            now.strftime("%Y-%m-%d %H:%M"),
            "垃圾清运",
            "小区门口垃圾堆放多日无人清理",
            "第一街道办事处",
            "",
            5,
            "满意",
        ]
    )
    sheet.append(["E-NEW", now.strftime("%Y-%m-%d %H:%M"), "垃圾清运", "公厕无人保洁", "第九街道", "", "很多天", ""])
    path = tmp_path / "12345导出.xlsx"
    workbook.save(path)
    page = open_as(browser, live_server, tx.admin, DESKTOP)
    page.goto(f"{live_server.url}/board/TX/hotline/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=上传并预览")
    page.wait_for_load_state()
    assert page.get_by_text("所属街道“第九街道”没有对应的街道/乡镇").first.is_visible()
    shot(page, "hotline-import-preview-desktop.png")
