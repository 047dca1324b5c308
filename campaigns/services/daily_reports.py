"""The daily report duty (日报制度), written: a unit files its day's report, or corrects it before the cutoff.

What is due, what the ledger counts and who complied is read in campaigns/selectors/daily_reports.py.
"""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import DailyReport, ReportingDuty
from campaigns.selectors.board import board_invalidate
from campaigns.selectors.daily_reports import at_local, fixes_submitted, may_file, schedule_for, tickets_found


def daily_report_submit(
    *,
    duty: ReportingDuty,
    actor: User,
    day: datetime.date,
    nothing_found: bool = False,
    points_visited: int = 0,
    notes: str = "",
    now: datetime.datetime | None = None,
) -> DailyReport:
    """File (or, before the cutoff, correct) the day's report. After the cutoff it is accepted as late."""
    if not may_file(duty, actor):
        raise PermissionDenied(_("只能报送本单位的日报。"))
    now = now or timezone.now()
    today = timezone.localdate(now)
    if day > today:
        raise ValidationError(_("不能提前报送以后日期的日报。"))
    if day < duty.since:
        raise ValidationError(_("%(day)s 还不需要报送日报。") % {"day": day.isoformat()})
    schedule = schedule_for(duty.campaign)
    cutoff = at_local(day, schedule.cutoff)
    late = now > cutoff
    notes = (notes or "").strip()
    if nothing_found and tickets_found(duty, day).exists():
        raise ValidationError(_("今天本单位已登记了问题，不能报“零报告”。请直接提交日报。"))
    fields = {
        "nothing_found": nothing_found,
        "points_visited": points_visited or 0,
        "notes": notes,
        "problems_found": tickets_found(duty, day).count(),
        "problems_fixed": fixes_submitted(duty, day).count(),
        "submitted_by": actor,
    }
    with transaction.atomic():
        district_id = duty.campaign.district_id
        transaction.on_commit(lambda: board_invalidate(district_id))
        report = DailyReport.objects.select_for_update().filter(duty=duty, date=day).first()
        if report is not None:
            if late:
                raise ValidationError(
                    _("已过当天截止时间（%(t)s），日报不能再修改。") % {"t": schedule.cutoff.strftime("%H:%M")}
                )
            for key, value in fields.items():
                setattr(report, key, value)
            report.save()
            return report
        try:
            with transaction.atomic():
                return DailyReport.objects.create(duty=duty, date=day, submitted_at=now, is_late=late, **fields)
        except IntegrityError:
            raise ValidationError(_("本单位今天的日报刚刚已由他人提交，请刷新后查看。")) from None
