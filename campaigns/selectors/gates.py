"""必备条件 at risk (一票否决风险): the gates of a campaign's standard that the ledger says may fail.

A gate fails the whole assessment on its own, whatever the score, so the board names every
gate at risk and does not show the score as a pass while one is (GATE_RULES_TEXT, on the page).
"""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campaigns.models import OPEN_STATES, Campaign, CheckResult, RoundCheck, RoundFinding, StandardItem, Ticket

GATE_RULES_TEXT = [
    _(
        "必备条件（一票否决）的一项出现以下任一情况，即为“一票否决风险”：关联这一项的任务有未办结的问题；"
        "检查轮次发现的这一项问题，工单还未办结；本区最近一轮检查中这一项不达标。"
    ),
    _("有一票否决风险时，无论得分多少，预计结论都是“不达标（必备条件）”：分数照常列出，但不能算作达标。"),
]


@dataclass(frozen=True)
class GateRisk:
    """A gate 项 at risk and why: open tickets of tasks linked to it, open tickets of round
    findings on it, and failed checks of it in the district's latest round."""

    item: StandardItem
    open_tickets: int
    open_findings: int
    failed_checks: int


def _count(queryset: QuerySet, group: str) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(n=Count("*")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def gate_risks(campaign: Campaign) -> list[GateRisk]:
    """The gates of the campaign's standard at risk in its district, in the standard's order:
    one query whatever the number of tickets, checks or rounds."""
    if campaign.standard_id is None:
        return []
    district_id = campaign.district_id
    tickets = Ticket.objects.filter(
        checklist_item__standard_item=OuterRef("pk"), checklist_item__campaign=campaign, state__in=OPEN_STATES
    )
    findings = RoundFinding.objects.filter(item=OuterRef("pk"), district_id=district_id, ticket__state__in=OPEN_STATES)
    # The district's latest round is the latest one that checked any of its points.
    latest_round = (
        RoundCheck.objects.filter(round_point__district_id=district_id)
        .order_by("-round_point__inspection_round__starts_on", "-round_point__inspection_round_id")
        .values("round_point__inspection_round_id")[:1]
    )
    failed = RoundCheck.objects.filter(
        item=OuterRef("pk"),
        result=CheckResult.FAIL,
        round_point__district_id=district_id,
        round_point__inspection_round_id=Subquery(latest_round),
    )
    items = (
        StandardItem.objects.filter(article__aspect__standard_id=campaign.standard_id, is_gate=True)
        .select_related("article__aspect")
        .annotate(
            open_tickets=_count(tickets, "checklist_item__standard_item"),
            open_findings=_count(findings, "item"),
            failed_checks=_count(failed, "item"),
        )
        .filter(Q(open_tickets__gt=0) | Q(open_findings__gt=0) | Q(failed_checks__gt=0))
        .order_by("article__aspect__order", "article__order", "order", "id")
    )
    return [
        GateRisk(
            item=item,
            open_tickets=item.open_tickets,  # annotated above
            open_findings=item.open_findings,
            failed_checks=item.failed_checks,
        )
        for item in items
    ]
