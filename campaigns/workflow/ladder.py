"""The overdue ladder (逾期升级): the system presses a unit harder the longer its ticket is overdue.

Each running campaign sets `escalation_days` ("1,3,7"): working days past the deadline for
step 1 (催办 the unit), step 2 (tell the unit's head) and step 3 (黄牌, proposed for the 通报).
`Ticket.escalation_step` counts the steps taken; each step is taken once, under the row's
lock, with its own 逾期升级 event, so beat running the task twice (or two workers at once)
takes no step twice. Who is told is the outbox's business (services/outbox.py).
"""

from datetime import date, datetime

from celery import shared_task
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..models import Campaign, CampaignStatus, Ticket, TicketAction
from ..policy import ALLOWED_TRANSITIONS, CLOCK_STATES
from ..services.system_actor import system_user
from ..services.tally import tally_follows
from ..workdays import working_days_between
from .core import lock, transition

YELLOW_CARD_STEP = 3


def steps_due(ladder: list[int], overdue_days: int) -> int:
    """How many steps of the ladder a ticket overdue by `overdue_days` working days has earned."""
    return sum(1 for days in ladder if overdue_days >= days)


def _escalate(ticket_id: int, actor: User, today: date, ladder: list[int]) -> int:
    """Take the steps this ticket is owed, each once, under its lock. Returns the steps taken."""
    taken = 0
    with transaction.atomic():
        ticket = lock(Ticket(pk=ticket_id))
        if ticket.state not in ALLOWED_TRANSITIONS[TicketAction.ESCALATE].sources or ticket.deadline is None:
            return 0  # acted on meanwhile (signed off, held, declined …)
        due = steps_due(ladder, working_days_between(ticket.deadline, today))
        with tally_follows(ticket):
            while ticket.escalation_step < due:
                ticket.escalation_step += 1
                fields = ["escalation_step"]
                if ticket.escalation_step == YELLOW_CARD_STEP and ticket.yellow_card_at is None:
                    ticket.yellow_card_at = timezone.now()
                    fields.append("yellow_card_at")
                transition(
                    ticket, TicketAction.ESCALATE, actor, fields=fields, details={"step": ticket.escalation_step}
                )
                taken += 1
    return taken


def escalation_run(now: datetime | None = None) -> int:
    """Climb the ladder for every running campaign's overdue tickets; returns the steps taken."""
    today = timezone.localdate(now or timezone.now())
    actor = system_user()
    taken = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.RUNNING):
        ladder = campaign.escalation_ladder
        if not ladder:
            continue
        candidates = Ticket.objects.filter(
            campaign=campaign,
            state__in=[state for state in CLOCK_STATES if state in ALLOWED_TRANSITIONS[TicketAction.ESCALATE].sources],
            deadline__lt=today,
            escalation_step__lt=len(ladder),
        ).values_list("pk", flat=True)
        for pk in list(candidates):
            taken += _escalate(pk, actor, today, ladder)
    return taken


@shared_task(name="campaigns.tasks.escalate_overdue")
def escalate_overdue() -> int:
    return escalation_run()
