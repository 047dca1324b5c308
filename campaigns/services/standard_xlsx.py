"""The standard's workbook (测评标准.xlsx): exported as it stands, imported as a new version.

One row per 项 with its 方面 and 条 (COLUMNS). The export is the template: an office changes
it in Excel, names the new version, and imports it; the preview checks every row and column
and compares each 项 with the version the file came from; the confirm writes every row or none.
An import always creates a new Standard — one that campaigns and rounds were scored on is
never edited by a file — and the new version starts with the sample quotas of the old one.
"""

import datetime
import re
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import standard_data
from campaigns.models import (
    AssessmentMethod,
    AuditKind,
    PointType,
    Standard,
    StandardArticle,
    StandardAspect,
    StandardImport,
    StandardImportKind,
    StandardItem,
)
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
from security.audit import audit_record

COLUMNS = [
    Column("aspect_code", gettext_lazy("方面编号"), True, ("方面代码", "方面序号"), 10),
    Column("aspect_name", gettext_lazy("方面"), True, ("方面名称",), 18),
    Column("article_code", gettext_lazy("条编号"), True, ("条号", "条序号"), 10),
    Column("article_text", gettext_lazy("条文"), True, ("条款",), 40),
    Column(
        "code",
        gettext_lazy("项编号"),
        True,
        ("项号", "项序号"),
        10,
        gettext_lazy("在整个标准内不能重复，如 3.1.2"),
    ),
    Column("requirement", gettext_lazy("要求"), True, ("项目要求", "评价内容"), 40),
    Column(
        "method",
        gettext_lazy("评价方式"),
        True,
        ("评价方法", "考核方式"),
        12,
        gettext_lazy("查阅资料、现场查看、问卷调查或数据核查"),
    ),
    Column("score", gettext_lazy("分值"), False, ("分数",), 8, gettext_lazy("不填为 0")),
    Column(
        "is_gate",
        gettext_lazy("必备条件"),
        False,
        ("必备条件（是/否）", "一票否决"),
        10,
        gettext_lazy("是或否，不填为否；必备条件不达标即一票否决"),
    ),
    Column(
        "point_types",
        gettext_lazy("适用点位类型"),
        False,
        ("点位类型",),
        30,
        gettext_lazy("多个用顿号“、”隔开，按“填写说明”中的点位类型填写"),
    ),
    Column(
        "category_name",
        gettext_lazy("问题类别"),
        False,
        ("对应问题类别",),
        24,
        gettext_lazy("现场发现不达标时，生成的工单用这个问题类别"),
    ),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
LAYOUT = Layout(
    COLUMNS,
    sheet_name=gettext_lazy("测评标准"),
    too_big=gettext_lazy("文件太大（超过 5 MB）。请只保留测评标准一张表后再上传。"),
    no_rows=gettext_lazy("表格里没有项。"),
)


def _max(model: Any, name: str) -> int:
    return cast(int, model._meta.get_field(name).max_length)


LIMITS = {
    "aspect_code": _max(StandardAspect, "code"),
    "aspect_name": _max(StandardAspect, "name"),
    "article_code": _max(StandardArticle, "code"),
    "code": _max(StandardItem, "code"),
    "category_name": _max(StandardItem, "category_name"),
}
SCORE_MAX = Decimal("9999.99")
TYPE_SEPARATORS = re.compile(r"[、\n；;]+")
YES = {"是", "y", "yes", "true", "1", "√", "✓", "必备"}
NO = {"", "否", "n", "no", "false", "0", "×", "x"}


def _words(label: object) -> set[str]:
    """A choice's label in every language of the interface (a file is written in its reader's)."""
    found = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(str(label))
    return found


def method_words() -> dict[str, str]:
    words = {value: value for value in AssessmentMethod.values}
    for value, label in AssessmentMethod.choices:
        words.update(dict.fromkeys(_words(label), value))
    return words


def _short(name: str) -> str:
    return re.split(r"[（(]", name, maxsplit=1)[0].strip()


class TypeNames:
    """The point types, read once, and a cell that names some of them.

    Point type names hold "、" themselves (老旧小区、居民小区), so a cell is split at every
    "、" and the longest run of pieces that is a full name is taken first; a piece that is no
    full name may be the short name before a bracket (农贸市场) or a word only one name holds.
    """

    def __init__(self) -> None:
        self.types = list(PointType.objects.order_by("order", "id"))
        self.by_name = {point_type.name: point_type for point_type in self.types}

    def one(self, text: str) -> PointType | None:
        if text in self.by_name:
            return self.by_name[text]
        short = [point_type for point_type in self.types if _short(point_type.name) == text]
        if len(short) == 1:
            return short[0]
        containing = [point_type for point_type in self.types if text in point_type.name]
        return containing[0] if len(containing) == 1 else None

    def many(self, text: str) -> tuple[list[PointType], list[str]]:
        """(the point types a cell names, the pieces that name none)."""
        pieces = [piece.strip() for piece in TYPE_SEPARATORS.split(text) if piece.strip()]
        found: list[PointType] = []
        unknown: list[str] = []
        start = 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):
                whole = self.by_name.get("、".join(pieces[start:end]))
                if whole is not None:
                    found.append(whole)
                    start = end
                    break
            else:
                single = self.one(pieces[start])
                if single is None:
                    unknown.append(pieces[start])
                else:
                    found.append(single)
                start += 1
        return list(dict.fromkeys(found)), unknown


