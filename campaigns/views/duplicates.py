"""疑似重复: the district's queue, and the two answers to a suggestion (合并, 保留两张)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import workflow
from campaigns.access import get_duplicate_queue_district, get_duplicate_suggestion_for_user, scope_for
from campaigns.models import DuplicateDecision, DuplicateSuggestion, Ticket
from campaigns.selectors.duplicates import duplicate_queue

PER_PAGE = 20
NOTE_MAX = 500


@login_required
def duplicate_queue_page(request: HttpRequest, code: str) -> HttpResponse:
    district = get_duplicate_queue_district(request.user, code)
    page = Paginator(duplicate_queue(district), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "campaigns/duplicate_queue.html", {"district": district, "page": page, "query": ""})


def _back(request: HttpRequest, suggestion: DuplicateSuggestion) -> HttpResponse:
    """Back where the decision was taken (the queue or a ticket page), else to the queue."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("campaigns:duplicates", code=suggestion.district.code)


def _kept_by(suggestion: DuplicateSuggestion) -> Ticket | None:
    """The ticket a merged suggestion kept (the one the other was merged into)."""
    for kept, merged in ((suggestion.candidate, suggestion.ticket), (suggestion.ticket, suggestion.candidate)):
        if merged.merged_into_id == kept.pk:
            return kept
    return None


@login_required
@require_POST
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """合并: `keep` names which of the two lives on ("candidate", the earlier one, or "ticket")."""
    suggestion = get_duplicate_suggestion_for_user(request.user, pk)
    if suggestion.decision == DuplicateDecision.MERGED and (kept := _kept_by(suggestion)) is not None:
        # The same form sent again (a double tap, a retry): the merge it asked for is done.
        messages.info(request, _("已合并到 %(number)s。") % {"number": kept.number})
        return redirect("campaigns:ticket-detail", number=kept.number)
    sides = {"candidate": suggestion.candidate, "ticket": suggestion.ticket}
    keep = request.POST.get("keep", "")
    if keep not in sides:
        return render(
            request,
            "campaigns/duplicate_refused.html",
            {"suggestion": suggestion, "message": _("请选择保留哪一张工单。")},
            status=400,
        )
    kept, merged = sides[keep], sides["ticket" if keep == "candidate" else "candidate"]
    districts = scope_for(request.user).district_ids
    try:
        workflow.ticket_merge(
            duplicate=workflow.TicketRef(merged.number, districts),
            into=workflow.TicketRef(kept.number, districts),
            actor=request.user,
            note=request.POST.get("note", "")[:NOTE_MAX],
        )
    except workflow.TicketNotFound:
        raise Http404("没有这张工单，或您无权查看。") from None
    except workflow.ActionForbidden as exc:
        raise PermissionDenied(exc.message) from None
    except workflow.WorkflowError as exc:
        return render(
            request, "campaigns/duplicate_refused.html", {"suggestion": suggestion, "message": exc.message}, status=409
        )
    messages.success(request, _("%(merged)s 已合并到 %(kept)s。") % {"merged": merged.number, "kept": kept.number})
    return redirect("campaigns:ticket-detail", number=kept.number)


@login_required
@require_POST
def duplicate_keep(request: HttpRequest, pk: int) -> HttpResponse:
    """保留两张: not the same problem; the suggestion is closed and kept on record."""
    suggestion = get_duplicate_suggestion_for_user(request.user, pk)
    workflow.duplicate_keep_both(
        suggestion=suggestion, actor=request.user, note=request.POST.get("note", "")[:NOTE_MAX]
    )
    messages.success(
        request,
        _("已保留 %(a)s 和 %(b)s 两张工单。") % {"a": suggestion.ticket.number, "b": suggestion.candidate.number},
    )
    return _back(request, suggestion)
