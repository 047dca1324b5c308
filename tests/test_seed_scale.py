"""seed_scale: a small run shows the bulk path writes a consistent ledger on either database."""

import pytest
from django.core.management import call_command
from django.db.models import Q

from campaigns import workflow
from campaigns.models import LedgerSequence, OrgUnit, PhotoKind, Ticket, TicketEvent, TicketPhoto, UnitKind
from campaigns.services.ledger_chain import files_verify, ledger_verify
from campaigns.services.tally import tally_check

pytestmark = pytest.mark.django_db


def test_a_small_province_is_consistent(tmp_path):
    call_command("seed_scale", tickets=1500, stdout=open(tmp_path / "out.txt", "w"))
    assert OrgUnit.objects.filter(kind=UnitKind.DISTRICT).count() == 10
    assert Ticket.objects.count() == 1500
    assert tally_check() == {}
    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT):
        checked, broken = ledger_verify(district)
        assert broken is None and checked > 0
        # The photo files are the ones on record, and each after-photo was checked when it came.
        files, swapped = files_verify(district)
        assert files > 0 and swapped == []
    after = TicketPhoto.objects.filter(kind=PhotoKind.AFTER)
    assert after.exists() and not after.filter(Q(phash="") | Q(evidence_checked_at=None)).exists()
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