def _gate_word(value: object, row: RowResult) -> bool:
    if isinstance(value, bool):
        return value
    text = row.values.get("is_gate", "").lower()
    yes = YES | {word.lower() for word in _words(gettext_lazy("是"))}
    no = NO | {word.lower() for word in _words(gettext_lazy("否"))}
    if text in yes:
        return True
    if text not in no:
        row.error("is_gate", _("“必备条件”请填“是”或“否”：“%(v)s”。") % {"v": row.values.get("is_gate", "")})
    return False


def _score(raw: Any, row: RowResult) -> Decimal:
    shown = row.values.get("score", "")
    try:
        score = cell_decimal(raw, strip="分")
    except (InvalidOperation, ValueError):
        row.error("score", _("“分值”不是数字：“%(v)s”。") % {"v": shown})
        return Decimal("0")
    if score is None:
        return Decimal("0")
    if score < 0 or score > SCORE_MAX or score != score.quantize(Decimal("0.01")):
        row.error("score", _("“分值”应在 0 到 %(max)s 之间，最多两位小数：“%(v)s”。") % {"max": SCORE_MAX, "v": shown})
    return score


def _row_item(row: RowResult, raw: dict[str, Any], methods: dict[str, str], types: TypeNames) -> dict[str, Any]:
    """One row's cells checked on their own; what they say, as ItemRow's fields."""
    values = row.values
    for key, limit in LIMITS.items():
        if len(values.get(key, "")) > limit:
            row.error(key, _("“%(col)s”太长（最多 %(n)s 个字）。") % {"col": COLUMN_BY_KEY[key].label, "n": limit})
    method = methods.get(values.get("method", ""))
    if values.get("method") and method is None:
        row.error(
            "method",
            _("“评价方式”不对：“%(v)s”。请填 %(choices)s 之一。")
            % {"v": values["method"], "choices": "、".join(str(label) for label in AssessmentMethod.labels)},
        )
    chosen, unknown = types.many(values.get("point_types", ""))
    if unknown:
        row.error(
            "point_types",
            _("没有这些点位类型：%(names)s。请按“填写说明”中的点位类型填写，多个用顿号隔开。")
            % {"names": "、".join(unknown)},
        )
    return {
        "aspect_code": values.get("aspect_code", ""),
        "aspect_name": values.get("aspect_name", ""),
        "article_code": values.get("article_code", ""),
        "article_text": values.get("article_text", ""),
        "code": values.get("code", ""),
        "requirement": values.get("requirement", ""),
        "method": method or "",
        "score": _score(raw.get("score"), row),
        "is_gate": _gate_word(raw.get("is_gate"), row),
        "point_types": tuple(point_type.name for point_type in chosen),
        "category_name": values.get("category_name", ""),
    }


def _base_rows(standard: Standard) -> dict[str, standard_data.ItemRow]:
    items = (
        StandardItem.objects.filter(article__aspect__standard=standard)
        .select_related("article__aspect")
        .prefetch_related("point_types")
        .order_by("article__aspect__order", "article__order", "order", "id")
    )
    return {item.code: item_row(item) for item in items}


