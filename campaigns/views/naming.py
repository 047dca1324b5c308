"""Rankings (红黑榜) and the 通报 an admin drafts from them, edits and prints."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.access import MANAGER_ROLES, get_district_for_user, scope_for
from campaigns.forms.naming import NoticeForm
from campaigns.models import OPEN_STATES, Campaign, CampaignStatus, Notice, Role, SubmissionKind, Ticket
from campaigns.once import (
    SubmissionForm,
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from campaigns.selectors.common import day_start
from campaigns.selectors.kpis import KPIS, weight_terms
from campaigns.selectors.rankings import BASES, RANKING_RULES, rankings, red_and_black
from infra.dates import day_label, last_full_month, month_day_label

OVERSEERS = MANAGER_ROLES | {Role.LEADER}


# A period starting before this is a typo (or 0001-01-01, which overflows as a UTC datetime).
EARLIEST_DAY = datetime.date(2000, 1, 1)
ONE_DAY = datetime.timedelta(days=1)


def _period(request, today):
    """(start, end, default): the period asked for, or the last full month (default=True).

    Month-to-date early in a month ranks units on one or two tickets each; a 通报 is written
    about a month, so rankings open on the last full one and say so.
    """
    default_start, default_end = last_full_month(today)
    # A start without an end runs to today, as before; nothing at all is the last full month.
    asked = any(source.get(name) for source in (request.GET, request.POST) for name in ("start", "end"))

    def parse(name, default):
        text = request.GET.get(name) or request.POST.get(name) or ""
        if not text:
            return default
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or day < EARLIEST_DAY:
            messages.warning(request, _("“%(v)s”不是有效的日期，已按默认统计期显示。") % {"v": text[:20]})
            return default
        return day

    start = parse("start", default_start)
    end = parse("end", default_end if not asked else today)
    if end < start:
        start, end = end, start
    end = min(end, today)
    start = min(start, end)
    return start, end, (start, end) == (default_start, default_end)


def _presets(today, start, end, basis):
    """Quick periods beside the dates: the last full month, the last 30 days, this month so far."""
    month_start, month_end = last_full_month(today)
    periods = [
        (_("上个月"), month_start, month_end),
        (_("近 30 天"), today - datetime.timedelta(days=29), today),
        (_("本月至今"), today.replace(day=1), today),
    ]
    return [
        (label, "?" + urlencode({"start": first, "end": last, "basis": basis}), (first, last) == (start, end))
        for label, first, last in periods
    ]


def _district_and_campaign(request, code):
    district = get_district_for_user(request.user, code)
    if not scope_for(request.user).has_role(district.pk, OVERSEERS):
        raise PermissionDenied(_("排名通报只对督导、管理员和领导开放。"))
    campaign = Campaign.objects.filter(district=district, status=CampaignStatus.RUNNING).order_by("-start_date").first()
    return district, campaign


def _lines(rows, basis):
    label = BASES[basis][0]
    return "\n".join(
        _(
            "%(rank)s. %(unit)s（%(label)s%(value)s，加权综合指数%(composite)s，销号率%(rate)s%%，"
            "逾期%(overdue)s件，退回%(returns)s次）"
        )
        % {
            "rank": row.rank,
            "unit": row.unit.name,
            "label": label,
            "value": row.value(basis) if row.value(basis) is not None else "—",
            "composite": row.composite if row.composite is not None else "—",
            "rate": row.closure_rate,
            "overdue": row.overdue,
            "returns": row.returns,
        }
        for row in rows
    )


@login_required
def ranking_page(request, code):
    district, campaign = _district_and_campaign(request, code)
    today = timezone.localdate()
    start, end, default_period = _period(request, today)
    streets, units, basis = rankings(district, campaign, start, end, request.GET.get("basis", "score"))
    street_red, street_black = red_and_black(streets)
    unit_red, unit_black = red_and_black(units)
    return render(
        request,
        "campaigns/rankings.html",
        {
            "district": district,
            "campaign": campaign,
            "start": start,
            "end": end,
            "default_period": default_period,
            "presets": _presets(today, start, end, basis),
            "basis": basis,
            "bases": [(key, label) for key, (label, _better) in BASES.items()],
            "streets": streets,
            "units": units,
            "lists": [
                (_("街道/乡镇"), street_red, street_black),
                (_("责任单位"), unit_red, unit_black),
            ],
            "rules": RANKING_RULES,
            "kpis": KPIS,
            "weight_terms": weight_terms(campaign.kpi_weights if campaign else None),
            "notices": Notice.objects.filter(district=district).select_related("created_by")[:10],
            "is_admin": scope_for(request.user).has_role(district.pk, {Role.ADMIN}),
            "draft_form": SubmissionForm(),
        },
    )


@login_required
@require_POST
def notice_draft(request, code):
    district, campaign = _district_and_campaign(request, code)
    if not scope_for(request.user).has_role(district.pk, {Role.ADMIN}):
        raise PermissionDenied(_("只有管理员可以起草通报。"))
    if campaign is None:
        messages.error(request, _("本区没有进行中的活动，无法起草通报。"))
        return redirect("campaigns:rankings", code=district.code)
    form = SubmissionForm(request.POST)
    kind = SubmissionKind.NOTICE_DRAFT
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer  # clicked twice: the draft the first click made
    today = timezone.localdate()
    start, end, _default = _period(request, today)
    basis = request.POST.get("basis", "score")
    period = urlencode({"start": start, "end": end, "basis": basis})
    back = f"{reverse('campaigns:rankings', args=[district.code])}?{period}"
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(back)
    notice = _draft(district, campaign, start, end, basis, today, request.user)
    try:
        create_once(
            request, form, kind, lambda: _saved(notice), lambda made: reverse("campaigns:notice-edit", args=[made.pk])
        )
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except SubmissionRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    return redirect("campaigns:notice-edit", pk=notice.pk)


def _saved(notice):
    notice.save()
    return notice


def _prose_day(day, year):
    """A date inside the 通报's sentences: 11月5日 in the year it is about, 2027年1月5日 beyond it."""
    return month_day_label(day) if day.year == year else day_label(day)


