"""The ticket page's acts at the end of the 交办 chain: 复核, 协办 parts, 复查."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from campaigns import workflow
from campaigns.models import TicketAction
from campaigns.views.tickets import run_act, run_act_once


@login_required
@require_POST
def ticket_review(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, form):
        workflow.ticket_review(
            ticket=ticket, actor=request.user, note=form.cleaned_data.get("note", ""), photos=form.kept_photos
        )

    return run_act(request, number, TicketAction.REVIEW, perform)


@login_required
@require_POST
def ticket_submit_part(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, form):
        workflow.ticket_submit_part(
            ticket=ticket, actor=request.user, note=form.cleaned_data["note"], photos=form.kept_photos
        )

    return run_act_once(request, number, TicketAction.SUBMIT_PART, perform)


@login_required
@require_POST
def ticket_waive_part(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, form):
        workflow.ticket_waive_part(
            ticket=ticket, actor=request.user, unit=form.cleaned_data["unit"], reason=form.cleaned_data["reason"]
        )

    return run_act(request, number, TicketAction.WAIVE_PART, perform)


@login_required
@require_POST
def ticket_recheck_kept(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, form):
        workflow.ticket_recheck(
            ticket=ticket,
            actor=request.user,
            kept=True,
            note=form.cleaned_data.get("note", ""),
            photos=form.kept_photos,
        )

    return run_act_once(request, number, TicketAction.RECHECK_KEPT, perform)


@login_required
@require_POST
def ticket_recheck_relapse(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, form):
        workflow.ticket_recheck(
            ticket=ticket, actor=request.user, kept=False, note=form.cleaned_data["note"], photos=form.kept_photos
        )

    return run_act_once(request, number, TicketAction.RECHECK_RELAPSED, perform)
