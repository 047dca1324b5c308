"""A district's units (街道/乡镇, 社区/村, 部门) as its admin sets them up: one by one or from Excel.

Units are never deleted — tickets, points and people refer to them — only deactivated. The
tree has two levels under the district: streets/townships with their communities/villages,
and departments directly under the district. A unit is known by its parent and its name
(the database's own unique constraint), so importing a file again updates instead of
adding twice.
"""

import re
from collections.abc import Collection
from typing import IO, cast

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.db.models import Field, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import (
    STREET_KINDS,
    AuditKind,
    InspectionPoint,
    OrgUnit,
    SetupImport,
    SetupImportKind,
    UnitKind,
)
from campaigns.selectors.board import board_invalidate
from security.audit import audit_record

from .xlsx_import import (
    Check,
    Column,
    GuideSection,
    ImportPreview,
    Layout,
    RowResult,
    SheetRows,
    cell_text,
    normalise_label,
    read_upload,
    read_workbook,
    record_confirm,
    record_preview,
    record_upload,
    start_preview,
    start_row,
    template_bytes,
)

SETUP_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.DEPARTMENT)
GRASSROOTS_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE)
# Kinds that may replace each other on an existing unit: the same place in the tree.
SAME_LEVEL: dict[str, tuple[str, ...]] = {
    UnitKind.STREET: STREET_KINDS,
    UnitKind.TOWNSHIP: STREET_KINDS,
    UnitKind.COMMUNITY: GRASSROOTS_KINDS,
    UnitKind.VILLAGE: GRASSROOTS_KINDS,
    UnitKind.DEPARTMENT: (UnitKind.DEPARTMENT,),
}
KIND_WORDS = {
    "街道": UnitKind.STREET,
    "街道办": UnitKind.STREET,
    "街道办事处": UnitKind.STREET,
    "乡镇": UnitKind.TOWNSHIP,
    "乡": UnitKind.TOWNSHIP,
    "镇": UnitKind.TOWNSHIP,
    "社区": UnitKind.COMMUNITY,
    "村": UnitKind.VILLAGE,
    "行政村": UnitKind.VILLAGE,
    "部门": UnitKind.DEPARTMENT,
    "责任单位": UnitKind.DEPARTMENT,
    "部门/责任单位": UnitKind.DEPARTMENT,
}
KIND_LABELS: dict[str, str] = {
    UnitKind.STREET: "街道",
    UnitKind.TOWNSHIP: "乡镇",
    UnitKind.COMMUNITY: "社区",
    UnitKind.VILLAGE: "村",
    UnitKind.DEPARTMENT: "部门",
}
CONTACT_PHONE = re.compile(r"^[0-9０-９+\-－() （）转]{3,30}$")

COLUMNS = (
    Column("name", gettext_lazy("单位名称"), True, ("名称", "单位"), 22),
    Column(
        "kind",
        gettext_lazy("类型"),
        True,
        ("单位类型",),
        12,
        gettext_lazy("街道、乡镇、社区、村或部门"),
    ),
    Column(
        "parent",
        gettext_lazy("上级单位"),
        False,
        ("所属街道", "所属街道/乡镇"),
        18,
        gettext_lazy("社区和村填所属街道/乡镇（可以是本表前面几行新加的）；街道、乡镇和部门留空"),
    ),
    Column("contact_person", gettext_lazy("联系人"), False, (), 12, gettext_lazy("留空则保留原有的")),
    Column("contact_phone", gettext_lazy("联系电话"), False, ("电话", "手机号"), 16, gettext_lazy("留空则保留原有的")),
)
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("单位"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留单位一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有单位行。"),
)
NEWER_IMPORT = gettext_lazy(
    "在您预览之后，%(who)s 于 %(at)s 导入了“%(name)s”，单位名单已变化。为免覆盖，请重新上传预览后再导入。"
)


class UnitRefused(Exception):
    """A change the tree does not allow; the message says why."""


