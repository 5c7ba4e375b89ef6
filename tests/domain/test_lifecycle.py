"""Tests of the pure lifecycle machines (Council Decision 2008/617/JHA, Art. 1, 3 and 4).

The expected tables below are written out by hand from the specification rather than read from
the module, so that a change to the module's tables has to be made here too.
"""

import ast
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atlas_coord.domain import choices, fulfilment, settlement
from atlas_coord.domain import fulfilment as ff
from atlas_coord.domain import lifecycle as lc
from atlas_coord.domain.choices import (
    AnswerStatus,
    CapabilityLevel,
    CostBearer,
    CostCategory,
    DeploymentStatus,
    Party,
    RequestStatus,
)
from atlas_coord.domain.fulfilment import request_fulfilment
from atlas_coord.domain.lifecycle import (
    GuardFailed,
    IllegalTransition,
    PartyNotAllowed,
    allowed_actions,
    plan_creation,
    plan_transition,
)
from atlas_coord.domain.settlement import CostItem, CostTerms, cost_bearer, settlement_summary

REQ, ANS, DEP = RequestStatus, AnswerStatus, DeploymentStatus
RQ, AA, UC, SS, SY = Party.REQUESTER, Party.ADDRESSED_AUTHORITY, Party.UNIT_COMMANDER, Party.SENDING_STATE, Party.SYSTEM
COMPUTED = object()  # the target of 'recompute' is computed by request_fulfilment()

# machine -> action -> (sources, target, parties, guards)
SPEC = {
    'request': {
        'submit': ({REQ.DRAFT}, REQ.SUBMITTED, {RQ}, ()),
        'withdraw': ({REQ.DRAFT, REQ.SUBMITTED, REQ.PARTIALLY_MET, REQ.MET}, REQ.WITHDRAWN, {RQ}, ()),
        'recompute': ({REQ.SUBMITTED, REQ.PARTIALLY_MET, REQ.MET}, COMPUTED, {SY}, ()),
        'close': ({REQ.MET, REQ.PARTIALLY_MET}, REQ.CLOSED, {RQ}, ('all_deployments_finished_and_costs_settled',)),
    },
    'answer': {
        'accept': ({ANS.PENDING}, ANS.ACCEPTED, {AA}, ('request_open', 'units_offered_belong_to_state')),
        'refuse': ({ANS.PENDING}, ANS.REFUSED, {AA}, ('request_open', 'reason_required')),
        'counter_propose': ({ANS.PENDING}, ANS.COUNTER_PROPOSED, {AA}, ('request_open',)),
        'accept_counter': ({ANS.COUNTER_PROPOSED}, ANS.COUNTER_ACCEPTED, {RQ}, ('request_open',)),
        'reject_counter': ({ANS.COUNTER_PROPOSED}, ANS.COUNTER_REJECTED, {RQ}, ('request_open',)),
        'lapse': ({ANS.PENDING, ANS.COUNTER_PROPOSED}, ANS.LAPSED, {SY}, ()),
    },
    'deployment': {
        'unit_accept': ({DEP.ALERTED}, DEP.ACCEPTED, {UC}, ()),
        'unit_decline': ({DEP.ALERTED}, DEP.DECLINED, {UC}, ()),
        'mobilise': ({DEP.ACCEPTED}, DEP.MOBILISING, {UC}, ()),
        'depart': ({DEP.MOBILISING}, DEP.EN_ROUTE, {UC}, ('eta_required',)),
        'arrive': ({DEP.EN_ROUTE}, DEP.ON_SCENE, {UC, RQ}, ('on_scene_commander_required',)),
        # Wider than ON_SCENE on purpose: releasing a unit before it arrives (partial release, withdrawal).
        'stand_down': ({DEP.ACCEPTED, DEP.MOBILISING, DEP.EN_ROUTE, DEP.ON_SCENE}, DEP.STOOD_DOWN, {RQ, UC}, ()),
        'return': ({DEP.STOOD_DOWN, DEP.RECALLED}, DEP.RETURNED, {UC}, ()),
        'recall': ({DEP.ACCEPTED, DEP.MOBILISING, DEP.EN_ROUTE, DEP.ON_SCENE}, DEP.RECALLED, {SS}, ()),
        'extend': ({DEP.MOBILISING, DEP.EN_ROUTE, DEP.ON_SCENE}, None, {RQ}, ()),
    },
}
ENUMS = {'request': RequestStatus, 'answer': AnswerStatus, 'deployment': DeploymentStatus}