def item_row(item: StandardItem) -> standard_data.ItemRow:
    """A stored 项 as a row of the workbook (its point types in their own order)."""
    article, aspect = item.article, item.article.aspect
    types = sorted(item.point_types.all(), key=lambda point_type: (point_type.order, point_type.pk))
    return standard_data.ItemRow(
        aspect_code=aspect.code,
        aspect_name=aspect.name,
        article_code=article.code,
        article_text=article.text,
        code=item.code,
        requirement=item.requirement,
        method=item.method,
        score=item.score,
        is_gate=item.is_gate,
        point_types=tuple(point_type.name for point_type in types),
        category_name=item.category_name,
    )


CHANGE_LABELS = {
    "aspect_code": COLUMN_BY_KEY["aspect_code"].label,
    "aspect_name": COLUMN_BY_KEY["aspect_name"].label,
    "article_code": COLUMN_BY_KEY["article_code"].label,
    "article_text": COLUMN_BY_KEY["article_text"].label,
    "requirement": COLUMN_BY_KEY["requirement"].label,
    "method": COLUMN_BY_KEY["method"].label,
    "score": COLUMN_BY_KEY["score"].label,
    "is_gate": COLUMN_BY_KEY["is_gate"].label,
    "point_types": COLUMN_BY_KEY["point_types"].label,
    "category_name": COLUMN_BY_KEY["category_name"].label,
}


