"""A standard's sample quotas as a workbook (抽样数量.xlsx): a row per point type, a column per
population band, exported as they stand and imported with the preview-then-confirm rules.

Importing sets the quotas of the point types the file names (a point type it leaves out keeps
its own); an empty cell removes that band's quota, which undoes an earlier decision and so
needs a tick on the preview.
"""

import datetime
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import User
from django.core.files import File
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import standard_data
from campaigns.models import PointType, PopulationBand, SampleQuota, Standard, StandardImport, StandardImportKind
from campaigns.services.xlsx_import import (
    Check,
    Column,
    GuideSection,
    ImportPreview,
    Layout,
    RowResult,
    SheetRows,
    cell_decimal,
    read_upload,
    record_confirm,
    record_preview,
    record_upload,
    start_preview,
    start_row,
    template_bytes,
)

from .standard import QuotaLine, sample_quotas_save
from .standard_xlsx import TypeNames

BAND_ALIASES: dict[str, tuple[str, ...]] = {
    PopulationBand.SMALL: ("50万以下", "<50万", "小于50万"),
    PopulationBand.MEDIUM: ("50万至200万", "50—200万", "50-200万", "50～200万"),
    PopulationBand.LARGE: ("200万以上", ">200万", "大于200万"),
}
COLUMNS = [
    Column("point_type", gettext_lazy("点位类型"), True, ("类型",), 30),
    *[
        Column(band, label, False, BAND_ALIASES[band], 14, gettext_lazy("最少抽样数，整数；不填即不设"))
        for band, label in PopulationBand.choices
    ],
    Column("source", gettext_lazy("来源"), False, ("出处", "依据"), 40),
]
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("抽样数量"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留抽样数量一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有点位类型行。"),
)
MINIMUM_MAX = 9999
SOURCE_MAX = 300  # SampleQuota.source


def _minimum(raw: Any, row: RowResult, band: str, label: object) -> int | None:
    shown = row.values.get(band, "")
    try:
        number = cell_decimal(raw, strip="个处座")
    except (ArithmeticError, ValueError):
        number = None
        row.error(band, _("“%(col)s”不是数字：“%(v)s”。") % {"col": label, "v": shown})
    if number is None:
        return None
    if number != number.to_integral_value() or not 0 <= number <= MINIMUM_MAX:
        row.error(
            band, _("“%(col)s”应是 0 到 %(max)s 的整数：“%(v)s”。") % {"col": label, "v": shown, "max": MINIMUM_MAX}
        )
        return None
    return int(number)


