"""When to remind whom. Each rule turns the ledger's state at `now` into messages.

Beat calls `reminders_run(now)` every few minutes; every rule is idempotent because each
message carries an occasion (what, for whom, which day) that `notify()` records once.
Times come from each campaign's ReportSchedule, so districts set their own.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

from celery import shared_task
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    CLOCK_STATES,
    OPEN_STATES,
    Campaign,
    CampaignStatus,
    DailyReport,
    Membership,
    NotificationKind,
    OrgUnit,
    ReportingDuty,
    Role,
    Ticket,
)
from campaigns.selectors.daily_reports import at_local, duty_member_ids, is_reporting_day, schedule_for

from .notifications import Message, deliveries_send, notify

# How long a ticket has been overdue decides who hears about it.
ESCALATION = [
    (1, _("逾期"), ("unit",)),
    (3, _("严重逾期"), ("unit", "supervisors")),
    (7, _("逾期超过一周，拟通报"), ("unit", "supervisors", "admins")),
]


def escalation_level(days_overdue: int) -> tuple:
    level = ESCALATION[0]
    for entry in ESCALATION:
        if days_overdue >= entry[0]:
            level = entry
    return level


def district_people(district_id: int, roles: Iterable[str]) -> list[int]:
    """The people of a district office (and its city's office) holding one of `roles`."""
    return list(
        Membership.objects.filter(
            Q(unit__district_id=district_id, unit__kind="district") | Q(unit__kind="city", unit__children=district_id),
            role__in=roles,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def unit_people(unit: OrgUnit) -> list[int]:
    """A responsible unit's people: its own members, and a street's community members too."""
    q = Q(unit_id=unit.pk)
    if unit.kind in ("street", "township"):
        q |= Q(unit__street_id=unit.pk)
    return list(
        Membership.objects.filter(q, role__in=(Role.STAFF, Role.SUPERVISOR, Role.ADMIN))
        .values_list("user_id", flat=True)
        .distinct()
    )


def _running_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(status=CampaignStatus.RUNNING).select_related("district")


def rule_report_reminders(campaign: Campaign, now: datetime.datetime) -> list[Message]:
    """Before the cutoff, remind every unit that has not reported today (催报)."""
    schedule = schedule_for(campaign)
    today = timezone.localdate(now)
    if not schedule.is_active or not is_reporting_day(schedule, today):
        return []
    if not (at_local(today, schedule.remind_at) <= now < at_local(today, schedule.cutoff)):
        return []
    reported = DailyReport.objects.filter(duty__campaign=campaign, date=today).values("duty_id")
    messages = []
    for duty in (
        ReportingDuty.objects.filter(campaign=campaign, is_active=True, since__lte=today)
        .exclude(pk__in=reported)
        .select_related("unit", "work_group")
    ):
        messages.append(
            Message(
                district_id=campaign.district_id,
                kind=NotificationKind.REPORT_REMINDER,
                occasion=f"report-remind:{duty.pk}:{today.isoformat()}",
                title=_("%(name)s：今天的日报还没有报送") % {"name": duty.name},
                body=_("请在 %(cutoff)s 前报送今天的日报；没有发现问题请报“零报告”。")
                % {"cutoff": schedule.cutoff.strftime("%H:%M")},
                link=reverse("campaigns:reports-mine"),
                user_ids=duty_member_ids(duty),
                unit_ids=[duty.unit_id] if duty.unit_id else [],
            )
        )
    return messages


def rule_missed_reports(campaign: Campaign, now: datetime.datetime) -> list[Message]:
    """After the cutoff, tell the district's supervisors which units missed it."""
    schedule = schedule_for(campaign)
    today = timezone.localdate(now)
    if not schedule.is_active or not is_reporting_day(schedule, today):
        return []
    if now < at_local(today, schedule.missed_list_at):
        return []
    reported = DailyReport.objects.filter(duty__campaign=campaign, date=today).values("duty_id")
    missing = list(
        ReportingDuty.objects.filter(campaign=campaign, is_active=True, since__lte=today)
        .exclude(pk__in=reported)
        .select_related("unit", "work_group")
    )
    if not missing:
        return []
    names = "、".join(duty.name for duty in missing)
    return [
        Message(
            district_id=campaign.district_id,
            kind=NotificationKind.REPORT_MISSED,
            occasion=f"report-missed:{campaign.pk}:{today.isoformat()}",
            title=_("%(day)s 有 %(n)s 个单位未报日报") % {"day": today.strftime("%m-%d"), "n": len(missing)},
            body=_("截至 %(cutoff)s 未报送：%(names)s。")
            % {"cutoff": schedule.cutoff.strftime("%H:%M"), "names": names},
            link=reverse("campaigns:reports-today", args=[campaign.pk]),
            user_ids=district_people(campaign.district_id, (Role.SUPERVISOR,)),
            unit_ids=[campaign.district_id],
        )
    ]


def _ticket_lines(tickets: Iterable[Ticket], today: datetime.date) -> str:
    lines: list[str] = []
    for ticket in tickets:
        # Only tickets with a deadline are due soon or overdue (the rules ask for one).
        days = (today - cast(datetime.date, ticket.deadline)).days
        when = _("逾期 %(n)s 天") % {"n": days} if days > 0 else (_("今天到期") if days == 0 else _("明天到期"))
        lines.append(f"- {ticket.number} {ticket.category.name}（{ticket.street.name}）{when}")
    return "\n".join(lines)


def rule_due_soon(campaign: Campaign, now: datetime.datetime) -> list[Message]:
    """Tickets due today or tomorrow: one reminder per responsible unit and day."""
    schedule = schedule_for(campaign)
    today = timezone.localdate(now)
    if not schedule.is_active or now < at_local(today, schedule.due_soon_at):
        return []
    tickets = (
        Ticket.objects.filter(
            campaign=campaign,
            state__in=OPEN_STATES,
            deadline__gte=today,
            deadline__lte=today + datetime.timedelta(days=1),
            responsible_unit__isnull=False,
        )
        .select_related("responsible_unit", "category", "street")
        .order_by("deadline", "number")
    )
    by_unit = defaultdict(list)
    for ticket in tickets:
        by_unit[ticket.responsible_unit].append(ticket)
    return [
        Message(
            district_id=campaign.district_id,
            kind=NotificationKind.TICKET_DUE_SOON,
            occasion=f"due-soon:{unit.pk}:{today.isoformat()}",
            title=_("%(unit)s：%(n)s 件整改即将到期") % {"unit": unit.name, "n": len(rows)},
            body=_ticket_lines(rows, today),
            link=reverse("campaigns:my-tasks"),
            user_ids=unit_people(unit),
            unit_ids=[unit.pk],
        )
        for unit, rows in by_unit.items()
    ]


def rule_overdue_digest(campaign: Campaign, now: datetime.datetime) -> list[Message]:
    """A daily digest of overdue tickets: to the unit, and up the chain the longer they wait."""
    schedule = schedule_for(campaign)
    today = timezone.localdate(now)
    if not schedule.is_active or now < at_local(today, schedule.overdue_digest_at):
        return []
    overdue = list(
        Ticket.objects.filter(
            campaign=campaign, state__in=CLOCK_STATES, deadline__lt=today, responsible_unit__isnull=False
        )
        .select_related("responsible_unit", "category", "street")
        .order_by("deadline", "number")
    )
    if not overdue:
        return []
    by_unit = defaultdict(list)
    escalated = defaultdict(list)  # audience -> tickets
    for ticket in overdue:
        by_unit[ticket.responsible_unit].append(ticket)
        for audience in escalation_level((today - ticket.deadline).days)[2][1:]:
            escalated[audience].append(ticket)
    messages = [
        Message(
            district_id=campaign.district_id,
            kind=NotificationKind.TICKET_OVERDUE,
            occasion=f"overdue:{unit.pk}:{today.isoformat()}",
            title=_("%(unit)s：%(n)s 件整改已逾期") % {"unit": unit.name, "n": len(rows)},
            body=_ticket_lines(rows, today),
            link=reverse("campaigns:my-tasks"),
            user_ids=unit_people(unit),
            unit_ids=[unit.pk],
        )
        for unit, rows in by_unit.items()
    ]
    roles = {"supervisors": (Role.SUPERVISOR,), "admins": (Role.ADMIN,)}
    labels = {"supervisors": _("逾期 3 天以上"), "admins": _("逾期 7 天以上")}
    for audience, rows in escalated.items():
        messages.append(
            Message(
                district_id=campaign.district_id,
                kind=NotificationKind.TICKET_OVERDUE,
                occasion=f"overdue-{audience}:{campaign.pk}:{today.isoformat()}",
                title=_("%(label)s的整改 %(n)s 件") % {"label": labels[audience], "n": len(rows)},
                body=_ticket_lines(rows, today),
                link=reverse("campaigns:ticket-list") + "?overdue=on&sort=deadline",
                user_ids=district_people(campaign.district_id, roles[audience]),
                unit_ids=[campaign.district_id] if audience == "supervisors" else [],
            )
        )
    return messages


RULES = [rule_report_reminders, rule_missed_reports, rule_due_soon, rule_overdue_digest]


def reminders_run(now: datetime.datetime | None = None) -> list[int]:
    """Apply every rule to every running campaign; return the ids of deliveries to send."""
    now = now or timezone.now()
    deliveries = []
    for campaign in _running_campaigns():
        for rule in RULES:
            for message in rule(campaign, now):
                deliveries.extend(notify(message))
    return deliveries


@shared_task(name="campaigns.tasks.send_due_reminders")
def send_due_reminders() -> int:
    ids = reminders_run()
    transaction.on_commit(lambda: deliveries_send(ids))
    return len(ids)
