"""Which form each act of the ticket page takes: the one registry the page and the POSTs share.

A form class may say `needs_ticket = True` (it is built from the ticket) or `needs_user = True`
(it is built for the acting person, e.g. their pending photos); acts without a form here have
no button on the ticket page.
"""

from django import forms

from campaigns.models import Ticket, TicketAction

from .closing import (
    TicketRecheckKeptForm,
    TicketRecheckRelapseForm,
    TicketReviewForm,
    TicketSubmitPartForm,
    TicketWaivePartForm,
)
from .dispatch import TicketDeclineForm, TicketReassignForm, TicketUrgeForm
from .hold import (
    TicketExtensionApproveForm,
    TicketExtensionRejectForm,
    TicketExtensionRequestForm,
    TicketHoldForm,
    TicketResumeForm,
    TicketSuperviseForm,
)
from .tickets import (
    TicketAssignForm,
    TicketCloseOutForm,
    TicketReopenForm,
    TicketReturnForm,
    TicketSignForm,
    TicketSubmitFixForm,
    TicketVoidForm,
)

ACTION_FORMS: dict[str, type[forms.Form]] = {
    TicketAction.ASSIGN: TicketAssignForm,
    TicketAction.SIGN: TicketSignForm,
    TicketAction.DECLINE: TicketDeclineForm,
    TicketAction.REASSIGN: TicketReassignForm,
    TicketAction.URGE: TicketUrgeForm,
    TicketAction.SUBMIT_PART: TicketSubmitPartForm,
    TicketAction.WAIVE_PART: TicketWaivePartForm,
    TicketAction.SUBMIT_FIX: TicketSubmitFixForm,
    TicketAction.REVIEW: TicketReviewForm,
    TicketAction.CLOSE_OUT: TicketCloseOutForm,
    TicketAction.RETURN: TicketReturnForm,
    TicketAction.REOPEN: TicketReopenForm,
    TicketAction.RECHECK_KEPT: TicketRecheckKeptForm,
    TicketAction.RECHECK_RELAPSED: TicketRecheckRelapseForm,
    TicketAction.VOID: TicketVoidForm,
    TicketAction.REQUEST_EXTENSION: TicketExtensionRequestForm,
    TicketAction.APPROVE_EXTENSION: TicketExtensionApproveForm,
    TicketAction.REJECT_EXTENSION: TicketExtensionRejectForm,
    TicketAction.HOLD: TicketHoldForm,
    TicketAction.RESUME: TicketResumeForm,
    TicketAction.SUPERVISE: TicketSuperviseForm,
}


def form_reads_ticket(action: str, files_sent: bool) -> bool:
    """Whether the ticket must be read (and the person authorised) before the verb runs: the
    form is built from it, or photos are sent, which are stored before the act."""
    form_class = ACTION_FORMS[action]
    return getattr(form_class, "needs_ticket", False) or (getattr(form_class, "needs_user", False) and files_sent)


def action_form(action: str, ticket: Ticket | None, user, data=None, files=None) -> forms.Form:
    form_class = ACTION_FORMS[action]
    # Several action forms share one page; ids carry the action so labels stay unique.
    kwargs: dict[str, object] = {"auto_id": f"id_{action}_%s"}
    if getattr(form_class, "needs_ticket", False):
        kwargs["ticket"] = ticket
    if getattr(form_class, "needs_user", False):
        kwargs["user"] = user
    if data is None:
        return form_class(**kwargs)
    return form_class(data, files, **kwargs)
