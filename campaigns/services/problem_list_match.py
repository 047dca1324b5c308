"""Matching a 问题清单's rows to the ledger: point, street, responsible unit, 项 and category.

A list is written by another office in its own words: "铁西区执法局" for the unit the ledger
calls 区执法局, "英雄" for 英雄街道, a place that names a market inside a longer sentence. Every
match is a suggestion with its alternatives, ranked, each with why it was suggested; the
preview preselects the best and lets the admin choose another. The rules, in order:

- point (点位): the name exactly; else a point whose name the 地点 contains (the longest
  first); else one whose address the 地点 contains or is contained in. Points of the row's
  street come first when the street is known.
- street (街道/乡镇): the name exactly or without its 街道/乡/镇; else a community or village
  of that name (its street); with no 所属街道, a street named in the 地点 or description.
- unit (责任单位): the name exactly, also with the district's or city's name in front or the
  leading 区 left off ("铁西区执法局", "执法局" → 区执法局); else a unit whose name contains the
  text or is contained in it. Several units in one cell: the first is the one it goes to.
- 项: the 项's problem category (its parts) named in the description, then the characters
  the description shares with the requirement (pairs of characters), best first. No
  standard on the campaign: no 项.
- category (问题类别): the 项's category; else the 问题类别 column; else a category whose
  name (or a part of it) the description contains; else the most characters shared.

Everything is read once per preview (Lookups) in a fixed number of queries, whatever the rows.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Q
from django.utils.translation import gettext as _

from campaigns.models import (
    STREET_KINDS,
    Campaign,
    CampaignStatus,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    ProblemCategory,
    RoundFinding,
    StandardItem,
    UnitKind,
)

NOT_WORDS = re.compile(r"[\W_]+")
STREET_SUFFIX = re.compile(r"(街道办事处|街道|办事处|乡|镇|街)$")
NAME_PARTS = re.compile(r"[/／、，,；;（）()\s]+")
UNIT_SEPARATORS = re.compile(r"[、，,；;/／\s]+")
SUGGESTIONS = 5
ASSIGNABLE_KINDS = (UnitKind.DEPARTMENT, *STREET_KINDS, UnitKind.COMMUNITY, UnitKind.VILLAGE)


def plain(text: object) -> str:
    """Text as it is compared: no spaces or punctuation, any case."""
    return NOT_WORDS.sub("", str(text or "")).lower()


def _street_base(name: str) -> str:
    base = STREET_SUFFIX.sub("", plain(name))
    return base if len(base) >= 2 else plain(name)


def _parts(name: str) -> list[str]:
    return [plain(part) for part in NAME_PARTS.split(name or "") if len(plain(part)) >= 2]


def _pairs(text: str) -> set[str]:
    text = plain(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class Option:
    """One choice of a row's select: suggested (with why) or one of the rest."""

    pk: int
    label: str
    note: str = ""

    @property
    def suggested(self) -> bool:
        return bool(self.note)


def _ranked(found: Iterable[tuple[float, Any, str]], label: Callable[[Any], str]) -> list[Option]:
    """Options from (rank, object, note), best rank first, each object once."""
    seen: set[int] = set()
    options = []
    for _rank, obj, note in sorted(found, key=lambda item: item[0]):
        pk = obj.pk
        if pk not in seen:
            seen.add(pk)
            options.append(Option(pk, label(obj), note))
    return options[:SUGGESTIONS]


