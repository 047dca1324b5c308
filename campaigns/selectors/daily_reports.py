"""The daily report duty (日报制度), read: who reports, the ledger's own counts, compliance.

Filing a report is a write and stays in campaigns/services/daily_reports.py; everything here
only reads, so the board, the rankings, the monthly summary and the reminders use it freely.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from campaigns.access import AnyUser, scope_for
from campaigns.models import (
    Campaign,
    CampaignStatus,
    DailyReport,
    Membership,
    ReportingDuty,
    ReportSchedule,
    Role,
    Ticket,
    TicketAction,
    TicketEvent,
    UnitKind,
)
from campaigns.workdays import is_working_day

REPORTING_ROLES = (Role.STAFF, Role.SUPERVISOR, Role.ADMIN)
# Streets first in their own order, then groups; the same on every database.
DUTY_ORDER = (F("unit__order").asc(nulls_last=True), F("work_group__order").asc(nulls_last=True), "id")


def schedule_for(campaign: Campaign) -> ReportSchedule:
    """The campaign's schedule; a campaign that never set one reports daily at 17:00."""
    try:
        return campaign.report_schedule  # loaded with select_related("report_schedule") where it matters
    except ReportSchedule.DoesNotExist:
        schedule = ReportSchedule(campaign=campaign)
        campaign.report_schedule = schedule
        return schedule


def is_reporting_day(schedule: ReportSchedule, day: datetime.date) -> bool:
    return schedule.on_rest_days or is_working_day(day)


def at_local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    return at_local(day, datetime.time.min), at_local(day + datetime.timedelta(days=1), datetime.time.min)


def duty_member_ids(duty: ReportingDuty) -> list[int]:
    """People who report for this duty: the unit's members (a street's include its communities)."""
    if duty.work_group is not None:  # a duty is a unit's or a group's (a check constraint)
        return list(duty.work_group.members.values_list("id", flat=True))
    unit_q = Q(unit_id=duty.unit_id)
    if duty.unit is not None and duty.unit.kind in (UnitKind.STREET, UnitKind.TOWNSHIP):
        unit_q |= Q(unit__street_id=duty.unit_id)
    return list(
        Membership.objects.filter(unit_q, role__in=REPORTING_ROLES).values_list("user_id", flat=True).distinct()
    )


def may_file(duty: ReportingDuty, user: AnyUser) -> bool:
    """A unit files only its own report: members of the unit itself, or of the group."""
    if not user.is_authenticated:
        return False
    if duty.work_group is not None:
        return duty.work_group.members.filter(pk=user.pk).exists()
    return duty.unit_id in scope_for(user).unit_ids


def duties_for_user(user: AnyUser) -> list[ReportingDuty]:
    scope = scope_for(user)
    return list(
        ReportingDuty.objects.filter(
            Q(unit_id__in=scope.unit_ids) | Q(work_group__members=user),
            is_active=True,
            campaign__status=CampaignStatus.RUNNING,
            campaign__district_id__in=scope.district_ids,
        )
        .select_related("campaign", "campaign__district", "unit", "work_group")
        .distinct()
        .order_by("campaign_id", "id")
    )


def tickets_found(duty: ReportingDuty, day: datetime.date) -> QuerySet[Ticket]:
    """Problems this unit's people logged that day: counted from the ledger, never typed again."""
    start, end = day_bounds(day)
    found = Ticket.objects.filter(campaign_id=duty.campaign_id, reported_at__gte=start, reported_at__lt=end)
    if duty.work_group_id:
        return found.filter(Q(finder_group_id=duty.work_group_id) | Q(reported_by_id__in=duty_member_ids(duty)))
    return found.filter(reported_by_id__in=duty_member_ids(duty))


def fixes_submitted(duty: ReportingDuty, day: datetime.date) -> QuerySet[TicketEvent]:
    start, end = day_bounds(day)
    return TicketEvent.objects.filter(
        ticket__campaign_id=duty.campaign_id,
        action=TicketAction.SUBMIT_FIX,
        at__gte=start,
        at__lt=end,
        actor_id__in=duty_member_ids(duty),
    )


