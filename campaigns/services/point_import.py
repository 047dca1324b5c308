"""The points workbook (点位清单): a template to fill, a preview of every problem, an all-or-nothing import.

A district office lists its inspection points in Excel long before anyone opens the ledger.
The template's columns are COLUMNS; a file is checked row by row and column by column
before anything is written, and importing it again updates the points it names — matched
by unit and name — instead of adding them twice. An import never deactivates or brings back
a point: that is a deliberate act on the points page.
"""

import datetime
import re
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import IO, Any, cast

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import InspectionPoint, OrgUnit, PointImport, PointType, UnitKind
from campaigns.selectors.board import board_invalidate
from campaigns.services.xlsx_import import (
    Check,
    Column,
    GuideSection,
    ImportPreview,
    Layout,
    RowResult,
    SheetRows,
    cell_decimal,
    note_changes,
    read_upload,
    read_workbook,
    record_confirm,
    record_preview,
    record_upload,
    start_preview,
    start_row,
    template_bytes,
)

COLUMNS = [
    Column("name", gettext_lazy("点位名称"), True, ("名称", "点位"), 28),
    Column(
        "point_type",
        gettext_lazy("点位类型"),
        True,
        ("类型",),
        22,
        gettext_lazy("按“填写说明”中的类型填写，括号前的简称也可以，如 农贸市场"),
    ),
    Column(
        "unit",
        gettext_lazy("所在单位"),
        True,
        ("所属单位", "所在社区", "所在街道", "社区/村"),
        22,
        gettext_lazy("本区的街道、乡镇、社区或村；重名的社区写成“街道/社区”"),
    ),
    Column("address", gettext_lazy("地址"), False, ("详细地址",), 30),
    Column("responsible_department", gettext_lazy("责任部门"), False, ("责任单位",), 16, gettext_lazy("本区的部门")),
    Column("latitude", gettext_lazy("纬度"), False, ("lat",), 12, gettext_lazy("小数，如 43.166；与经度一起填")),
    Column(
        "longitude", gettext_lazy("经度"), False, ("lng", "lon"), 12, gettext_lazy("小数，如 124.350；与纬度一起填")
    ),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("点位清单"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留点位清单一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有点位行。"),
)
POINT_UNIT_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.COMMUNITY, UnitKind.VILLAGE)
UNIT_PATH = re.compile(r"\s*[/／>›\\]\s*|\s+")
COORDINATE_PLACES = Decimal("0.000001")
RANGES = {"latitude": Decimal(90), "longitude": Decimal(180)}
# CharFields: each has its max_length.
NAME_MAX = cast(int, InspectionPoint._meta.get_field("name").max_length)
ADDRESS_MAX = cast(int, InspectionPoint._meta.get_field("address").max_length)


def point_units(district_id: int) -> QuerySet[OrgUnit]:
    """Where a point may be: the district's active streets, townships, communities and villages."""
    return OrgUnit.objects.filter(district_id=district_id, kind__in=POINT_UNIT_KINDS, is_active=True)


def district_departments(district_id: int) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(district_id=district_id, kind=UnitKind.DEPARTMENT, is_active=True)


def _short_type_name(name: str) -> str:
    return re.split(r"[（(]", name, maxsplit=1)[0].strip()


class Lookups:
    """The district's units, departments and the point types, read once per preview."""

    def __init__(self, district_id: int) -> None:
        units = list(point_units(district_id).select_related("street").order_by("street_id", "kind", "order", "id"))
        self.units_by_name: dict[str, list[OrgUnit]] = {}
        self.units_by_path: dict[tuple[str, str], OrgUnit] = {}
        for unit in units:
            self.units_by_name.setdefault(unit.name, []).append(unit)
            if unit.street is not None and unit.street_id != unit.pk:
                self.units_by_path[(unit.street.name, unit.name)] = unit
        self.units = units
        self.departments = {unit.name: unit for unit in district_departments(district_id)}
        self.types = list(PointType.objects.order_by("order", "id"))
        self.types_by_name = {t.name: t for t in self.types}
        self.types_by_short: dict[str, list[PointType]] = {}
        for point_type in self.types:
            self.types_by_short.setdefault(_short_type_name(point_type.name), []).append(point_type)

    def unit_label(self, unit: OrgUnit) -> str:
        """How the guide names a unit: by its name, or street/name where the name is not unique."""
        if len(self.units_by_name.get(unit.name, [])) > 1 and unit.street is not None and unit.street_id != unit.pk:
            return f"{unit.street.name}/{unit.name}"
        return unit.name

    def unit(self, text: str, row: RowResult) -> OrgUnit | None:
        found = self.units_by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            row.error(
                "unit",
                _("本区有 %(n)s 个“%(v)s”，请写成“街道/社区”，如“%(example)s”。")
                % {"n": len(found), "v": text, "example": self.unit_label(found[0])},
            )
            return None
        parts = [part for part in UNIT_PATH.split(text) if part]
        if len(parts) == 2 and (parts[0], parts[1]) in self.units_by_path:
            return self.units_by_path[(parts[0], parts[1])]
        if text in self.departments:
            row.error("unit", _("“%(v)s”是部门。所在单位请填点位所在的街道、乡镇、社区或村。") % {"v": text})
        else:
            row.error("unit", _("本区没有叫“%(v)s”的街道、乡镇、社区或村。请按“填写说明”中的名称填写。") % {"v": text})
        return None

    def point_type(self, text: str, row: RowResult) -> PointType | None:
        if text in self.types_by_name:
            return self.types_by_name[text]
        short = self.types_by_short.get(_short_type_name(text), [])
        if len(short) == 1:
            return short[0]
        # "菜市场" for "农贸市场（集贸市场/菜市场）": a word only one type's name contains.
        containing = [t for t in self.types if text in t.name]
        if len(containing) == 1:
            return containing[0]
        if containing:
            row.error(
                "point_type",
                _("点位类型“%(v)s”不明确，可能是：%(names)s。请写全称。")
                % {"v": text, "names": "、".join(t.name for t in containing[:5])},
            )
        else:
            row.error("point_type", _("点位类型“%(v)s”不存在。请按“填写说明”中的类型填写。") % {"v": text})
        return None


