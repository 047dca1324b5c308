"""The POSTs of 申请延期/同意延期/驳回延期, 挂账/恢复整改 and 挂牌督办, and the 督办单 page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from campaigns import workflow
from campaigns.access import get_ticket_for_user, load_ticket_relations
from campaigns.models import PhotoKind, Supervision, TicketAction
from campaigns.views.tickets import run_act


@login_required
@require_POST
def ticket_ext_request(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_request_extension(
            ticket=ticket, actor=request.user, until=data["until"], reason=data["reason"], photos=form.kept_photos
        )

    return run_act(request, number, TicketAction.REQUEST_EXTENSION, perform)


@login_required
@require_POST
def ticket_ext_approve(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_approve_extension(
            ticket=ticket, actor=request.user, deadline=data.get("deadline"), note=data.get("note", "")
        )

    return run_act(request, number, TicketAction.APPROVE_EXTENSION, perform)


@login_required
@require_POST
def ticket_ext_reject(request, number):
    def perform(ticket, form):
        workflow.ticket_reject_extension(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])

    return run_act(request, number, TicketAction.REJECT_EXTENSION, perform)


@login_required
@require_POST
def ticket_hold(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_hold(
            ticket=ticket,
            actor=request.user,
            until=data["until"],
            reason=data["reason"],
            photos=form.kept_photos,
            seen_unit=data.get("seen_unit"),
        )

    return run_act(request, number, TicketAction.HOLD, perform)


@login_required
@require_POST
def ticket_resume(request, number):
    def perform(ticket, form):
        workflow.ticket_resume(ticket=ticket, actor=request.user, note=form.cleaned_data.get("note", ""))

    return run_act(request, number, TicketAction.RESUME, perform)


@login_required
@require_POST
def ticket_supervise(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_supervise(
            ticket=ticket,
            actor=request.user,
            document_number=data["document_number"],
            supervising_unit=data["supervising_unit"],
            leader=data["leader"],
            deadline=data["deadline"],
            reason=data["reason"],
        )

    return run_act(request, number, TicketAction.SUPERVISE, perform)


@login_required
def ticket_supervision(request, number):
    """The 督办单, printable: for whoever may see the ticket."""
    ticket, _actions = get_ticket_for_user(request, number)
    supervision = Supervision.objects.filter(ticket=ticket).select_related("created_by").first()
    if supervision is None:
        raise Http404("这张工单没有挂牌督办。")
    load_ticket_relations(ticket)
    photos = list(ticket.photos.filter(kind=PhotoKind.BEFORE).order_by("id")[:4])
    return render(
        request,
        "campaigns/supervision_print.html",
        {"ticket": ticket, "supervision": supervision, "photos": photos},
    )
