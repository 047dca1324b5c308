"""The 销号 lifecycle: every change of a ticket's state happens in this package and nowhere else.

Each verb opens a transaction, locks the ticket row, asks policy whether the act is allowed,
saves, and writes one TicketEvent (core.py). Views, admin, commands and tasks all call these
verbs; none of them writes a state field itself.
"""

from ..policy import ALLOWED_TRANSITIONS, ActionForbidden, Transition, TransitionRefused, WorkflowError
from .closing import ticket_recheck, ticket_review, ticket_submit_part, ticket_waive_part
from .core import TicketNotFound, TicketRef, actions_for, refusal, role_allows
from .dispatch import ticket_decline, ticket_reassign, ticket_urge
from .duplicates import duplicate_keep_both, ticket_merge
from .findings import finding_deadline, finding_record
from .hold import (
    holds_resume_due,
    resume_due_holds,
    ticket_approve_extension,
    ticket_hold,
    ticket_reject_extension,
    ticket_request_extension,
    ticket_resume,
    ticket_supervise,
)
from .ladder import escalation_run
from .rounds import FindingRecheck, ItemScore, round_point_recheck, round_point_score
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
    "FindingRecheck",
    "ItemScore",
    "TicketNotFound",
    "TicketRef",
    "Transition",
    "TransitionRefused",
    "WorkflowError",
    "actions_for",
    "duplicate_keep_both",
    "escalation_run",
    "finding_deadline",
    "finding_record",
    "holds_resume_due",
    "resume_due_holds",
    "ticket_approve_extension",
    "ticket_hold",
    "ticket_reject_extension",
    "ticket_request_extension",
    "ticket_resume",
    "ticket_supervise",
    "refusal",
    "round_point_recheck",
    "round_point_score",
    "role_allows",
    "ticket_assign",
    "ticket_close_out",
    "ticket_decline",
    "ticket_log",
    "ticket_merge",
    "ticket_reassign",
    "ticket_recheck",
    "ticket_reopen",
    "ticket_return",
    "ticket_review",
    "ticket_sign",
    "ticket_submit_fix",
    "ticket_urge",
    "ticket_submit_part",
    "ticket_void",
    "ticket_waive_part",
]
