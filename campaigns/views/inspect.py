"""我的检查: an inspector's rounds and points on a phone, and one page per point — the 项 that
apply there (达标 / 不达标 / 不适用), or, in a 复查 round, the problems found there before
(已整改 / 未整改 / 反弹). One submit per point; then the next point is one tap away."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from campaigns import workflow
from campaigns.access import get_round_point_for_inspector
from campaigns.forms.rounds import PointRowsForm, PointScoreForm, RecheckForm
from campaigns.models import CheckResult, PhotoKind, RoundCheck, RoundKind, RoundPoint, RoundStatus, SubmissionKind
from campaigns.once import SubmissionRefused, SubmissionRepeated, submission_answer, submission_repeat
from campaigns.selectors.rounds import inspector_rounds, next_point, point_items, recheck_findings_at


@login_required
@require_GET
def inspect_home(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/inspect_home.html", {"rounds": inspector_rounds(request.user)})


def _form(request: HttpRequest, round_point: RoundPoint) -> PointRowsForm:
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    inspection_round = round_point.inspection_round
    if inspection_round.kind == RoundKind.RECHECK:
        findings = recheck_findings_at(round_point)
        return RecheckForm(*data, user=request.user, findings=findings, recheck=inspection_round)
    items = point_items(inspection_round.standard_id, round_point.point.point_type)
    checks = RoundCheck.objects.filter(round_point=round_point).select_related("ticket")
    by_item = {check.item_id: check for check in checks}
    return PointScoreForm(*data, user=request.user, items=items, checks=by_item)


def _page(request: HttpRequest, round_point: RoundPoint, form: PointRowsForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "campaigns/inspect_point.html",
        {
            "round_point": round_point,
            "round": round_point.inspection_round,
            "point": round_point.point,
            "form": form,
            "rows": list(form.bound_rows()),
            "recheck": round_point.inspection_round.kind == RoundKind.RECHECK,
            "next": next_point(round_point, request.user) if round_point.inspected_at else None,
            "finished": round_point.inspection_round.status == RoundStatus.FINISHED,
        },
        status=status,
    )


@login_required
def inspect_point(request: HttpRequest, pk: int) -> HttpResponse:
    round_point = get_round_point_for_inspector(request.user, pk)
    form = _form(request, round_point)
    if request.method != "POST":
        return _page(request, round_point, form)
    # A form sent before is answered with what it made, before any photo is stored again.
    if (answer := submission_repeat(request, form, SubmissionKind.ROUND_POINT)) is not None:
        return answer
    if form.is_valid():
        try:
            message = _submit(request, round_point, form)
        except SubmissionRepeated as repeated:
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)
        except workflow.ActionForbidden as refused:
            raise PermissionDenied(refused.message) from None
        except workflow.WorkflowError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, message)
            return redirect("campaigns:inspect-point", pk=round_point.pk)
    # Whatever went wrong, the photos that were fine are kept for the next try.
    form.keep_photos(PhotoKind.BEFORE)
    return _page(request, round_point, form, status=400)


def _submit(request: HttpRequest, round_point: RoundPoint, form: PointRowsForm) -> str:
    name = round_point.point.name
    if isinstance(form, RecheckForm):
        form.keep_photos(PhotoKind.RECHECK, only_needed=True)
        rechecks = [
            workflow.FindingRecheck(finding=finding, outcome=outcome, note=note, photos=list(photos.kept))
            for finding, outcome, note, photos in form.outcomes()
        ]
        done = workflow.round_point_recheck(
            round_point=round_point, actor=request.user, rechecks=rechecks, submission_key=form.submission_key
        )
        return ngettext(
            "“%(name)s”已记录 %(n)s 个问题的复查结果。", "“%(name)s”已记录 %(n)s 个问题的复查结果。", len(done)
        ) % {"name": name, "n": len(done)}
    form.keep_photos(PhotoKind.BEFORE, only_needed=True)
    scores = [
        workflow.ItemScore(
            item=item, result=result, note=note, photos=list(photos.kept) if result == CheckResult.FAIL else []
        )
        for item, result, note, photos in form.scores()
    ]
    findings = workflow.round_point_score(
        round_point=round_point, actor=request.user, scores=scores, submission_key=form.submission_key
    )
    if not findings:
        return _("“%(name)s”已保存，没有新的不达标项。") % {"name": name}
    numbers = "、".join(finding.ticket.number for finding in findings if finding.ticket)
    return ngettext(
        "“%(name)s”已保存：%(n)s 项不达标，已生成工单 %(numbers)s。",
        "“%(name)s”已保存：%(n)s 项不达标，已生成工单 %(numbers)s。",
        len(findings),
    ) % {"name": name, "n": len(findings), "numbers": numbers}
