"""The 销号 lifecycle: every change of a ticket's state happens in this package and nowhere else.

Each verb opens a transaction, locks the ticket row, asks policy whether the act is allowed,
saves, and writes one TicketEvent (core.py). Views, admin, commands and tasks all call these
verbs; none of them writes a state field itself.
"""

from ..policy import ALLOWED_TRANSITIONS, ActionForbidden, Transition, TransitionRefused, WorkflowError
from .core import TicketNotFound, TicketRef, actions_for, refusal, role_allows
from .dispatch import ticket_decline, ticket_reassign, ticket_urge
from .ladder import escalation_run, system_actor
from .tickets import (
    ticket_assign,
    ticket_close_out,
    ticket_log,
    ticket_reopen,
    ticket_return,
    ticket_sign,
    ticket_submit_fix,
    ticket_void,
)

# Where views, forms and templates have always found them.
__all__ = [
    "ALLOWED_TRANSITIONS",
    "ActionForbidden",
    "TicketNotFound",
    "TicketRef",
    "Transition",
    "TransitionRefused",
    "WorkflowError",
    "actions_for",
    "escalation_run",
    "refusal",
    "role_allows",
    "system_actor",
    "ticket_assign",
    "ticket_close_out",
    "ticket_decline",
    "ticket_log",
    "ticket_reassign",
    "ticket_reopen",
    "ticket_return",
    "ticket_sign",
    "ticket_submit_fix",
    "ticket_urge",
    "ticket_void",
]