def expected_allowed(machine, status, party=None):
    return sorted(a for a, (src, _, parties, _) in SPEC[machine].items()
                  if status in src and (party is None or party in parties))


LEGAL = [
    pytest.param(m, a, s, party, target, id=f'{m}-{a}-{s}-{party}')
    for m, actions in SPEC.items()
    for a, (sources, target, parties, _) in actions.items()
    for s in sorted(sources)
    for party in sorted(parties)
]
ILLEGAL = [
    pytest.param(m, a, s, id=f'{m}-{a}-{s}')
    for m, actions in SPEC.items()
    for a in [*actions, 'frobnicate']
    for s in ENUMS[m]
    if a not in actions or s not in actions[a][0]
]
WRONG_PARTY = [
    pytest.param(m, a, s, party, parties, id=f'{m}-{a}-{s}-{party}')
    for m, actions in SPEC.items()
    for a, (sources, _, parties, _) in actions.items()
    for s in sorted(sources)
    for party in Party
    if party not in parties
]


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize('machine', SPEC)
def test_table_matches_the_specification(machine):
    table = {t.action: t for t in lc.TRANSITIONS[machine]}
    assert set(table) == set(SPEC[machine])
    for action, (sources, target, parties, guards) in SPEC[machine].items():
        t = table[action]
        assert t.machine == machine
        assert t.source == frozenset(sources), action
        assert t.parties == frozenset(parties), action
        assert t.guards == guards, action
        if target is COMPUTED:
            assert (t.target, t.target_fn) == (None, 'request_fulfilment')
        else:
            assert (t.target, t.target_fn) == (target, None), action


@pytest.mark.parametrize('t', [*itertools.chain(*lc.TRANSITIONS.values()), *lc.CREATION_TRANSITIONS.values()],
                         ids=lambda t: f'{t.machine}-{t.action}')
def test_every_row_cites_an_article_and_documents_its_guards(t):
    assert t.article.startswith('Art. ')
    assert all(g in lc.GUARDS for g in t.guards)


def test_tables_are_exported_under_their_names():
    assert lc.REQUEST_TRANSITIONS is lc.TRANSITIONS['request']
    assert lc.ANSWER_TRANSITIONS is lc.TRANSITIONS['answer']
    assert lc.DEPLOYMENT_TRANSITIONS is lc.TRANSITIONS['deployment']


# --------------------------------------------------------------------------- plan_transition


@pytest.mark.parametrize(('machine', 'action', 'current', 'party', 'target'), LEGAL)
def test_legal_transition_succeeds_for_its_party(machine, action, current, party, target):
    t = plan_transition(machine, action, current, party)
    assert t.action == action
    if target is COMPUTED:
        assert t.next_status(current, 'MET') == REQ.MET
    elif target is None:
        assert t.next_status(current) == current
    else:
        assert t.next_status(current) == target
    # plain strings work as well as enum members (the API hands us strings)
    assert plan_transition(machine, action, str(current), str(party)) is t


@pytest.mark.parametrize(('machine', 'action', 'current'), ILLEGAL)
def test_action_not_in_table_raises_illegal_transition(machine, action, current):
    with pytest.raises(IllegalTransition) as exc:
        plan_transition(machine, action, current, Party.SYSTEM)
    e = exc.value
    assert (e.machine, e.action, e.current) == (machine, action, current)
    assert e.allowed_actions == expected_allowed(machine, current)


@pytest.mark.parametrize(('machine', 'action', 'current', 'party', 'parties'), WRONG_PARTY)
def test_wrong_party_raises_party_not_allowed(machine, action, current, party, parties):
    with pytest.raises(PartyNotAllowed) as exc:
        plan_transition(machine, action, current, party)
    e = exc.value
    assert (e.action, e.party, e.machine, e.current) == (action, party, machine, current)
    assert e.allowed_parties == sorted(parties)


