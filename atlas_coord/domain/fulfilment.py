"""Fulfilment: how far a request is met by the units that answered it, and which deployments hold a unit.

Art. 3(1)-(2): a request is met to the extent that units of requested States provide the
assistance asked for. :func:`request_fulfilment` works out MET / PARTIALLY_MET / SUBMITTED from
quantities; the deployment predicates say which deployments count, hold their unit (readiness
COMMITTED) or are over. :func:`recompute_request_status` applies the SYSTEM 'recompute' row of
:mod:`.lifecycle` with that result. Imports the standard library, the vocabularies and the machines.
"""

from __future__ import annotations

from collections.abc import Mapping

from .choices import CapabilityLevel, DeploymentStatus, Party, RequestStatus
from .lifecycle import plan_transition

__all__ = [
    'counts_towards_fulfilment',
    'deployment_finished',
    'deployment_holds_unit',
    'level_satisfies',
    'recompute_request_status',
    'request_fulfilment',
]


# --------------------------------------------------------------------------- capability levels


_CAPABILITY_RANK = {CapabilityLevel.LIMITED: 1, CapabilityLevel.FULL: 2}


def level_satisfies(held: CapabilityLevel | str | None, minimum: CapabilityLevel | str) -> bool:
    """Return True if a capability held at ``held`` meets the ``minimum`` a request requires.

    ``held=None`` (the capability is not held at all) never satisfies anything.

    :raise ValueError: if either value is not a :class:`CapabilityLevel`.
    """
    if held is None:
        return False
    return _CAPABILITY_RANK[CapabilityLevel(held)] >= _CAPABILITY_RANK[CapabilityLevel(minimum)]


# --------------------------------------------------------------------------- requests


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
