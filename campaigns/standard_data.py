"""The national standard as rows, read from data/sanitary_standard.json, and written to the
tables by whoever hands over the models.

Nothing of the project is imported here: migration 0032 fills the tables with its historical
models, and services/standard.py fills a fresh database (a new install's first campaign, a
test database flushed between tests) with today's, from the same file by the same rules.
Every number and every source is in the file; this module only knows how to read it.

The file's `categories` are the 方面 and their `items` the 条. A 条's text lists several
requirements separated by "；": each becomes a 项 (code 条.n), so a gate such as "群众满意率
≥90%" or a site check such as "无乱搭乱建…" is its own line on the quantified sheet.
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

STANDARD_FILE = Path(__file__).resolve().parent / "data" / "sanitary_standard.json"

# AssessmentMethod's and PopulationBand's values (campaigns/models), which this module may not import.
RECORDS, SITE, SURVEY, DATA = "records", "site", "survey", "data"
BANDS = ("lt50", "50to200", "gt200")

# A model by app label and name: `apps.get_model` of a migration, or of django.apps.
GetModel = Callable[[str, str], Any]


@dataclass(frozen=True)
class ItemRow:
    """One 项 with the 方面 and 条 it sits in: a row of the standard's workbook."""

    aspect_code: str
    aspect_name: str
    article_code: str
    article_text: str
    code: str
    requirement: str
    method: str = SITE
    score: Decimal = Decimal("0")
    is_gate: bool = False
    point_types: tuple[str, ...] = ()
    category_name: str = ""


@dataclass(frozen=True)
class QuotaRow:
    point_type: str
    band: str
    minimum: int
    source: str = ""


@dataclass(frozen=True)
class StandardMeta:
    name: str
    version: str
    scope: str
    issued_by: str = ""
    source: str = ""


@lru_cache(maxsize=1)
def load_file() -> dict[str, Any]:
    with STANDARD_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def national_meta(data: Mapping[str, Any] | None = None) -> StandardMeta:
    data = data or load_file()
    record = data["standard_record"]
    return StandardMeta(
        name=record["name"],
        version=record["version"],
        scope=record["scope"],
        issued_by=record.get("issued_by", ""),
        source="\n".join([data["standard"], data.get("item_count_note", ""), data.get("gates_note", "")]).strip(),
    )


def clauses(text: str) -> list[str]:
    """A 条's requirements: its text split at "；" (empty pieces and closing full stops dropped)."""
    return [piece.strip().rstrip("。") for piece in text.split("；") if piece.strip().rstrip("。")]


# Aspects whose 项 are proven on paper in the evidence binder rather than looked at in the street.
RECORDS_ASPECTS = frozenset({"爱国卫生组织管理", "健康教育和健康促进", "疾病防控与医疗卫生服务"})
THRESHOLD = re.compile(r"[≥≤‰%％]")


def guess_method(aspect_name: str, requirement: str, *, found_on_site: bool = False) -> str:
    """How a 项 is assessed, where the source does not say (it never does), from its words:
    a satisfaction rate is asked of residents (问卷调查); "未发生…事故" is shown by the records
    of incidents (查阅资料); a 项 that patrols' problem categories land on (`found_on_site`) is
    looked at on site (现场查看); any other figure to reach (≥, ≤, %, ‰) is a rate someone
    computes (数据核查); otherwise its 方面 decides — organisation, health education and disease
    control are read in the binder (查阅资料); streets, environment, premises, food and vectors
    are looked at on site. An admin corrects any 项 on the standard's page."""
    if "满意" in requirement:
        return SURVEY
    if "未发生" in requirement:
        return RECORDS
    if found_on_site:
        return SITE
    if THRESHOLD.search(requirement):
        return DATA
    return RECORDS if aspect_name in RECORDS_ASPECTS else SITE


