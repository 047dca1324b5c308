"""The standard and its sample quotas as .xlsx: 四平市's admin (city_admin) exports the national
standard, changes it in Excel and imports it as the city's own version; the original, which
campaigns and rounds were scored on, never changes. Every import previews first and writes
all of its rows or none."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import (
    AuditEvent,
    AuditKind,
    ImportStatus,
    PointType,
    SampleQuota,
    Standard,
    StandardImport,
    StandardItem,
)
from campaigns.services.standard import standard_default
from campaigns.services.standard_xlsx import item_row

pytestmark = pytest.mark.django_db

NEW_VERSION = "2021版（四平市细则）"


@pytest.fixture
def national(db):
    return standard_default()


@pytest.fixture
def keeper(client, tx, city_admin):
    client.force_login(city_admin)
    return client


def exported(client, standard):
    response = client.get(reverse("campaigns:standard-export", args=[standard.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    return b"".join(response.streaming_content)


def edited(content, changes=(), rows=()):
    """The workbook with cells changed ({(row, column letter): value}) and rows appended."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["测评标准"]
    for (row, column), value in dict(changes).items():
        sheet[f"{column}{row}"] = value
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, standard, content, version=NEW_VERSION, **more):
    data = {
        "file": SimpleUploadedFile("四平市细则.xlsx", content),
        "name": standard.name,
        "version": version,
        "scope": "city",
        "issued_by": "四平爱卫发〔2026〕5号",
        "source": "在 2021版 基础上按本市实际修订",
        **more,
    }
    return client.post(reverse("campaigns:standard-import", args=[standard.pk]), data)


def confirm(client, standard, record):
    return client.post(reverse("campaigns:standard-import-confirm", args=[standard.pk, record.pk]))


def tree(standard):
    items = (
        StandardItem.objects.filter(article__aspect__standard=standard)
        .select_related("article__aspect")
        .prefetch_related("point_types")
        .order_by("article__aspect__order", "article__order", "order")
    )
    return [item_row(item) for item in items]


def row_of(content, code):
    sheet = load_workbook(io.BytesIO(content))["测评标准"]
    return next(row[0].row for row in sheet.iter_rows(min_row=2) if row[4].value == code)


class TestRoundTrip:
    def test_export_then_import_as_a_new_version_gives_the_same_tree(self, keeper, national, city_admin):
        content = exported(keeper, national)
        response = upload(keeper, national, content)
        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview.is_clean and (preview.unchanged, preview.changed, preview.added) == (86, 0, 0)
        record = StandardImport.objects.get()
        response = confirm(keeper, national, record)
        made = Standard.objects.get(version=NEW_VERSION)
        assert response.status_code == 302 and response["Location"] == reverse("campaigns:standard", args=[made.pk])
        assert tree(made) == tree(national)
        assert (made.issued_by, made.is_current) == ("四平爱卫发〔2026〕5号", False)
        # The new version starts with the quotas of the one it came from.
        assert SampleQuota.objects.filter(standard=made).count() == 21
        assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=city_admin).exists()
        event = AuditEvent.objects.get(kind=AuditKind.SETTINGS_CHANGE, details__change="standard_import")
        assert event.details["based_on"] == str(national) and event.details["items"] == 86
        # Sent again (a double click): the file is handled, no second version.
        assert confirm(keeper, national, record).status_code == 302
        assert Standard.objects.filter(name=national.name).count() == 2

    def test_changes_show_in_the_preview_and_land_only_in_the_new_version(self, keeper, national):
        content = exported(keeper, national)
        clean = row_of(content, "3.1.4")
        changed = edited(
            content,
            {(clean, "F"): "主次干道每日两次保洁", (clean, "I"): "是", (clean, "H"): 3},
            rows=[["3", "市容环境卫生", "3.1", national_article(national, "3.1"), "3.1.6", "无占道经营", "现场查看"]],
        )
        preview = upload(keeper, national, changed, make_current="on").context["preview"]
        assert (preview.changed, preview.added, preview.unchanged) == (1, 1, 85)
        row = next(row for row in preview.rows if row.action == "change")
        assert row.changes["要求"] == ["及时保洁", "主次干道每日两次保洁"] and row.changes["必备条件"] == ["否", "是"]
        confirm(keeper, national, StandardImport.objects.get())
        made = Standard.objects.get(version=NEW_VERSION)
        mine = StandardItem.objects.get(article__aspect__standard=made, code="3.1.4")
        assert (mine.requirement, mine.is_gate, mine.score) == ("主次干道每日两次保洁", True, 3)
        assert StandardItem.objects.filter(article__aspect__standard=made, code="3.1.6").exists()
        original = StandardItem.objects.get(article__aspect__standard=national, code="3.1.4")
        assert (original.requirement, original.is_gate) == ("及时保洁", False)
        national.refresh_from_db()
        assert made.is_current and not national.is_current  # chosen as the current one
        assert standard_default() == made

    def test_a_township_standard_is_its_own_current_one_beside_the_citys(self, keeper, national):
        """平西乡 needs the 国家卫生乡镇标准: imported as its own standard for 乡镇 and made current, it
        is what a township's campaign starts from, while cities keep the national one."""
        content = exported(keeper, national)
        response = upload(
            keeper, national, content, version="2021版", name="国家卫生乡镇标准", scope="town", make_current="on"
        )
        assert response.status_code == 200
        confirm(keeper, national, StandardImport.objects.get())
        township = Standard.objects.get(name="国家卫生乡镇标准")
        assert (township.scope, township.is_current) == ("town", True)
        national.refresh_from_db()
        assert national.is_current and standard_default() == national
        assert standard_default("town") == township


def national_article(standard, code):
    return StandardItem.objects.filter(article__aspect__standard=standard, article__code=code).first().article.text


