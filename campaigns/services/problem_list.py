"""The 问题清单 import: a city's or province's list of problems, previewed row by row with what
each row matches in the ledger, then imported whole (workflow/problem_list.py) or not at all.

The file (or the pasted table) and the photos' zip are kept with their ImportRecord between
the preview and the confirm, like every import; the rows are checked again at the confirm
against the ledger as it is then, with the admin's choices in the preview's selects. A row
is clean when it has a description and a 序号 not used before in the round, lies in a known
street (or at a known point), names no unit the district does not have, has a deadline that
is not past, a problem category, and photos the zip holds and that are photos.
"""

import datetime
import re
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    Campaign,
    InspectionRound,
    OrgUnit,
    ProblemListImport,
    RoundKind,
    RoundStatus,
    Ticket,
    UnitKind,
)
from campaigns.services.photos import photo_inspect
from campaigns.workdays import add_working_days

from .problem_list_match import Lookups, Option
from .problem_list_read import (
    LAYOUT,
    PhotoArchive,
    PhotosRefused,
    photo_file,
    photo_names,
    photos_archive,
)
from .xlsx_import import ImportPreview, RowResult, SheetRows, record_preview, record_upload, start_preview
from .xlsx_read import cell_text

DESCRIPTION_MAX = 2000
PLACE_MAX = cast(int, Ticket._meta.get_field("place").max_length)
PERSON_MAX = cast(int, Ticket._meta.get_field("responsible_person").max_length)
SERIAL = re.compile(r"^[（(第]?\s*(\d{1,5})\s*[)）.．、号项]?$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CHOSEN_KEYS = ("point", "street", "unit", "item", "category")
# A choice posted as "none" (不对应点位, 不交办, 不对应项).
NONE = 0

# {row number: {select: chosen pk, or NONE}}: what the admin chose in the preview's selects.
Choices = Mapping[int, Mapping[str, int]]


def clean_text(value: object) -> str:
    """A cell as text: dates as dates, no control characters, no surrounding space."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return CONTROL.sub("", cell_text(value).replace("\r\n", "\n")).strip()


@dataclass
class ListRow(RowResult):
    """A row of the list with what it matched: the options of each select, what is chosen
    (a pk, NONE, or None for nothing yet), the deadline it gets and the photos it names."""

    district: OrgUnit | None = None
    campaign: Campaign | None = None
    options: dict[str, list[Option]] = field(default_factory=dict)
    others: dict[str, list[Option]] = field(default_factory=dict)
    chosen: dict[str, int | None] = field(default_factory=dict)
    deadline: datetime.date | None = None
    deadline_note: str = ""
    photo_keys: list[str] = field(default_factory=list)
    raw_deadline: Any = None  # as read: a workbook's date cell stays a date


# --- where the rows go ---------------------------------------------------------------------


def round_from(record: ProblemListImport) -> InspectionRound:
    """The round the list is imported into: the chosen one, or the new one as it will be made
    (not saved: its letter date and working days give the deadlines)."""
    if record.inspection_round_id:
        return record.inspection_round  # type: ignore[return-value]
    spec = record.new_round
    letter_date = datetime.date.fromisoformat(spec["letter_date"]) if spec.get("letter_date") else None
    day = letter_date or timezone.localdate()
    return InspectionRound(
        kind=spec.get("kind") or RoundKind.SUPERVISION,
        level=spec.get("level", ""),
        name=spec.get("name", ""),
        starts_on=day,
        ends_on=day,
        letter_number=spec.get("letter_number", ""),
        letter_date=letter_date,
        deadline_working_days=int(spec.get("deadline_working_days") or 10),
        status=RoundStatus.FINISHED,
        created_by=record.uploaded_by,
    )


def office_districts(office: OrgUnit) -> list[OrgUnit]:
    """The districts rows may go to: the office's own, or a city office's districts."""
    if office.kind == UnitKind.DISTRICT:
        return [office]
    return list(OrgUnit.objects.filter(kind=UnitKind.DISTRICT, parent=office, is_active=True).order_by("order", "id"))


# --- the deadline --------------------------------------------------------------------------

NUMBER = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})"
WORKING_DAYS = re.compile(rf"^{NUMBER}\s*个?\s*工作日")
CALENDAR_DAYS = re.compile(rf"^{NUMBER}\s*(?:个自然日|天|日)")
FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:之?前|以前|完成)*$")
MONTH_DAY = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(?:之?前|以前|完成)*$")
AT_ONCE = ("立行立改", "立即整改", "即知即改", "立查立改", "立即")
DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return DIGITS.get(text, 0)
    tens, _ten, ones = text.partition("十")
    return DIGITS.get(tens, 1 if not tens else 0) * 10 + DIGITS.get(ones, 0)


def deadline_read(
    value: object, inspection_round: InspectionRound, today: datetime.date
) -> tuple[datetime.date | None, str]:
    """(the date, how it was reckoned) from a 整改时限 cell; ValueError with what is wrong.

    Working and calendar days count from the round's letter (else from today), as the letter sets them.
    """
    start = inspection_round.letter_date or today
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value, ""
    text = re.sub(r"\s+", "", cell_text(value))
    if not text:
        return None, ""
    if text.startswith(AT_ONCE):
        return today, _("立行立改：今天")
    if match := WORKING_DAYS.match(text):
        days = _number(match.group(1))
        return add_working_days(start, days), _("通报日起 %(n)s 个工作日") % {"n": days}
    if match := CALENDAR_DAYS.match(text):
        days = _number(match.group(1))
        return start + datetime.timedelta(days=days), _("通报日起 %(n)s 天") % {"n": days}
    try:
        if match := FULL_DATE.match(text):
            return datetime.date(*(int(part) for part in match.groups())), ""
        if match := MONTH_DAY.match(text):
            day = datetime.date(start.year, int(match.group(1)), int(match.group(2)))
            # "1月10日" in a letter of December is next January.
            return (day.replace(year=day.year + 1) if day < start - datetime.timedelta(days=180) else day), ""
    except ValueError:
        pass
    raise ValueError(
        _("整改时限“%(v)s”看不懂：请写日期（如 2026-12-20）、“10个工作日”“7天”或“立行立改”。") % {"v": text}
    )


# --- checking the rows ---------------------------------------------------------------------

T = TypeVar("T")


class _RowCheck:
    """One row checked against the lookups, the photos and what the admin chose."""

    def __init__(self, row: ListRow, posted: Mapping[str, int]) -> None:
        self.row, self.posted = row, posted

    def choose(self, key: str, suggested: list[Option], find: Callable[[int], T | None]) -> T | None:
        """The posted choice if there is one (NONE: none), else the first suggestion."""
        row = self.row
        row.options[key] = suggested
        if key in self.posted:
            pk = self.posted[key]
            if pk == NONE:
                row.chosen[key] = NONE
                return None
            found = find(pk)
            if found is None:
                row.error(key, _("所选的一项已不可用，请重新选择。"))
                row.chosen[key] = None
                return None
            row.chosen[key] = pk
            return found
        found = find(suggested[0].pk) if suggested else None
        row.chosen[key] = suggested[0].pk if found is not None else None
        return found

    def keep_shown(self, key: str, label: str) -> None:
        """A choice outside the suggestions stays in its select."""
        pk = self.row.chosen.get(key)
        if pk and all(option.pk != pk for option in self.row.options[key]):
            self.row.options[key] = [Option(pk, label, _("已选")), *self.row.options[key]]
            self.row.others[key] = [option for option in self.row.others.get(key, []) if option.pk != pk]


def _serial(row: ListRow) -> int | None:
    text = row.values.get("serial", "")
    match = SERIAL.match(text)
    if text and (match is None or int(match.group(1)) == 0):
        row.error("serial", _("序号应是正整数：“%(v)s”。") % {"v": text})
        return None
    return int(match.group(1)) if match else None


def _texts(row: ListRow) -> tuple[str, str, str]:
    description, place, person = (row.values.get(key, "") for key in ("description", "place", "person"))
    if len(description) > DESCRIPTION_MAX:
        row.error("description", _("问题描述太长（最多 %(n)s 个字）。") % {"n": DESCRIPTION_MAX})
    if len(place) > PLACE_MAX:
        row.error("place", _("地点太长（最多 %(n)s 个字）。") % {"n": PLACE_MAX})
    if len(person) > PERSON_MAX:
        row.error("person", _("责任人太长（最多 %(n)s 个字）。") % {"n": PERSON_MAX})
    return description, place, person


def _where(check: _RowCheck, lookups: Lookups, round_districts: set[int] | None) -> None:
    """The row's point, street and so its district (a city's list: the street's district)."""
    row = check.row
    street_text, place = row.values.get("street", ""), row.values.get("place", "")
    streets = lookups.streets_for(street_text, f"{place}{row.values.get('description', '')}")
    row.others["street"] = lookups.other_streets(streets)
    street = check.choose("street", streets, lookups.street)
    suggested = {option.pk for option in streets}
    chosen_street = "street" in check.posted and street is not None
    points = lookups.points_for(place, {street.pk} if chosen_street and street is not None else suggested)
    point = check.choose("point", points, lookups.points.get)
    if point is not None:
        check.keep_shown("point", lookups.point_label(point))
        if not chosen_street and point.street_id in suggested and (street is None or street.pk != point.street_id):
            # "第一街道" in two districts of a city: the point named in the place settles which.
            street = lookups.street(point.street_id)
            row.chosen["street"] = point.street_id
        if street is None and point.street is not None:
            street = point.street
            row.chosen["street"] = street.pk
            row.options["street"] = [Option(street.pk, lookups.street_label(street), _("点位所在街道"))]
            row.others["street"] = lookups.other_streets(row.options["street"])
        elif street is not None and point.street_id != street.pk:
            row.error(
                "place",
                _("点位“%(point)s”在%(street)s，与所属街道“%(chosen)s”不符：请改选点位或街道。")
                % {"point": point.name, "street": point.street.name if point.street else "", "chosen": street.name},
            )
    if street is not None:
        check.keep_shown("street", lookups.street_label(street))
    elif not row.errors.get("street"):
        if street_text and not streets:
            message = _("没有找到街道或乡镇“%(v)s”：请在下拉框中选择，或改正后重新上传。") % {"v": street_text}
        else:
            message = _("没有所属街道，也没有对应的点位：请选择街道，或改正后重新上传。")
        row.error("street", message)
    if point is None and not place and not row.errors.get("place"):
        row.error("place", _("没有地点，也没有对应的点位：请写明地点，或选择点位。"))
    row.cleaned.update(point=point, street=street)
    row.district = lookups.districts.get(cast(int, street.district_id)) if street is not None else None
    if row.district is not None and round_districts is not None and row.district.pk not in round_districts:
        row.error("street", _("所选轮次不涉及%(d)s。") % {"d": row.district.name})


def _unit(check: _RowCheck, lookups: Lookups) -> None:
    row, district = check.row, check.row.district
    text = row.values.get("unit", "")
    units = lookups.units_for(text, district) if district is not None and text else []
    row.others["unit"] = lookups.other_units(district, units)
    mine = {unit.pk for unit in lookups.units_of.get(district.pk, [])} if district is not None else set()
    unit = check.choose("unit", units, lambda pk: lookups.units.get(pk) if pk in mine else None)
    if unit is not None:
        check.keep_shown("unit", unit.name)
    elif text and district is not None and "unit" not in check.posted and not row.errors.get("unit"):
        row.error(
            "unit",
            _("%(d)s没有责任单位“%(v)s”：请在下拉框中选择，或选“不交办”。") % {"d": district.name, "v": text},
        )
    row.cleaned["unit"] = unit


def _item_and_category(check: _RowCheck, lookups: Lookups) -> None:
    row, campaign = check.row, check.row.campaign
    description, category_text = row.values.get("description", ""), row.values.get("category", "")
    items = lookups.items_for(campaign, description, category_text)
    row.others["item"] = lookups.other_items(campaign, items)
    item = check.choose("item", items, lambda pk: lookups.item(pk, campaign))
    categories = lookups.categories_for(campaign, description, category_text, item)
    row.others["category"] = lookups.other_categories(campaign, categories)
    category = check.choose("category", categories, lambda pk: lookups.category(pk, campaign))
    if item is not None:
        check.keep_shown("item", lookups.item_label(item))
    if category is not None:
        check.keep_shown("category", category.name)
    elif campaign is not None and not row.errors.get("category"):
        row.error("category", _("没有对应的问题类别，请选择。"))
    row.cleaned.update(item=item, category=category)


def _deadline(row: ListRow, inspection_round: InspectionRound, today: datetime.date) -> None:
    stated = row.values.get("deadline", "")
    try:
        deadline, note = deadline_read(row.raw_deadline, inspection_round, today)
    except ValueError as unreadable:
        row.error("deadline", str(unreadable))
        return
    if deadline is None and row.cleaned.get("unit") is not None:
        # The list names the unit but no date: the round's own deadline.
        deadline = add_working_days(inspection_round.letter_date or today, inspection_round.deadline_working_days)
        note = _("按轮次：通报日起 %(n)s 个工作日") % {"n": inspection_round.deadline_working_days}
    if deadline is not None and deadline < today and (stated or row.cleaned.get("unit") is not None):
        row.error("deadline", _("整改时限 %(d)s 已过（早于今天）。") % {"d": deadline.isoformat()})
    row.deadline, row.deadline_note = deadline, note
    row.cleaned["deadline"] = deadline


def _photos(row: ListRow, archive: tuple[Any, PhotoArchive] | None, limit: int) -> None:
    names = photo_names(row.values.get("photos", ""))
    if not names:
        return
    if archive is None:
        row.error("photos", _("写了照片文件名，但没有上传照片压缩包。"))
        return
    if len(names) > limit:
        row.error("photos", _("一个问题最多 %(n)s 张照片。") % {"n": limit})
        return
    zipped, photos = archive
    for name in names:
        key, why = photos.find(name)
        if key is None:
            row.error("photos", why)
            continue
        try:
            photo_inspect(photo_file(zipped, photos.entries[key], name))
        except ValidationError as refused:
            row.error("photos", " ".join(refused.messages))
            continue
        row.photo_keys.append(key)


def _check_row(
    number: int, raw: Mapping[str, Any], posted: Mapping[str, int], lookups: Lookups, context: "_Context"
) -> ListRow:
    values = {key: clean_text(value) for key, value in raw.items()}
    row = ListRow(number=number, values=values, columns=LAYOUT.columns, raw_deadline=raw.get("deadline"))
    for column in LAYOUT.columns:
        if column.required and not values.get(column.key):
            row.error(column.key, _("“%(col)s”不能为空。") % {"col": column.label})
    check = _RowCheck(row, posted)
    serial = _serial(row)
    description, place, person = _texts(row)
    _where(check, lookups, context.round_districts)
    if row.district is not None:
        row.campaign = lookups.campaigns.get(row.district.pk)
        if row.campaign is None:
            row.error("_row", _("%(d)s没有进行中的活动，问题无处登记。") % {"d": row.district.name})
    _unit(check, lookups)
    _item_and_category(check, lookups)
    _deadline(row, context.inspection_round, context.today)
    _photos(row, context.archive, context.photos_per_row)
    if serial is not None and row.district is not None:
        key = (row.district.pk, serial)
        if key in context.seen:
            row.error("serial", _("与第 %(row)s 行的序号重复。") % {"row": context.seen[key]})
        elif key in lookups.taken:
            row.error(
                "serial",
                _("序号 %(n)s 已导入过这个轮次（工单 %(ticket)s）。") % {"n": serial, "ticket": lookups.taken[key]},
            )
        context.seen.setdefault(key, number)
    row.cleaned.update(serial=serial, description=description, place=place, person=person, photos=row.photo_keys)
    if not row.errors:
        row.action = "add"
        unit = row.cleaned["unit"]
        row.note = (
            _("交办给%(unit)s，%(date)s 前整改") % {"unit": unit.name, "date": row.deadline.isoformat()}
            if unit is not None and row.deadline is not None
            else _("待交办")
        )
    return row


@dataclass
class _Context:
    inspection_round: InspectionRound
    today: datetime.date
    round_districts: set[int] | None
    archive: tuple[Any, PhotoArchive] | None
    photos_per_row: int
    seen: dict[tuple[int, int], int] = field(default_factory=dict)


def problem_list_check(sheet: SheetRows, record: ProblemListImport, choices: Choices | None = None) -> ImportPreview:
    """Check the rows read from a list against the ledger as it is now; nothing is written.

    `choices` are the admin's picks in the preview's selects ({row number: {select: pk}}).
    """
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    inspection_round = round_from(record)
    districts = office_districts(record.office)
    is_city = record.office.kind == UnitKind.CITY
    # A city's list into an existing round: only the districts that round covers.
    covered = set(inspection_round.districts.values_list("id", flat=True)) if is_city and inspection_round.pk else None
    lookups = Lookups(districts, inspection_round, record.office if is_city else None)
    with ExitStack() as stack:
        archive = None
        if record.photos:
            try:
                handle = stack.enter_context(record.photos.open("rb"))
                archive = photos_archive(handle)
                stack.enter_context(archive[0])
            except PhotosRefused as refused:
                preview.file_errors = [str(refused)]
                return preview
        context = _Context(
            inspection_round=inspection_round,
            today=timezone.localdate(),
            round_districts=covered,
            archive=archive,
            photos_per_row=settings.PHOTOS_PER_TICKET_MAX,
        )
        for number, raw in sheet.rows:
            preview.rows.append(_check_row(number, raw, (choices or {}).get(number, {}), lookups, context))
    return preview


def _check(record: ProblemListImport, choices: Choices | None = None) -> Callable[[SheetRows], ImportPreview]:
    return lambda sheet: problem_list_check(sheet, record, choices)


def problem_list_preview(record: ProblemListImport, choices: Choices | None = None) -> ImportPreview:
    """The kept list checked afresh (with the admin's choices); its counts noted on the record."""
    return record_preview(record, LAYOUT, _check(record, choices))


def problem_list_upload(
    *,
    office: OrgUnit,
    actor: User,
    sheet: SheetRows,
    uploaded: File | None = None,
    pasted: str = "",
    photos: File | None = None,
    inspection_round: InspectionRound | None = None,
    new_round: Mapping[str, Any] | None = None,
) -> tuple[ProblemListImport, ImportPreview]:
    """Keep the list (a workbook, or the pasted text) and its photos; return (record, preview).
    Nothing is imported yet. `sheet` is what was read from it, once, by the upload form."""
    record = ProblemListImport(
        office=office,
        uploaded_by=actor,
        inspection_round=inspection_round,
        new_round=dict(new_round or {}) if inspection_round is None else {},
        pasted=uploaded is None,
    )
    if photos is not None:
        record.photos.save("photos.zip", photos, save=False)
    if uploaded is not None:
        return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)
    record.original_name = _("粘贴的表格")
    record.parsed = sheet.to_json()
    record.file.save("pasted.txt", ContentFile(pasted.encode("utf-8")), save=False)
    record.save()
    return record, problem_list_preview(record)