def template_workbook(district: OrgUnit) -> bytes:
    """The empty template with one example row (marked 示例, never imported), and a sheet
    that says how to fill it."""
    lookups = Lookups(district.pk)
    example_unit = next((u for u in lookups.units if u.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE)), None)
    example_unit = example_unit or (lookups.units[0] if lookups.units else None)
    example_type = next((t for t in lookups.types if t.name.startswith("农贸市场")), None) or (
        lookups.types[0] if lookups.types else None
    )
    example = [
        _("中心农贸市场"),
        example_type.name if example_type else _("农贸市场"),
        lookups.unit_label(example_unit) if example_unit else "",
        _("中心路 1 号"),
        next(iter(lookups.departments), ""),
        None,
        None,
    ]
    notes = [
        [
            _(
                "同一所在单位里，点位名称不能重复。"
                "再次导入同一个文件时，按“所在单位 + 点位名称”更新已有点位，不会重复添加。"
            )
        ],
        [_("纬度、经度留空时，保留系统里已有的坐标。已停用的点位导入后仍为停用，需要时在点位列表里重新启用。")],
    ]
    units = [
        [lookups.unit_label(unit), unit.get_kind_display(), unit.street.name if unit.street is not None else ""]
        for unit in lookups.units
    ]
    return template_bytes(
        LAYOUT,
        [example],
        guide=[
            GuideSection(notes),
            GuideSection(
                [[point_type.name] for point_type in lookups.types],
                title=_("可填写的点位类型"),
                drop_down="point_type",
            ),
            GuideSection(units, title=[_("本区可填写的所在单位"), _("类型"), _("所属街道/乡镇")]),
            GuideSection([[name] for name in lookups.departments], title=_("本区可填写的责任部门")),
        ],
    )


