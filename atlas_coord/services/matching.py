"""Matching: rank the directory's units for a stored request or a what-if, and propose a team.

The arithmetic lives in :mod:`atlas_coord.domain.ranking` and :mod:`atlas_coord.domain.team`;
this module turns rows into the engine's plain snapshots and checks who may ask.

Dependencies run one way: ``services.requests`` (submission) calls :func:`snapshot_for_request`;
this module reads requests only through ``services.visibility`` (need-to-know), never through
``services.requests``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.eta import DEFAULT_ETA, EtaParams
from atlas_coord.domain.fulfilment import deployment_holds_unit
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import (
    DEFAULT_LIMIT,
    DEFAULT_WEIGHTS,
    CapabilityHolding,
    MatchQuery,
    RankingResult,
    Requirement,
    ScoreWeights,
    UnitSnapshot,
    rank_units,
)
from atlas_coord.domain.ranking.routes import airlift_options, unit_eta_minutes
from atlas_coord.domain.team import TeamProposal, propose_team
from atlas_coord.domain.transport.air import Airlift
from atlas_coord.domain.transport.params import TransportParams
from atlas_coord.domain.transport.sea import ports
from atlas_coord.models import Capability, State, Unit, UnitCapability, UnitStation
from atlas_coord.models.requests import AssistanceRequest, Deployment
from atlas_coord.policy import Action, Actor, can
from atlas_coord.serializers.matching import MatchOut

from .airlift import AirliftRows, airlift_rows, by_state
from .errors import Forbidden, Invalid
from .visibility import load_request


def eta_params_for(settings: Any) -> EtaParams:
    """The configured ETA model (``[eta]``), or the sourced defaults when none is configured."""
    if settings is None or not settings.eta:
        return DEFAULT_ETA
    return EtaParams.from_mapping(settings.eta)


def transport_params_for(settings: Any, params: EtaParams) -> TransportParams:
    """The configured transport model (``[transport]``) with the ETA figures ``params``."""
    values = getattr(settings, "transport", None) if settings is not None else None
    return TransportParams.from_mapping(values or None, params)


# The last airlift table and the rows it was computed from: every match and every submitted
# request reads the table, which changes when the directory's airlift does (a few times a year).
_airlift_kept: tuple[AirliftRows, Mapping[str, tuple[Airlift, ...]]] | None = None


def airlift_for_ranking(session: Session) -> Mapping[str, tuple[Airlift, ...]]:
    """Each state's fixed-wing airlift (own first, then partners') as the transport model's values.

    The rows are read every time; the table is computed again only when they differ from the
    last ones (building it from its rows was a seventh of a raise's CPU, issue #18)."""
    global _airlift_kept
    rows = airlift_rows(session)
    kept = _airlift_kept
    if kept is not None and kept[0] == rows:
        return kept[1]
    table = MappingProxyType({state: airlift_options(assets) for state, assets in by_state(rows).items()})
    _airlift_kept = (rows, table)
    return table


def score_weights_for(settings: Any) -> ScoreWeights:
    """The configured ranking credits (``[ranking]``), or the defaults when none is configured."""
    if settings is None or not getattr(settings, "ranking", None):
        return DEFAULT_WEIGHTS
    return ScoreWeights.from_mapping(settings.ranking)


def unit_snapshot(unit: Unit, committed_request_id: int | None = None) -> UnitSnapshot:
    return _snapshot(unit, tuple((s.lat, s.lon) for s in unit.stations),
                     {c.capability_code: CapabilityHolding(c.level, c.quantity) for c in unit.capabilities},
                     committed_request_id)


def _snapshot(unit: Any, stations: tuple[tuple[float, float], ...], capabilities: dict[str, CapabilityHolding],
              committed_request_id: int | None) -> UnitSnapshot:
    """A unit's snapshot from a Unit or a row of the same columns, with its stations and holdings."""
    return UnitSnapshot(
        id=unit.id,
        state=unit.state_code,
        name=unit.name,
        lat=unit.lat,
        lon=unit.lon,
        stations=stations,
        tier=unit.tier,
        personnel=unit.personnel,
        air_transport=unit.air_transport,
        notice_domestic_min=unit.notice_domestic_min,
        notice_international_min=unit.notice_international_min,
        capabilities=capabilities,
        readiness=unit.readiness_status,
        break_off_min=unit.readiness_break_off_min,
        committed_request_id=committed_request_id,
    )


def load_snapshots(session: Session) -> list[UnitSnapshot]:
    """Every unit, with the request each committed unit is held by (so it is not 'committed
    elsewhere' when matching that same request)."""
    held: dict[int, int] = {}
    for unit_id, request_id, status in session.execute(
        sa.select(Deployment.unit_id, Deployment.request_id, Deployment.status).order_by(Deployment.id)
    ):
        if deployment_holds_unit(status):
            held[unit_id] = request_id
    # Plain rows, not Unit objects: every match and every submitted request reads the whole
    # directory, and building ~75 units with their stations and capabilities as ORM objects cost
    # most of a match's database time (issue #18). Same values and order as unit_snapshot().
    stations: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for unit_id, lat, lon in session.execute(
        sa.select(UnitStation.unit_id, UnitStation.lat, UnitStation.lon).order_by(UnitStation.id)
    ):
        stations[unit_id].append((lat, lon))
    holdings: dict[int, dict[str, CapabilityHolding]] = defaultdict(dict)
    for unit_id, code, level, quantity in session.execute(
        sa.select(UnitCapability.unit_id, UnitCapability.capability_code, UnitCapability.level, UnitCapability.quantity)
        .order_by(UnitCapability.unit_id, UnitCapability.capability_code)
    ):
        holdings[unit_id][code] = CapabilityHolding(level, quantity)
    rows = session.execute(
        sa.select(Unit.id, Unit.state_code, Unit.name, Unit.lat, Unit.lon, Unit.tier, Unit.personnel,
                  Unit.air_transport, Unit.notice_domestic_min, Unit.notice_international_min,
                  Unit.readiness_status, Unit.readiness_break_off_min).order_by(Unit.id)
    )
    return [_snapshot(row, tuple(stations.get(row.id, ())), holdings.get(row.id, {}), held.get(row.id)) for row in rows]


def eta_minutes(
    snapshot: UnitSnapshot,
    lat: float,
    lon: float,
    params: EtaParams | None = None,
    *,
    point_state: str | None = None,
    transport: TransportParams | None = None,
    airlift: Mapping[str, tuple[Airlift, ...]] | None = None,
) -> float | None:
    """The ranking's ETA (notice to move + the transport model's fastest route from any base or
    station, :func:`~atlas_coord.domain.ranking.routes.unit_eta_minutes`) to a point; domestic
    notice to move when the point lies in the unit's own state, else international. ``transport``:
    the configured road and boat figures (default: the model's), with ``params``'s helicopter and
    fixed-wing ones; ``airlift``: each state's aircraft (:func:`airlift_for_ranking`). None when no
    mode reaches the point."""
    params = params or DEFAULT_ETA
    tp = TransportParams(eta=params) if transport is None else dataclasses.replace(transport, eta=params)
    notice = snapshot.notice_domestic_min if point_state == snapshot.state else snapshot.notice_international_min
    return unit_eta_minutes(snapshot, GeoPoint(lat, lon), float(notice), tp, airlift)


def _check_codes(session: Session, codes: list[str], field: str) -> None:
    known = set(session.scalars(sa.select(Capability.code).where(Capability.code.in_(codes))))
    for index, code in enumerate(codes):
        if code not in known:
            raise Invalid(f"unknown capability {code!r}", fields={f"{field}.{index}.code": "unknown capability code"})


def query_for_request(request: AssistanceRequest, *, now: datetime, redundancy: bool = False) -> MatchQuery:
    """A stored request as the engine's query. Stored requirements carry no 'critical' flag, so
    the redundancy option asks for every requirement to be covered twice."""
    return MatchQuery(
        request.crisis.site,
        request.requesting_state,
        tuple(
            Requirement(r.capability_code, r.quantity, r.min_level, critical=redundancy)
            for r in sorted(request.requirements, key=lambda r: r.position)
        ),
        now=now,
        kinds=frozenset(request.kinds or ()),
        needed_by=request.needed_by,
        include_requesting_state=False,
        request_id=request.id,
    )


@dataclass(frozen=True)
class Match:
    """One ranking and the team proposed from it: what the edge serialises (``serializers/matching``)."""

    query: MatchQuery
    params: EtaParams
    result: RankingResult
    team: TeamProposal
    redundancy: bool
    request_id: int | None = None


def _run(session: Session, settings: Any, query: MatchQuery, *, redundancy: bool, limit: int | None,
         request_id: int | None = None) -> Match:
    """Rank every unit once; the team is proposed from the whole ranking, the result shows ``limit``."""
    params = eta_params_for(settings)
    snapshots = load_snapshots(session)
    result = rank_units(query, snapshots, params=params, transport=transport_params_for(settings, params),
                        airlift=airlift_for_ranking(session), limit=None, weights=score_weights_for(settings))
    team = propose_team(query, result, redundancy=redundancy)
    return Match(query, params, result.top(limit), team, redundancy, request_id)


def match_request(
    session: Session, actor: Actor, settings: Any, request_id: int, *, redundancy: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> Match:
    """Candidates, exclusions and a team proposal for a stored request, as of now.

    :raise NotFound: unknown request, or not the actor's business (need-to-know).
    """
    request = load_request(session, actor, request_id)
    query = query_for_request(request, now=datetime.now(UTC), redundancy=redundancy)
    return _run(session, settings, query, redundancy=redundancy, limit=limit, request_id=request.id)


def what_if(session: Session, actor: Actor, settings: Any, body: Any) -> Match:
    """Planners' matching for any site and needs; nothing is stored.

    :raise Forbidden: the actor may not run what-if matching.
    :raise Invalid: unknown state or capability.
    """
    if not can(actor, Action.MATCH_WHAT_IF):
        raise Forbidden("what-if matching is for crisis centres, competent authorities and planners")
    if session.get(State, body.requesting_state) is None:
        raise Invalid(f"unknown state {body.requesting_state!r}", fields={"requesting_state": "unknown state code"})
    _check_codes(session, [r.code for r in body.requirements], "requirements")
    query = MatchQuery(
        GeoPoint(body.site.lat, body.site.lon),
        body.requesting_state,
        tuple(Requirement(r.code, r.quantity, r.min_level.value, r.critical) for r in body.requirements),
        now=datetime.now(UTC),
        kinds=frozenset(k.value for k in body.kinds),
        needed_by=body.needed_by,
        include_requesting_state=body.include_requesting_state,
    )
    return _run(session, settings, query, redundancy=body.redundancy, limit=body.limit)


def snapshot_for_request(session: Session, settings: Any, request: AssistanceRequest) -> dict[str, Any]:
    """The ranking's inputs and outputs at submission, kept on the request for later review."""
    query = query_for_request(request, now=datetime.now(UTC))
    match = _run(session, settings, query, redundancy=False, limit=DEFAULT_LIMIT)
    # Frozen on the request as the match body it was, like an event payload (serializers/matching).
    return {"taken_at": query.now.isoformat(), **MatchOut.of(match).wire()}


def rehearse(session: Session, settings: Any) -> int:
    """Rank the whole directory once for a site at the first unit's base, and discard the result.

    Why: the transport model's tables (airports, land mask, road graph, the directory's bases
    joined to it, the port catalogue) are built on first use, about a second of CPU. A server
    process rehearses before it takes calls, so the first request raised after a restart does
    not wait for them, and they are built before the collector freezes the start-up heap
    (``serving.settle_heap``). Returns how many units were ranked (0 for an empty directory)."""
    snapshots = load_snapshots(session)
    if not snapshots:
        return 0
    first = snapshots[0]
    query = MatchQuery(GeoPoint(first.lat, first.lon), first.state, (), now=datetime.now(UTC),
                       include_requesting_state=True)
    match = _run(session, settings, query, redundancy=False, limit=None)
    ports()
    return match.result.candidates_total + match.result.excluded_total
