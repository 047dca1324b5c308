"""A problem an inspection round found becomes a ticket in the normal 交办 chain.

Both ways a round finds problems come through here: a failed check at a sampled point (the
inspector's phone) and a row of an imported 问题清单. The ticket carries its round as its
source ("市督查第 3 期"), and its deadline counts working days from the round's letter.
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from ..models import (
    Campaign,
    InspectionPoint,
    InspectionRound,
    OrgUnit,
    ProblemCategory,
    RoundCheck,
    RoundFinding,
    StandardItem,
    TicketPhoto,
)
from ..workdays import add_working_days
from .tickets import ticket_log


def finding_deadline(inspection_round: InspectionRound, today: date) -> date:
    """The 整改时限 of the round's problems: N working days from its letter (or from today)."""
    return add_working_days(inspection_round.letter_date or today, inspection_round.deadline_working_days)


def finding_record(
    *,
    inspection_round: InspectionRound,
    actor: User,
    campaign: Campaign,
    category: ProblemCategory,
    description: str,
    point: InspectionPoint | None = None,
    street: OrgUnit | None = None,
    place: str = "",
    photos: Sequence[TicketPhoto] | Callable[..., Sequence[TicketPhoto]] = (),
    item: StandardItem | None = None,
    source_check: RoundCheck | None = None,
    assignment: dict[str, Any] | None = None,
    serial: int | None = None,
    measures: str = "",
) -> RoundFinding:
    """Log the problem as a ticket tagged with its round, and keep it as the round's finding.

    `serial` is the 序号 of an imported 问题清单; otherwise the next number of the round in
    this district. `assignment` (unit, deadline, …) logs it straight to 整改中, as a list that
    names the 责任单位 does. Everything commits together or not at all.
    """
    district = campaign.district
    with transaction.atomic():
        # The round's row is the lock that keeps two inspectors from taking one 序号.
        InspectionRound.objects.select_for_update().filter(pk=inspection_round.pk).exists()
        if serial is None:
            last = RoundFinding.objects.filter(inspection_round=inspection_round, district=district).aggregate(
                n=Max("serial")
            )["n"]
            serial = (last or 0) + 1
        ticket = ticket_log(
            actor=actor,
            campaign=campaign,
            category=category,
            description=description,
            photos=photos,
            street=street,
            point=point,
            place=place,
            assignment=assignment,
            inspection_round=inspection_round,
        )
        finding = RoundFinding.objects.create(
            inspection_round=inspection_round,
            district=district,
            serial=serial,
            description=ticket.description,
            item=item,
            category=category,
            ticket=ticket,
            source_check=source_check,
            measures=measures,
        )
        if source_check is not None:
            source_check.ticket = ticket
            source_check.save(update_fields=["ticket"])
    return finding