class Lookups:
    """The districts' streets, units, points, campaigns, categories and 项, and the round's
    numbers already taken: read once for every row of a preview."""

    def __init__(self, districts: Sequence[OrgUnit], inspection_round: InspectionRound, city: OrgUnit | None) -> None:
        ids = [district.pk for district in districts]
        self.districts = {district.pk: district for district in districts}
        self.city_name = city.name if city is not None else ""
        self.is_city = city is not None
        units = list(
            OrgUnit.objects.filter(district_id__in=ids, kind__in=ASSIGNABLE_KINDS, is_active=True).order_by(
                "district__order", "district_id", "kind", "order", "id"
            )
        )
        self.units = {unit.pk: unit for unit in units}
        self.streets = [unit for unit in units if unit.kind in STREET_KINDS]
        self.streets_by_pk = {street.pk: street for street in self.streets}
        self.places_in_streets = [unit for unit in units if unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE)]
        self.units_of: dict[int, list[OrgUnit]] = {pk: [] for pk in ids}
        for unit in units:
            if unit.kind in (UnitKind.DEPARTMENT, *STREET_KINDS):
                self.units_of[cast(int, unit.district_id)].append(unit)  # every unit below a district has one
        self.points = {
            point.pk: point
            for point in InspectionPoint.objects.filter(district_id__in=ids, is_active=True)
            .select_related("street")
            .order_by("street__order", "name", "id")
        }
        self.campaigns = self._campaigns(ids, inspection_round)
        campaign_ids = [campaign.pk for campaign in self.campaigns.values()]
        self.categories: dict[int, list[ProblemCategory]] = {pk: [] for pk in campaign_ids}
        for category in ProblemCategory.objects.filter(campaign_id__in=campaign_ids, is_active=True).select_related(
            "area"
        ):
            self.categories[category.campaign_id].append(category)
        self.standard_of = {
            campaign.pk: inspection_round.standard_id or campaign.standard_id for campaign in self.campaigns.values()
        }
        self.items: dict[int, list[StandardItem]] = {}
        standards = {pk for pk in self.standard_of.values() if pk}
        for item in StandardItem.objects.filter(article__aspect__standard_id__in=standards).select_related(
            "article__aspect"
        ):
            self.items.setdefault(item.article.aspect.standard_id, []).append(item)
        self.taken: dict[tuple[int, int], str] = {}
        if inspection_round.pk:
            for district_id, serial, number in RoundFinding.objects.filter(
                inspection_round=inspection_round, district_id__in=ids
            ).values_list("district_id", "serial", "ticket__number"):
                self.taken[(district_id, serial)] = number or ""

    @staticmethod
    def _campaigns(ids: list[int], inspection_round: InspectionRound) -> dict[int, Campaign]:
        """Each district's campaign the round's problems go to: the round's own campaign there,
        else the district's running campaign (the latest begun)."""
        wanted = Q(status=CampaignStatus.RUNNING)
        if inspection_round.pk:
            wanted |= Q(inspection_rounds=inspection_round)
        found = Campaign.objects.filter(wanted, district_id__in=ids).distinct().order_by("-start_date", "-id")
        linked = set(inspection_round.campaigns.values_list("id", flat=True)) if inspection_round.pk else set()
        chosen: dict[int, Campaign] = {}
        for campaign in found:
            current = chosen.get(campaign.district_id)
            if current is None or (campaign.pk in linked and current.pk not in linked):
                chosen[campaign.district_id] = campaign
        return chosen

    # --- labels ----------------------------------------------------------------------------

    def street_label(self, street: OrgUnit) -> str:
        if self.is_city:
            return f"{self.districts[cast(int, street.district_id)].name} · {street.name}"
        return street.name

    def point_label(self, point: InspectionPoint) -> str:
        where = " · ".join(part for part in (point.street.name if point.street else "", point.address) if part)
        return f"{point.name}（{where}）" if where else point.name

    @staticmethod
    def item_label(item: StandardItem) -> str:
        text = item.requirement if len(item.requirement) <= 36 else item.requirement[:35] + "…"
        return f"{item.code} {text}"

    # --- matching ----------------------------------------------------------------------------

    def streets_for(self, text: str, context: str) -> list[Option]:
        """Streets the 所属街道 names; without it, streets named in the place or description."""
        found: list[tuple[float, Any, str]] = []
        wanted = plain(text)
        if wanted:
            base = _street_base(text)
            for street in self.streets:
                if plain(street.name) == wanted:
                    found.append((0, street, _("名称一致")))
                elif _street_base(street.name) == base:
                    found.append((1, street, _("名称相近")))
                elif len(wanted) >= 2 and (wanted in plain(street.name) or plain(street.name) in wanted):
                    found.append((2, street, _("名称相近")))
            for place in self.places_in_streets:
                if plain(place.name) == wanted and place.street_id in self.units:
                    found.append((3, self.units[place.street_id], _("“%(v)s”所在街道") % {"v": place.name}))
        else:
            words = plain(context)
            for street in self.streets:
                if plain(street.name) in words or (
                    len(_street_base(street.name)) >= 2 and _street_base(street.name) in words
                ):
                    found.append((4, street, _("地点中提到")))
        return _ranked(found, self.street_label)

    def points_for(self, text: str, street_ids: set[int]) -> list[Option]:
        wanted = plain(text)
        if not wanted:
            return []
        found: list[tuple[float, Any, str]] = []
        for point in self.points.values():
            name, address = plain(point.name), plain(point.address)
            elsewhere = 0.5 if street_ids and point.street_id not in street_ids else 0
            if name == wanted:
                found.append((0 + elsewhere, point, _("名称一致")))
            elif len(name) >= 2 and name in wanted:
                # The longer the name found inside the place, the likelier it is meant.
                found.append((1 + elsewhere + 1 / (len(name) + 1), point, _("地点含点位名称")))
            elif len(address) >= 4 and (address in wanted or wanted in address):
                found.append((2 + elsewhere, point, _("地址相符")))
            elif len(wanted) >= 4 and wanted in name:
                found.append((3 + elsewhere, point, _("点位名称含地点")))
        return _ranked(found, self.point_label)

    def _name_forms(self, name: str, district: OrgUnit) -> set[str]:
        forms = {plain(name)}
        prefixes = [plain(self.city_name), plain(district.name), plain(district.name).removesuffix("区"), "区", "市"]
        for _round in range(2):
            for form in list(forms):
                for prefix in prefixes:
                    if prefix and form.startswith(prefix) and len(form) - len(prefix) >= 2:
                        forms.add(form[len(prefix) :])
        return forms

    def units_for(self, text: str, district: OrgUnit) -> list[Option]:
        first = next((part for part in UNIT_SEPARATORS.split(text) if part), "")
        if not first:
            return []
        wanted = self._name_forms(first, district)
        found: list[tuple[float, Any, str]] = []
        for unit in self.units_of.get(district.pk, []):
            forms = self._name_forms(unit.name, district)
            if forms & wanted:
                found.append((0 if plain(unit.name) == plain(first) else 1, unit, _("名称一致")))
                continue
            near = [
                abs(len(a) - len(b)) for a in wanted for b in forms if min(len(a), len(b)) >= 2 and (a in b or b in a)
            ]
            if near:
                found.append((2 + min(near) / 100, unit, _("名称相近")))
        return _ranked(found, lambda unit: unit.name)

    def items_for(self, campaign: Campaign | None, description: str, category_text: str) -> list[Option]:
        items = self.items.get(self.standard_of.get(campaign.pk) or 0, []) if campaign is not None else []
        words, pairs = plain(f"{description}{category_text}"), _pairs(description)
        found: list[tuple[float, Any, str]] = []
        for item in items:
            named = [part for part in _parts(item.category_name) if part in words]
            shared = len(pairs & _pairs(item.requirement))
            score = 4 * len(named) + shared
            if score >= 2:
                note = _("描述提到“%(v)s”") % {"v": named[0]} if named else _("描述与要求相近")
                found.append((-score, item, note))
        return _ranked(found, self.item_label)

    def categories_for(
        self, campaign: Campaign | None, description: str, category_text: str, item: StandardItem | None
    ) -> list[Option]:
        categories = self.categories.get(campaign.pk, []) if campaign is not None else []
        found: list[tuple[float, Any, str]] = []
        named, words, pairs = plain(category_text), plain(description), _pairs(description)
        item_parts = set(_parts(item.category_name)) if item is not None and item.category_name else set()
        for category in categories:
            name, parts = plain(category.name), set(_parts(category.name))
            if item is not None and item.category_name and (name == plain(item.category_name) or parts & item_parts):
                found.append((0, category, _("项对应的类别")))
            if named and (name == named or named in name or name in named):
                found.append((1, category, _("与“问题类别”一致")))
            # Words of the category found in the description weigh most; the characters it
            # shares with the description break ties ("防鼠设施缺失" is 防鼠防蝇设施, not 三防).
            hits = [part for part in parts | {name} if part in words]
            shared = len(pairs & _pairs(category.name))
            if hits:
                score = 3 * sum(len(part) for part in hits) + shared
                found.append((2 - score / 1000, category, _("描述提到“%(v)s”") % {"v": max(hits, key=len)}))
            elif shared >= 2:
                found.append((4 - shared / 1000, category, _("描述与类别相近")))
        return _ranked(found, lambda category: category.name)

    # --- the rest of each select -----------------------------------------------------------

    def other_streets(self, suggested: list[Option]) -> list[Option]:
        taken = {option.pk for option in suggested}
        return [Option(street.pk, self.street_label(street)) for street in self.streets if street.pk not in taken]

    def other_units(self, district: OrgUnit | None, suggested: list[Option]) -> list[Option]:
        if district is None:
            return []
        taken = {option.pk for option in suggested}
        return [Option(unit.pk, unit.name) for unit in self.units_of.get(district.pk, []) if unit.pk not in taken]

    def other_categories(self, campaign: Campaign | None, suggested: list[Option]) -> list[Option]:
        if campaign is None:
            return []
        taken = {option.pk for option in suggested}
        return [Option(c.pk, c.name) for c in self.categories.get(campaign.pk, []) if c.pk not in taken]

    def other_items(self, campaign: Campaign | None, suggested: list[Option]) -> list[Option]:
        if campaign is None:
            return []
        taken = {option.pk for option in suggested}
        items = self.items.get(self.standard_of.get(campaign.pk) or 0, [])
        return [Option(item.pk, self.item_label(item)) for item in items if item.pk not in taken]

    def street(self, pk: int) -> OrgUnit | None:
        return self.streets_by_pk.get(pk)

    def item(self, pk: int | None, campaign: Campaign | None) -> StandardItem | None:
        if pk is None or campaign is None:
            return None
        return next(
            (item for item in self.items.get(self.standard_of.get(campaign.pk) or 0, []) if item.pk == pk), None
        )

    def category(self, pk: int | None, campaign: Campaign | None) -> ProblemCategory | None:
        if pk is None or campaign is None:
            return None
        return next((category for category in self.categories.get(campaign.pk, []) if category.pk == pk), None)