def district_units(district: OrgUnit) -> QuerySet[OrgUnit]:
    """Every unit of the district below the district itself, active or not."""
    return OrgUnit.objects.filter(district=district).exclude(pk=district.pk)


def kind_from_text(text: object) -> str | None:
    """The unit kind a cell names: the Chinese word, the label in the page's language, or the code."""
    text = normalise_label(text)
    if text in KIND_WORDS:
        return KIND_WORDS[text]
    for kind in SETUP_KINDS:
        if text in (normalise_label(kind.label), kind.value):
            return kind
    return None


def kind_names() -> str:
    return "、".join(["街道", "乡镇", "社区", "村", "部门"])


# --- one unit at a time -------------------------------------------------------------------


def _check_place(
    district: OrgUnit, *, kind: str, parent: OrgUnit | None, name: str, unit: OrgUnit | None = None
) -> OrgUnit:
    if kind not in SETUP_KINDS:
        raise UnitRefused(_("单位类型只能是：%(kinds)s。") % {"kinds": kind_names()})
    if kind in GRASSROOTS_KINDS:
        if parent is None or parent.district_id != district.pk or parent.kind not in STREET_KINDS:
            raise UnitRefused(_("社区和村要选所属的街道或乡镇。"))
    else:
        parent = district
    if unit is not None and kind not in SAME_LEVEL[unit.kind]:
        raise UnitRefused(
            _("“%(name)s”是%(old)s，不能改为%(new)s：它在单位树中的位置不同。")
            % {"name": unit.name, "old": unit.get_kind_display(), "new": UnitKind(kind).label}
        )
    clash = OrgUnit.objects.filter(parent=parent, name=name)
    if unit is not None:
        clash = clash.exclude(pk=unit.pk)
    if clash.exists():
        raise UnitRefused(_("“%(parent)s”下已有名为“%(name)s”的单位。") % {"parent": parent.name, "name": name})
    return parent


@transaction.atomic
def unit_create(
    *,
    district: OrgUnit,
    actor: User,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    code: str = "",
    contact_person: str = "",
    contact_phone: str = "",
) -> OrgUnit:
    parent = _check_place(district, kind=kind, parent=parent, name=name)
    unit = OrgUnit(
        name=name,
        kind=kind,
        parent=parent,
        code=code,
        contact_person=contact_person,
        contact_phone=contact_phone,
    )
    unit.full_clean(exclude=["parent"])
    unit.save()
    _touched(district)
    return unit


@transaction.atomic
def unit_update(
    *,
    unit: OrgUnit,
    district: OrgUnit,
    actor: User,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    code: str = "",
    contact_person: str = "",
    contact_phone: str = "",
) -> OrgUnit:
    parent = _check_place(district, kind=kind, parent=parent, name=name, unit=unit)
    moved = parent.pk != unit.parent_id
    unit.name, unit.kind, unit.parent, unit.code = name, kind, parent, code
    unit.contact_person, unit.contact_phone = contact_person, contact_phone
    unit.full_clean(exclude=["parent"])
    unit.save()
    if moved:
        # Points keep their street beside their unit (for scoped queries); a community that
        # moved to another street takes its points with it. Tickets keep the street they had.
        InspectionPoint.objects.filter(unit=unit).update(street_id=unit.street_id)
    _touched(district)
    return unit


@transaction.atomic
def unit_set_active(*, unit: OrgUnit, district: OrgUnit, actor: User, active: bool) -> OrgUnit:
    """Deactivate or reactivate a unit. A unit in use is never deleted: tickets refer to it.

    Its people lose what the unit gave them (scopes count active units only), which is why
    the change is in the audit log.
    """
    if not active and unit.kind in STREET_KINDS:
        children = OrgUnit.objects.filter(parent=unit, is_active=True).count()
        if children:
            raise UnitRefused(
                _("“%(name)s”下还有 %(n)s 个启用的社区/村，请先停用或移走它们。") % {"name": unit.name, "n": children}
            )
    if active and unit.parent is not None and not unit.parent.is_active:
        raise UnitRefused(_("上级单位“%(name)s”已停用，请先启用它。") % {"name": unit.parent.name})
    if unit.is_active == active:
        return unit
    unit.is_active = active
    unit.save(update_fields=["is_active"])
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        district=district.pk,
        target=f"{unit._meta.verbose_name}: {unit.name}",
        change="activated" if active else "deactivated",
        model="campaigns.orgunit",
        pk=unit.pk,
    )
    _touched(district)
    return unit


