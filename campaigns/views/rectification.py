"""A district's 整改报告 for an inspection round: the printable page, the .docx versions made by
a task (with their progress), and their download.

The page reads the round as it stands; a version freezes it in a file. Supervisors and admins
of the district generate versions; an admin may issue one (印发) under the district's next 文号;
leaders read and download. Another district's report, or a round that does not cover the
district, is a 404.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    MANAGER_ROLES,
    get_rectification_report_for_user,
    get_round_part_for_user,
    scope_for,
)
from campaigns.models import AuditKind, RectificationReport, Role, SubmissionKind, SummaryStatus
from campaigns.once import (
    SubmissionForm,
    SubmissionRefused,
    SubmissionRepeated,
    create_once,
    submission_answer,
    submission_repeat,
)
from campaigns.queue import enqueue_on_commit
from campaigns.selectors.round_report import STATUS_RULES_TEXT, round_report
from campaigns.services.documents.common import DOCX
from campaigns.services.documents.numbers import DocumentNumberTaken
from campaigns.services.documents.rectification import round_report_title
from campaigns.services.rectification_reports import generate_rectification_report, rectification_report_request
from security.audit import audit_record

VERSIONS_SHOWN = 20
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def _page_url(inspection_round, district) -> str:
    return reverse("campaigns:round-report", args=[inspection_round.pk, district.code])


@login_required
@require_GET
def round_report_page(request, pk, code):
    inspection_round, district = get_round_part_for_user(request.user, pk, code)
    scope = scope_for(request.user)
    report = round_report(inspection_round, district)
    versions = list(
        RectificationReport.objects.filter(inspection_round=inspection_round, district=district).select_related(
            "requested_by"
        )[:VERSIONS_SHOWN]
    )
    return render(
        request,
        "campaigns/round_report.html",
        {
            "report": report,
            "title": round_report_title(report),
            "versions": versions,
            "working": any(v.status in (SummaryStatus.QUEUED, SummaryStatus.RUNNING) for v in versions),
            "can_generate": scope.has_role(district.pk, MANAGER_ROLES),
            "can_issue": scope.has_role(district.pk, {Role.ADMIN}),
            "create_form": SubmissionForm(),
            "status_rules": STATUS_RULES_TEXT,
        },
    )


@login_required
@require_POST
def round_report_generate(request, pk, code):
    """A new version, queued; with 印发 (admins), under the next 文号. Sent twice, made once."""
    inspection_round, district = get_round_part_for_user(request.user, pk, code, roles=MANAGER_ROLES)
    issue = request.POST.get("issue") == "1"
    if issue and not scope_for(request.user).has_role(district.pk, {Role.ADMIN}):
        raise PermissionDenied(_("只有管理员可以印发整改报告。"))
    page = _page_url(inspection_round, district)
    form = SubmissionForm(request.POST)
    kind = SubmissionKind.RECTIFICATION_REPORT
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(page)
    try:
        report = create_once(
            request,
            form,
            kind,
            lambda: rectification_report_request(
                inspection_round=inspection_round, district=district, actor=request.user, issue=issue
            ),
            lambda made: page,
        )
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except (SubmissionRefused, DocumentNumberTaken) as refused:
        messages.error(request, getattr(refused, "message", str(refused)))
        return redirect(page)
    # With the broker down the version waits as 排队中 and sweep_left_work starts it later.
    enqueue_on_commit(generate_rectification_report, report.pk)
    if report.doc_number:
        messages.success(request, _("整改报告已印发，文号：%(n)s，正在生成。") % {"n": report.doc_number})
    return redirect(page)


@login_required
@require_GET
def round_report_progress(request, pk):
    report = get_rectification_report_for_user(request.user, pk)
    return JsonResponse({"status": report.status, "progress": report.progress, "error": bool(report.error)})


@login_required
@require_GET
def round_report_download(request, pk):
    report = get_rectification_report_for_user(request.user, pk)
    if report.status != SummaryStatus.DONE or not report.file:
        raise Http404(_("这份整改报告还没有生成完。"))
    label = report.doc_number or _("第%(v)s版") % {"v": report.version}
    name = f"{_('整改报告')}-{report.inspection_round.name}-{report.district.name}-{label}"
    filename = UNSAFE_IN_NAMES.sub("-", name).strip("-")[:120] + ".docx"
    try:
        handle = report.file.open("rb")
    except OSError:
        raise Http404(_("这份整改报告的文件找不到了，请重新生成。")) from None
    audit_record(AuditKind.EXPORT, request=request, district=report.district_id, target=filename)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=DOCX)
