"""Pure state machines of assistance requests, answers and deployments.

Council Decision 2008/617/JHA ("ATLAS Decision", OJ L 210, 6.8.2008, p. 73) is the reference:

* Art. 1: a special intervention unit (SIU) of one Member State assists another Member State
  when the requesting State invites it and the requested State agrees. The two States agree the
  practical details directly.
* Art. 3(1): a State requests help through its competent authority, stating the nature of the
  assistance and its operational necessity. The requested State's competent authority may
  accept, refuse or propose another kind of assistance.
* Art. 3(2): assistance may be equipment and/or expertise and/or actions on the requesting
  State's territory, using weapons if required.
* Art. 3(3): the assisting officers act in a supporting capacity, under the responsibility,
  authority and direction of the requesting State.
* Art. 4: unless the States agree otherwise, the requesting State bears the operational costs
  of the requested State's units, including transport and accommodation. This wording is marked
  [M] in docs/domain.md: check it against the OJ text before quoting it to users.

The module holds the status enums (the models import them from here, so that each status is
defined once), one transition table per machine, and small pure helpers. It imports only the
standard library. Guards are named here and documented in :data:`GUARDS`. The service works
out each guard's truth from the database and passes the results to :func:`evaluate_guards`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, NamedTuple

from .choices import (
    AnswerStatus,
    CapabilityLevel,
    Choice,
    CostBearer,
    CostCategory,
    DeploymentStatus,
    Party,
    RequestStatus,
)

__all__ = [
    'ANSWER_TRANSITIONS',
    'CREATION_TRANSITIONS',
    'DEPLOYMENT_TRANSITIONS',
    'GUARDS',
    'REQUEST_TRANSITIONS',
    'TRANSITIONS',
    'CostItem',
    'CostTerms',
    'GuardFailed',
    'IllegalTransition',
    'LifecycleError',
    'Machine',
    'PartyNotAllowed',
    'Transition',
    'allowed_actions',
    'answer_creates_deployments',
    'cost_bearer',
    'counts_towards_fulfilment',
    'deployment_finished',
    'deployment_holds_unit',
    'evaluate_guards',
    'level_satisfies',
    'plan_creation',
    'plan_transition',
    'recompute_request_status',
    'request_fulfilment',
    'request_open',
    'settlement_summary',
    'status_enum',
]


# --------------------------------------------------------------------------- statuses


_CAPABILITY_RANK = {CapabilityLevel.LIMITED: 1, CapabilityLevel.FULL: 2}


def level_satisfies(held: CapabilityLevel | str | None, minimum: CapabilityLevel | str) -> bool:
    """Return True if a capability held at ``held`` meets the ``minimum`` a request requires.

    ``held=None`` (the capability is not held at all) never satisfies anything.

    :raise ValueError: if either value is not a :class:`CapabilityLevel`.
    """
    if held is None:
        return False
    return _CAPABILITY_RANK[CapabilityLevel(held)] >= _CAPABILITY_RANK[CapabilityLevel(minimum)]


# --------------------------------------------------------------------------- transitions

Machine = Literal['request', 'answer', 'deployment']

_STATUS_ENUMS: Mapping[str, type[Choice]] = MappingProxyType(
    {'request': RequestStatus, 'answer': AnswerStatus, 'deployment': DeploymentStatus}
)


def status_enum(machine: Machine) -> type[Choice]:
    """Return the status enum of ``machine``.

    :raise ValueError: if ``machine`` is not 'request', 'answer' or 'deployment'.
    """
    try:
        return _STATUS_ENUMS[machine]
    except KeyError:
        raise ValueError(f'unknown machine {machine!r}; expected one of {sorted(_STATUS_ENUMS)}') from None


@dataclass(frozen=True)
class Transition:
    """One row of a transition table.

    :ivar machine: 'request', 'answer' or 'deployment'.
    :ivar action: the verb that the API exposes and the audit log records.
    :ivar source: statuses the action may start from. It is empty for creation rows
        (:data:`CREATION_TRANSITIONS`), which start from nothing.
    :ivar target: the resulting status. ``None`` means either that the status does not change
        (e.g. 'extend'), or, when ``target_fn`` is set, that the target is computed.
    :ivar parties: who may trigger the action.
    :ivar article: the provision of Decision 2008/617/JHA that the row implements.
    :ivar guards: names of conditions (see :data:`GUARDS`) that the service must find true
        before it applies the transition. All must hold.
    :ivar target_fn: name of the pure function that computes the target, if it is computed.
    """

    machine: Machine
    action: str
    source: frozenset[str]
    target: str | None
    parties: frozenset[Party]
    article: str
    guards: tuple[str, ...] = ()
    target_fn: str | None = None

    def next_status(self, current: str, computed: str | None = None) -> str:
        """Return the status after this transition is applied to ``current``.

        :param computed: the computed target, required when ``target_fn`` is set.
        :raise ValueError: if a computed target is missing, or is not a status of this machine.
        """
        enum = status_enum(self.machine)
        if self.target_fn is not None:
            if computed is None:
                raise ValueError(f'{self.action!r} needs the target computed by {self.target_fn}()')
            return enum(computed)
        return enum(current) if self.target is None else enum(self.target)


def _t(
    machine: Machine,
    action: str,
    source: Iterable[str],
    target: str | None,
    parties: Iterable[Party],
    article: str,
    guards: Iterable[str] = (),
    target_fn: str | None = None,
) -> Transition:
    return Transition(machine, action, frozenset(source), target, frozenset(parties), article,
                      tuple(guards), target_fn)


R, A, D, P = RequestStatus, AnswerStatus, DeploymentStatus, Party

#: Guards by name: what each means, with the article it comes from. The service evaluates them.
GUARDS: Mapping[str, str] = MappingProxyType({
    'all_deployments_finished_and_costs_settled': (
        'Every deployment of the request is finished (DECLINED or RETURNED) and the Art. 4 cost '
        'settlement is recorded as settled.'
    ),
    'request_open': (
        'The request is SUBMITTED, PARTIALLY_MET or MET: an addressed State may only answer '
        '(Art. 3(1)), and the requester only decide on a counter-proposal, while the request is '
        'open. See request_open().'
    ),
    'units_offered_belong_to_state': (
        'Every unit offered belongs to the answering State, which offers its own special '
        'intervention units (Art. 1, Art. 2(a)).'
    ),
    'reason_required': 'A refusal states a non-empty reason, so the record shows why assistance was refused (Art. 3(1)).',
    'eta_required': 'A unit that departs records an ETA at the scene, so the requesting State can plan its reception.',
    'on_scene_commander_required': (
        "The requesting State's on-scene commander is named: the unit acts under the "
        "responsibility, authority and direction of the requesting State (Art. 3(3))."
    ),
})

REQUEST_TRANSITIONS: tuple[Transition, ...] = (
    _t('request', 'submit', {R.DRAFT}, R.SUBMITTED, {P.REQUESTER},
       'Art. 3(1): a Member State requests assistance through its competent authority, stating '
       'the nature of the assistance and its operational necessity'),
    _t('request', 'withdraw', {R.DRAFT, R.SUBMITTED, R.PARTIALLY_MET, R.MET}, R.WITHDRAWN, {P.REQUESTER},
       'Art. 1: assistance rests on the invitation of the requesting State, which may withdraw it '
       'at any time before CLOSED'),
    _t('request', 'recompute', {R.SUBMITTED, R.PARTIALLY_MET, R.MET}, None, {P.SYSTEM},
       'Art. 3(1)-(2): the request is met to the extent that units of requested States provide '
       'the assistance asked for', target_fn='request_fulfilment'),
    _t('request', 'close', {R.PARTIALLY_MET, R.MET}, R.CLOSED, {P.REQUESTER},
       'Art. 4: the operation is closed once every unit has returned and the operational costs '
       'have been settled', guards=('all_deployments_finished_and_costs_settled',)),
)

ANSWER_TRANSITIONS: tuple[Transition, ...] = (
    _t('answer', 'accept', {A.PENDING}, A.ACCEPTED, {P.ADDRESSED_AUTHORITY},
       "Art. 3(1): the requested State's competent authority may accept the request",
       guards=('request_open', 'units_offered_belong_to_state')),
    _t('answer', 'refuse', {A.PENDING}, A.REFUSED, {P.ADDRESSED_AUTHORITY},
       "Art. 3(1): the requested State's competent authority may refuse the request",
       guards=('request_open', 'reason_required')),
    _t('answer', 'counter_propose', {A.PENDING}, A.COUNTER_PROPOSED, {P.ADDRESSED_AUTHORITY},
       "Art. 3(1): the requested State's competent authority may propose another kind of assistance",
       guards=('request_open',)),
    _t('answer', 'accept_counter', {A.COUNTER_PROPOSED}, A.COUNTER_ACCEPTED, {P.REQUESTER},
       'Art. 1 and 3(1): assistance needs the agreement of both States; the requesting State '
       'agrees to the other kind of assistance proposed', guards=('request_open',)),
    _t('answer', 'reject_counter', {A.COUNTER_PROPOSED}, A.COUNTER_REJECTED, {P.REQUESTER},
       'Art. 1 and 3(1): without the requesting State agreeing to the other kind of assistance '
       'proposed, no assistance is given', guards=('request_open',)),
)

_UNDERWAY = {D.ACCEPTED, D.MOBILISING, D.EN_ROUTE, D.ON_SCENE}

DEPLOYMENT_TRANSITIONS: tuple[Transition, ...] = (
    _t('deployment', 'unit_accept', {D.ALERTED}, D.ACCEPTED, {P.UNIT_COMMANDER},
       'Art. 3(2): the unit confirms that it can provide the assistance its State agreed to'),
    _t('deployment', 'unit_decline', {D.ALERTED}, D.DECLINED, {P.UNIT_COMMANDER},
       'Art. 3(2): the unit reports that it cannot provide the assistance'),
    _t('deployment', 'mobilise', {D.ACCEPTED}, D.MOBILISING, {P.UNIT_COMMANDER},
       'Art. 1: the unit prepares to assist on the territory of the requesting State'),
    _t('deployment', 'depart', {D.MOBILISING}, D.EN_ROUTE, {P.UNIT_COMMANDER},
       "Art. 1: the unit travels to the requesting State's territory", guards=('eta_required',)),
    _t('deployment', 'arrive', {D.EN_ROUTE}, D.ON_SCENE, {P.UNIT_COMMANDER, P.REQUESTER},
       'Art. 3(3): on arrival the officers act in a supporting capacity under the responsibility, '
       'authority and direction of the requesting State', guards=('on_scene_commander_required',)),
    # Deliberately wider than ON_SCENE: a requester that withdraws, or no longer needs a unit,
    # must be able to release units that are still mobilising or travelling ("partial release").
    _t('deployment', 'stand_down', _UNDERWAY, D.STOOD_DOWN, {P.REQUESTER, P.UNIT_COMMANDER},
       'Art. 3(3): the requesting State, which directs the operation, releases the unit; the '
       'unit commander may also report the task done'),
    _t('deployment', 'return', {D.STOOD_DOWN, D.RECALLED}, D.RETURNED, {P.UNIT_COMMANDER},
       'Art. 1: the unit is back in its own State and the assistance has ended'),
    _t('deployment', 'recall', _UNDERWAY, D.RECALLED, {P.SENDING_STATE},
       'Art. 1 and 3(3): the unit stays under its own State, which may withdraw it; officers act '
       'only within the limits of their national powers'),
    _t('deployment', 'extend', {D.MOBILISING, D.EN_ROUTE, D.ON_SCENE}, None, {P.REQUESTER},
       'Art. 1: the States agree the practical details of the assistance directly, including a '
       'longer duration (recorded by the requester, agreed by the sending State)'),
)

#: How each kind of record comes into being. Their sources are empty, so plan_transition()
#: never matches them: use plan_creation().
CREATION_TRANSITIONS: Mapping[str, Transition] = MappingProxyType({
    'request': _t('request', 'create', (), R.DRAFT, {P.REQUESTER},
                  'Art. 3(1): the competent authority of the requesting State prepares a request'),
    'answer': _t('answer', 'receive', (), A.PENDING, {P.SYSTEM},
                 'Art. 3(1): on submission, each addressed State receives the request'),
    'deployment': _t('deployment', 'alert', (), D.ALERTED, {P.SYSTEM},
                     'Art. 3(1)-(2): when an answer is accepted, or a counter-proposal is accepted, '
                     'each offered unit is alerted'),
})

TRANSITIONS: Mapping[str, tuple[Transition, ...]] = MappingProxyType({
    'request': REQUEST_TRANSITIONS,
    'answer': ANSWER_TRANSITIONS,
    'deployment': DEPLOYMENT_TRANSITIONS,
})

del R, A, D, P


def _check_tables() -> None:
    """Fail at import if a table is malformed (unknown status or guard, duplicate action, no party)."""
    for machine, table in TRANSITIONS.items():
        enum = status_enum(machine)  # type: ignore[arg-type]
        actions = [t.action for t in table]
        if len(actions) != len(set(actions)):
            raise RuntimeError(f'duplicate action in the {machine} table: {actions}')
        for t in (*table, CREATION_TRANSITIONS[machine]):
            for status in (*t.source, *([t.target] if t.target else [])):
                enum(status)  # raises ValueError for a status of another machine
            unknown_guards = set(t.guards) - set(GUARDS)
            if t.machine != machine or not t.parties or unknown_guards or (t.target and t.target_fn):
                raise RuntimeError(f'malformed {machine} transition {t!r}')


_check_tables()


# --------------------------------------------------------------------------- errors


class LifecycleError(Exception):
    """Base class of the lifecycle errors. ``to_dict()`` gives the body of the API's error response."""

    def to_dict(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError


class IllegalTransition(LifecycleError):
    """The action is not allowed from the current status, whoever asks (API: 409 Conflict).

    :ivar allowed_actions: actions legal from ``current`` for any party, sorted.
    """

    def __init__(self, machine: str, action: str, current: str, allowed_actions: list[str]):
        self.machine = machine
        self.action = action
        self.current = current
        self.allowed_actions = list(allowed_actions)
        super().__init__(
            f'{machine}: cannot {action!r} from {current}; allowed: {", ".join(self.allowed_actions) or "none"}'
        )

    def to_dict(self) -> dict:
        return {'error': 'illegal_transition', 'machine': self.machine, 'action': self.action,
                'current': self.current, 'allowed': self.allowed_actions}


class PartyNotAllowed(LifecycleError):
    """The status allows the action, but not for this party (API: 403 Forbidden).

    :ivar allowed_parties: the parties that may take the action, sorted.
    """

    def __init__(self, action: str, party: Party, allowed_parties: Iterable[Party], *,
                 machine: str | None = None, current: str | None = None):
        self.action = action
        self.party = party
        self.allowed_parties = sorted(allowed_parties)
        self.machine = machine
        self.current = current
        super().__init__(
            f'{action!r} may be taken by {", ".join(self.allowed_parties)}, not {party}'
        )

    def to_dict(self) -> dict:
        return {'error': 'party_not_allowed', 'machine': self.machine, 'action': self.action,
                'current': self.current, 'party': str(self.party),
                'allowed_parties': [str(p) for p in self.allowed_parties]}


class GuardFailed(LifecycleError):
    """A guard of the transition does not hold (API: 409, or 422 for missing input)."""

    def __init__(self, transition: Transition, guard: str):
        self.transition = transition
        self.action = transition.action
        self.guard = guard
        self.description = GUARDS[guard]
        super().__init__(f'{transition.machine}: cannot {transition.action!r}: guard {guard!r} failed: '
                         f'{self.description}')

    def to_dict(self) -> dict:
        return {'error': 'guard_failed', 'machine': self.transition.machine, 'action': self.action,
                'guard': self.guard, 'description': self.description}


# --------------------------------------------------------------------------- planning


def _coerce_status(machine: Machine, current: str) -> Choice:
    enum = status_enum(machine)
    try:
        return enum(current)
    except ValueError:
        raise ValueError(f'{current!r} is not a {machine} status; expected one of {[s.value for s in enum]}') from None


def allowed_actions(machine: Machine, current: str, party: Party | str | None = None) -> list[str]:
    """Return the actions legal from ``current``, sorted; only those ``party`` may take if it is given.

    Creation actions ('create', 'receive', 'alert') are never listed: they start from nothing.

    :raise ValueError: for an unknown machine, status or party.
    """
    status = _coerce_status(machine, current)
    who = None if party is None else Party(party)
    return sorted(t.action for t in TRANSITIONS[machine]
                  if status in t.source and (who is None or who in t.parties))


def plan_transition(machine: Machine, action: str, current: str, party: Party | str) -> Transition:
    """Check that ``party`` may take ``action`` on a ``machine`` record in status ``current``.

    It does not evaluate guards: pass the returned transition's ``guards`` to
    :func:`evaluate_guards`.

    :return: the matching :class:`Transition`. Use ``next_status()`` for the new status.
    :raise IllegalTransition: if ``action`` is not allowed from ``current`` for anyone, or is unknown.
    :raise PartyNotAllowed: if the status allows the action, but not for ``party``.
    :raise ValueError: for an unknown machine, status or party.
    """
    status = _coerce_status(machine, current)
    who = Party(party)
    for t in TRANSITIONS[machine]:
        if t.action == action and status in t.source:
            if who not in t.parties:
                raise PartyNotAllowed(action, who, t.parties, machine=machine, current=str(status))
            return t
    raise IllegalTransition(machine, action, str(status), allowed_actions(machine, status))


def plan_creation(machine: Machine, party: Party | str) -> Transition:
    """Return the creation row of ``machine`` (its ``target`` is the initial status).

    The request starts DRAFT (created by the REQUESTER). Each answer starts PENDING and each
    deployment starts ALERTED. The SYSTEM creates both, on submit and on accept/accept_counter.

    :raise PartyNotAllowed: if ``party`` does not create this kind of record.
    """
    status_enum(machine)  # validates the machine name
    t = CREATION_TRANSITIONS[machine]
    who = Party(party)
    if who not in t.parties:
        raise PartyNotAllowed(t.action, who, t.parties, machine=machine)
    return t


def evaluate_guards(transition: Transition, facts: Mapping[str, bool]) -> None:
    """Raise for the first guard of ``transition`` that ``facts`` does not show to be true.

    It fails closed: a guard that is missing from ``facts`` counts as false. Extra facts are ignored.

    :raise GuardFailed: naming the guard and its description.
    """
    for guard in transition.guards:
        if facts.get(guard) is not True:
            raise GuardFailed(transition, guard)


# --------------------------------------------------------------------------- request helpers

_OPEN_REQUEST = frozenset({RequestStatus.SUBMITTED, RequestStatus.PARTIALLY_MET, RequestStatus.MET})


def request_open(status: str) -> bool:
    """The 'request_open' guard: the request is SUBMITTED, PARTIALLY_MET or MET (Art. 3(1))."""
    return RequestStatus(status) in _OPEN_REQUEST


def _quantities(name: str, mapping: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for key, qty in mapping.items():
        if isinstance(qty, bool) or not isinstance(qty, int):
            raise TypeError(f'{name}[{key!r}] must be an int, got {type(qty).__name__}')
        if qty < 0:
            raise ValueError(f'{name}[{key!r}] must be >= 0, got {qty}')
        out[key] = qty
    return out


def request_fulfilment(required: Mapping[str, int], provided: Mapping[str, int]) -> str:
    """Return how far a request is met: 'MET', 'PARTIALLY_MET' or 'SUBMITTED' (Art. 3(1)-(2)).

    :param required: capability code -> quantity that the request asks for. Zero quantities are ignored.
    :param provided: capability code -> quantity provided by units whose commander has accepted
        (see :func:`counts_towards_fulfilment`). Capabilities the request does not ask for are ignored.

    * MET: every required quantity is fully provided.
    * PARTIALLY_MET: something required is provided (even part of one quantity), but not all of it.
    * SUBMITTED: nothing required is provided.

    A request that asks for no quantified capability is MET as soon as anything is provided, and
    SUBMITTED until then.

    :raise TypeError, ValueError: for quantities that are not non-negative ints.
    """
    need = {k: q for k, q in _quantities('required', required).items() if q > 0}
    have = _quantities('provided', provided)
    if not need:
        return RequestStatus.MET if any(have.values()) else RequestStatus.SUBMITTED
    covered = [min(have.get(k, 0), q) for k, q in need.items()]
    if all(c == need[k] for c, k in zip(covered, need, strict=True)):
        return RequestStatus.MET
    if any(covered):
        return RequestStatus.PARTIALLY_MET
    return RequestStatus.SUBMITTED


def recompute_request_status(current: str, required: Mapping[str, int], provided: Mapping[str, int]) -> RequestStatus:
    """Apply the SYSTEM 'recompute' transition: the new status from :func:`request_fulfilment`.

    The result may go down as well as up: a recalled unit makes a MET request PARTIALLY_MET again.

    :raise IllegalTransition: if the request is DRAFT, CLOSED or WITHDRAWN.
    """
    t = plan_transition('request', 'recompute', current, Party.SYSTEM)
    return RequestStatus(t.next_status(current, request_fulfilment(required, provided)))


def answer_creates_deployments(status: str) -> bool:
    """True for ACCEPTED and COUNTER_ACCEPTED answers: one deployment is alerted per offered unit."""
    return AnswerStatus(status) in {AnswerStatus.ACCEPTED, AnswerStatus.COUNTER_ACCEPTED}


# --------------------------------------------------------------------------- deployment helpers

_HOLDING = frozenset({
    DeploymentStatus.ACCEPTED, DeploymentStatus.MOBILISING, DeploymentStatus.EN_ROUTE,
    DeploymentStatus.ON_SCENE, DeploymentStatus.STOOD_DOWN, DeploymentStatus.RECALLED,
})
_FINISHED = frozenset({DeploymentStatus.DECLINED, DeploymentStatus.RETURNED})
_FULFILLING = frozenset({
    DeploymentStatus.ACCEPTED, DeploymentStatus.MOBILISING, DeploymentStatus.EN_ROUTE,
    DeploymentStatus.ON_SCENE, DeploymentStatus.STOOD_DOWN, DeploymentStatus.RETURNED,
})


def deployment_holds_unit(status: str) -> bool:
    """True while the deployment commits the unit (readiness COMMITTED).

    That is from the commander's acceptance until the unit is back: ACCEPTED, MOBILISING,
    EN_ROUTE, ON_SCENE, STOOD_DOWN and RECALLED. ALERTED, DECLINED and RETURNED do not hold it.
    """
    return DeploymentStatus(status) in _HOLDING


def deployment_finished(status: str) -> bool:
    """True when the deployment is over (DECLINED or RETURNED). A request closes only when all are."""
    return DeploymentStatus(status) in _FINISHED


def counts_towards_fulfilment(status: str, *, recalled: bool = False) -> bool:
    """True if a deployment's capabilities count as provided in :func:`request_fulfilment`.

    A unit counts once its commander has accepted it (Art. 3(2)), and keeps counting after it has
    stood down and returned, so that a request whose units have all come home stays MET or
    PARTIALLY_MET and can still be closed. A unit that its State recalled (Art. 1) stops counting.
    A RETURNED status does not show whether the unit was recalled first, so the service passes
    ``recalled=True`` for a deployment that went through RECALLED.
    """
    return not recalled and DeploymentStatus(status) in _FULFILLING


# --------------------------------------------------------------------------- costs (Art. 4)


@dataclass(frozen=True)
class CostTerms:
    """Cost terms agreed for a request (Art. 4).

    Art. 4 sets the default: unless the States concerned agree otherwise, the requesting State
    bears the operational costs of the requested State's units, including transport and
    accommodation. ``overrides`` records what they agreed otherwise, per category.
    """

    default_bearer: CostBearer = CostBearer.REQUESTING
    overrides: Mapping[CostCategory, CostBearer] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'default_bearer', CostBearer(self.default_bearer))
        object.__setattr__(self, 'overrides', MappingProxyType(
            {CostCategory(k): CostBearer(v) for k, v in self.overrides.items()}
        ))


def cost_bearer(terms: CostTerms, category: CostCategory | str) -> CostBearer:
    """Return who bears ``category`` under ``terms``: the override if any, else the default (Art. 4)."""
    cat = CostCategory(category)
    return terms.overrides.get(cat, terms.default_bearer)


class CostItem(NamedTuple):
    """One operational cost of a sending State's unit, in integer minor units (cents).

    ``paid_by`` is the State that actually paid it. By default that is the sending State, whose
    unit incurred the cost. Use 'requesting' for, e.g., accommodation the host booked directly.
    """

    category: CostCategory | str
    currency: str
    amount_minor: int
    sending_state: str
    requesting_state: str
    paid_by: CostBearer | str = CostBearer.SENDING


def settlement_summary(items: Iterable[Iterable], terms: CostTerms) -> dict[str, dict]:
    """Sum cost items per currency and say who owes whom (Art. 4). All amounts are integer minor units.

    Each item is a :class:`CostItem` or a tuple ``(category, currency, amount_minor,
    sending_state, requesting_state[, paid_by])``. When the bearer is not the State that paid,
    the bearer owes the payer the amount. Currencies are never converted or mixed.

    :return: ``{currency: {'total': int, 'by_bearer': {'requesting': int, 'sending': int},
        'by_category': {category: int}, 'balances': {state: int}, 'transfers':
        [{'from': state, 'to': state, 'amount_minor': int}]}}``. In ``balances`` a positive
        number means the State is owed and a negative one that it owes; they sum to zero.
        ``transfers`` nets each pair of States and is sorted. Currencies and states are sorted too.
    :raise TypeError: if an amount is not an int (floats are refused, never rounded).
    :raise ValueError: for a negative amount, a malformed currency, identical States, or an
        unknown category or bearer.
    """
    per: dict[str, dict] = {}
    owed: dict[str, dict[tuple[str, str], int]] = {}
    for raw in items:
        item = CostItem(*raw)
        amount = item.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f'amount_minor must be an int of minor units, got {amount!r}')
        if amount < 0:
            raise ValueError(f'amount_minor must be >= 0, got {amount}')
        currency = str(item.currency).upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise ValueError(f'currency must be an ISO 4217 code, got {item.currency!r}')
        if item.sending_state == item.requesting_state:
            raise ValueError(f'sending and requesting State are both {item.sending_state!r}')
        category = CostCategory(item.category)
        bearer = cost_bearer(terms, category)
        payer = CostBearer(item.paid_by)

        bucket = per.setdefault(currency, {
            'total': 0,
            'by_bearer': {CostBearer.REQUESTING.value: 0, CostBearer.SENDING.value: 0},
            'by_category': {},
            'balances': {},
        })
        bucket['total'] += amount
        bucket['by_bearer'][bearer.value] += amount
        bucket['by_category'][category.value] = bucket['by_category'].get(category.value, 0) + amount
        states = {CostBearer.SENDING: item.sending_state, CostBearer.REQUESTING: item.requesting_state}
        for state in states.values():
            bucket['balances'].setdefault(state, 0)
        if bearer != payer:
            debtor, creditor = states[bearer], states[payer]
            bucket['balances'][debtor] -= amount
            bucket['balances'][creditor] += amount
            pairs = owed.setdefault(currency, {})
            pairs[(debtor, creditor)] = pairs.get((debtor, creditor), 0) + amount

    summary = {}
    for currency in sorted(per):
        bucket = per[currency]
        pairs = owed.get(currency, {})
        transfers = []
        for a, b in sorted({tuple(sorted(p)) for p in pairs}):
            net = pairs.get((a, b), 0) - pairs.get((b, a), 0)
            if net > 0:
                transfers.append({'from': a, 'to': b, 'amount_minor': net})
            elif net < 0:
                transfers.append({'from': b, 'to': a, 'amount_minor': -net})
        summary[currency] = {
            'total': bucket['total'],
            'by_bearer': bucket['by_bearer'],
            'by_category': dict(sorted(bucket['by_category'].items())),
            'balances': dict(sorted(bucket['balances'].items())),
            'transfers': transfers,
        }
    return summary