@dataclass
class DutyDay:
    duty: ReportingDuty
    report: DailyReport | None
    status: str  # "on_time", "late", "missing", "pending" (before the cutoff), "rest" (not a reporting day)


def reports_on(campaign: Campaign, day: datetime.date, now: datetime.datetime | None = None) -> list[DutyDay]:
    """Every duty's state for one day: the district's view of today's reports."""
    now = now or timezone.now()
    schedule = schedule_for(campaign)
    duties = list(
        ReportingDuty.objects.filter(campaign=campaign, is_active=True, since__lte=day)
        .select_related("unit", "work_group")
        .order_by(*DUTY_ORDER)
    )
    reports = {
        r.duty_id: r
        for r in DailyReport.objects.filter(duty__campaign=campaign, date=day).select_related("submitted_by")
    }
    reporting = is_reporting_day(schedule, day)
    past_cutoff = now > at_local(day, schedule.cutoff)
    rows = []
    for duty in duties:
        report = reports.get(duty.pk)
        if report is not None:
            status = "late" if report.is_late else "on_time"
        elif not reporting:
            status = "rest"
        else:
            status = "missing" if past_cutoff else "pending"
        rows.append(DutyDay(duty, report, status))
    return rows


@dataclass
class Compliance:
    duty: ReportingDuty
    due: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def missing(self) -> int:
        return max(0, self.due - self.on_time - self.late)

    @property
    def rate(self) -> float | None:
        """On-time share of due reports, in percent."""
        return round(100 * self.on_time / self.due, 1) if self.due else None


def report_compliance(
    campaign: Campaign, start: datetime.date, end: datetime.date, now: datetime.datetime | None = None
) -> list[Compliance]:
    """Reports due, on time, late and missing per duty over [start, end] — two queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    schedule = schedule_for(campaign)
    last = min(end, today)
    if today <= end and now <= at_local(today, schedule.cutoff):
        last = today - datetime.timedelta(days=1)  # today is not due until its cutoff passes
    days = []
    day = start
    while day <= last:
        if is_reporting_day(schedule, day):
            days.append(day)
        day += datetime.timedelta(days=1)
    duties = list(
        ReportingDuty.objects.filter(campaign=campaign, is_active=True)
        .select_related("unit", "work_group")
        .order_by(*DUTY_ORDER)
    )
    rows = {duty.pk: Compliance(duty=duty, due=sum(1 for d in days if d >= duty.since)) for duty in duties}
    due_days = set(days)
    for duty_id, date, is_late in DailyReport.objects.filter(
        duty__campaign=campaign, date__gte=start, date__lte=end
    ).values_list("duty_id", "date", "is_late"):
        row = rows.get(duty_id)
        if row is None or date not in due_days or date < row.duty.since:
            continue
        if is_late:
            row.late += 1
        else:
            row.on_time += 1
    return list(rows.values())


@dataclass
class ReportsToday:
    on_time: int
    late: int
    missing: int
    pending: int
    missing_names: list[str]
    reporting_day: bool

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.missing + self.pending


def reports_today_summary(campaign: Campaign, now: datetime.datetime | None = None) -> ReportsToday:
    """Today's compliance for the board, in one query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    schedule = schedule_for(campaign)
    late_flag = DailyReport.objects.filter(duty=OuterRef("pk"), date=today).values("is_late")[:1]
    duties = (
        ReportingDuty.objects.filter(campaign=campaign, is_active=True, since__lte=today)
        .annotate(report_late=Subquery(late_flag))
        .select_related("unit", "work_group")
        .order_by(*DUTY_ORDER)
    )
    reporting = is_reporting_day(schedule, today)
    past_cutoff = now > at_local(today, schedule.cutoff)
    summary = ReportsToday(0, 0, 0, 0, [], reporting)
    for duty in duties:
        if duty.report_late is False:
            summary.on_time += 1
        elif duty.report_late is True:
            summary.late += 1
        elif reporting and past_cutoff:
            summary.missing += 1
            summary.missing_names.append(duty.name)
        elif reporting:
            summary.pending += 1
    return summary
