"""A district's people as its admin enrols them: one by one or from Excel.

Accounts are made by the security admin's own service (security/accounts.py), so
every new account and role writes the same audit rows and gets a one-time password its
owner must replace at first login. A district admin gives only ledger roles (工作人员,
督导/创卫办, 管理员, 领导) in units of their own district: the system duties (系统/安全/
审计管理员) stay with the security admin (三权分立), and an account that is not already in
this district is someone else's — the admin is told the name is taken, nothing more.
"""

import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files import File
from django.db.models import Field, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from campaigns.models import (
    AccountProfile,
    Duty,
    ImportStatus,
    Membership,
    OrgUnit,
    Role,
    SetupImport,
    SetupImportKind,
    UnitKind,
)
from infra.cells import xlsx_append
from infra.xlsx_stream import list_sheet
from security.accounts import AccountRefused, account_create, membership_grant

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

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,40}$")
MOBILE = re.compile(r"^1\d{10}$")
FULL_NAME_MAX = 60
# The words people write in a 角色 column, beside the labels of Role itself.
ROLE_WORDS = {
    "工作人员": Role.STAFF,
    "网格员": Role.STAFF,
    "联络员": Role.STAFF,
    "督导": Role.SUPERVISOR,
    "督导员": Role.SUPERVISOR,
    "督查员": Role.SUPERVISOR,
    "创卫办": Role.SUPERVISOR,
    "督导/创卫办": Role.SUPERVISOR,
    "管理员": Role.ADMIN,
    "区管理员": Role.ADMIN,
    "领导": Role.LEADER,
    "区领导": Role.LEADER,
    "领导只读": Role.LEADER,
}
DUTY_WORDS = {"系统管理员", "安全管理员", "审计管理员", "超级管理员"}

COLUMNS = (
    Column("full_name", gettext_lazy("姓名"), True, ("名字",), 12),
    Column(
        "username",
        gettext_lazy("账号"),
        True,
        ("登录账号", "用户名"),
        16,
        gettext_lazy("3–40 位字母、数字或 _ . @ -，每人一个，如 tx_wangwu"),
    ),
    Column("phone", gettext_lazy("手机号"), False, ("手机", "电话", "联系电话"), 14, gettext_lazy("11 位手机号")),
    Column(
        "unit",
        gettext_lazy("所属单位"),
        True,
        ("单位", "单位名称"),
        22,
        gettext_lazy("本区单位的名称；重名的写成“街道/社区”，如 英雄街道/北沟社区"),
    ),
    Column("role", gettext_lazy("角色"), True, (), 14, gettext_lazy("工作人员、督导/创卫办、管理员或领导")),
)
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("人员"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留人员一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有人员行。"),
)
NEWER_IMPORT = gettext_lazy(
    "在您预览之后，%(who)s 于 %(at)s 导入了“%(name)s”，人员名单已变化。为免覆盖，请重新上传预览后再导入。"
)
ROLE_LABELS = {
    Role.STAFF: "工作人员",
    Role.SUPERVISOR: "督导/创卫办",
    Role.ADMIN: "管理员",
    Role.LEADER: "领导",
}


def role_from_text(text: object) -> str | None:
    text = normalise_label(text)
    if text in ROLE_WORDS:
        return ROLE_WORDS[text]
    for role in Role:
        if text in (normalise_label(role.label), role.value):
            return role
    return None


def role_names() -> str:
    return "、".join(ROLE_LABELS.values())


def district_people(district: OrgUnit) -> QuerySet[Membership]:
    """Memberships in the district's units (the district itself included)."""
    return Membership.objects.filter(unit__district=district)


def enrollable_units(district: OrgUnit) -> QuerySet[OrgUnit]:
    """Units a person of this district can belong to: the district and its active units."""
    return OrgUnit.objects.filter(district=district, is_active=True)


class UnitNames:
    """A unit by the name an office writes: its own, or “上级/名称” when two share a name."""

    def __init__(self, district: OrgUnit) -> None:
        self.by_name: dict[str, list[OrgUnit]] = {}
        self.by_path: dict[str, OrgUnit] = {}
        for unit in enrollable_units(district).select_related("parent"):
            self.by_name.setdefault(unit.name, []).append(unit)
            if unit.parent is not None and unit.kind != UnitKind.DISTRICT:
                self.by_path[f"{unit.parent.name}/{unit.name}"] = unit

    def find(self, text: str) -> tuple[OrgUnit | None, str | None]:
        """(unit, error message)."""
        path = re.sub(r"\s*[/／>＞]\s*", "/", text)
        if path in self.by_path:
            return self.by_path[path], None
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0], None
        if found:
            # Names are unique under one parent, so units sharing one each have a parent.
            parent = cast(OrgUnit, found[0].parent)
            return None, _("本区有 %(n)s 个名为“%(v)s”的单位，请写成“上级单位/单位名称”，如“%(example)s”。") % {
                "n": len(found),
                "v": text,
                "example": f"{parent.name}/{text}",
            }
        return None, _("本区没有启用的单位“%(v)s”。请先在“单位”中添加。") % {"v": text}