def test_illegal_status_wins_over_wrong_party():
    """A closed request reports the status conflict (409), not the party (403)."""
    with pytest.raises(IllegalTransition) as exc:
        plan_transition('request', 'withdraw', REQ.CLOSED, Party.UNIT_COMMANDER)
    assert exc.value.allowed_actions == []


@pytest.mark.parametrize(('machine', 'current'), [(m, s) for m in SPEC for s in ENUMS[m]])
def test_allowed_actions(machine, current):
    assert allowed_actions(machine, current) == expected_allowed(machine, current)
    for party in Party:
        assert allowed_actions(machine, current, party) == expected_allowed(machine, current, party)


TERMINAL = {
    'request': {REQ.CLOSED, REQ.WITHDRAWN},
    'answer': {ANS.ACCEPTED, ANS.REFUSED, ANS.COUNTER_ACCEPTED, ANS.COUNTER_REJECTED, ANS.LAPSED},
    'deployment': {DEP.DECLINED, DEP.RETURNED},
}


@pytest.mark.parametrize(('machine', 'current'), [(m, s) for m in SPEC for s in ENUMS[m]])
def test_only_terminal_statuses_allow_nothing(machine, current):
    """No record gets stuck: every non-terminal status has a way on, and terminal ones have none."""
    assert (allowed_actions(machine, current) == []) is (current in TERMINAL[machine])


@pytest.mark.parametrize(('args', 'match'), [
    (('lunch', 'submit', 'DRAFT', 'REQUESTER'), 'unknown machine'),
    (('request', 'submit', 'ALERTED', 'REQUESTER'), 'not a request status'),
    (('request', 'submit', 'DRAFT', 'CHIEF'), 'CHIEF'),
])
def test_programming_errors_are_value_errors(args, match):
    with pytest.raises(ValueError, match=match):
        plan_transition(*args)


# --------------------------------------------------------------------------- creation and guards


@pytest.mark.parametrize(('machine', 'party', 'initial', 'action'), [
    ('request', RQ, REQ.DRAFT, 'create'),
    ('answer', SY, ANS.PENDING, 'receive'),
    ('deployment', SY, DEP.ALERTED, 'alert'),
])
def test_creation(machine, party, initial, action):
    t = plan_creation(machine, party)
    assert (t.action, t.target, t.source) == (action, initial, frozenset())
    with pytest.raises(PartyNotAllowed):
        plan_creation(machine, Party.SENDING_STATE)
    # a creation action never applies to an existing record
    with pytest.raises(IllegalTransition):
        plan_transition(machine, action, initial, party)


def test_evaluate_guards_fails_closed_and_names_the_guard():
    t = plan_transition('answer', 'accept', ANS.PENDING, AA)
    lc.evaluate_guards(t, {'request_open': True, 'units_offered_belong_to_state': True, 'extra': False})
    with pytest.raises(GuardFailed) as exc:
        lc.evaluate_guards(t, {'request_open': True})  # missing = false
    assert exc.value.guard == 'units_offered_belong_to_state'
    with pytest.raises(GuardFailed, match='request_open'):
        lc.evaluate_guards(t, {'request_open': False, 'units_offered_belong_to_state': True})
    lc.evaluate_guards(plan_transition('request', 'submit', REQ.DRAFT, RQ), {})  # no guards


@pytest.mark.parametrize(('status', 'is_open'), [
    (REQ.DRAFT, False), (REQ.SUBMITTED, True), (REQ.PARTIALLY_MET, True), (REQ.MET, True),
    (REQ.CLOSED, False), (REQ.WITHDRAWN, False),
])
def test_request_open_guard(status, is_open):
    assert lc.request_open(status) is is_open


@pytest.mark.parametrize('status', list(AnswerStatus))
def test_answer_creates_deployments(status):
    assert lc.answer_creates_deployments(status) is (status in {ANS.ACCEPTED, ANS.COUNTER_ACCEPTED})