def _draft(district, campaign, start, end, basis, today, actor):
    """A 通报 drawn from the period's rankings and overdue problems, not saved yet."""
    streets, units, basis = rankings(district, campaign, start, end, basis)
    street_red, street_black = red_and_black(streets)
    unit_red, unit_black = red_and_black(units)
    # Problems found in the period, overdue today: the 通报 names the period it is about.
    found = Ticket.objects.filter(
        district=district, reported_at__gte=day_start(start), reported_at__lt=day_start(end + ONE_DAY)
    )
    overdue = (
        found.overdue(today)
        .select_related("street", "category", "responsible_unit")
        .order_by("deadline", "number")[:30]
    )
    overdue_text = "\n".join(
        _("%(number)s %(category)s（%(street)s，责任单位：%(unit)s，时限%(deadline)s，已逾期%(days)s天）")
        % {
            "number": t.number,
            "category": t.category.name,
            "street": t.street.name,
            "unit": t.responsible_unit.name if t.responsible_unit else "—",
            "deadline": _prose_day(t.deadline, end.year),
            "days": (today - t.deadline).days,
        }
        for t in overdue
    )
    yellow = (
        found.filter(state__in=OPEN_STATES, yellow_card_at__isnull=False)
        .select_related("category", "responsible_unit")
        .order_by("yellow_card_at", "number")[:30]
    )
    yellow_text = "\n".join(
        _("%(number)s %(category)s（责任单位：%(unit)s，时限%(deadline)s）")
        % {
            "number": t.number,
            "category": t.category.name,
            "unit": t.responsible_unit.name if t.responsible_unit else "—",
            "deadline": _prose_day(t.deadline, end.year) if t.deadline else "—",
        }
        for t in yellow
    )
    if yellow_text:
        # The ladder's 黄牌 are proposed for naming; the admin keeps or strikes them while editing.
        overdue_text = "\n\n".join(
            part for part in (overdue_text, _("黄牌（逾期升级，拟通报）：\n") + yellow_text) if part
        )
    total = sum(row.total for row in streets)
    closed = sum(row.closed for row in streets)
    return Notice(
        district=district,
        campaign=campaign,
        title=_("关于%(start)s至%(end)s创卫问题整改情况的通报")
        % {"start": day_label(start), "end": _prose_day(end, start.year)},
        period_start=start,
        period_end=end,
        intro=_(
            "%(start)s至%(end)s，全区共发现问题%(total)s件，已销号%(closed)s件。现将各街道（乡镇）和责任单位"
            "问题整改情况通报如下。"
        )
        % {"start": _prose_day(start, end.year), "end": month_day_label(end), "total": total, "closed": closed},
        red_list="\n\n".join(
            part
            for part in (
                _lines(street_red, basis) and _("街道/乡镇：\n") + _lines(street_red, basis),
                _lines(unit_red, basis) and _("责任单位：\n") + _lines(unit_red, basis),
            )
            if part
        ),
        black_list="\n\n".join(
            part
            for part in (
                _lines(street_black, basis) and _("街道/乡镇：\n") + _lines(street_black, basis),
                _lines(unit_black, basis) and _("责任单位：\n") + _lines(unit_black, basis),
            )
            if part
        ),
        overdue_list=overdue_text,
        closing=_("请上榜单位认真分析原因，对逾期问题立即整改销号，并于三个工作日内将整改情况报区创卫办。"),
        issuer=_("%(district)s创建国家卫生城市工作领导小组办公室") % {"district": district.name},
        created_by=actor,
    )


def _notice_for(request, pk, *, admin=False):
    notice = get_object_or_404(
        Notice.objects.select_related("district", "created_by"),
        pk=pk,
        district_id__in=scope_for(request.user).district_ids,
    )
    roles = {Role.ADMIN} if admin else OVERSEERS
    if not scope_for(request.user).has_role(notice.district_id, roles):
        raise PermissionDenied(_("您不能查看或修改这份通报。"))
    return notice


@login_required
def notice_edit(request, pk):
    notice = _notice_for(request, pk, admin=True)
    # An empty POST is still a POST: bound, so it answers with what is missing.
    form = NoticeForm(request.POST if request.method == "POST" else None, instance=notice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("通报已保存。"))
        return redirect("campaigns:notice-print", pk=notice.pk)
    return render(
        request, "campaigns/notice_edit.html", {"notice": notice, "form": form}, status=400 if form.errors else 200
    )


@login_required
def notice_print(request, pk):
    notice = _notice_for(request, pk)
    return render(
        request,
        "campaigns/notice_print.html",
        {"notice": notice, "can_edit": scope_for(request.user).has_role(notice.district_id, {Role.ADMIN})},
    )
