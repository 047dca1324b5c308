"""The 月度情况专报 as a document: the frozen figures of one version, in prose and tables."""

import datetime
from typing import Any

from campaigns.models import DocumentKind, MonthlySummary
from campaigns.services.monthly import HEADLINE_LABELS, TABLE_COLUMNS
from infra.gongwen import Gongwen, arabic_date

from .common import head_for, local_day, ordinal, render
from .numbers import document_number_draft, document_settings_for

# Column widths (mm) of the tables, each adding up to the 156 mm of the 版心.
COUNTS_WIDTHS = (16, 16, 16, 16, 20)  # 发现 已销号 未办结 逾期 销号率


def _value(value: object) -> str:
    return "—" if value is None else str(value)


def summary_title(figures: dict[str, Any]) -> str:
    year, month = figures["month"].split("-")
    return f"{figures['district']}{int(year)}年{int(month)}月创卫工作情况专报"


def _intro(figures: dict[str, Any]) -> str:
    headline = figures["headline"]
    year, month = figures["month"].split("-")
    moment = datetime.datetime.fromisoformat(figures["generated_at"])
    generated = f"{arabic_date(moment.date())}{moment:%H:%M}"
    rate = headline["closure_rate"]
    return (
        f"{int(year)}年{int(month)}月，{figures['campaign'] or '创卫工作'}共发现问题{headline['found']}件，"
        f"已销号{headline['closed_of_found']}件"
        + (f"，销号率{rate}%" if rate is not None else "")
        + f"；截至{generated}，全区未办结问题{headline['open_in_district']}件，"
        f"其中逾期{headline['overdue_in_district']}件。现将有关情况报告如下。"
    )


def _counts(row: dict[str, Any]) -> list[str]:
    return [_value(row.get(key)) for key, _label in TABLE_COLUMNS]


class _Sections:
    """一、 二、 三、 …: the 专报's parts, numbered as they come (some are left out when empty)."""

    def __init__(self, document: Gongwen) -> None:
        self.document, self.count = document, 0

    def next(self, title: str) -> None:
        self.count += 1
        self.document.heading(1, f"{ordinal(self.count)}、{title}")


def _overview(document: Gongwen, sections: _Sections, figures: dict[str, Any]) -> None:
    document.paragraph(_intro(figures))
    sections.next("总体情况")
    headline = figures["headline"]
    rows = [(str(label), _value(headline.get(key))) for key, label in HEADLINE_LABELS]
    document.table(("指标", "数值"), rows, (120, 36))
    if figures.get("kpis"):
        sections.next("考核指标")
        kpis = [(row["name"], row["value"], row["formula"]) for row in figures["kpis"]]
        kpis.append(("加权综合指数", _value(figures.get("composite")), ""))
        document.table(("指标", "本月", "口径"), kpis, (36, 20, 100))


def _by_place(document: Gongwen, sections: _Sections, figures: dict[str, Any]) -> None:
    labels = [str(label) for _key, label in TABLE_COLUMNS]
    sections.next("各类别问题")
    document.table(
        ("测评类别", "问题类别", *labels),
        [(row["area__name"], row["category__name"], *_counts(row)) for row in figures["by_category"]]
        or [("本月没有发现问题", "", *[""] * len(labels))],
        (30, 42, *COUNTS_WIDTHS),
    )
    for title, key in (("各街道（乡镇）情况", "by_street"), ("各责任单位情况", "by_unit")):
        if figures[key]:
            sections.next(title)
            document.table(
                ("单位", *labels, "退回"),
                [(row["name"], *_counts(row), _value(row.get("returns"))) for row in figures[key]],
                (54, *COUNTS_WIDTHS, 18),
            )


def _reports_and_scores(document: Gongwen, sections: _Sections, figures: dict[str, Any]) -> None:
    sections.next("日报情况")
    if figures["reports"]:
        document.table(
            ("报送单位", "应报", "按时", "迟报", "未报", "按时率（%）"),
            [
                (r["name"], str(r["due"]), str(r["on_time"]), str(r["late"]), str(r["missing"]), _value(r["rate"]))
                for r in figures["reports"]
            ],
            (56, 18, 18, 18, 18, 28),
        )
    else:
        document.paragraph("本月没有日报安排。")
    if figures.get("scores"):
        sections.next("任务清单得分")
        document.table(
            ("测评类别", "分值", "自评分", "风险分", "进度（%）", "逾期任务"),
            [
                (s["area"], *(_value(s[k]) for k in ("full_score", "self_score", "at_risk", "progress")))
                + (str(s["overdue_tasks"]),)
                for s in figures["scores"]
            ],
            (56, 20, 20, 20, 20, 20),
        )


def summary_document(summary: MonthlySummary) -> bytes:
    """A finished version; before 印发 its 文号 is left blank for the number."""
    office = document_settings_for(summary.district)
    figures: dict[str, Any] = summary.figures
    day = local_day(summary.issued_at or summary.finished_at)
    head = head_for(
        office,
        number=summary.doc_number or document_number_draft(office.number_prefix, day.year),
        title=summary_title(figures),
        day=day,
        addressee=office.superior,
    )

    def body(document: Gongwen) -> None:
        sections = _Sections(document)
        _overview(document, sections, figures)
        _by_place(document, sections, figures)
        _reports_and_scores(document, sections, figures)
        sections.next("下一步工作")
        document.paragraph("（请填写下一步工作安排。）")

    return render(DocumentKind.SUMMARY, head, body)
