"""Points at risk (风险分): the one place that decides how many points a task may lose.

The page shows RISK_RULES_TEXT next to the figures, so an office can check every number by
hand. Amounts are in score points and never exceed the task's full score.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import AssessmentArea, ChecklistItem, ChecklistStatus

# Share of a task's full score each open problem puts at risk (a problem counts once).
OPEN_PROBLEM_SHARE = Decimal("0.10")
OVERDUE_PROBLEM_SHARE = Decimal("0.20")
# A task its unit marks "at risk" has at least this share at risk.
FLAGGED_SHARE = Decimal("0.50")

RISK_RULES_TEXT = [
    _("任务已过完成时限但未完成：未完成部分全部计入风险，即 分值 ×（100% − 进度）。"),
    _("任务被标记为“有风险”：至少按分值的 50% 计入风险。"),
    _("每个关联的未办结问题按分值的 10% 计入风险，已逾期的问题按 20% 计入。"),
    _("以上各项相加，但一个任务的风险分不超过它的分值；已完成且没有未办结问题的任务风险分为 0。"),
]

TWO_PLACES = Decimal("0.01")


def _money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def points_at_risk(
    *,
    full_score: Decimal | int | None,
    status: str,
    progress: int | None,
    deadline: datetime.date | None,
    open_problems: int,
    overdue_problems: int,
    today: datetime.date,
) -> Decimal:
    """Points this task may lose, by RISK_RULES_TEXT.

    `open_problems` counts every open linked ticket, `overdue_problems` those of them past
    their deadline (so it is never more than `open_problems`).
    """
    full = Decimal(full_score or 0)
    if full <= 0:
        return Decimal("0.00")
    task_risk = Decimal("0")
    if status != ChecklistStatus.DONE and deadline is not None and deadline < today:
        task_risk = full * (Decimal(100) - Decimal(progress or 0)) / Decimal(100)
    if status == ChecklistStatus.AT_RISK:
        task_risk = max(task_risk, full * FLAGGED_SHARE)
    timely = max(0, open_problems - overdue_problems)
    problem_risk = full * (OPEN_PROBLEM_SHARE * timely + OVERDUE_PROBLEM_SHARE * overdue_problems)
    return _money(min(full, task_risk + problem_risk))


def item_points_at_risk(item: ChecklistItem, today: datetime.date) -> Decimal:
    """For an item annotated with open_problems and overdue_problems (see selectors)."""
    return points_at_risk(
        full_score=item.full_score,
        status=item.status,
        progress=item.progress,
        deadline=item.deadline,
        open_problems=getattr(item, "open_problems", 0),
        overdue_problems=getattr(item, "overdue_problems", 0),
        today=today,
    )


@dataclass
class AreaScore:
    area: AssessmentArea | None
    items: int = 0
    full_score: Decimal = Decimal("0")
    self_score: Decimal = Decimal("0")
    at_risk: Decimal = Decimal("0")
    weighted_progress: Decimal = Decimal("0")
    done: int = 0
    overdue_tasks: int = 0
    open_problems: int = 0

    @property
    def progress(self) -> int:
        """Progress weighted by full score: a 10-point task counts more than a 1-point one."""
        if self.full_score > 0:
            return int((self.weighted_progress / self.full_score).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        return 0

    @property
    def expected_score(self) -> Decimal:
        return _money(max(Decimal("0"), self.full_score - self.at_risk))

    def add(self, item: ChecklistItem, today: datetime.date) -> None:
        full = Decimal(item.full_score or 0)
        self.items += 1
        self.full_score += full
        self.self_score += Decimal(item.self_score or 0)
        self.at_risk += item.points_at_risk  # type: ignore[attr-defined]  # set by selectors.checklist
        self.weighted_progress += full * Decimal(item.progress or 0)
        self.done += item.status == ChecklistStatus.DONE
        self.overdue_tasks += item.is_overdue
        self.open_problems += getattr(item, "open_problems", 0)


def area_scores(
    items: Iterable[ChecklistItem], areas: Iterable[AssessmentArea], today: datetime.date
) -> list[AreaScore]:
    """Per-area totals, in area order, from items already annotated with their risk."""
    scores = {area.pk: AreaScore(area=area) for area in areas}
    for item in items:
        scores.setdefault(item.area_id, AreaScore(area=item.area)).add(item, today)
    return list(scores.values())


def total_score(scores: Iterable[AreaScore]) -> AreaScore:
    total = AreaScore(area=None)
    for score in scores:
        total.items += score.items
        total.full_score += score.full_score
        total.self_score += score.self_score
        total.at_risk += score.at_risk
        total.weighted_progress += score.weighted_progress
        total.done += score.done
        total.overdue_tasks += score.overdue_tasks
        total.open_problems += score.open_problems
    return total


# A scoring sheet (任务分解及赋分表) shares out 100 points; the national standard's is spread so.
FULL_MARKS = Decimal(100)


def score_total_warning(total: Decimal | int | float) -> str:
    """What a checklist whose full scores add up past 100 is told, or "" — a workbook imported on
    top of another, or a score typed as 50 for 5, shows up here before anyone ranks by it."""
    total = Decimal(str(total))
    if total <= FULL_MARKS:
        return ""
    shown = f"{_money(total):f}".rstrip("0").rstrip(".")
    return gettext("分值合计 %(n)s 分，超过 100 分。请核对是否有重复的任务或填错的分值。") % {"n": shown}
