"""Inspection rounds at a desk: the list, a round's page (progress, findings, the 复查 rate), its
settings, its sample (draw, by hand, inspectors) and its end, and the 复查 round that follows.

Each district sees only its own part of a round; who runs which round is
access.may_manage_round. The inspectors' pages are in views/inspect.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    ROUND_READERS,
    get_round_for_user,
    may_manage_round,
    round_district_ids,
    scope_for,
    visible_rounds,
)
from campaigns.forms.rounds import AddPointForm, DrawForm, RoundFilterForm, RoundForm, RoundNewForm
from campaigns.models import InspectionRound, OrgUnit, RoundKind, RoundLevel, RoundPoint, RoundStatus, SubmissionKind
from campaigns.once import (
    SubmissionForm,
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from campaigns.selectors.rounds import (
    recheck_rate,
    round_findings,
    round_progress,
    rounds_with_figures,
    sample_quota_rows,
)
from campaigns.services.rounds import (
    RoundRefused,
    inspectors_by_district,
    recheck_round_create,
    round_draw,
    round_finish,
    round_inspector_set,
    round_inspectors_split,
    round_point_add,
    round_point_remove,
    round_save,
)

ROUNDS_PER_PAGE = 20
# District, then along the street list, then by point type: the order an inspector walks.
SAMPLE_ORDER = (
    "district__order",
    "district_id",
    "point__street__order",
    "point__street_id",
    "point__point_type__order",
    "point__name",
)
FINDINGS_PER_PAGE = 50


def _readable_districts(request: HttpRequest) -> list[int]:
    scope = scope_for(request.user)
    readable = [d for d in scope.district_ids if scope.has_role(d, ROUND_READERS)]
    if not readable:
        raise PermissionDenied(_("检查轮次只对创卫办督导、管理员和领导开放；检查组成员请到“我的检查”。"))
    return readable


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    readable = _readable_districts(request)
    scope = scope_for(request.user)
    filters = RoundFilterForm(request.GET or None)
    rounds = visible_rounds(request.user).filter(**filters.filters()).select_related("rechecks")
    rounds = rounds_with_figures(rounds, readable).prefetch_related(
        Prefetch("districts", queryset=OrgUnit.objects.filter(pk__in=readable).order_by("order", "id"))
    )
    page = Paginator(rounds.order_by("-starts_on", "-id"), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "campaigns/round_list.html",
        {
            "filter": filters,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters.filters()),
            "can_create": any(scope.can_manage(d) for d in scope.district_ids),
        },
    )


def _sample_shown(inspection_round: InspectionRound, manages: bool) -> bool:
    """A 暗访 from above is unannounced: the district sees its sample once the round is over
    (what it found reaches the district as tickets at once)."""
    if manages or inspection_round.status == RoundStatus.FINISHED:
        return True
    return not (
        inspection_round.kind == RoundKind.COVERT
        and inspection_round.level not in (RoundLevel.DISTRICT, RoundLevel.STREET)
    )


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, mine = get_round_for_user(request.user, pk)
    scope = scope_for(request.user)
    all_ids = round_district_ids(inspection_round)
    manages = may_manage_round(scope, inspection_round.level, all_ids)
    recheck = inspection_round.kind == RoundKind.RECHECK
    shown_round = inspection_round.rechecks if recheck and inspection_round.rechecks else inspection_round
    findings = Paginator(round_findings(shown_round, mine), FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/round_detail.html",
        {
            "round": inspection_round,
            "districts": OrgUnit.objects.filter(pk__in=mine).order_by("order", "id"),
            "several": len(mine) > 1,
            "progress": round_progress(inspection_round, mine),
            "findings": findings,
            "page": findings,
            "rate": recheck_rate(inspection_round, mine) if recheck else None,
            "manages": manages,
            "sample_shown": _sample_shown(inspection_round, manages),
            "recheck_rounds": inspection_round.recheck_rounds.order_by("-starts_on", "-id"),
            "recheck_form": SubmissionForm() if manages else None,
        },
    )


def _form_page(request, form, inspection_round=None, status=200):
    return render(request, "campaigns/round_form.html", {"form": form, "round": inspection_round}, status=status)


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not any(scope.can_manage(d) for d in scope.district_ids):
        raise PermissionDenied(_("只有创卫办督导和管理员可以建立检查轮次。"))
    form = RoundNewForm(request.POST or None, user=request.user, instance=InspectionRound())
    if request.method != "POST":
        return _form_page(request, form)
    kind = SubmissionKind.ROUND
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer
    if form.is_valid():
        try:
            made = create_once(
                request,
                form,
                kind,
                lambda: _save(request, form),
                lambda made: reverse("campaigns:round-points", args=[made.pk]),
            )
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)
        except RoundRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("已建立“%(name)s”。下一步：抽取点位。") % {"name": made.name})
            return redirect("campaigns:round-points", pk=made.pk)
    return _form_page(request, form, status=400)


def _save(request: HttpRequest, form: RoundForm) -> InspectionRound:
    data = form.cleaned_data
    return round_save(
        inspection_round=form.save(commit=False),
        actor=request.user,
        districts=list(data["districts"]),
        team=list(data["team"]),
        campaigns=form.campaigns,
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, _mine = get_round_for_user(request.user, pk, manage=True)
    form = RoundForm(request.POST or None, user=request.user, instance=inspection_round)
    if request.method != "POST":
        return _form_page(request, form, inspection_round)
    if form.is_valid():
        try:
            _save(request, form)
        except RoundRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("“%(name)s”已保存。") % {"name": inspection_round.name})
            return redirect("campaigns:round", pk=inspection_round.pk)
    return _form_page(request, form, inspection_round, status=400)


# --- the sample -----------------------------------------------------------------------------


@login_required
@require_GET
def round_points(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, mine = get_round_for_user(request.user, pk, manage=True)
    points = list(
        RoundPoint.objects.filter(inspection_round=inspection_round, district_id__in=mine)
        .select_related("point", "point__point_type", "point__street", "district", "inspector")
        .order_by(
            "district__order",
            "district_id",
            "point__street__order",
            "point__street_id",
            "point__point_type__order",
            "point__name",
        )
    )
    inspectors = inspectors_by_district(inspection_round, mine)
    for point in points:
        point.choices = inspectors.get(point.district_id, [])
    return render(
        request,
        "campaigns/round_points.html",
        {
            "round": inspection_round,
            "points": points,
            "several": len(mine) > 1,
            "quota_rows": sample_quota_rows(inspection_round, mine),
            "draw_form": DrawForm(initial={"seed": inspection_round.sample_seed}),
            "add_form": AddPointForm(inspection_round=inspection_round, district_ids=mine),
            "open": inspection_round.status != RoundStatus.FINISHED,
            "has_inspectors": any(inspectors.values()),
        },
    )


def _back_to_points(inspection_round: InspectionRound) -> HttpResponse:
    return redirect("campaigns:round-points", pk=inspection_round.pk)


@login_required
@require_POST
def round_draw_view(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, _mine = get_round_for_user(request.user, pk, manage=True)
    form = DrawForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back_to_points(inspection_round)
    try:
        lines = round_draw(inspection_round=inspection_round, actor=request.user, seed=form.cleaned_data["seed"])
    except RoundRefused as refused:
        messages.error(request, refused.message)
        return _back_to_points(inspection_round)
    drawn = sum(line.drawn for line in lines)
    messages.success(
        request,
        _("已按抽样数量抽取 %(n)s 个点位（种子 %(seed)s）。") % {"n": drawn, "seed": inspection_round.sample_seed},
    )
    for line in lines:
        if line.short:
            messages.warning(
                request,
                _("%(district)s · %(type)s：应抽 %(wanted)s 个，只有 %(available)s 个启用点位，已全部抽取。")
                % {
                    "district": line.district.name,
                    "type": line.point_type.name,
                    "wanted": line.wanted,
                    "available": line.available,
                },
            )
    return _back_to_points(inspection_round)


@login_required
@require_POST
def round_point_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, mine = get_round_for_user(request.user, pk, manage=True)
    form = AddPointForm(request.POST, inspection_round=inspection_round, district_ids=mine)
    if not form.is_valid():
        messages.error(request, _("请选择一个本轮涉及的区里、尚未抽到的启用点位。"))
        return _back_to_points(inspection_round)
    try:
        added = round_point_add(inspection_round=inspection_round, point=form.cleaned_data["point"])
    except RoundRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已添加点位“%(name)s”。") % {"name": added.point.name})
    return _back_to_points(inspection_round)


def _round_point(inspection_round: InspectionRound, mine: list[int], point_pk: int) -> RoundPoint:
    return get_object_or_404(
        RoundPoint.objects.select_related("point", "inspection_round"),
        pk=point_pk,
        inspection_round=inspection_round,
        district_id__in=mine,
    )


@login_required
@require_POST
def round_point_remove_view(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    inspection_round, mine = get_round_for_user(request.user, pk, manage=True)
    round_point = _round_point(inspection_round, mine, point_pk)
    try:
        round_point_remove(round_point=round_point)
    except RoundRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已移出点位“%(name)s”。") % {"name": round_point.point.name})
    return _back_to_points(inspection_round)


@login_required
@require_POST
def round_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the inspectors chosen per point, or share the points out evenly ("split")."""
    inspection_round, mine = get_round_for_user(request.user, pk, manage=True)
    if "split" in request.POST:
        given = round_inspectors_split(inspection_round=inspection_round, district_ids=mine)
        messages.success(request, _("已把 %(n)s 个未检查的点位平均分给检查组成员。") % {"n": given})
        return _back_to_points(inspection_round)
    eligible = inspectors_by_district(inspection_round, mine)
    inspectors = {
        district_id: {str(person.pk): person for person in people} for district_id, people in eligible.items()
    }
    changed, problems = 0, 0
    for round_point in RoundPoint.objects.filter(
        inspection_round=inspection_round, district_id__in=mine
    ).select_related("inspection_round"):
        name = f"inspector-{round_point.pk}"
        if name not in request.POST:
            continue
        value = request.POST[name]
        person = inspectors.get(round_point.district_id, {}).get(value) if value else None
        if value and person is None:
            problems += 1
            continue
        if (person.pk if person else None) != round_point.inspector_id:
            round_inspector_set(round_point=round_point, inspector=person, eligible=eligible[round_point.district_id])
            changed += 1
    if problems:
        messages.error(request, _("有 %(n)s 个点位选的人不在检查组或不在该区，未保存。") % {"n": problems})
    messages.success(request, _("已保存 %(n)s 个点位的检查人。") % {"n": changed})
    return _back_to_points(inspection_round)


