"""seed_scale: a small run shows the bulk path writes a consistent ledger on either database."""

import pytest
from django.core.management import call_command

from campaigns import workflow
from campaigns.models import LedgerSequence, OrgUnit, Ticket, TicketEvent, UnitKind
from campaigns.services.tally import tally_check

pytestmark = pytest.mark.django_db


def test_a_small_province_is_consistent(tmp_path):
    call_command("seed_scale", tickets=1500, stdout=open(tmp_path / "out.txt", "w"))
    assert OrgUnit.objects.filter(kind=UnitKind.DISTRICT).count() == 10
    assert Ticket.objects.count() == 1500
    assert tally_check() == {}
    from campaigns.services.ledger_chain import ledger_verify

    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT):
        checked, broken = ledger_verify(district)
        assert broken is None and checked > 0
    chains = {}
    for ticket_id, action, from_state, to_state in TicketEvent.objects.order_by("ticket_id", "at", "id").values_list(
        "ticket_id", "action", "from_state", "to_state"
    ):
        chains.setdefault(ticket_id, []).append((action, from_state, to_state))
    for ticket in Ticket.objects.all():
        chain = chains[ticket.pk]
        assert chain[0][0] == "log" and chain[-1][2] == ticket.state
        for action, from_state, to_state in chain[1:]:
            transition = workflow.ALLOWED_TRANSITIONS[action]
            assert from_state in transition.sources and to_state == transition.target
    for sequence in LedgerSequence.objects.select_related("district"):
        numbers = Ticket.objects.filter(district=sequence.district, number__contains=f"-{sequence.period}-")
        assert numbers.count() == sequence.last
    # Seeding again adds nothing.
    call_command("seed_scale", tickets=1500, stdout=open(tmp_path / "again.txt", "w"))
    assert Ticket.objects.count() == 1500
