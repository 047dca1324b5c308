"""The city's 问题清单 comes into the ledger: matched row by row, corrected in the preview,
imported whole as tickets of its round — or not at all.

王 (tx.admin) is 铁西区's admin. On Friday 4 December she receives 市督查第 3 期's 通报 (四创卫办
〔2026〕31号, dated Monday 30 November, ten working days to fix) with its list of three
problems and a zip of photos. The clock stays on that Friday morning.
"""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from PIL import Image

from campaigns.models import (
    AuditEvent,
    ImportStatus,
    InspectionRound,
    Membership,
    PhotoKind,
    ProblemListImport,
    RoundFinding,
    RoundLevel,
    RoundStatus,
    Ticket,
    TicketPhoto,
    TicketState,
)
from campaigns.services.problem_list import NONE, deadline_read, problem_list_check, problem_list_upload
from campaigns.services.problem_list_read import LAYOUT, pasted_read
from campaigns.services.xlsx_read import read_workbook
from campaigns.workflow.problem_list import problem_list_confirm

from .problem_lists import (
    a_photo,
    city_round_for,
    confirm,
    pasted_text,
    photos_zip,
    standard_for,
    tx_rows,
    tx_world,
    upload,
    workbook_bytes,
)


@pytest.fixture(autouse=True)
def _the_week_of_the_letter():
    """These stories happen in the week of the city's letter (dated Monday 30 November 2026):
    the clock stays there whatever the process clock says (make test-clocks moves that one)."""
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True):
        yield


LETTER_DEADLINE = datetime.date(2026, 12, 14)  # ten working days after Monday 30 November


@pytest.fixture
def items(tx):
    return standard_for(tx.campaign)


@pytest.fixture
def alley(tx):
    return tx_world(tx)


@pytest.fixture
def city_round(tx, city_admin):
    return city_round_for(city_admin, tx.unit)


@pytest.fixture
def wang(client, tx, items, alley):
    client.force_login(tx.admin)
    return client


def rows_of(preview):
    return {row.number: row for row in preview.rows}


def preview_facts(preview):
    """What a preview says of each row, whatever the list was read from."""
    return [
        (row.number, row.values, row.chosen, row.deadline, dict(row.errors), row.note, row.photo_keys)
        for row in preview.rows
    ]


# --- reading: a workbook or a table pasted from the letter -------------------------------------


class TestReading:
    def test_a_workbook_and_the_same_table_pasted_give_the_same_preview(self, tx, items, alley, city_round):
        record = ProblemListImport(office=tx.unit, uploaded_by=tx.admin, inspection_round=city_round)
        from_workbook = problem_list_check(read_workbook(workbook_bytes(tx_rows(tx)), LAYOUT), record)
        from_paste = problem_list_check(pasted_read(pasted_text(tx_rows(tx))), record)
        assert preview_facts(from_workbook) == preview_facts(from_paste)
        assert [row.number for row in from_paste.rows] == [2, 3, 4]  # line numbers, header on line 1

    @pytest.mark.parametrize(
        "text",
        [
            "问题清单\n| 序号 | 问题描述 | 地点 | 所属街道 |\n|---|---|---|---|\n"
            "| 1 | 楼道堆物 | 北沟社区3号楼 | 第一街道 |\n",
            "问题清单\n序号  问题描述    地点          所属街道\n1     楼道堆物    北沟社区3号楼  第一街道\n",
            "序号│问题描述│地点│所属街道\n1│楼道堆物│北沟社区3号楼│第一街道\n",
        ],
        ids=["bars", "spaces", "box-drawing"],
    )
    def test_a_table_typed_with_bars_or_spaces_is_read_too(self, text):
        sheet = pasted_read(text)
        assert not sheet.errors
        assert [values for _number, values in sheet.rows] == [
            {"serial": "1", "description": "楼道堆物", "place": "北沟社区3号楼", "street": "第一街道"}
        ]

    def test_a_cell_with_line_breaks_comes_quoted_from_excel(self):
        text = '序号\t问题描述\t地点\n1\t"垃圾桶满溢\n周边散落垃圾"\t站前路\n2\t鼠迹\t中心路\n'
        sheet = pasted_read(text)
        assert [values["description"] for _number, values in sheet.rows] == ["垃圾桶满溢\n周边散落垃圾", "鼠迹"]

    def test_header_variants_are_understood(self):
        header = ["编号", "存在问题", "具体位置", "街道（乡镇）", "整改单位", "整改期限", "问题照片"]
        sheet = read_workbook(
            workbook_bytes([[1, "垃圾暴露", "站前路", "第一街道", "执法局", "7天", ""]], header), LAYOUT
        )
        assert not sheet.errors
        assert set(sheet.rows[0][1]) == {"serial", "description", "place", "street", "unit", "deadline", "photos"}

    def test_what_is_no_list_says_so(self):
        assert pasted_read("   \n").errors == ["没有粘贴任何内容。"]
        assert "没有找到表头" in pasted_read("今天天气很好\n明天也好\n").errors[0]
        assert "缺少必填列：序号" in pasted_read("问题描述\t地点\t所属街道\n垃圾\t站前路\t第一街道\n").errors[0]

    @pytest.mark.parametrize(
        "cell,expected,note",
        [
            ("10个工作日", datetime.date(2026, 12, 14), "通报日起 10 个工作日"),
            ("十个工作日内完成", datetime.date(2026, 12, 14), "通报日起 10 个工作日"),
            ("7天", datetime.date(2026, 12, 7), "通报日起 7 天"),
            ("立行立改", datetime.date(2026, 12, 4), "立行立改：今天"),
            ("2026年12月20日前", datetime.date(2026, 12, 20), ""),
            ("12月20日", datetime.date(2026, 12, 20), ""),
            ("1月10日前", datetime.date(2027, 1, 10), ""),  # a December letter's January is next year's
            (datetime.datetime(2026, 12, 31, 0, 0), datetime.date(2026, 12, 31), ""),
            ("", None, ""),
        ],
    )
    def test_the_deadlines_a_letter_writes(self, city_round, cell, expected, note):
        assert deadline_read(cell, city_round, datetime.date(2026, 12, 4)) == (expected, note)

    def test_a_deadline_nobody_can_read(self, city_round):
        with pytest.raises(ValueError, match="看不懂"):
            deadline_read("尽快", city_round, datetime.date(2026, 12, 4))