# --------------------------------------------------------------------------- fulfilment


@pytest.mark.parametrize(('required', 'provided', 'expected'), [
    ({'T1': 1}, {}, 'SUBMITTED'),
    ({'T1': 1}, {'T1': 0}, 'SUBMITTED'),
    ({'T1': 1}, {'NEG': 3}, 'SUBMITTED'),  # something was provided, but nothing that was asked for
    ({'T1': 2}, {'T1': 1}, 'PARTIALLY_MET'),  # part of one quantity
    ({'T1': 1, 'NEG': 1}, {'T1': 1}, 'PARTIALLY_MET'),
    ({'T1': 1, 'NEG': 1}, {'T1': 1, 'NEG': 1}, 'MET'),
    ({'T1': 1, 'NEG': 1}, {'T1': 2, 'NEG': 5, 'K9': 1}, 'MET'),  # over-provision is still MET
    ({'T1': 1, 'NEG': 0}, {'T1': 1}, 'MET'),  # a zero quantity is not a requirement
    ({}, {}, 'SUBMITTED'),
    ({}, {'T1': 1}, 'MET'),
])
def test_request_fulfilment(required, provided, expected):
    assert request_fulfilment(required, provided) == expected


@pytest.mark.parametrize(('required', 'provided', 'exc'), [
    ({'T1': -1}, {}, ValueError),
    ({'T1': 1}, {'T1': -1}, ValueError),
    ({'T1': 1.5}, {}, TypeError),
    ({'T1': 1}, {'T1': True}, TypeError),
])
def test_request_fulfilment_rejects_bad_quantities(required, provided, exc):
    with pytest.raises(exc):
        request_fulfilment(required, provided)


def test_recompute_goes_up_and_down():
    assert ff.recompute_request_status(REQ.SUBMITTED, {'T1': 2}, {'T1': 1}) == REQ.PARTIALLY_MET
    assert ff.recompute_request_status(REQ.PARTIALLY_MET, {'T1': 2}, {'T1': 2}) == REQ.MET
    assert ff.recompute_request_status(REQ.MET, {'T1': 2}, {'T1': 1}) == REQ.PARTIALLY_MET  # a recall
    assert ff.recompute_request_status(REQ.PARTIALLY_MET, {'T1': 2}, {}) == REQ.SUBMITTED
    for status in (REQ.DRAFT, REQ.CLOSED, REQ.WITHDRAWN):
        with pytest.raises(IllegalTransition):
            ff.recompute_request_status(status, {'T1': 1}, {'T1': 1})


def test_computed_target_is_required_and_checked():
    t = plan_transition('request', 'recompute', REQ.SUBMITTED, SY)
    with pytest.raises(ValueError):
        t.next_status(REQ.SUBMITTED)
    with pytest.raises(ValueError):
        t.next_status(REQ.SUBMITTED, 'ON_SCENE')


# --------------------------------------------------------------------------- deployments and readiness

HOLDS = {DEP.ACCEPTED, DEP.MOBILISING, DEP.EN_ROUTE, DEP.ON_SCENE, DEP.STOOD_DOWN, DEP.RECALLED}
FINISHED = {DEP.DECLINED, DEP.RETURNED}
COUNTS = {DEP.ACCEPTED, DEP.MOBILISING, DEP.EN_ROUTE, DEP.ON_SCENE, DEP.STOOD_DOWN, DEP.RETURNED}


@pytest.mark.parametrize('status', list(DeploymentStatus))
def test_deployment_predicates(status):
    assert ff.deployment_holds_unit(status) is (status in HOLDS)
    assert ff.deployment_finished(status) is (status in FINISHED)
    assert ff.counts_towards_fulfilment(status) is (status in COUNTS)
    assert ff.counts_towards_fulfilment(status, recalled=True) is False


def test_a_unit_that_finished_its_task_keeps_the_request_closable():
    """After every unit returned, recompute must not drop the request back to SUBMITTED."""
    required = {'T1': 1}
    provided = {'T1': 1} if ff.counts_towards_fulfilment(DEP.RETURNED) else {}
    status = ff.recompute_request_status(REQ.MET, required, provided)
    plan_transition('request', 'close', status, RQ)


