"""Daily reports: a unit files its own; the district sees who reported, late or not at all."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.access import MANAGER_ROLES, get_campaign_for_user, scope_for
from campaigns.forms.reports import DailyReportForm
from campaigns.models import DailyReport, ReportingDuty, Role
from campaigns.selectors.daily_reports import (
    at_local,
    duties_for_user,
    fixes_submitted,
    is_reporting_day,
    may_file,
    report_compliance,
    reports_on,
    schedule_for,
    tickets_found,
)
from campaigns.services.daily_reports import daily_report_submit
from campaigns.workdays import year_calendar

OVERSEERS = MANAGER_ROLES | {Role.LEADER}


def _report_ids(duty):
    # A person who reports for a street and a finder group sees two forms on one page: each
    # label must point to its own field.
    return f"id_duty{duty.pk}_%s"


def _duty_today(duty, user, now, form=None):
    today = timezone.localdate(now)
    schedule = schedule_for(duty.campaign)
    report = DailyReport.objects.filter(duty=duty, date=today).first()
    cutoff = at_local(today, schedule.cutoff)
    found = list(tickets_found(duty, today).select_related("category", "street").order_by("reported_at")[:50])
    return {
        "duty": duty,
        "report": report,
        "schedule": schedule,
        "reporting_day": is_reporting_day(schedule, today),
        "past_cutoff": now > cutoff,
        "editable": report is None or now <= cutoff,
        "found": found,
        "fixed_count": fixes_submitted(duty, today).count(),
        "form": form
        or DailyReportForm(
            initial={"points_visited": report.points_visited, "notes": report.notes} if report else None,
            auto_id=_report_ids(duty),
        ),
    }


@login_required
def reports_mine(request):
    now = timezone.now()
    duties = duties_for_user(request.user)
    return render(
        request,
        "campaigns/reports_mine.html",
        {
            "cards": [_duty_today(duty, request.user, now) for duty in duties],
            "today": timezone.localdate(now),
            "calendar": year_calendar(timezone.localdate(now).year),
        },
    )


@login_required
@require_POST
def report_submit(request, duty_id):
    duty = get_object_or_404(
        ReportingDuty.objects.select_related("campaign", "unit", "work_group"),
        pk=duty_id,
        campaign__district_id__in=scope_for(request.user).district_ids,
    )
    if not may_file(duty, request.user):
        raise PermissionDenied(_("只能报送本单位的日报。"))
    form = DailyReportForm(request.POST, auto_id=_report_ids(duty))
    now = timezone.now()
    if form.is_valid():
        data = form.cleaned_data
        day = data.get("day") or timezone.localdate(now)
        try:
            report = daily_report_submit(
                duty=duty,
                actor=request.user,
                day=day,
                nothing_found=bool(data.get("nothing_found")),
                points_visited=data.get("points_visited") or 0,
                notes=data.get("notes", ""),
                now=now,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            text = _("%(name)s %(day)s 的日报已报送。") % {"name": duty.name, "day": report.date.strftime("%m-%d")}
            if report.is_late:
                text += _("已过截止时间，记为迟报。")
            messages.success(request, text)
            return redirect("campaigns:reports-mine")
    cards = [
        _duty_today(d, request.user, now, form if d.pk == duty.pk else None) for d in duties_for_user(request.user)
    ]
    return render(
        request, "campaigns/reports_mine.html", {"cards": cards, "today": timezone.localdate(now)}, status=400
    )


@login_required
def report_history(request, duty_id):
    scope = scope_for(request.user)
    duty = get_object_or_404(
        ReportingDuty.objects.select_related("campaign", "campaign__district", "unit", "work_group"),
        pk=duty_id,
        campaign__district_id__in=scope.district_ids,
    )
    if not (may_file(duty, request.user) or scope.has_role(duty.campaign.district_id, OVERSEERS)):
        raise PermissionDenied(_("只能查看本单位的日报记录。"))
    today = timezone.localdate()
    reports = DailyReport.objects.filter(duty=duty).select_related("submitted_by").order_by("-date")
    page = Paginator(reports, 30).get_page(request.GET.get("page"))
    start = max(duty.since, today - datetime.timedelta(days=29))
    compliance = next((row for row in report_compliance(duty.campaign, start, today) if row.duty.pk == duty.pk), None)
    return render(
        request,
        "campaigns/report_history.html",
        {"duty": duty, "page": page, "compliance": compliance, "start": start, "today": today, "query": ""},
    )


# 0001-01-01 would overflow as "the day before"; nothing was reported before this anyway.
EARLIEST_DAY = datetime.date(2000, 1, 1)


def _parse_day(text, default):
    try:
        day = datetime.date.fromisoformat(text) if text else default
    except ValueError:
        return default
    return day if day >= EARLIEST_DAY else default


@login_required
def reports_today(request, campaign_id):
    campaign = get_campaign_for_user(request.user, campaign_id)
    if not scope_for(request.user).has_role(campaign.district_id, OVERSEERS):
        raise PermissionDenied(_("日报汇总只对督导、管理员和领导开放。"))
    today = timezone.localdate()
    day = min(_parse_day(request.GET.get("date"), today), today)
    rows = reports_on(campaign, day)
    month_start = day.replace(day=1)
    compliance = report_compliance(campaign, month_start, day)
    counts = {
        status: sum(1 for row in rows if row.status == status)
        for status in ("on_time", "late", "missing", "pending", "rest")
    }
    return render(
        request,
        "campaigns/reports_today.html",
        {
            "campaign": campaign,
            "day": day,
            "today": today,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1) if day < today else None,
            "rows": rows,
            "counts": counts,
            "compliance": compliance,
            "month_start": month_start,
            "schedule": schedule_for(campaign),
            "calendar": year_calendar(day.year),
        },
    )