# --- matching, with reasons, and the admin's corrections -----------------------------------------


class TestMatching:
    def test_each_row_is_matched_with_why(self, wang, tx, items, city_round):
        response = upload(
            wang, rows=tx_rows(tx), photos=photos_zip({"3.jpg": a_photo()}), inspection_round=city_round, office=tx.unit
        )
        assert response.status_code == 200
        market, stairs, rats = (rows_of(response.context["preview"])[n] for n in (2, 3, 4))

        # 1: the market named inside the place, the street without its district, the unit by its short name.
        assert market.chosen == {
            "street": tx.street.pk,
            "point": tx.point.pk,
            "unit": tx.department.pk,
            "item": items["garbage"].pk,
            "category": tx.category.pk,
        }
        assert [option.note for option in market.options["point"]] == ["地点含点位名称"]
        assert market.options["unit"][0].note == "名称一致"
        assert market.options["item"][0].note == "描述提到“垃圾暴露”"
        assert (market.deadline, market.note) == (LETTER_DEADLINE, "交办给铁西区执法局，2026-12-14 前整改")

        # 2: no point, no unit: 待交办 in its street, the 项 and category from "乱堆乱放".
        assert (stairs.chosen["point"], stairs.chosen["unit"], stairs.note) == (None, None, "待交办")
        assert stairs.cleaned["item"] == items["clutter"] and stairs.cleaned["category"].name == "乱堆乱放"

        # 3: the point found by its address gives the street; the list's own date.
        assert rats.options["point"][0].note == "地址相符"
        assert rats.cleaned["street"] == tx.street and rats.options["street"][0].note == "点位所在街道"
        assert rats.cleaned["unit"] == tx.department2 and rats.deadline == datetime.date(2026, 12, 20)
        assert rats.cleaned["item"] == items["rats"] and rats.cleaned["category"] == tx.category2
        assert rats.photo_keys == ["3.jpg"]
        assert Ticket.objects.count() == 0  # nothing until confirmed

    def test_a_campaign_without_a_standard_leaves_the_item_empty(self, client, tx, alley, city_round):
        client.force_login(tx.admin)
        response = upload(client, rows=tx_rows(tx)[:1], inspection_round=city_round, office=tx.unit)
        market = response.context["preview"].rows[0]
        assert market.chosen["item"] is None and market.options["item"] == [] and not market.errors
        assert market.cleaned["category"] == tx.category  # from the words of the description
        assert "活动未设测评标准" in response.content.decode()

    def test_a_corrected_suggestion_is_the_one_imported(self, wang, tx, items, alley, city_round):
        record = upload(wang, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit).context["record"]
        # 王 knows better: the stairs are the 执法局's, and it is garbage rather than clutter;
        # the market's problem is at the alley, which has no 项.
        picks = {
            3: {"unit": tx.department.pk, "category": tx.category.pk, "item": items["garbage"].pk},
            2: {"point": alley.pk, "street": tx.street2.pk, "item": NONE},
        }
        response = confirm(wang, record, picks)
        assert response.status_code == 302
        market, stairs = RoundFinding.objects.select_related("ticket").order_by("serial")
        assert (market.ticket.point, market.ticket.street, market.item) == (alley, tx.street2, None)
        assert (stairs.ticket.responsible_unit, stairs.ticket.deadline) == (tx.department, LETTER_DEADLINE)
        assert (stairs.category, stairs.item) == (tx.category, items["garbage"])

    def test_checking_the_choices_again_imports_nothing(self, wang, tx, city_round):
        rows = [[1, "楼道乱堆乱放杂物", "北沟社区3号楼", "第一街道", "城管委", "", ""]]
        record = upload(wang, rows=rows, inspection_round=city_round, office=tx.unit).context["record"]
        response = confirm(wang, record, action="check")
        row = response.context["preview"].rows[0]
        assert response.status_code == 400
        assert row.errors == {"unit": ["铁西区没有责任单位“城管委”：请在下拉框中选择，或选“不交办”。"]}
        assert "确认导入" not in response.content.decode()  # only 重新检查 while it has errors
        response = confirm(wang, record, {1 + 1: {"unit": tx.department.pk}}, action="check")
        assert response.status_code == 200 and response.context["preview"].is_clean
        assert "确认导入" in response.content.decode()
        assert Ticket.objects.count() == 0
        record.refresh_from_db()
        assert record.status == ImportStatus.PREVIEW

    def test_choosing_no_unit_makes_it_wait_for_assignment(self, wang, tx, city_round):
        rows = [[1, "楼道乱堆乱放杂物", "北沟社区3号楼", "第一街道", "城管委", "", ""]]
        record = upload(wang, rows=rows, inspection_round=city_round, office=tx.unit).context["record"]
        assert confirm(wang, record, {2: {"unit": NONE}}).status_code == 302
        assert Ticket.objects.get().state == TicketState.REPORTED

    def test_a_choice_from_another_district_is_refused(self, wang, tx, td, city_round):
        record = upload(wang, rows=tx_rows(tx)[:1], inspection_round=city_round, office=tx.unit).context["record"]
        response = confirm(wang, record, {2: {"unit": td.department.pk, "point": td.point.pk}})
        assert response.status_code == 409
        errors = response.context["preview"].rows[0].errors
        assert errors["unit"] == errors["point"] == ["所选的一项已不可用，请重新选择。"]
        assert Ticket.objects.count() == 0