@dataclass
class Issued:
    """A new account and its one-time password, shown once to the admin who made it."""

    full_name: str
    username: str
    password: str
    unit: str
    role: str


# --- one person at a time -------------------------------------------------------------------


def existing_in_district(username: str, district: OrgUnit) -> User | None:
    """The account with this name if it already has a role in the district; None otherwise."""
    user = get_user_model().objects.filter(username__iexact=username).first()
    if user is None or not district_people(district).filter(user=user).exists():
        return None
    return user


def person_refusal(user: User, district: OrgUnit, actor: User) -> str | None:
    """Why this existing account cannot be given a role here, or None."""
    in_district = set(district_people(district).filter(user=user).values_list("user_id", flat=True))
    duty_holders = set(
        AccountProfile.objects.filter(user=user).exclude(duty=Duty.NONE).values_list("user_id", flat=True)
    )
    return _existing_problem(user, actor, in_district, duty_holders)


def person_create(
    *, district: OrgUnit, actor: User, username: str, full_name: str, unit: OrgUnit, role: str, phone: str = ""
) -> tuple[User, str | None]:
    """A new account with one role in this district; returns (user, one-time password)."""
    if unit.district_id != district.pk or role not in ROLE_LABELS:
        raise AccountRefused(_("只能在本区的单位中授予工作人员、督导、管理员或领导角色。"))
    return account_create(actor=actor, username=username, full_name=full_name, unit=unit, role=role, phone=phone)


def person_role_add(
    *, district: OrgUnit, actor: User, user: User, unit: OrgUnit, role: str, phone: str = ""
) -> Membership:
    """Another role for someone already in this district."""
    refusal = person_refusal(user, district, actor)
    if refusal:
        raise AccountRefused(refusal)
    if unit.district_id != district.pk or role not in ROLE_LABELS:
        raise AccountRefused(_("只能在本区的单位中授予工作人员、督导、管理员或领导角色。"))
    return membership_grant(actor=actor, user=user, unit=unit, role=role, phone=phone)


# --- the workbook ---------------------------------------------------------------------------


def people_template(district: OrgUnit) -> bytes:
    units = list(enrollable_units(district).select_related("parent").order_by("kind", "order", "id"))
    names: dict[str, int] = {}
    for unit in units:
        names[unit.name] = names.get(unit.name, 0) + 1
    listed = [
        [
            f"{unit.parent.name}/{unit.name}" if names[unit.name] > 1 and unit.parent is not None else unit.name,
            unit.get_kind_display(),
        ]
        for unit in units
    ]
    code = (district.code or "xx").lower()
    example_unit = units[1].name if len(units) > 1 else district.name
    return template_bytes(
        LAYOUT,
        [["王五", f"{code}_wangwu", "13804340001", example_unit, "工作人员"]],
        guide=[
            GuideSection(
                [
                    ["王五", f"{code}_wangwu", "13804340001", example_unit, "工作人员"],
                    ["赵六", f"{code}_zhaoliu", "", district.name, "督导/创卫办"],
                ],
                title=_("填写示例"),
            ),
            GuideSection(
                [
                    ["工作人员", _("登记问题、提交整改、填报日报（网格员、责任单位联络员）")],
                    ["督导/创卫办", _("交办、核验销号、退回、重新打开、撤销")],
                    ["管理员", _("督导的全部权限，另可设置本区的单位、人员、工作组和活动")],
                    ["领导", _("查看作战图和台账，不能修改")],
                ],
                title=_("角色"),
            ),
            GuideSection(listed, title=_("本区可填写的单位名称")),
            GuideSection(
                [
                    [_("导入后，每个新账号会生成一次性初始密码，只在导入结果页显示一次，可下载为 Excel。")],
                    [_("本人首次登录时须改为自己的密码。")],
                    [_("已在本区的账号只会添加新的角色，不会新建账号，也不会改密码。")],
                    [_("安全管理员、审计管理员等系统职责不能在这里设置，请联系安全管理员。")],
                ],
                title=_("说明"),
            ),
        ],
        lists=[("role", list(ROLE_LABELS.values()))],
    )