def _touched(district: OrgUnit) -> None:
    district_id = district.pk
    transaction.on_commit(lambda: board_invalidate(district_id))


# --- the workbook ---------------------------------------------------------------------------


def units_template(district: OrgUnit) -> bytes:
    """The template, filled with the district's active units: add rows and import it again.

    Above them, one example row (marked 示例, never imported): a community under the
    district's first street, so imported unchanged the template changes nothing."""
    units = list(
        district_units(district)
        .filter(is_active=True)
        .select_related("parent")
        .order_by("kind", "parent__order", "parent_id", "order", "id")
    )
    streets = [unit for unit in units if unit.kind in STREET_KINDS]
    order: dict[int | None, int] = {unit.pk: index for index, unit in enumerate(streets)}
    rows = [unit for unit in units if unit.kind in STREET_KINDS]
    rows += sorted(
        (unit for unit in units if unit.kind in GRASSROOTS_KINDS),
        key=lambda u: (order.get(u.parent_id, 0), u.order, u.pk),
    )
    rows += [unit for unit in units if unit.kind == UnitKind.DEPARTMENT]
    current = [
        [
            unit.name,
            KIND_LABELS[unit.kind],
            unit.parent.name if unit.kind in GRASSROOTS_KINDS and unit.parent is not None else "",
            unit.contact_person,
            unit.contact_phone,
        ]
        for unit in rows
    ]
    example = ["北沟社区", "社区", streets[0].name if streets else "英雄街道", "李书记", "13804340001"]
    return template_bytes(
        LAYOUT,
        [example],
        rows=current,
        guide=[
            GuideSection(
                [
                    ["英雄街道", "街道", "", "王主任", "0434-3261234"],
                    ["北沟社区", "社区", "英雄街道", "李书记", "13804340001"],
                    ["平西乡", "乡镇", "", "", ""],
                    ["平西村", "村", "平西乡", "", ""],
                    ["区执法局", "部门", "", "赵科长", "0434-3269999"],
                ],
                title=_("填写示例"),
            ),
            GuideSection(
                [
                    [_("本表已列出本区现有的单位；新增的单位加在后面，改过的联系人会更新。")],
                    [_("同一上级单位下的单位名称不能重复；按“上级单位 + 单位名称”识别已有的单位。")],
                    [_("表中没有的单位不会被删除或停用；停用请在单位列表中操作。")],
                ],
                title=_("说明"),
            ),
        ],
        lists=[("kind", ["街道", "乡镇", "社区", "村", "部门"])],
    )


