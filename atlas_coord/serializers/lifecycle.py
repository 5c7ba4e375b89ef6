"""Wire shapes of the lifecycle errors (:mod:`atlas_coord.domain.lifecycle`).

The services turn these errors into their own 403/409/422 errors (``services/transitions.py``);
these models give the errors' own body where one is reported as it is.
"""

from __future__ import annotations

from typing import Literal

from atlas_coord.domain.lifecycle import GuardFailed, IllegalTransition, LifecycleError, PartyNotAllowed

from . import Out


class IllegalTransitionOut(Out):
    error: Literal['illegal_transition'] = 'illegal_transition'
    machine: str
    action: str
    current: str
    allowed: list[str]


class PartyNotAllowedOut(Out):
    error: Literal['party_not_allowed'] = 'party_not_allowed'
    machine: str | None
    action: str
    current: str | None
    party: str
    allowed_parties: list[str]


class GuardFailedOut(Out):
    error: Literal['guard_failed'] = 'guard_failed'
    machine: str
    action: str
    guard: str
    description: str


def lifecycle_error_out(exc: LifecycleError) -> IllegalTransitionOut | PartyNotAllowedOut | GuardFailedOut:
    """The response model of a lifecycle error.

    :raise TypeError: for a :class:`LifecycleError` subclass without a wire shape.
    """
    if isinstance(exc, IllegalTransition):
        return IllegalTransitionOut(machine=exc.machine, action=exc.action, current=exc.current,
                                    allowed=exc.allowed_actions)
    if isinstance(exc, PartyNotAllowed):
        return PartyNotAllowedOut(machine=exc.machine, action=exc.action, current=exc.current,
                                  party=str(exc.party), allowed_parties=[str(p) for p in exc.allowed_parties])
    if isinstance(exc, GuardFailed):
        return GuardFailedOut(machine=exc.transition.machine, action=exc.action, guard=exc.guard,
                              description=exc.description)
    raise TypeError(f'no wire shape for {type(exc).__name__}')
