"""No export runs code, round two: the workbooks built after issue 13 §4, each × every formula start.

tests/test_export_cells.py keeps the exports the issue named (ticket list, audit log, monthly
summary, scoring sheet, one-time passwords, import templates). These are the others, each with
text someone typed into the product: 四平市's admin (city_admin) types a festival into 2027's
节假日安排 and downloads it back as the template, edits the standard's 项 and a point type and
exports the standard and its sample quotas; 铁西区's supervisor downloads the 迎检资料 binder,
whose index names the standard's 方面 and whose ledgers list the problems 小王 logged.
"""

import io
import zipfile

import pytest
from django.urls import reverse

from campaigns.models import HolidayDay, PointType, StandardItem, Ticket
from campaigns.services.standard import standard_default

from .test_binder import binder_world  # noqa: F401 (a fixture)
from .test_export_cells import HOSTILE, assert_text, frozen, response_bytes, xlsx_cells  # noqa: F401 (frozen)
from .test_holiday_schedule import save_2027

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(client, city_admin):
    client.force_login(city_admin)
    return client


@pytest.mark.parametrize("typed", HOSTILE)
def test_the_holiday_template_lists_a_typed_festival_as_text(keeper, city_admin, typed):
    save_2027(city_admin)
    typed = typed[: HolidayDay._meta.get_field("festival").max_length]  # as much as the column holds
    HolidayDay.objects.filter(festival="春节").update(festival=typed)
    cells = xlsx_cells(response_bytes(keeper.get(reverse("campaigns:holiday-template", args=[2027]))))
    assert_text(cells["节假日安排"], typed)


@pytest.mark.parametrize("typed", HOSTILE)
def test_the_standard_export_keeps_a_typed_requirement_and_category_as_text(keeper, typed):
    national = standard_default()
    StandardItem.objects.filter(article__aspect__standard=national, code="3.1.4").update(
        requirement=typed, category_name=typed + "类"
    )
    response = keeper.get(reverse("campaigns:standard-export", args=[national.pk]))
    cells = xlsx_cells(response_bytes(response))["测评标准"]
    assert_text(cells, typed)
    assert_text(cells, typed + "类")


@pytest.mark.parametrize("typed", HOSTILE)
def test_the_sample_quotas_export_keeps_a_typed_point_type_as_text(keeper, tx, typed):
    national = standard_default()
    PointType.objects.filter(pk=tx.point.point_type_id).update(name=typed)
    response = keeper.get(reverse("campaigns:sample-quotas-export", args=[national.pk]))
    cells = [cell for sheet in xlsx_cells(response_bytes(response)).values() for cell in sheet]
    assert_text(cells, typed)


@pytest.mark.parametrize("typed", HOSTILE)
def test_the_binder_index_and_ledgers_keep_typed_text_as_text(client, tx, binder_world, typed):  # noqa: F811
    items, _fixed = binder_world
    tx.campaign.standard.aspects.filter(code="3").update(name=typed)
    StandardItem.objects.filter(pk=items["3.2.2"].pk).update(requirement=typed)
    Ticket.objects.filter(district=tx.unit).update(description=typed)
    client.force_login(tx.supervisor)
    archive = zipfile.ZipFile(
        io.BytesIO(response_bytes(client.get(reverse("campaigns:binder-zip", args=[tx.campaign.pk]))))
    )
    workbooks = {name: xlsx_cells(archive.read(name)) for name in archive.namelist() if name.endswith(".xlsx")}
    index = next(cells for name, cells in workbooks.items() if name.endswith("资料索引.xlsx"))
    assert_text(index["资料索引"], typed)  # the 项's requirement
    assert_text(index["资料索引"], f"3 {typed}")  # the 方面
    ledgers = [cell for name, book in workbooks.items() if "台账-" in name for sheet in book.values() for cell in sheet]
    assert_text(ledgers, typed)