@pytest.mark.parametrize(('held', 'minimum', 'ok'), [
    ('full', 'full', True), ('full', 'limited', True), ('limited', 'limited', True),
    ('limited', 'full', False), (None, 'limited', False), (None, 'full', False),
])
def test_level_satisfies(held, minimum, ok):
    assert ff.level_satisfies(held, minimum) is ok
    assert ff.level_satisfies(None if held is None else CapabilityLevel(held), CapabilityLevel(minimum)) is ok


def test_enum_values():
    assert [r.value for r in choices.Role] == ['admin', 'crisis_centre', 'competent_authority', 'unit_commander',
                                          'training_planner', 'observer']
    assert [s.value for s in choices.ReadinessStatus] == ['READY', 'LIMITED', 'COMMITTED', 'TRAINING', 'UNAVAILABLE']
    assert [s.value for s in choices.AxisLevel] == ['ready', 'partial', 'none']
    assert [s.value for s in choices.CrisisType] == ['hostage_taking', 'aircraft_hijacking', 'maritime_hijacking',
                                                'bus_hijacking', 'train_hijacking', 'terrorist_siege', 'other']
    assert [s.value for s in choices.CounterKind] == ['other_assistance_kind', 'other_units', 'fewer_personnel',
                                                 'later_arrival']
    assert [s.value for s in choices.LegalBasis] == ['DECISION_2008_617', 'PRUM_ART_18', 'BILATERAL']
    assert [s.value for s in choices.AssistanceKind] == ['EQUIPMENT', 'EXPERTISE', 'ACTION_ARMED', 'ACTION_UNARMED']
    assert RequestStatus.PARTIALLY_MET == 'PARTIALLY_MET'  # StrEnum: stores and compares as plain text


# --------------------------------------------------------------------------- costs (Art. 4)


def test_art4_default_requesting_state_bears_transport_and_accommodation():
    terms = CostTerms()
    assert cost_bearer(terms, CostCategory.TRANSPORT) == 'requesting'
    assert cost_bearer(terms, 'ACCOMMODATION') == CostBearer.REQUESTING
    assert all(cost_bearer(terms, c) == 'requesting' for c in CostCategory)


def test_agreed_override_changes_only_its_category():
    terms = CostTerms(overrides={'TRANSPORT': 'sending'})
    assert cost_bearer(terms, CostCategory.TRANSPORT) == 'sending'
    assert cost_bearer(terms, CostCategory.ACCOMMODATION) == 'requesting'
    flipped = CostTerms(default_bearer='sending', overrides={CostCategory.EQUIPMENT: CostBearer.REQUESTING})
    assert cost_bearer(flipped, 'OTHER') == 'sending'
    assert cost_bearer(flipped, 'EQUIPMENT') == 'requesting'
    with pytest.raises(ValueError):
        CostTerms(overrides={'CATERING': 'sending'})
    with pytest.raises(ValueError):
        CostTerms(default_bearer='europol')
    hash(terms)  # frozen terms stay hashable


