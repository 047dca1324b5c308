"""Documents in the office's own format (.docx, GB/T 9704): download a 通报, a 督办单, a 月度情况专报
or a 整改报告, and 印发 (issue with a 文号) a 通报 or a 专报.

Each download is fetched and authorised like the page it belongs to (who may read that 通报,
summary or ticket may download it; another district's is a 404), written to the audit log as
an export, and named in Chinese.
"""

import datetime
import io
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import (
    MANAGER_ROLES,
    get_district_for_user,
    get_ticket_for_user,
    load_ticket_relations,
    scope_for,
    visible_tickets,
)
from campaigns.filters import TicketFilter
from campaigns.models import AuditKind, DocumentKind, MonthlySummary, Notice, Role, SummaryStatus, Supervision
from campaigns.services.documents.common import DOCX
from campaigns.services.documents.monthly import summary_document, summary_title
from campaigns.services.documents.notice import notice_document
from campaigns.services.documents.numbers import DocumentNumberTaken, notice_issue, summary_issue
from campaigns.services.documents.rectification import rectification_document
from campaigns.services.documents.supervision import supervision_document
from security.audit import audit_record

OVERSEERS = MANAGER_ROLES | {Role.LEADER}
UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def _download(request, content: bytes, kind: str, name: str, district_id: int, **details):
    filename = UNSAFE_IN_NAMES.sub("-", f"{DocumentKind(kind).label}-{name}").strip("-")[:120] + ".docx"
    audit_record(AuditKind.EXPORT, request=request, district=district_id, target=filename, **details)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=DOCX)


def _require(user, district_id, roles, message):
    if not scope_for(user).has_role(district_id, roles):
        raise PermissionDenied(message)


def _notice(request, pk, roles):
    notice = get_object_or_404(
        Notice.objects.select_related("district"), pk=pk, district_id__in=scope_for(request.user).district_ids
    )
    _require(request.user, notice.district_id, roles, _("您不能查看或修改这份通报。"))
    return notice


def _summary(request, pk, roles):
    summary = get_object_or_404(
        MonthlySummary.objects.select_related("district"), pk=pk, district_id__in=scope_for(request.user).district_ids
    )
    _require(request.user, summary.district_id, roles, _("月度专报只对督导、管理员和领导开放。"))
    return summary


@login_required
@require_GET
def notice_docx(request, pk):
    notice = _notice(request, pk, OVERSEERS)
    name = notice.doc_number if notice.issued_at else _("%(title)s（未印发）") % {"title": notice.title[:60]}
    return _download(request, notice_document(notice), DocumentKind.NOTICE, name, notice.district_id)


@login_required
@require_POST
def notice_issue_view(request, pk):
    notice = _notice(request, pk, {Role.ADMIN})
    was_issued = notice.issued_at is not None
    try:
        notice = notice_issue(notice=notice, actor=request.user)
    except DocumentNumberTaken as taken:
        messages.error(request, str(taken))
        return redirect("campaigns:notice-edit", pk=notice.pk)
    if not was_issued:
        messages.success(request, _("通报已印发，文号：%(n)s。") % {"n": notice.doc_number})
    return redirect("campaigns:notice-print", pk=notice.pk)


@login_required
@require_GET
def summary_docx(request, pk):
    summary = _summary(request, pk, OVERSEERS)
    if summary.status != SummaryStatus.DONE:
        raise Http404(_("这份专报还没有生成完。"))
    name = summary.doc_number or _("%(title)s-第%(v)s版") % {
        "title": summary_title(summary.figures),
        "v": summary.version,
    }
    return _download(request, summary_document(summary), DocumentKind.SUMMARY, name, summary.district_id)


@login_required
@require_POST
def summary_issue_view(request, pk):
    summary = _summary(request, pk, {Role.ADMIN})
    was_issued = summary.issued_at is not None
    try:
        summary = summary_issue(summary=summary, actor=request.user)
    except ValueError as refused:
        messages.error(request, str(refused))
        return redirect("campaigns:summary", pk=summary.pk)
    if not was_issued:
        messages.success(request, _("专报已印发，文号：%(n)s。") % {"n": summary.doc_number})
    return redirect("campaigns:summary", pk=summary.pk)


@login_required
@require_GET
def supervision_docx(request, number):
    """The 督办单 as a document: for whoever may see the ticket, like its printable page."""
    ticket, _actions = get_ticket_for_user(request, number)
    supervision = Supervision.objects.filter(ticket=ticket).select_related("district").first()
    if supervision is None:
        raise Http404(_("这张工单没有挂牌督办。"))
    load_ticket_relations(ticket)
    content = supervision_document(supervision, ticket)
    return _download(request, content, DocumentKind.SUPERVISION, supervision.document_number, ticket.district_id)


def _found_between(data) -> tuple[datetime.date, datetime.date] | None:
    """The found_from–found_to the filter was given, for the report to name its period."""
    try:
        return datetime.date.fromisoformat(data.get("found_from", "")), datetime.date.fromisoformat(
            data.get("found_to", "")
        )
    except ValueError:
        return None


@login_required
@require_GET
def rectification_report(request, code):
    """The 整改报告 skeleton for the district's tickets the ticket-list filter in the query picks."""
    district = get_district_for_user(request.user, code)
    _require(request.user, district.pk, OVERSEERS, _("整改报告只对督导、管理员和领导开放。"))
    tickets = visible_tickets(request.user).filter(district=district)
    chosen = TicketFilter(request.GET or None, queryset=tickets, user=request.user).qs
    content = rectification_document(district=district, tickets=chosen, found=_found_between(request.GET))
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _download(
        request,
        content,
        DocumentKind.RECTIFICATION,
        f"{district.name}-{stamp}",
        district.pk,
        query=request.GET.urlencode()[:500],
    )