class TestRefused:
    def test_a_wrong_method_a_duplicate_code_and_an_unknown_point_type_import_nothing(self, keeper, national):
        content = exported(keeper, national)
        first, second = row_of(content, "3.1.1"), row_of(content, "3.1.2")
        bad = edited(
            content,
            {
                (first, "G"): "随便看看",  # 评价方式
                (second, "E"): "3.1.1",  # the 项编号 of the row above
                (first, "J"): "主次干道、火星基地",
                (second, "B"): "市容",  # 方面 3 named otherwise than on the rows above
            },
        )
        response = upload(keeper, national, bad)
        assert response.status_code == 400
        text = response.content.decode()
        assert "“评价方式”不对：“随便看看”" in text
        assert "项编号“3.1.1”与第 " in text and "行重复" in text
        assert "没有这些点位类型：火星基地" in text
        assert "同一编号的方面应一样" in text
        record = StandardImport.objects.get()
        assert confirm(keeper, national, record).status_code == 409
        record.refresh_from_db()
        assert record.status == ImportStatus.REFUSED
        assert Standard.objects.count() == 1 and not record.created_id

    def test_more_rows_than_an_import_takes(self, keeper, national, settings):
        settings.IMPORT_MAX_ROWS = 50
        response = upload(keeper, national, exported(keeper, national))
        assert response.status_code == 400
        assert "一次最多导入 50 行" in response.content.decode()
        assert not StandardImport.objects.exists() and Standard.objects.count() == 1

    def test_a_version_that_exists_is_never_overwritten(self, keeper, national):
        response = upload(keeper, national, exported(keeper, national), version=national.version)
        assert response.status_code == 400 and "已有这个版本" in response.content.decode()
        assert 'value="国家卫生城市和国家卫生县标准"' in response.content.decode()  # what was typed stays
        # Made by someone else between the preview and the confirm: refused then too.
        upload(keeper, national, exported(keeper, national))
        Standard.objects.create(name=national.name, version=NEW_VERSION)
        assert confirm(keeper, national, StandardImport.objects.get()).status_code == 409
        assert not StandardItem.objects.filter(article__aspect__standard__version=NEW_VERSION).exists()


class TestTypedTextStaysText:
    def test_formula_looking_text_is_exported_as_text_and_comes_back_as_typed(self, keeper, national):
        sneaky = '=HYPERLINK("http://evil.example","点我")'
        item = StandardItem.objects.get(article__aspect__standard=national, code="3.1.4")
        StandardItem.objects.filter(pk=item.pk).update(requirement=sneaky, category_name="@SUM(1+1)")
        content = exported(keeper, national)
        sheet = load_workbook(io.BytesIO(content))["测评标准"]
        cells = next(row for row in sheet.iter_rows(min_row=2) if row[4].value == "3.1.4")
        assert (cells[5].value, cells[5].data_type) == (sneaky, "s")
        assert (cells[10].value, cells[10].data_type) == ("@SUM(1+1)", "s")
        upload(keeper, national, content)
        confirm(keeper, national, StandardImport.objects.get())
        again = StandardItem.objects.get(article__aspect__standard__version=NEW_VERSION, code="3.1.4")
        assert (again.requirement, again.category_name) == (sneaky, "@SUM(1+1)")


class TestQuotaWorkbook:
    def quota_file(self, client, standard, changes):
        response = client.get(reverse("campaigns:sample-quotas-export", args=[standard.pk]))
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = book["抽样数量"]
        rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2)}
        for (name, column), value in changes.items():
            sheet[f"{column}{rows[name]}"] = value
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def test_a_removed_quota_needs_a_tick_then_everything_lands_at_once(self, keeper, national):
        content = self.quota_file(keeper, national, {("主次干道", "D"): 18, ("公共厕所", "B"): None})
        url = reverse("campaigns:sample-quotas-import", args=[national.pk])
        preview = keeper.post(url, {"file": SimpleUploadedFile("抽样.xlsx", content)}).context["preview"]
        assert (preview.changed, len(preview.to_tick)) == (2, 1)
        record = StandardImport.objects.get(kind="quotas")
        confirm_url = reverse("campaigns:sample-quotas-import-confirm", args=[national.pk, record.pk])
        assert keeper.post(confirm_url).status_code == 409  # the removal was not ticked: nothing done
        road = PointType.objects.get(name="主次干道")
        assert SampleQuota.objects.get(standard=national, point_type=road, band="gt200").minimum == 15
        toilets = next(row for row in preview.to_tick)
        assert keeper.post(confirm_url, {"overwrite": toilets.number}).status_code == 302
        assert SampleQuota.objects.get(standard=national, point_type=road, band="gt200").minimum == 18
        assert not SampleQuota.objects.filter(standard=national, point_type__name="公共厕所", band="lt50").exists()
        assert SampleQuota.objects.filter(standard=national, point_type__name="公共厕所").count() == 2

    def test_a_bad_number_imports_no_row(self, keeper, national):
        content = self.quota_file(keeper, national, {("主次干道", "B"): "十", ("新闻媒体", "C"): 3})
        url = reverse("campaigns:sample-quotas-import", args=[national.pk])
        response = keeper.post(url, {"file": SimpleUploadedFile("抽样.xlsx", content)})
        assert response.status_code == 400 and "不是数字：“十”" in response.content.decode()
        record = StandardImport.objects.get(kind="quotas")
        confirm_url = reverse("campaigns:sample-quotas-import-confirm", args=[national.pk, record.pk])
        assert keeper.post(confirm_url).status_code == 409
        assert SampleQuota.objects.get(standard=national, point_type__name="新闻媒体", band="50to200").minimum == 2