def units_read(uploaded: File) -> SheetRows:
    """An uploaded units file read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)


def units_preview(handle: IO[bytes] | File, district: OrgUnit) -> ImportPreview:
    """Read and check a units workbook without writing anything."""
    return units_check(read_workbook(handle.read(), LAYOUT), district)


def units_check(sheet: SheetRows, district: OrgUnit) -> ImportPreview:
    """Check the rows read from a workbook against the district as it is now; nothing is written.

    An import only adds units and fills in contacts: it never renames, moves, deactivates or
    empties a unit (a blank contact keeps the one it has), so no row needs a tick.
    """
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    data = sheet.rows

    existing: dict[tuple[int | None, str], OrgUnit] = {}
    streets_by_name: dict[str, OrgUnit] = {}
    for unit in district_units(district):
        existing[(unit.parent_id, unit.name)] = unit
        if unit.kind in STREET_KINDS:
            streets_by_name[unit.name] = unit
    others_by_name = {unit.name: unit for unit in existing.values() if unit.kind not in STREET_KINDS}
    # Streets and townships named in this file so far: name → (row number, row is fine, unit if it exists).
    file_streets: dict[str, tuple[int, bool, OrgUnit | None]] = {}
    later_streets: dict[str, int] = {}
    for number, raw in data:
        name = cell_text(raw.get("name"))
        if name and kind_from_text(cell_text(raw.get("kind"))) in STREET_KINDS:
            later_streets.setdefault(name, number)
    # (parent: ("unit", its pk) or ("row", its row in this file), name) → the row that named it first.
    seen: dict[tuple[tuple[str, int], str], int] = {}

    for number, raw in data:
        row = start_row(number, raw, LAYOUT)
        clean = row.cleaned
        name = row.values.get("name", "")
        if len(name) > 100:
            row.error("name", _("单位名称太长（最多 100 个字）。"))
        clean["name"] = name

        kind_text = row.values.get("kind", "")
        kind = kind_from_text(kind_text) if kind_text else None
        if kind_text and kind is None:
            row.error("kind", _("类型只能是：%(kinds)s。") % {"kinds": kind_names()})
        clean["kind"] = kind

        parent_text = row.values.get("parent", "")
        parent_key: tuple[str, int] | None = None
        if kind in GRASSROOTS_KINDS:
            if not parent_text:
                row.error("parent", _("社区和村要填所属的街道或乡镇。"))
            elif parent_text in file_streets:
                first, fine, street = file_streets[parent_text]
                if not fine:
                    row.error(
                        "parent",
                        _("上级单位“%(v)s”在第 %(row)s 行，那一行有错误。") % {"v": parent_text, "row": first},
                    )
                elif street is not None:
                    parent_key = ("unit", street.pk)
                    clean["parent"] = street
                else:
                    parent_key = ("row", first)
                    clean["parent_row"] = first
            elif parent_text in streets_by_name:
                street = streets_by_name[parent_text]
                if not street.is_active:
                    row.error("parent", _("上级单位“%(v)s”已停用。") % {"v": parent_text})
                parent_key = ("unit", street.pk)
                clean["parent"] = street
            elif parent_text in later_streets:
                row.error(
                    "parent",
                    _("上级单位“%(v)s”在第 %(row)s 行，请把那一行移到这一行之前。")
                    % {"v": parent_text, "row": later_streets[parent_text]},
                )
            elif parent_text in others_by_name or parent_text == district.name:
                row.error("parent", _("“%(v)s”不是街道或乡镇；社区和村只能设在街道或乡镇下。") % {"v": parent_text})
            else:
                row.error(
                    "parent",
                    _("本区没有街道或乡镇“%(v)s”。请先添加它，或在本表中这一行之前加上它。") % {"v": parent_text},
                )
        elif kind is not None:
            if parent_text and parent_text != district.name:
                row.error(
                    "parent",
                    _("%(kind)s直接设在本区（%(district)s）下，“上级单位”请留空。")
                    % {"kind": KIND_LABELS[kind], "district": district.name},
                )
            parent_key = ("unit", district.pk)
            clean["parent"] = district

        for key, limit in (("contact_person", 50), ("contact_phone", 30)):
            if len(row.values.get(key, "")) > limit:
                row.error(key, _("“%(col)s”太长（最多 %(n)s 个字）。") % {"col": LAYOUT.by_key[key].label, "n": limit})
        phone = row.values.get("contact_phone", "")
        if phone and not CONTACT_PHONE.match(phone):
            row.error("contact_phone", _("联系电话只能包含数字和 - + ( )，如 0434-3261234 或 13804340001。"))
        clean["contact_person"] = row.values.get("contact_person", "")
        clean["contact_phone"] = phone

        if name and parent_key is not None:
            seen_key = (parent_key, name)
            if seen_key in seen:
                row.error("name", _("“%(name)s”与第 %(row)s 行重复。") % {"name": name, "row": seen[seen_key]})
            else:
                seen[seen_key] = number
        if not row.errors:
            # A row without errors has its kind, so its parent.
            parent_key = cast(tuple[str, int], parent_key)
            found = existing.get((parent_key[1], name)) if parent_key[0] == "unit" else None
            _classify(row, found, cast(str, kind))
        if kind in STREET_KINDS and name and name not in file_streets:
            file_streets[name] = (number, not row.errors, clean.get("unit"))
        preview.rows.append(row)
    return preview


def _classify(row: RowResult, unit: OrgUnit | None, kind: str) -> None:
    clean = row.cleaned
    if unit is None:
        row.action = "add"
        return
    clean["unit"] = unit
    if unit.kind != kind:
        row.error(
            "kind",
            _("本区已有“%(name)s”（%(old)s），类型不能改为“%(new)s”。")
            % {"name": unit.name, "old": unit.get_kind_display(), "new": KIND_LABELS[kind]},
        )
        return
    if not unit.is_active:
        row.error("name", _("单位“%(name)s”已停用。如需恢复，请在单位列表中启用它。") % {"name": unit.name})
        return
    for key in ("contact_person", "contact_phone"):
        after = clean[key]
        if after and after != getattr(unit, key):
            label = cast(Field, OrgUnit._meta.get_field(key)).verbose_name
            row.changes[str(label)] = [getattr(unit, key), after]
    row.action = "change" if row.changes else "same"


def units_import_upload(
    *, district: OrgUnit, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[SetupImport, ImportPreview]:
    """Keep the uploaded file and return (import record, preview); nothing is imported yet.
    `sheet` is the file already read (by the upload form), so it is parsed once."""
    record = SetupImport(district=district, kind=SetupImportKind.UNITS, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)


def _check(record: SetupImport) -> Check:
    return lambda sheet: units_check(sheet, record.district)


def units_import_preview(record: SetupImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record))


def units_import_confirm(*, record: SetupImport, actor: User, ticked: Collection[int] = frozenset()) -> ImportPreview:
    """Import a previewed units file: every row or none (see xlsx_import.record_confirm)."""
    return record_confirm(
        record=record,
        lock_owner=lambda: OrgUnit.objects.select_for_update().get(pk=record.district_id),
        siblings=SetupImport.objects.filter(district_id=record.district_id, kind=SetupImportKind.UNITS),
        changed_message=NEWER_IMPORT,
        layout=LAYOUT,
        check=_check(record),
        write=lambda locked, preview, district, now: _import_rows(locked, preview, district, actor),
        ticked=ticked,
    )


def _import_rows(record: SetupImport, preview: ImportPreview, district: OrgUnit, actor: User) -> None:
    made: dict[int, OrgUnit] = {}  # row number of a street in this file → the unit made from it
    for row in preview.rows:
        clean = row.cleaned
        if row.action == "same":
            continue
        if row.action == "change":
            unit = clean["unit"]
            for key in ("contact_person", "contact_phone"):
                if clean[key]:
                    setattr(unit, key, clean[key])
            unit.save(update_fields=["contact_person", "contact_phone"])
        else:
            parent = clean.get("parent") or made[clean["parent_row"]]
            unit = OrgUnit(
                name=clean["name"],
                kind=clean["kind"],
                parent=parent,
                contact_person=clean["contact_person"],
                contact_phone=clean["contact_phone"],
            )
            unit.save()
        if clean["kind"] in STREET_KINDS:
            made[row.number] = unit
    audit_record(
        AuditKind.SETTINGS_CHANGE,
        user=actor,
        district=district.pk,
        target=f"units import: {record.original_name}"[:200],
        model="campaigns.orgunit",
        added=preview.added,
        changed=preview.changed,
    )
    _touched(district)
