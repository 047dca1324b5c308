"""The demo's assessment cycle: a finished 市督查 round over 铁西区 with its findings, and its 复查."""

import pytest
from django.core.management import call_command

from campaigns.models import FindingOutcome, InspectionRound, RoundKind, RoundPoint, RoundStatus, TicketState
from campaigns.selectors.rounds import inspector_rounds, recheck_rate
from devdata.demo.rounds import ROUND_NAME

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_city_round_with_findings_and_its_recheck_under_way(tmp_path, django_user_model):
    for _ in range(2):  # loaded twice: nothing doubles
        call_command("seed_demo", stdout=open(tmp_path / "out.txt", "w"))
    original = InspectionRound.objects.get(name=ROUND_NAME)
    assert (original.status, original.level, original.sample_seed) == (RoundStatus.FINISHED, "city", "sp20263")
    findings = list(original.findings.select_related("ticket"))
    assert len(findings) == 12  # the standard asks enough at the demo's points for a dozen
    states = [finding.ticket.state for finding in findings]
    assert states.count(TicketState.CLOSED) >= 5 and states.count(TicketState.RECTIFYING) >= 2
    assert all(finding.ticket.inspection_round_id == original.pk for finding in findings)

    recheck = InspectionRound.objects.get(rechecks=original)
    assert (recheck.kind, recheck.status) == (RoundKind.RECHECK, RoundStatus.INSPECTING)
    rate = recheck_rate(recheck, [original.districts.get().pk])
    assert rate.relapsed == 1 and rate.rechecked < rate.to_recheck  # under way: some points still to go
    relapsed = original.findings.get(outcome=FindingOutcome.RELAPSED)
    assert relapsed.ticket.state == TicketState.RECTIFYING and relapsed.outcome_photos.count() == 1
    staff = django_user_model.objects.get(username="tx_staff")
    waiting = [rp for entry in inspector_rounds(staff) for rp in entry.mine + entry.unassigned if not rp.inspected_at]
    assert waiting and all(rp.inspection_round_id == recheck.pk for rp in waiting)
    assert RoundPoint.objects.filter(inspection_round=recheck, inspected_at__isnull=False).exists()