def _shown(key: str, value: Any) -> str:
    if key == "method":
        return str(AssessmentMethod(value).label) if value in AssessmentMethod.values else str(value)
    if key == "is_gate":
        return _("是") if value else _("否")
    if key == "point_types":
        return "、".join(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _compare(row: RowResult, item: standard_data.ItemRow, base: standard_data.ItemRow | None) -> None:
    """What the row is next to the version the file came from: new, changed (and how), or the same."""
    if base is None:
        row.action = "add"
        row.note = _("原版本中没有这一项")
        return
    for key, label in CHANGE_LABELS.items():
        before, after = getattr(base, key), getattr(item, key)
        if before != after:
            row.changes[str(label)] = [_shown(key, before), _shown(key, after)]
    row.action = "change" if row.changes else "same"


def _consistent(row: RowResult, seen: dict[Any, tuple[str, int]], key: Any, text: str, column: str) -> None:
    """A 方面 (or 条) named on several rows must read the same on each."""
    first = seen.setdefault(key, (text, row.number))
    if first[0] != text:
        row.error(
            column,
            _("与第 %(row)s 行不一致：同一编号的%(col)s应一样（第 %(row)s 行是“%(v)s”）。")
            % {"row": first[1], "col": COLUMN_BY_KEY[column].label, "v": first[0][:40]},
        )


def standard_check(sheet: SheetRows, record: StandardImport) -> ImportPreview:
    """Every row checked on its own and against the others, compared with the base version;
    nothing is written. A name and version that exist already refuse the whole file."""
    preview = start_preview(sheet)
    if preview.file_errors:
        return preview
    if Standard.objects.filter(name=record.name, version=record.version).exists():
        preview.file_errors.append(
            _("已有“%(name)s（%(version)s）”。导入总是建立新版本，请换一个版本号后重新上传。")
            % {"name": record.name, "version": record.version}
        )
        return preview
    base = _base_rows(record.standard)
    methods, types = method_words(), TypeNames()
    aspects: dict[Any, tuple[str, int]] = {}
    articles: dict[Any, tuple[str, int]] = {}
    codes: dict[str, int] = {}
    for number, raw in sheet.rows:
        row = start_row(number, raw, LAYOUT)
        fields = _row_item(row, raw, methods, types)
        _consistent(row, aspects, fields["aspect_code"], fields["aspect_name"], "aspect_name")
        _consistent(
            row, articles, (fields["aspect_code"], fields["article_code"]), fields["article_text"], "article_text"
        )
        code = fields["code"]
        if code and code in codes:
            row.error("code", _("项编号“%(code)s”与第 %(row)s 行重复。") % {"code": code, "row": codes[code]})
        elif code:
            codes[code] = number
        if not row.errors:
            item = standard_data.ItemRow(**fields)
            row.cleaned = {"row": item}
            _compare(row, item, base.get(code))
        preview.rows.append(row)
    return preview


def standard_workbook(standard: Standard) -> bytes:
    """The standard as a workbook to read, print or change and import as a new version."""
    rows = [
        [
            row.aspect_code,
            row.aspect_name,
            row.article_code,
            row.article_text,
            row.code,
            row.requirement,
            str(AssessmentMethod(row.method).label),
            row.score,
            _("是") if row.is_gate else _("否"),
            "、".join(row.point_types),
            row.category_name,
        ]
        for row in _base_rows(standard).values()
    ]
    notes = [
        [
            _("%(name)s（%(version)s）%(issued)s")
            % {"name": standard.name, "version": standard.version, "issued": standard.issued_by}
        ],
        [_("每行一项：方面、条、项的编号和内容。改好后在标准页面“导入新版本”，填写新的版本号；原版本不会被修改。")],
        [_("来源：%(source)s") % {"source": standard.source[:2000]}] if standard.source else [],
    ]
    return template_bytes(
        LAYOUT,
        rows=rows,
        guide=[
            GuideSection(notes),
            GuideSection([[label] for label in AssessmentMethod.labels], title=_("评价方式"), drop_down="method"),
            GuideSection(
                [[point_type.name] for point_type in PointType.objects.order_by("order", "id")],
                title=_("可填写的点位类型"),
            ),
        ],
        lists=[("is_gate", [_("是"), _("否")])],
    )


# --- the kept file and its record ----------------------------------------------------------


def standard_read(uploaded: File) -> SheetRows:
    """An uploaded standard read once: its rows, or what is wrong with it as a whole."""
    return read_upload(uploaded, LAYOUT)


def standard_imports(standard: Standard) -> QuerySet[StandardImport]:
    return StandardImport.objects.filter(standard=standard, kind=StandardImportKind.ITEMS)


def _check(record: StandardImport) -> Check:
    return lambda sheet: standard_check(sheet, record)


def standard_import_upload(
    *,
    standard: Standard,
    actor: User,
    uploaded: File,
    name: str,
    version: str,
    scope: str = "",
    issued_by: str = "",
    source: str = "",
    make_current: bool = False,
    sheet: SheetRows | None = None,
) -> tuple[StandardImport, ImportPreview]:
    """Keep the file with the new version's name and return (record, preview); nothing is imported yet."""
    record = StandardImport(
        standard=standard,
        kind=StandardImportKind.ITEMS,
        uploaded_by=actor,
        name=name,
        version=version,
        scope=scope or standard.scope,
        issued_by=issued_by,
        source=source,
        make_current=make_current,
    )
    return record, record_upload(record, uploaded, LAYOUT, _check(record), sheet=sheet)


def standard_import_preview(record: StandardImport) -> ImportPreview:
    return record_preview(record, LAYOUT, _check(record))


def standard_import_confirm(
    *, record: StandardImport, actor: User, ticked: Collection[int] = frozenset()
) -> ImportPreview:
    """Create the new version from a previewed file: every row, or — if anything is wrong now — none."""

    def write(locked: StandardImport, preview: ImportPreview, base: Standard, _now: datetime.datetime) -> None:
        rows = [row.cleaned["row"] for row in preview.rows]
        quotas = [
            standard_data.QuotaRow(quota.point_type.name, quota.band, quota.minimum, quota.source)
            for quota in base.quotas.select_related("point_type")
        ]
        meta = standard_data.StandardMeta(locked.name, locked.version, locked.scope, locked.issued_by, locked.source)
        if locked.make_current:
            Standard.objects.filter(scope=meta.scope, is_current=True).update(is_current=False)
        created = standard_data.write_standard(apps.get_model, meta, rows, quotas, is_current=locked.make_current)
        locked.created = created
        locked.save(update_fields=["created"])
        audit_record(
            AuditKind.SETTINGS_CHANGE,
            user=actor,
            target=str(created)[:200],
            change="standard_import",
            based_on=str(base),
            items=len(rows),
            file=locked.original_name,
            current=locked.make_current,
        )

    return record_confirm(
        record=record,
        lock_owner=lambda: Standard.objects.select_for_update().get(pk=record.standard_id),
        # Each import makes its own version: another one imported meanwhile changes nothing here
        # (the name and version are checked again as the rows are).
        siblings=StandardImport.objects.none(),
        changed_message=gettext_lazy("%(who)s 于 %(at)s 导入了“%(name)s”。请重新上传预览。"),
        layout=LAYOUT,
        check=_check(record),
        write=write,
        ticked=ticked,
    )