def quota_check(sheet: SheetRows, standard: Standard) -> ImportPreview:
    """Every row checked against the point types and the standard's quotas now; nothing is written."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    types = TypeNames()
    existing: dict[int, dict[str, SampleQuota]] = {}
    for quota in SampleQuota.objects.filter(standard=standard):
        existing.setdefault(quota.point_type_id, {})[quota.band] = quota
    seen: dict[int, int] = {}
    for number, raw in sheet.rows:
        row = start_row(number, raw, LAYOUT)
        text = row.values.get("point_type", "")
        point_type = types.one(text) if text else None
        if text and point_type is None:
            row.error("point_type", _("点位类型“%(v)s”不存在或不明确。请按“填写说明”中的全称填写。") % {"v": text})
        elif point_type is not None and point_type.pk in seen:
            row.error("point_type", _("与第 %(row)s 行是同一个点位类型。") % {"row": seen[point_type.pk]})
        elif point_type is not None:
            seen[point_type.pk] = number
        minimums = {band: _minimum(raw.get(band), row, band, label) for band, label in PopulationBand.choices}
        source = row.values.get("source", "")
        if len(source) > SOURCE_MAX:
            row.error("source", _("“来源”太长（最多 %(n)s 个字）。") % {"n": SOURCE_MAX})
        if point_type is not None and not row.errors:
            row.cleaned = {"line": QuotaLine(point_type, minimums, source)}
            _compare(row, minimums, source, existing.get(point_type.pk, {}))
        preview.rows.append(row)
    return preview


def _compare(row: RowResult, minimums: dict[str, int | None], source: str, before: dict[str, SampleQuota]) -> None:
    labels = dict(PopulationBand.choices)
    for band in standard_data.BANDS:
        old = before[band].minimum if band in before else None
        if old != minimums[band]:
            row.changes[str(labels[band])] = [
                "" if old is None else str(old),
                "" if minimums[band] is None else str(minimums[band]),
            ]
    if any(quota.source != source for band, quota in before.items() if minimums[band] is not None):
        row.changes[str(_("来源"))] = [next(iter(before.values())).source, source]
    row.action = "same" if not row.changes else ("add" if not before else "change")
    removed = [str(labels[band]) for band in before if minimums[band] is None]
    if removed:
        row.warning = _("将删除已有的最少抽样数（%(bands)s）") % {"bands": "、".join(removed)}


def quota_workbook(standard: Standard) -> bytes:
    """The quotas as they stand, every point type a row: the template to change and import."""
    found: dict[int, dict[str, SampleQuota]] = {}
    for quota in SampleQuota.objects.filter(standard=standard):
        found.setdefault(quota.point_type_id, {})[quota.band] = quota
    rows = []
    types = list(PointType.objects.order_by("order", "id"))
    for point_type in types:
        quotas = found.get(point_type.pk, {})
        source = next((quota.source for quota in quotas.values() if quota.source), "")
        rows.append(
            [point_type.name, *[quotas[b].minimum if b in quotas else None for b in standard_data.BANDS], source]
        )
    notes = [
        [_("%(standard)s：各类点位在迎检时的最少抽样数，按城市人口规模。") % {"standard": standard}],
        [_("导入只改文件中列出的点位类型；某格留空表示取消这一档的最少抽样数（导入前需逐行确认）。")],
    ]
    return template_bytes(
        LAYOUT,
        rows=rows,
        guide=[
            GuideSection(notes),
            GuideSection([[t.name] for t in types], title=_("可填写的点位类型"), drop_down="point_type"),
        ],
    )


def quota_read(uploaded: File) -> SheetRows:
    return read_upload(uploaded, LAYOUT)


def quota_imports(standard: Standard) -> QuerySet[StandardImport]:
    return StandardImport.objects.filter(standard=standard, kind=StandardImportKind.QUOTAS)


def _check(record: StandardImport) -> Check:
    return lambda sheet: quota_check(sheet, record.standard)


def quota_import_upload(
    *, standard: Standard, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[StandardImport, ImportPreview]:
    """Keep the uploaded file and return (record, preview); nothing is imported yet."""
    record = StandardImport(standard=standard, kind=StandardImportKind.QUOTAS, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)


def quota_import_preview(record: StandardImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record))


def quota_import_confirm(
    *, record: StandardImport, actor: User, ticked: Collection[int] = frozenset()
) -> ImportPreview:
    """Set the quotas a previewed file gives: every row, or — if anything is wrong now — none."""

    def write(locked: StandardImport, preview: ImportPreview, standard: Standard, _now: datetime.datetime) -> None:
        lines = [row.cleaned["line"] for row in preview.rows if row.action != "same"]
        sample_quotas_save(standard=standard, actor=actor, lines=lines, how="import")

    return record_confirm(
        record=record,
        lock_owner=lambda: Standard.objects.select_for_update().get(pk=record.standard_id),
        siblings=quota_imports(record.standard),
        changed_message=gettext_lazy(
            "在您预览之后，%(who)s 于 %(at)s 导入了“%(name)s”，抽样数量已变化。为免覆盖，请重新上传预览后再导入。"
        ),
        layout=LAYOUT,
        check=_check(record),
        write=write,
        ticked=ticked,
    )