def _shares(score: Decimal, count: int) -> list[Decimal]:
    """A 条's score spread over its 项 to the cent, the remainder on the last."""
    share = (score / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (count - 1) + [score - share * (count - 1)]


def _find(items: Sequence[dict[str, Any]], article: str, clause: str, what: str) -> dict[str, Any]:
    found = [item for item in items if item["article_code"] == article and clause in item["requirement"]]
    if len(found) != 1:
        raise ValueError(f"{what}: {len(found)} 项 of 条 {article} contain “{clause}”")
    return found[0]


def national_rows(data: Mapping[str, Any] | None = None) -> list[ItemRow]:
    """The file's 方面 → 条 → 项, with gates, point types and problem categories, in its order."""
    data = data or load_file()
    items: list[dict[str, Any]] = []
    for category in data["categories"]:
        for article in category["items"]:
            pieces = clauses(article["text"])
            scores = _shares(Decimal(str(article.get("score") or 0)), len(pieces))
            for number, (piece, score) in enumerate(zip(pieces, scores, strict=True), start=1):
                items.append(
                    {
                        "aspect_code": category["code"],
                        "aspect_name": category["name"],
                        "article_code": article["code"],
                        "article_text": article["text"],
                        "code": f"{article['code']}.{number}",
                        "requirement": piece,
                        "score": score,
                        "is_gate": False,
                        "point_types": list(article.get("point_types", [])),
                        "category_names": [],
                    }
                )
    type_of = {alias: entry["name"] for entry in data["point_types"] for alias in entry.get("aliases", [])}
    for problem in data["problem_categories"]:
        link = problem.get("standard_item")
        if not link:
            continue
        item = _find(items, link["article"], link["clause"], problem["name"])
        item["category_names"].append(problem["name"])
        # A place the category names that is no point type (沿街店铺, 雨水道 …) adds none.
        item["point_types"] += [type_of[place] for place in problem.get("applies_to", []) if place in type_of]
    for gate in data.get("gates", []):
        _find(items, gate["article"], gate["clause"], gate["condition"])["is_gate"] = True
    order = {entry["name"]: index for index, entry in enumerate(data["point_types"])}
    return [
        ItemRow(
            aspect_code=item["aspect_code"],
            aspect_name=item["aspect_name"],
            article_code=item["article_code"],
            article_text=item["article_text"],
            code=item["code"],
            requirement=item["requirement"],
            method=guess_method(item["aspect_name"], item["requirement"], found_on_site=bool(item["category_names"])),
            score=item["score"],
            is_gate=item["is_gate"],
            point_types=tuple(sorted(set(item["point_types"]), key=lambda name: order.get(name, len(order)))),
            category_name=item["category_names"][0] if item["category_names"] else "",
        )
        for item in items
    ]


def national_quotas(data: Mapping[str, Any] | None = None) -> list[QuotaRow]:
    data = data or load_file()
    return [
        QuotaRow(entry["point_type"], band, int(entry[band]), "；".join(entry.get("source", []))[:300])
        for entry in data.get("sample_quotas", [])
        for band in BANDS
        if entry.get(band) is not None
    ]


# --- writing -----------------------------------------------------------------------------


def ensure_point_types(get_model: GetModel, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The file's point types, created once and shared by every district: {name: PointType}."""
    data = data or load_file()
    point_type = get_model("campaigns", "PointType")
    found = {}
    for order, entry in enumerate(data["point_types"], start=1):
        found[entry["name"]], _created = point_type.objects.get_or_create(
            name=entry["name"], defaults={"notes": entry.get("notes", ""), "order": order}
        )
    return found


def write_standard(
    get_model: GetModel,
    meta: StandardMeta,
    rows: Iterable[ItemRow],
    quotas: Iterable[QuotaRow] = (),
    *,
    is_current: bool = True,
) -> Any:
    """A new Standard with its 方面, 条, 项 and sample quotas. The point types the rows name
    must exist (an import checks them first; the national install makes them)."""
    models = {name: get_model("campaigns", name) for name in ("Standard", "StandardAspect", "StandardArticle")}
    item_model, quota_model = get_model("campaigns", "StandardItem"), get_model("campaigns", "SampleQuota")
    types = {point_type.name: point_type for point_type in get_model("campaigns", "PointType").objects.all()}
    standard = models["Standard"].objects.create(
        name=meta.name,
        version=meta.version,
        scope=meta.scope,
        issued_by=meta.issued_by,
        source=meta.source,
        is_current=is_current,
    )
    aspects: dict[str, Any] = {}
    articles: dict[tuple[str, str], Any] = {}
    items: list[tuple[Any, tuple[str, ...]]] = []
    for order, row in enumerate(rows, start=1):
        if row.aspect_code not in aspects:
            aspects[row.aspect_code] = models["StandardAspect"].objects.create(
                standard=standard, code=row.aspect_code, name=row.aspect_name, order=len(aspects) + 1
            )
        key = (row.aspect_code, row.article_code)
        if key not in articles:
            articles[key] = models["StandardArticle"].objects.create(
                aspect=aspects[row.aspect_code], code=row.article_code, text=row.article_text, order=len(articles) + 1
            )
        item = item_model(
            article=articles[key],
            code=row.code,
            requirement=row.requirement,
            method=row.method,
            score=row.score,
            is_gate=row.is_gate,
            category_name=row.category_name,
            order=order,
        )
        items.append((item, row.point_types))
    item_model.objects.bulk_create([item for item, _types in items])
    through = item_model.point_types.through
    through.objects.bulk_create(
        [through(standarditem_id=item.pk, pointtype_id=types[name].pk) for item, names in items for name in names]
    )
    quota_model.objects.bulk_create(
        [
            quota_model(
                standard=standard, point_type=types[q.point_type], band=q.band, minimum=q.minimum, source=q.source
            )
            for q in quotas
        ]
    )
    return standard


def install_national(get_model: GetModel) -> Any:
    """The national standard from the file, unless it is there already (name and version)."""
    data = load_file()
    meta = national_meta(data)
    standard = get_model("campaigns", "Standard")
    found = standard.objects.filter(name=meta.name, version=meta.version).first()
    if found is not None:
        return found
    ensure_point_types(get_model, data)
    return write_standard(get_model, meta, national_rows(data), national_quotas(data))


# --- linking what the campaigns already have -----------------------------------------------


def task_items(get_model: GetModel, standard_id: int) -> dict[tuple[str, str], int]:
    """{(方面 code, task code): 项 id} — the rule that links a checklist task to its 项.

    A task sits in the assessment area whose code is the 方面's. A task coded like a 项
    (3.1.2) is that 项. A task coded like a 条 (3.1, as the checklist made from the standard
    codes its tasks) covers the whole 条; its one link goes to the 条's 必备条件 项 when it has
    one — a problem on that task is a risk to the gate — and otherwise to the 条's first 项.
    """
    rows = (
        get_model("campaigns", "StandardItem")
        .objects.filter(article__aspect__standard_id=standard_id)
        .order_by("article__aspect__order", "article__order", "order", "id")
        .values_list("pk", "code", "is_gate", "article__code", "article__aspect__code")
    )
    found: dict[tuple[str, str], int] = {}
    gated: set[tuple[str, str]] = set()
    for pk, code, is_gate, article_code, aspect_code in rows:
        found[(aspect_code, code)] = pk
        article = (aspect_code, article_code)
        if article not in found or (is_gate and article not in gated):
            found[article] = pk
        if is_gate:
            gated.add(article)
    return found


def link_campaigns(get_model: GetModel, standard: Any, campaign_ids: Iterable[int] | None = None) -> int:
    """Give campaigns without a standard this one, and link their unlinked tasks to its 项
    by `task_items`' rule. Returns the number of tasks linked."""
    campaign_model = get_model("campaigns", "Campaign")
    campaigns = (
        campaign_model.objects.all() if campaign_ids is None else campaign_model.objects.filter(pk__in=campaign_ids)
    )
    campaigns.filter(standard__isnull=True).update(standard=standard)
    links = task_items(get_model, standard.pk)
    tasks = get_model("campaigns", "ChecklistItem").objects.filter(
        campaign__in=campaigns.filter(standard=standard), standard_item__isnull=True
    )
    linked = 0
    for task in tasks.select_related("area").only("id", "code", "area__code"):
        item_id = links.get((task.area.code, task.code.strip()))
        if item_id is not None:
            type(task).objects.filter(pk=task.pk).update(standard_item_id=item_id)
            linked += 1
    return linked
