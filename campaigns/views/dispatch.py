"""The POSTs of 退单, 改派 and 催办 from the ticket page."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from campaigns import workflow
from campaigns.models import TicketAction

from .tickets import run_act


@login_required
@require_POST
def ticket_decline(request, number):
    def perform(ticket, form):
        workflow.ticket_decline(
            ticket=ticket,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            suggested_unit=form.cleaned_data.get("suggested_unit"),
        )

    return run_act(request, number, TicketAction.DECLINE, perform)


@login_required
@require_POST
def ticket_reassign(request, number):
    def perform(ticket, form):
        data = form.cleaned_data
        workflow.ticket_reassign(
            ticket=ticket,
            actor=request.user,
            unit=data["responsible_unit"],
            deadline=data["deadline"],
            reason=data["reason"],
            person=data.get("responsible_person", ""),
            phone=data.get("responsible_phone", ""),
            seen_unit=data.get("seen_unit"),
            co_units=list(data["co_units"]) or None,
        )

    return run_act(request, number, TicketAction.REASSIGN, perform)


@login_required
@require_POST
def ticket_urge(request, number):
    def perform(ticket, form):
        workflow.ticket_urge(ticket=ticket, actor=request.user, note=form.cleaned_data["note"])

    return run_act(request, number, TicketAction.URGE, perform)
