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

The module holds one transition table per machine, the planning of a transition (who may take
which action from which status) and its guards; the statuses themselves are the enums of
:mod:`.choices`. Guards are named here and documented in :data:`GUARDS`. The service works out
each guard's truth from the database and passes the results to :func:`evaluate_guards`. How far a
request is met is :mod:`.fulfilment`'s business, the Art. 4 costs :mod:`.settlement`'s. It
imports only the standard library and the vocabularies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from .choices import AnswerStatus, Choice, DeploymentStatus, Party, RequestStatus

__all__ = [
    'ANSWER_TRANSITIONS',
    'CREATION_TRANSITIONS',
    'DEPLOYMENT_TRANSITIONS',
    'GUARDS',
    'REQUEST_TRANSITIONS',
    'TRANSITIONS',
    'GuardFailed',
    'IllegalTransition',
    'LifecycleError',
    'Machine',
    'PartyNotAllowed',
    'Transition',
    'allowed_actions',
    'answer_creates_deployments',
    'evaluate_guards',
    'plan_creation',
    'plan_transition',
    'request_open',
    'status_enum',
]


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
        'open.'
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
    # When the request ends (withdrawn or closed), an answer nobody gave, or a counter-proposal
    # nobody decided, would otherwise stay awaited for ever (and keep a deadline on screens).
    _t('answer', 'lapse', {A.PENDING, A.COUNTER_PROPOSED}, A.LAPSED, {P.SYSTEM},
       'Art. 1 and 3(1): once the requesting State withdraws or closes its request, there is '
       'nothing left to answer or to agree to'),
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
    """Base class of the lifecycle errors; ``services/transitions.py`` turns them into 403/409/422."""


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


class GuardFailed(LifecycleError):
    """A guard of the transition does not hold (API: 409, or 422 for missing input)."""

    def __init__(self, transition: Transition, guard: str):
        self.transition = transition
        self.action = transition.action
        self.guard = guard
        self.description = GUARDS[guard]
        super().__init__(f'{transition.machine}: cannot {transition.action!r}: guard {guard!r} failed: '
                         f'{self.description}')


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


def answer_creates_deployments(status: str) -> bool:
    """True for ACCEPTED and COUNTER_ACCEPTED answers: one deployment is alerted per offered unit."""
    return AnswerStatus(status) in {AnswerStatus.ACCEPTED, AnswerStatus.COUNTER_ACCEPTED}