def point_read(uploaded: File) -> SheetRows:
    """An uploaded points file read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)


def _coordinate(row: RowResult, raw: Mapping[str, Any], key: str) -> Decimal | None:
    shown = row.values.get(key, "")
    label = COLUMN_BY_KEY[key].label
    try:
        value = cell_decimal(raw.get(key), strip="°")
    except (InvalidOperation, ValueError):
        row.error(key, _("“%(col)s”不是数字：“%(v)s”。请填小数，如 43.166。") % {"col": label, "v": shown})
        return None
    if value is None:
        return None
    limit = RANGES[key]
    if not -limit <= value <= limit:
        row.error(
            key,
            _("“%(col)s”应在 -%(limit)s 到 %(limit)s 之间：“%(v)s”。") % {"col": label, "limit": limit, "v": shown},
        )
        return None
    return value.quantize(COORDINATE_PLACES)


def points_preview(handle: IO[bytes] | File, district: OrgUnit) -> ImportPreview:
    """Read and check a workbook without writing anything."""
    return points_check(read_workbook(handle.read(), LAYOUT), district)


def points_check(sheet: SheetRows, district: OrgUnit) -> ImportPreview:
    """Check the rows read from a workbook against the district as it is now; nothing is written."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    data = sheet.rows
    lookups = Lookups(district.pk)
    existing = {
        (point.unit_id, point.name): point
        for point in InspectionPoint.objects.filter(district=district).select_related(
            "unit", "point_type", "responsible_department"
        )
    }
    seen: dict[tuple[int, str], int] = {}

    for number, raw in data:
        row = start_row(number, raw, LAYOUT)
        clean = row.cleaned
        name = row.values.get("name", "")
        if len(name) > NAME_MAX:
            row.error("name", _("点位名称太长（最多 %(n)s 个字）。") % {"n": NAME_MAX})
        clean["name"] = name

        type_text = row.values.get("point_type", "")
        if type_text:
            clean["point_type"] = lookups.point_type(type_text, row)
        unit_text = row.values.get("unit", "")
        if unit_text:
            clean["unit"] = lookups.unit(unit_text, row)

        address = row.values.get("address", "")
        if len(address) > ADDRESS_MAX:
            row.error("address", _("地址太长（最多 %(n)s 个字）。") % {"n": ADDRESS_MAX})
        clean["address"] = address

        department = row.values.get("responsible_department", "")
        clean["responsible_department"] = None
        if department:
            if department not in lookups.departments:
                row.error("responsible_department", _("本区没有部门“%(v)s”。") % {"v": department})
            clean["responsible_department"] = lookups.departments.get(department)

        latitude, longitude = _coordinate(row, raw, "latitude"), _coordinate(row, raw, "longitude")
        has_latitude, has_longitude = bool(row.values.get("latitude")), bool(row.values.get("longitude"))
        if has_latitude and not has_longitude:
            row.error("longitude", _("填写了纬度，请同时填写经度。"))
        elif has_longitude and not has_latitude:
            row.error("latitude", _("填写了经度，请同时填写纬度。"))
        clean["latitude"], clean["longitude"] = latitude, longitude

        unit = clean.get("unit")
        if unit is not None and name:
            key = (unit.pk, name)
            if key in seen:
                row.error(
                    "name",
                    _("点位“%(name)s”（%(unit)s）与第 %(row)s 行重复。")
                    % {"name": name, "unit": unit.name, "row": seen[key]},
                )
            else:
                seen[key] = number
            if not row.errors:
                _classify(row, existing.get(key))
        preview.rows.append(row)
    return preview


TRACKED = ["point_type", "address", "responsible_department", "latitude", "longitude"]
# What an empty cell clears (coordinates are kept instead, see _keeps).
CLEARABLE = ["address", "responsible_department"]


def _keeps(key: str, clean: Mapping[str, Any]) -> bool:
    # An empty coordinate keeps what the point has: coordinates are often added later, on site.
    return key in ("latitude", "longitude") and clean[key] is None


def _classify(row: RowResult, point: InspectionPoint | None) -> None:
    clean = row.cleaned
    if point is None:
        row.action = "add"
        return
    note_changes(row, point, [key for key in TRACKED if not _keeps(key, clean)])
    row.action = "change" if row.changes else "same"
    # An empty cell in a re-imported list wipes what someone entered by hand on the points page.
    wiped = [COLUMN_BY_KEY[key].label for key in CLEARABLE if getattr(point, key) and not clean[key]]
    if wiped:
        row.warning = _("将清空已有的%(fields)s") % {"fields": "、".join(str(label) for label in wiped)}


def point_import_upload(
    *, district: OrgUnit, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[PointImport, ImportPreview]:
    """Keep the uploaded file and return (import record, preview); nothing is imported yet.
    `sheet` is the file already read (by the upload form), so it is parsed once."""
    record = PointImport(district=district, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)


def _check(record: PointImport) -> Check:
    return lambda sheet: points_check(sheet, record.district)


def point_import_preview(record: PointImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record))


def point_import_confirm(*, record: PointImport, ticked: Collection[int] = frozenset()) -> ImportPreview:
    """Import a previewed file: every row, or — if anything is wrong now — none of them.

    Imports of one district run one at a time (the district row is locked, as saving a point
    does); a file previewed before another one was imported must be previewed again.
    """
    return record_confirm(
        record=record,
        lock_owner=lambda: OrgUnit.objects.select_for_update().get(pk=record.district_id),
        siblings=PointImport.objects.filter(district_id=record.district_id),
        changed_message=_(
            "在您预览之后，%(who)s 于 %(at)s 导入了“%(name)s”，点位清单已变化。为免覆盖，请重新上传预览后再导入。"
        ),
        layout=LAYOUT,
        check=_check(record),
        write=_import_rows,
        ticked=ticked,
    )


def _import_rows(record: PointImport, preview: ImportPreview, district: OrgUnit, now: datetime.datetime) -> None:
    existing = {
        (point.unit_id, point.name): point
        for point in InspectionPoint.objects.select_for_update().filter(district=district)
    }
    for row in preview.rows:
        if row.action == "same":
            continue
        clean = row.cleaned
        point = existing.get((clean["unit"].pk, clean["name"]))
        if point is None:
            point = InspectionPoint(unit=clean["unit"], name=clean["name"])
        for key in TRACKED:
            if not _keeps(key, clean):
                setattr(point, key, clean[key])
        point.save()
    district_id = district.pk
    transaction.on_commit(lambda: board_invalidate(district_id))