def test_settlement_across_two_currencies_in_minor_units():
    terms = CostTerms(overrides={CostCategory.EQUIPMENT: CostBearer.SENDING})
    items = [
        ('TRANSPORT', 'EUR', 1_250_050, 'AT', 'SK'),  # Cobra flies to Bratislava, SK pays
        ('ACCOMMODATION', 'eur', 300_000, 'AT', 'SK'),
        ('EQUIPMENT', 'EUR', 99_999, 'AT', 'SK'),  # agreed: AT keeps its equipment costs
        ('TRANSPORT', 'EUR', 10_001, 'HU', 'SK'),
        ('ACCOMMODATION', 'EUR', 40_000, 'SK', 'AT', 'requesting'),  # host paid, host bears: no transfer
        CostItem('TRANSPORT', 'CHF', 7_005, 'CH', 'AT'),
        CostItem('EQUIPMENT', 'CHF', 500, 'CH', 'AT', paid_by='requesting'),  # AT paid a CH cost
    ]
    s = settlement_summary(items, terms)
    assert list(s) == ['CHF', 'EUR']
    eur, chf = s['EUR'], s['CHF']
    assert eur['total'] == 1_250_050 + 300_000 + 99_999 + 10_001 + 40_000
    assert eur['by_bearer'] == {'requesting': 1_250_050 + 300_000 + 10_001 + 40_000, 'sending': 99_999}
    assert eur['by_category'] == {'ACCOMMODATION': 340_000, 'EQUIPMENT': 99_999, 'TRANSPORT': 1_260_051}
    assert eur['balances'] == {'AT': 1_550_050, 'HU': 10_001, 'SK': -1_560_051}
    assert eur['transfers'] == [{'from': 'SK', 'to': 'AT', 'amount_minor': 1_550_050},
                                {'from': 'SK', 'to': 'HU', 'amount_minor': 10_001}]
    assert chf['balances'] == {'AT': -7_005 + 500, 'CH': 7_005 - 500}
    assert chf['transfers'] == [{'from': 'AT', 'to': 'CH', 'amount_minor': 6_505}]
    for bucket in s.values():
        assert all(type(v) is int for v in (bucket['total'], *bucket['by_bearer'].values(),
                                            *bucket['balances'].values()))


@pytest.mark.parametrize(('item', 'exc'), [
    (('TRANSPORT', 'EUR', 12.5, 'AT', 'SK'), TypeError),  # floats are refused, never rounded
    (('TRANSPORT', 'EUR', True, 'AT', 'SK'), TypeError),
    (('TRANSPORT', 'EUR', -1, 'AT', 'SK'), ValueError),
    (('TRANSPORT', 'EURO', 1, 'AT', 'SK'), ValueError),
    (('TRANSPORT', 'EUR', 1, 'AT', 'AT'), ValueError),
    (('CATERING', 'EUR', 1, 'AT', 'SK'), ValueError),
    (('TRANSPORT', 'EUR', 1, 'AT', 'SK', 'europol'), ValueError),
])
def test_settlement_rejects_bad_items(item, exc):
    with pytest.raises(exc):
        settlement_summary([item], CostTerms())


def test_empty_settlement():
    assert settlement_summary([], CostTerms()) == {}


_items = st.tuples(
    st.sampled_from(list(CostCategory)), st.sampled_from(['EUR', 'CHF', 'NOK']),
    st.integers(0, 10**12), st.sampled_from(['AT', 'DE', 'SK']), st.sampled_from(['FR', 'NL']),
    st.sampled_from(list(CostBearer)),
)


@given(items=st.lists(_items, max_size=30),
       overrides=st.dictionaries(st.sampled_from(list(CostCategory)), st.sampled_from(list(CostBearer))))
def test_settlement_conserves_money(items, overrides):
    s = settlement_summary(items, CostTerms(overrides=overrides))
    for currency, bucket in s.items():
        mine = [i for i in items if i[1] == currency]
        assert bucket['total'] == sum(i[2] for i in mine) == sum(bucket['by_bearer'].values())
        assert sum(bucket['balances'].values()) == 0
        net = {}
        for tr in bucket['transfers']:
            assert tr['amount_minor'] > 0
            net[tr['from']] = net.get(tr['from'], 0) - tr['amount_minor']
            net[tr['to']] = net.get(tr['to'], 0) + tr['amount_minor']
        assert {k: v for k, v in bucket['balances'].items() if v} == {k: v for k, v in net.items() if v}


# --------------------------------------------------------------------------- purity


@pytest.mark.parametrize('module', [lc, fulfilment, settlement, choices],
                         ids=['lifecycle', 'fulfilment', 'settlement', 'choices'])
def test_module_imports_only_the_standard_library_and_the_vocabularies(module):
    tree = ast.parse(Path(module.__file__).read_text())
    roots = {alias.name.split('.')[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    roots |= {node.module.split('.')[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    relative = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert roots <= set(sys.stdlib_module_names) | {'__future__'}
    assert relative <= {'choices', 'lifecycle', 'fulfilment', 'settlement', None}
