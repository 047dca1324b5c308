"""The demo's daily-report duty: who reports, and a month of reports with realistic gaps."""

import datetime

from django.utils import timezone

from campaigns.models import DailyReport, ReportingDuty, ReportSchedule, WorkGroupKind
from campaigns.selectors.daily_reports import at_local, fixes_submitted, is_reporting_day, tickets_found

NOTES = ["", "", "重点巡查了农贸市场周边。", "配合区执法局开展了占道经营整治。", "雨后对积水点进行了排查。"]


def build_demo_reports(*, campaign, streets, finder_groups, reporters_by_unit, on_rest_days, rng, days=30):
    schedule, _ = ReportSchedule.objects.get_or_create(campaign=campaign, defaults={"on_rest_days": on_rest_days})
    duties = []
    for street in streets.values():
        duty, _ = ReportingDuty.objects.get_or_create(
            campaign=campaign, unit=street, defaults={"since": campaign.start_date}
        )
        duties.append(duty)
    for group in finder_groups:
        if group.kind == WorkGroupKind.FINDER_GROUP:
            duty, _ = ReportingDuty.objects.get_or_create(
                campaign=campaign, work_group=group, defaults={"since": campaign.start_date}
            )
            duties.append(duty)
    if DailyReport.objects.filter(duty__campaign=campaign).exists():
        return duties
    now = timezone.now()
    today = timezone.localdate(now)
    reports = []
    for offset in range(days, -1, -1):
        day = today - datetime.timedelta(days=offset)
        if not is_reporting_day(schedule, day):
            continue
        cutoff = at_local(day, schedule.cutoff)
        for duty in duties:
            roll = rng.random()
            # A unit or two that keep slipping makes the compliance table worth reading.
            sloppy = duty.pk % 5 == 0
            if roll < (0.25 if sloppy else 0.06):
                continue  # missing
            late = roll < (0.4 if sloppy else 0.12)
            submitted = (
                cutoff + datetime.timedelta(minutes=rng.randrange(20, 300))
                if late
                else cutoff - datetime.timedelta(minutes=rng.randrange(10, 420))
            )
            if submitted > now:
                continue  # not yet today
            user = reporters_by_unit.get(duty.unit_id) or (duty.work_group.leader if duty.work_group_id else None)
            if user is None:
                continue
            found = tickets_found(duty, day).count()
            reports.append(
                DailyReport(
                    duty=duty,
                    date=day,
                    nothing_found=found == 0 and rng.random() < 0.7,
                    points_visited=rng.randrange(3, 15),
                    problems_found=found,
                    problems_fixed=fixes_submitted(duty, day).count(),
                    notes=rng.choice(NOTES),
                    submitted_by=user,
                    submitted_at=submitted,
                    is_late=late,
                )
            )
    DailyReport.objects.bulk_create(reports)
    return duties