# --- the round's end, and its 复查 ---------------------------------------------------------


@login_required
@require_POST
def round_finish_view(request: HttpRequest, pk: int) -> HttpResponse:
    inspection_round, _mine = get_round_for_user(request.user, pk, manage=True)
    try:
        round_finish(inspection_round=inspection_round)
    except RoundRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("“%(name)s”已结束。") % {"name": inspection_round.name})
    return redirect("campaigns:round", pk=inspection_round.pk)


@login_required
@require_POST
def round_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    """发起复查: a new 复查 round over this finished one's findings (made once per form)."""
    inspection_round, mine = get_round_for_user(request.user, pk, manage=True)
    form = SubmissionForm(request.POST)
    kind = SubmissionKind.ROUND
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect("campaigns:round", pk=inspection_round.pk)
    try:
        recheck = create_once(
            request,
            form,
            kind,
            lambda: recheck_round_create(original=inspection_round, actor=request.user, district_ids=mine),
            lambda made: reverse("campaigns:round-edit", args=[made.pk]),
        )
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except (SubmissionRefused, RoundRefused) as refused:
        messages.error(request, refused.message)
        return redirect("campaigns:round", pk=inspection_round.pk)
    messages.success(
        request,
        _("已发起“%(name)s”：原来发现问题的点位都已列入。请确认日期、通报和检查组。") % {"name": recheck.name},
    )
    return redirect("campaigns:round-edit", pk=recheck.pk)