def people_read(uploaded: File) -> SheetRows:
    """An uploaded people file read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)


def people_preview(handle: IO[bytes] | File, district: OrgUnit, actor: User) -> ImportPreview:
    """Read and check a people workbook without writing anything."""
    return people_check(read_workbook(handle.read(), LAYOUT), district, actor)


def people_check(sheet: SheetRows, district: OrgUnit, actor: User) -> ImportPreview:
    """Check the rows read from a workbook against the district as it is now; nothing is written.

    An import only makes accounts and adds roles (and a phone where one is given): it never
    takes a role away, renames anyone or empties a phone, so no row needs a tick.
    """
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    data = sheet.rows

    units = UnitNames(district)
    wanted = {cell_text(raw.get("username")).lower() for _number, raw in data} - {""}
    accounts = {
        user.lower_name: user
        for user in get_user_model().objects.annotate(lower_name=Lower("username")).filter(lower_name__in=wanted)
    }
    in_district: dict[int, dict[tuple[int, str], Membership]] = {}
    for membership in district_people(district).filter(user__in=accounts.values()).select_related("unit"):
        in_district.setdefault(membership.user_id, {})[(membership.unit_id, membership.role)] = membership
    duty_holders = set(
        AccountProfile.objects.filter(user__in=accounts.values())
        .exclude(duty=Duty.NONE)
        .values_list("user_id", flat=True)
    )
    first_row: dict[str, tuple[int, str]] = {}  # account → (row number, full name)
    seen: dict[tuple[str, int, str], int] = {}  # (account, unit, role) → row number

    for number, raw in data:
        row = start_row(number, raw, LAYOUT)
        clean = row.cleaned

        full_name = row.values.get("full_name", "")
        if len(full_name) > FULL_NAME_MAX:
            row.error("full_name", _("姓名太长（最多 %(n)s 个字）。") % {"n": FULL_NAME_MAX})
        clean["full_name"] = full_name

        username = row.values.get("username", "")
        if username and not USERNAME.match(username):
            row.error("username", _("账号为 3–40 位字母、数字或 _ . @ -。"))
        clean["username"] = username

        phone = re.sub(r"[\s-]", "", row.values.get("phone", ""))
        if phone and not MOBILE.match(phone):
            row.error("phone", _("请填写 11 位手机号。"))
        clean["phone"] = phone

        unit_text = row.values.get("unit", "")
        if unit_text:
            unit, problem = units.find(unit_text)
            if problem:
                row.error("unit", problem)
            clean["unit"] = unit

        role_text = row.values.get("role", "")
        if role_text:
            role = role_from_text(role_text)
            if normalise_label(role_text) in DUTY_WORDS:
                row.error(
                    "role",
                    _("“%(v)s”是系统职责，由安全管理员在“账号与角色”中设置，不能在这里导入。") % {"v": role_text},
                )
            elif role is None:
                row.error("role", _("角色只能是：%(roles)s。") % {"roles": role_names()})
            clean["role"] = role

        key = username.lower()
        if key and full_name:
            if key in first_row and first_row[key][1] != full_name:
                row.error(
                    "full_name",
                    _("账号“%(username)s”在第 %(row)s 行的姓名是“%(name)s”，同一账号的姓名要一致。")
                    % {"username": username, "row": first_row[key][0], "name": first_row[key][1]},
                )
            first_row.setdefault(key, (number, full_name))
        if key and clean.get("unit") and clean.get("role"):
            triple = (key, clean["unit"].pk, clean["role"])
            if triple in seen:
                row.error("_row", _("与第 %(row)s 行重复（同一账号、单位和角色）。") % {"row": seen[triple]})
            else:
                seen[triple] = number

        user = accounts.get(key)
        if user is not None and not row.errors:
            problem = _existing_problem(user, actor, in_district, duty_holders)
            if problem:
                row.error("username", problem)
        if not row.errors:
            _classify(row, user, in_district, first_row[key][0] == number)
        preview.rows.append(row)
    return preview


def _existing_problem(
    user: User, actor: User, in_district: Collection[int], duty_holders: Collection[int]
) -> str | None:
    name = user.get_username()
    if user.pk == actor.pk:
        return _("不能修改自己的账号权限，请由另一位管理员操作。")
    if user.pk not in in_district:
        return _("账号“%(username)s”已被占用，每人一个账号。请换一个账号名；如果是同一个人，请联系安全管理员。") % {
            "username": name
        }
    if user.pk in duty_holders:
        return _("账号“%(username)s”担任系统职责，不能再授予区内角色（三权分立）。") % {"username": name}
    if not user.is_active:
        return _("账号“%(username)s”已停用，请联系安全管理员。") % {"username": name}
    return None


def _classify(
    row: RowResult, user: User | None, in_district: Mapping[int, Mapping[tuple[int, str], Membership]], first: bool
) -> None:
    clean = row.cleaned
    clean["user"] = user
    if user is None:
        row.action = "add"
        row.note = _("新建账号") if first else _("同一新账号的另一个角色")
        return
    membership = in_district[user.pk].get((clean["unit"].pk, clean["role"]))
    if membership is None:
        row.action = "add"
        row.note = _("已在本区的账号：只添加这个角色")
        return
    clean["membership"] = membership
    if clean["phone"] and clean["phone"] != membership.phone:
        label = cast(Field, Membership._meta.get_field("phone")).verbose_name
        row.changes[str(label)] = [membership.phone, clean["phone"]]
        row.action = "change"
    else:
        row.action = "same"


def people_import_upload(
    *, district: OrgUnit, actor: User, uploaded: File, sheet: SheetRows | None = None
) -> tuple[SetupImport, ImportPreview]:
    """Keep the uploaded file and return (import record, preview); nothing is imported yet.
    `sheet` is the file already read (by the upload form), so it is parsed once."""
    record = SetupImport(district=district, kind=SetupImportKind.PEOPLE, uploaded_by=actor)
    return record, record_upload(record, uploaded, LAYOUT, _check(record, actor), sheet=sheet)


def _check(record: SetupImport, actor: User) -> Check:
    return lambda sheet: people_check(sheet, record.district, actor)


def people_import_preview(record: SetupImport, actor: User) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record, actor))


def people_import_confirm(
    *, record: SetupImport, actor: User, ticked: Collection[int] = frozenset()
) -> tuple[ImportPreview, list[Issued]]:
    """Import a previewed people file: every row or none. Returns (preview, [Issued]).

    The passwords exist only in the returned list: the page shows them once and may offer
    them once as a download; the database keeps only their hashes.
    """
    issued: list[Issued] = []
    try:
        preview = record_confirm(
            record=record,
            lock_owner=lambda: OrgUnit.objects.select_for_update().get(pk=record.district_id),
            siblings=SetupImport.objects.filter(district_id=record.district_id, kind=SetupImportKind.PEOPLE),
            changed_message=NEWER_IMPORT,
            layout=LAYOUT,
            check=_check(record, actor),
            write=lambda locked, preview, district, now: issued.extend(_import_rows(preview, actor)),
            ticked=ticked,
        )
    except AccountRefused as refused:
        # An account of the same name was made between the preview and now: nothing was kept.
        SetupImport.objects.filter(pk=record.pk).update(status=ImportStatus.REFUSED)
        record.refresh_from_db()
        return ImportPreview(file_errors=[str(refused)]), []
    return preview, issued


def _import_rows(preview: ImportPreview, actor: User) -> list[Issued]:
    issued: list[Issued] = []
    made: dict[str, User] = {}
    for row in preview.rows:
        clean = row.cleaned
        if row.action == "same":
            continue
        unit, role = clean["unit"], clean["role"]
        key = clean["username"].lower()
        user = clean["user"] or made.get(key)
        if user is None:
            user, password = account_create(
                actor=actor,
                username=clean["username"],
                full_name=clean["full_name"],
                unit=unit,
                role=role,
                phone=clean["phone"],
            )
            made[key] = user
            issued.append(Issued(clean["full_name"], user.get_username(), password, unit.name, ROLE_LABELS[role]))
        else:
            membership_grant(actor=actor, user=user, unit=unit, role=role, phone=clean["phone"])
    return issued


def passwords_workbook(district: OrgUnit, issued: Iterable[Mapping[str, str]]) -> bytes:
    """The one-time passwords of an import as a workbook, for the admin to hand out."""
    workbook = Workbook()
    sheet = cast(Worksheet, workbook.active)  # a new workbook's one worksheet
    sheet.title = _("初始密码")
    xlsx_append(
        sheet, [_("%(district)s 新账号初始密码（只能使用一次，本人首次登录时须修改）") % {"district": district.name}]
    )
    xlsx_append(sheet, [_("姓名"), _("账号"), _("初始密码"), _("所属单位"), _("角色")])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for person in issued:
        xlsx_append(
            sheet, [person["full_name"], person["username"], person["password"], person["unit"], person["role"]]
        )
    for letter, width in zip("ABCDE", (12, 18, 18, 22, 14)):
        sheet.column_dimensions[letter].width = width
    list_sheet(sheet, columns=5, header_row=2, last_row=sheet.max_row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