# --- what a row may not be ----------------------------------------------------------------------


class TestRowErrors:
    def test_each_problem_is_named_on_its_row_and_nothing_is_imported(self, wang, tx, city_round):
        rows = [
            [1, "", "英雄广场", "第一街道", "", "", ""],  # no description
            [2, "井盖缺失，垃圾暴露", "", "", "", "", ""],  # no street, no point
            [3, "垃圾暴露", "英雄广场", "第一街道", "执法局", "2026-12-01", ""],  # deadline past
            [4, "垃圾暴露", "英雄广场", "第一街道", "城管委", "", ""],  # unknown unit
            [5, "垃圾暴露", "英雄广场", "第二街道", "执法局", "尽快", "5.jpg"],  # unreadable deadline, no zip
            [5, "鼠迹", "英雄广场", "第二街道", "", "", ""],  # 序号 twice
            ["第六", "鼠迹", "英雄广场", "第二街道", "", "", ""],  # no number
        ]
        response = upload(wang, rows=rows, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400
        errors = {row.number - 1: row.errors for row in response.context["preview"].rows}
        assert errors[1]["description"] == ["“问题描述”不能为空。"]
        assert errors[2]["street"] == ["没有所属街道，也没有对应的点位：请选择街道，或改正后重新上传。"]
        assert errors[2]["place"] == ["没有地点，也没有对应的点位：请写明地点，或选择点位。"]
        assert errors[3] == {"deadline": ["整改时限 2026-12-01 已过（早于今天）。"]}
        assert errors[4] == {"unit": ["铁西区没有责任单位“城管委”：请在下拉框中选择，或选“不交办”。"]}
        assert "看不懂" in errors[5]["deadline"][0] and errors[5]["photos"] == [
            "写了照片文件名，但没有上传照片压缩包。"
        ]
        assert errors[6] == {"serial": ["与第 6 行的序号重复。"]}
        assert errors[7] == {"serial": ["序号应是正整数：“第六”。"]}
        record = response.context["record"]
        assert confirm(wang, record).status_code == 409
        assert Ticket.objects.count() == RoundFinding.objects.count() == 0
        record.refresh_from_db()
        assert record.status == ImportStatus.REFUSED

    def test_another_districts_street_is_no_street_of_a_district_list(self, wang, tx, td, city_round):
        rows = [[1, "垃圾暴露", "解放路", td.street.name, "", "", ""]]
        row = upload(wang, rows=rows, inspection_round=city_round, office=tx.unit).context["preview"].rows[0]
        assert row.errors["street"] == [f"没有找到街道或乡镇“{td.street.name}”：请在下拉框中选择，或改正后重新上传。"]
        assert td.street.pk not in {option.pk for option in row.others["street"]}

    def test_text_is_stripped_of_control_characters_and_kept_as_typed(self, wang, tx, city_round):
        rows = [[1, '  =HYPERLINK("http://x")\x07 垃圾暴露  ', "英雄广场\x1b", "第一街道", "", "", ""]]
        text = pasted_text(rows)
        record = upload(wang, pasted=text, inspection_round=city_round, office=tx.unit).context["record"]
        assert confirm(wang, record).status_code == 302
        ticket = Ticket.objects.get()
        assert (ticket.description, ticket.place) == ('=HYPERLINK("http://x") 垃圾暴露', "英雄广场")

    def test_an_overlong_description_is_refused_not_cut(self, wang, tx, city_round):
        rows = [[1, "垃圾暴露" * 501, "英雄广场", "第一街道", "", "", ""]]
        row = upload(wang, rows=rows, inspection_round=city_round, office=tx.unit).context["preview"].rows[0]
        assert row.errors == {"description": ["问题描述太长（最多 2000 个字）。"]}


# --- importing: tickets of the round, all or nothing, once ---------------------------------------


class TestImport:
    def test_the_list_becomes_tickets_of_its_round(self, wang, tx, items, city_round):
        record = upload(
            wang, rows=tx_rows(tx), photos=photos_zip({"3.jpg": a_photo()}), inspection_round=city_round, office=tx.unit
        ).context["record"]
        response = confirm(wang, record)
        assert response.status_code == 302 and response["Location"] == reverse(
            "campaigns:problem-list-show", args=[record.pk]
        )
        findings = list(RoundFinding.objects.select_related("ticket").order_by("serial"))
        assert [(f.serial, f.ticket.inspection_round, f.district) for f in findings] == [
            (n, city_round, tx.unit) for n in (1, 2, 3)
        ]
        market, stairs, rats = (finding.ticket for finding in findings)
        assert (market.state, market.responsible_unit, market.deadline) == (
            TicketState.ASSIGNED,
            tx.department,
            LETTER_DEADLINE,
        )
        assert (stairs.state, stairs.responsible_unit, stairs.street) == (TicketState.REPORTED, None, tx.street)
        assert (rats.responsible_unit, rats.deadline, rats.point) == (
            tx.department2,
            datetime.date(2026, 12, 20),
            tx.point,
        )
        assert [photo.kind for photo in rats.photos.all()] == [PhotoKind.BEFORE] and market.photos.count() == 0
        assert all(ticket.reported_by == tx.admin for ticket in (market, stairs, rats))
        record.refresh_from_db()
        assert (record.status, record.rows_added, set(record.findings.all())) == (ImportStatus.DONE, 3, set(findings))
        assert set(city_round.campaigns.all()) == {tx.campaign}
        audit = AuditEvent.objects.filter(target__startswith="problem list import").get()
        assert (audit.user, audit.district_id, audit.details["added"], audit.details["assigned"]) == (
            tx.admin,
            tx.unit.pk,
            3,
            2,
        )

        page = wang.get(reverse("campaigns:problem-list-show", args=[record.pk])).content.decode()
        assert all(ticket.number in page for ticket in (market, stairs, rats))

    def test_confirming_twice_imports_once(self, wang, tx, city_round):
        record = upload(wang, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit).context["record"]
        assert confirm(wang, record).status_code == 302
        again = confirm(wang, record)
        assert again.status_code == 302
        page = wang.get(again["Location"]).content.decode()
        assert "这份清单已经处理过了（已导入），没有再次导入。" in page
        assert Ticket.objects.count() == RoundFinding.objects.count() == 2

    def test_the_same_list_uploaded_again_is_refused_by_its_numbers(self, wang, tx, city_round):
        first = upload(wang, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit).context["record"]
        confirm(wang, first)
        response = upload(wang, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit)
        numbers = dict(RoundFinding.objects.values_list("serial", "ticket__number"))
        assert [row.errors["serial"] for row in response.context["preview"].rows] == [
            [f"序号 {n} 已导入过这个轮次（工单 {numbers[n]}）。"] for n in (1, 2)
        ]
        assert confirm(wang, response.context["record"]).status_code == 409
        assert Ticket.objects.count() == 2

    def test_a_number_taken_after_the_preview_stops_the_whole_import(self, wang, client, tx, city_round):
        mine = upload(wang, rows=tx_rows(tx)[:2], inspection_round=city_round, office=tx.unit).context["record"]
        # Meanwhile 孙 (the supervisor) imports row 2 of the same letter on her own.
        client.force_login(tx.supervisor)
        theirs = upload(client, rows=tx_rows(tx)[1:2], inspection_round=city_round, office=tx.unit).context["record"]
        assert confirm(client, theirs).status_code == 302
        response = confirm(wang, mine)
        assert response.status_code == 409
        assert response.context["preview"].rows[1].errors["serial"][0].startswith("序号 2 已导入过这个轮次")
        assert Ticket.objects.count() == 1  # hers; none of 王's rows, not even the good first one
        mine.refresh_from_db()
        assert mine.status == ImportStatus.REFUSED

    def test_a_row_refused_while_writing_undoes_the_rows_before_it(self, tx, items, alley, city_round):
        sheet = pasted_read(pasted_text(tx_rows(tx)[:2]))
        record, preview = problem_list_upload(
            office=tx.unit, actor=tx.supervisor, sheet=sheet, pasted="…", inspection_round=city_round
        )
        assert preview.is_clean
        # Her role is taken away between the preview and the confirm: the first ticket would be
        # logged before the verb refuses her.
        Membership.objects.filter(user=tx.supervisor).delete()
        preview = problem_list_confirm(record=record, actor=tx.supervisor)
        assert preview.confirm_errors == ["第 2 行未能导入：您的角色不能在本区登记问题。 这次一行也没有导入。"]
        assert Ticket.objects.count() == RoundFinding.objects.count() == TicketPhoto.objects.count() == 0
        record.refresh_from_db()
        assert record.status == ImportStatus.PREVIEW and not record.findings.exists()

    def test_a_new_round_is_made_only_when_the_list_is_imported(self, wang, tx, items):
        rows = [[1, "农贸市场西侧垃圾暴露", tx.point.name, "第一街道", "执法局", "", ""], tx_rows(tx)[1]]
        response = upload(
            wang,
            rows=rows,
            office=tx.unit,
            name="省暗访第 2 期",
            kind="covert",
            level=RoundLevel.PROVINCE,
            letter_number="吉爱卫办〔2026〕8号",
            letter_date="2026-12-02",
            deadline_working_days=5,
        )
        market = response.context["preview"].rows[0]
        # The unit without a deadline: five working days from Wednesday 2 December.
        assert market.deadline == datetime.date(2026, 12, 9)
        assert not InspectionRound.objects.exists()
        assert confirm(wang, response.context["record"]).status_code == 302
        made = InspectionRound.objects.get()
        assert (made.name, made.kind, made.level, made.letter_number, made.letter_date) == (
            "省暗访第 2 期",
            "covert",
            RoundLevel.PROVINCE,
            "吉爱卫办〔2026〕8号",
            datetime.date(2026, 12, 2),
        )
        assert (made.status, made.created_by, made.standard, made.deadline_working_days) == (
            RoundStatus.FINISHED,
            tx.admin,
            tx.campaign.standard,
            5,
        )
        assert set(made.districts.all()) == {tx.unit} and set(made.campaigns.all()) == {tx.campaign}
        assert Ticket.objects.filter(inspection_round=made).count() == 2

    def test_a_new_round_needs_a_name(self, wang, tx):
        response = upload(wang, rows=tx_rows(tx)[:1], office=tx.unit)
        assert response.status_code == 400
        assert response.context["form"].errors["name"] == ["请填写轮次名称，或在上面选择已有的轮次。"]
        assert not ProblemListImport.objects.exists()

    def test_a_file_and_a_pasted_table_at_once_keep_what_was_typed(self, wang, tx, city_round):
        text = pasted_text(tx_rows(tx))
        response = upload(wang, rows=tx_rows(tx), pasted=text, inspection_round=city_round, office=tx.unit)
        assert response.status_code == 400
        assert response.context["form"].errors["pasted"][0].startswith("请只上传文件或只粘贴表格")
        assert response.context["form"]["pasted"].value() == text


# --- photos in a zip ------------------------------------------------------------------------------


class TestPhotos:
    def test_photos_are_found_by_name_folder_case_or_without_extension(self, wang, tx, city_round):
        archive = photos_zip(
            {
                "清单照片/1-1.JPG": a_photo((200, 10, 10)),
                "清单照片/1-2.png": _png(),
                "现场照片二.jpg": a_photo((10, 10, 200)),
                "__MACOSX/._1-1.JPG": b"resource fork",
            }
        )
        rows = [
            [1, "垃圾暴露", "英雄广场", "第一街道", "", "", "1-1.jpg、1-2"],
            [2, "鼠迹", "英雄广场", "第一街道", "", "", "现场照片二"],
        ]
        record = upload(wang, rows=rows, photos=archive, inspection_round=city_round, office=tx.unit).context["record"]
        assert confirm(wang, record).status_code == 302
        first, second = (f.ticket for f in RoundFinding.objects.select_related("ticket").order_by("serial"))
        assert sorted(p.content_type for p in first.photos.all()) == ["image/jpeg", "image/png"]
        assert [p.original_name for p in second.photos.all()] == ["现场照片二.jpg"]
        assert all(p.kind == PhotoKind.BEFORE and p.uploaded_by == tx.admin for p in TicketPhoto.objects.all())

    def test_a_photo_missing_or_no_photo_is_an_error_on_its_row(self, wang, tx, city_round):
        archive = photos_zip({"1.jpg": b"MZ\x90\x00 this is a program", "2.jpg": a_photo()})
        rows = [
            [1, "垃圾暴露", "英雄广场", "第一街道", "", "", "1.jpg"],
            [2, "鼠迹", "英雄广场", "第一街道", "", "", "2.jpg 9.jpg"],
        ]
        response = upload(wang, rows=rows, photos=archive, inspection_round=city_round, office=tx.unit)
        fake, missing = response.context["preview"].rows
        assert fake.errors["photos"] == ["“1.jpg”不是照片。请上传 JPG、PNG 或 WebP 格式的图片。"]
        assert missing.errors["photos"] == ["照片压缩包里没有“9.jpg”。"]
        assert confirm(wang, response.context["record"]).status_code == 409
        assert TicketPhoto.objects.count() == 0

    def test_what_is_no_zip_is_refused_before_anything_is_kept(self, wang, tx, city_round):
        response = upload(
            wang, rows=tx_rows(tx), photos=b"PK\x03\x04 broken", inspection_round=city_round, office=tx.unit
        )
        assert response.status_code == 400
        assert response.context["form"].errors["photos"] == ["照片压缩包不是有效的 .zip 文件。"]
        assert not ProblemListImport.objects.exists()

    def test_a_zip_names_its_files_in_the_windows_code_page(self, wang, tx, city_round):
        # Windows' own zip writes 现场.jpg in GBK without the UTF-8 flag: a name of the same
        # length in bytes is written, then its bytes replaced.
        gbk = "现场.jpg".encode("gbk")
        data = photos_zip({"abcd.jpg": a_photo()}).replace(b"abcd.jpg", gbk)
        rows = [[1, "垃圾暴露", "英雄广场", "第一街道", "", "", "现场.jpg"]]
        response = upload(wang, rows=rows, photos=data, inspection_round=city_round, office=tx.unit)
        assert response.context["preview"].rows[0].photo_keys == ["现场.jpg"]


def _png():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()
