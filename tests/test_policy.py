"""The rules of the acts, decided from values alone: no database, no request, no cache.

A person's reach (Scope) is what campaigns/access.py computes from memberships; here it is
written out by hand, as are the tickets, so each rule is seen on its own.
"""

from types import SimpleNamespace

from campaigns import policy
from campaigns.policy import ActionForbidden, Role, Scope, TicketAction, TicketState, TransitionRefused

A = TicketAction
DISTRICT, OTHER_DISTRICT = 1, 2
STREET, COMMUNITY, DEPARTMENT = 10, 11, 12

supervisor = Scope(district_ids=frozenset({DISTRICT}), roles_by_district={DISTRICT: frozenset({Role.SUPERVISOR})})
leader = Scope(district_ids=frozenset({DISTRICT}), roles_by_district={DISTRICT: frozenset({Role.LEADER})})
# A street staffer: fixes for the street and every community in it.
street_staffer = Scope(
    district_ids=frozenset({DISTRICT}),
    roles_by_district={DISTRICT: frozenset({Role.STAFF})},
    unit_ids=frozenset({STREET}),
    street_ids=frozenset({STREET}),
)


def ticket(state, unit=None, submitted_by=None, district=DISTRICT, **more):
    facts = {
        "district_id": district,
        "street_id": STREET,
        "finder_group_id": None,
        "state": state,
        "responsible_unit": unit,
        "fix_submitted_by_id": submitted_by,
        "assigned_at": None,
        "review_level": 0,
        "reviewed_by": [],
        "extensions_used": 0,
        "extension_requested_until": None,
        "supervised_at": None,
        "chain_rules": policy.DEFAULT_RULES,
        "co_unit_ids": frozenset(),
        "parts_outstanding": frozenset(),
        "recheck_due": False,
    }
    return SimpleNamespace(**(facts | more))


def unit(pk, street=None):
    return SimpleNamespace(pk=pk, street_id=street)


def test_the_buttons_follow_the_state_and_the_role():
    assert policy.actions_for(ticket(TicketState.REPORTED), supervisor, 7) == [A.ASSIGN, A.SUPERVISE, A.VOID]
    assert policy.actions_for(ticket(TicketState.SUBMITTED, submitted_by=8), supervisor, 7) == [
        A.CLOSE_OUT,
        A.RETURN,
        A.SUPERVISE,
    ]
    assert policy.actions_for(ticket(TicketState.CLOSED), supervisor, 7) == [A.REOPEN]
    assert policy.actions_for(ticket(TicketState.VOIDED), supervisor, 7) == []
    assert policy.actions_for(ticket(TicketState.SUBMITTED), leader, 9) == []


def test_four_eyes_the_submitter_may_not_close_their_own_fix():
    mine = ticket(TicketState.SUBMITTED, submitted_by=7)
    assert A.CLOSE_OUT not in policy.actions_for(mine, supervisor, 7)
    assert isinstance(policy.refusal(A.CLOSE_OUT, mine, supervisor, 7), ActionForbidden)
    assert policy.refusal(A.CLOSE_OUT, mine, supervisor, 8) is None


def test_a_street_staffer_submits_fixes_for_the_communities_of_their_street_only():
    community = ticket(TicketState.RECTIFYING, unit=unit(COMMUNITY, street=STREET))
    department = ticket(TicketState.RECTIFYING, unit=unit(DEPARTMENT))
    assert policy.role_allows(A.SUBMIT_FIX, community, street_staffer)
    assert not policy.role_allows(A.SUBMIT_FIX, department, street_staffer)
    assert policy.actions_for(department, street_staffer, 5) == []


def test_a_refusal_says_why():
    wrong_state = policy.refusal(A.CLOSE_OUT, ticket(TicketState.CLOSED), supervisor, 7)
    assert isinstance(wrong_state, TransitionRefused) and "已销号" in wrong_state.message
    elsewhere = policy.refusal(A.ASSIGN, ticket(TicketState.REPORTED, district=OTHER_DISTRICT), supervisor, 7)
    assert isinstance(elsewhere, ActionForbidden) and "交办" in elsewhere.message
