"""Every page that counts working days says which holiday schedule it counted on (issue 13 §2).

It is Monday 4 January 2027, 18:30 in 四平市: the first working day of a year no holiday
package knows, and the city office has not typed in the State Council's notice yet. 铁西区's
admin 王 (tx.admin) reads the board's KPIs, ranks the streets, makes an inspection round,
imports a 问题清单 and a 12345 export, and generates December's 专报: each page that counts
working days says what it counted them on — 2027 on Monday to Friday, 2026 on
chinesecalendar's — so nobody takes a 平均处置时长 or a deadline for more than it is. Once the
city's admin (city_admin) enters 2027, the pages say so.
"""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaigns.models import HotlineCategory, HotlineSettings, HotlineStreet, RoundLevel
from campaigns.services.monthly import summary_generate, summary_request

from .conftest import BEIJING
from .problem_lists import upload
from .rounds_world import make_round
from .test_holiday_schedule import save_2027

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2027, 1, 4, 18, 30, tzinfo=BEIJING)
KNOWN_2026 = "2026年国务院节假日安排（chinesecalendar 1.11.0）"
UNKNOWN_2027 = "2027年节假日安排尚未录入，暂按周一至周五计算"
OFFICE_2027 = "本系统录入的2027年节假日安排"


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def wang(client, tx):
    client.force_login(tx.admin)
    return client


def basis(html):
    """The text of the page's 工作日依据 notes."""
    notes = [part.split("</", 1)[0] for part in html.split('class="help workday-basis">')[1:]]
    assert notes, "the page names no 工作日依据"
    return notes


def test_the_boards_kpi_panel_names_both_years_of_its_thirty_days(wang, tx, city_admin):
    (note,) = basis(wang.get(reverse("campaigns:board", args=["TX"])).content.decode())
    assert note == f"工作日依据：{KNOWN_2026}；{UNKNOWN_2027}"


def test_the_panel_names_the_schedule_its_figures_were_counted_on(
    wang, tx, city_admin, django_capture_on_commit_callbacks
):
    wang.get(reverse("campaigns:board", args=["TX"]))  # counted now, kept for ten minutes
    save_2027(city_admin)
    # A write in the district: once it commits, the board is drawn again, with the kept figures.
    # (The write's commit moves the district's version on; the cache's own clock is Redis's,
    # which the test's frozen clock does not move.)
    with django_capture_on_commit_callbacks(execute=True):
        tx.log()
    (note,) = basis(wang.get(reverse("campaigns:board", args=["TX"])).content.decode())
    assert UNKNOWN_2027 in note  # what the figures on the page were counted on
    with time_machine.travel(MONDAY + datetime.timedelta(minutes=11), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            tx.log()
        (note,) = basis(wang.get(reverse("campaigns:board", args=["TX"])).content.decode())
    assert note == f"工作日依据：{KNOWN_2026}；{OFFICE_2027}"


def test_rankings_name_the_years_of_their_period(wang, tx):
    url = reverse("campaigns:rankings", args=["TX"])
    assert basis(wang.get(url).content.decode()) == [f"工作日依据：{KNOWN_2026}"]  # December, by default
    this_year = wang.get(url, {"start": "2027-01-01", "end": "2027-01-04"}).content.decode()
    assert basis(this_year) == [f"工作日依据：{UNKNOWN_2027}"]


def test_decembers_summary_keeps_the_schedule_it_was_counted_on(wang, tx):
    summary = summary_generate(summary_request(district=tx.unit, month=datetime.date(2026, 12, 1), actor=tx.admin))
    assert summary.figures["calendar_basis"] == f"工作日依据：{KNOWN_2026}"
    page = wang.get(reverse("campaigns:summary", args=[summary.pk])).content.decode()
    assert basis(page) == [f"工作日依据：{KNOWN_2026}"]
    with summary.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()))["汇总"]
    assert f"工作日依据：{KNOWN_2026}" in [row[0] for row in sheet.iter_rows(values_only=True)]


def test_a_new_round_and_its_page_say_how_its_deadline_is_counted(wang, tx):
    form = wang.get(reverse("campaigns:round-new")).content.decode()
    assert f"自通报日期起算，发现的问题按此设定整改时限。 工作日依据：{UNKNOWN_2027}" in form
    own = make_round([tx], tx.admin, name="铁西区自查", level=RoundLevel.DISTRICT)
    page = wang.get(reverse("campaigns:round", args=[own.pk])).content.decode()
    assert basis(page) == [f"工作日依据：{UNKNOWN_2027}"]


def test_a_round_whose_letter_came_last_december_counts_on_both_years(wang, tx):
    own = make_round([tx], tx.admin, name="区暗访", level=RoundLevel.DISTRICT, letter_date=datetime.date(2026, 12, 30))
    page = wang.get(reverse("campaigns:round", args=[own.pk])).content.decode()
    # Five working days from 30 December reach into 2027: both years' sources are named.
    assert basis(page) == [f"工作日依据：{KNOWN_2026}；{UNKNOWN_2027}"]


def test_a_problem_list_says_how_its_deadlines_are_counted(wang, tx):
    form = wang.get(reverse("campaigns:problem-list-import")).content.decode()
    assert f"清单里没写整改时限的问题按此交办。 工作日依据：{UNKNOWN_2027}" in form
    rows = [[1, "居民楼道乱堆乱放杂物", "北沟社区3号楼", tx.street.name, "", "", ""]]
    sent = upload(wang, rows=rows, office=tx.unit, name="区暗访", level=RoundLevel.DISTRICT, letter_date="2027-01-04")
    preview = wang.get(sent["Location"]) if sent.status_code == 302 else sent
    assert basis(preview.content.decode()) == [f"工作日依据：{UNKNOWN_2027}"]


def test_a_hotline_export_preview_says_how_its_deadlines_are_counted(wang, tx, city_admin):
    link = HotlineSettings.objects.create(district=tx.unit, enabled=True, campaign=tx.campaign, default_days=5)
    HotlineCategory.objects.create(settings=link, hotline_name="垃圾清运", category=tx.category)
    HotlineStreet.objects.create(settings=link, hotline_name="第一街道办事处", street=tx.street)
    book = Workbook()
    book.active.append(["工单号", "来电时间", "诉求类型", "诉求内容", "所属街道", "地址", "办理时限", "回访结果"])
    book.active.append(["E-1", "2027-01-04 09:00", "垃圾清运", "路边垃圾未清", "第一街道办事处", "北街 2 号", 3, ""])
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("12345导出.xlsx", out.getvalue())
    response = wang.post(reverse("campaigns:hotline-import", args=["TX"]), {"file": upload})
    assert response.status_code == 200
    assert f"热线办理期限按办理时限（工作日）从来电日起算。工作日依据：{UNKNOWN_2027}" in response.content.decode()
    save_2027(city_admin)
    show = reverse("campaigns:hotline-import-show", args=["TX", response.context["record"].pk])
    assert f"工作日依据：{OFFICE_2027}" in wang.get(show).content.decode()
