"""Response models of a ranking: candidates with their ETA, fit and readiness, and exclusions.

Built from the domain values of :mod:`atlas_coord.domain.ranking` by attribute; figures are
rounded here, on the way out (the domain keeps full precision for its comparisons). Values whose fields go out as they are
(:class:`ExcludedUnit`, :class:`ReadinessEffect`) are used as they are. A whole match
(query, ranking, team) is :mod:`.matching`'s model.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from pydantic import PlainSerializer

from atlas_coord.domain.ranking import ExcludedUnit, RankingResult, ReadinessEffect

from . import Out, iso


def _rounded(digits: int) -> Any:
    """A float written with ``digits`` decimals (``round``), as the ranking's figures always were."""
    return Annotated[float, PlainSerializer(partial(round, ndigits=digits), return_type=float)]


Round1, Round2, Round3, Round4, Round6 = (_rounded(n) for n in (1, 2, 3, 4, 6))


#: An aware datetime written as ``datetime.isoformat()`` (``+00:00``, never ``Z``); or null.
IsoTime = Annotated[datetime, PlainSerializer(iso, return_type=str)]
IsoTimeOrNone = Annotated[datetime | None, PlainSerializer(iso, return_type=str | None)]


#: A ``(lat, lon)`` waypoint written as ``[lat, lon]`` with 5 decimals (about a metre).
LatLon = Annotated[tuple[float, float],
                   PlainSerializer(lambda p: [round(p[0], 5), round(p[1], 5)], return_type=list[float])]


class LegOut(Out):
    """One leg of the route: 'road' to 'EBBR', 'flight' EBBR to LPPT, 'ferry' Holyhead to Dublin...

    ``km`` is road km for road legs, great-circle km otherwise; a ``wait`` leg is the time at the
    airfield until the aircraft is ready (see docs/transport.md). ``points`` are the leg's waypoints
    as ``[lat, lon]`` from its start to its end (the station, an airport, a port, the site; a road
    leg also the land waypoints it follows), for drawing the route on a map."""

    mode: str
    from_name: str
    to_name: str
    km: Round1
    minutes: Round1
    points: list[LatLon] = []


class EtaOut(Out):
    """Minutes from the alert to arrival, by component (see :class:`~atlas_coord.domain.eta.EtaBreakdown`),
    and the route leg by leg (``steps``, ``route_summary``: 'road 45 min to EBBR, flight 1 h 50, road 25 min').
    ``mode`` is the route's main mode: road, ferry, shuttle, helicopter, fixed_wing (a flight) or boat."""

    mode: str
    distance_km: Round3
    route_km: Round3
    mobilisation_min: Round2
    break_off_min: Round2
    transfer_min: Round2
    overhead_min: Round2
    travel_min: Round2
    legs: int
    refuel_stops: int
    total_min: Round2
    arrival: IsoTimeOrNone
    steps: list[LegOut] = []
    route_summary: str = ''


class CapabilityFitOut(Out):
    code: str
    required_quantity: int
    min_level: str
    critical: bool
    held_level: str | None
    held_quantity: int | None
    covered: bool | str
    credit: Round4


class RankedUnitOut(Out):
    """A candidate. ``score`` is its effective minutes: the ETA less its capped credit for capability,
    tier and readiness (lower is better; ``score_parts`` add up to it). Units that cannot make the
    deadline come after those that can, ``on_time`` false and ``late_by_min`` set."""

    unit_id: int
    state: str
    name: str
    rank: int
    score: Round6
    score_parts: dict[str, Round6]
    distance_m: Round1
    from_station: tuple[float, float]
    eta: EtaOut
    capability_fit: list[CapabilityFitOut]
    cover: Round6
    readiness: ReadinessEffect
    tier: str
    explanation: list[str]
    on_time: bool
    late_by_min: Round2 | None


class RankingOut(Out):
    """Candidates (at most ``limit``) and excluded units (at most ``max_excluded``), with whole counts."""

    candidates: list[RankedUnitOut]
    candidates_total: int
    candidates_truncated: bool
    excluded: list[ExcludedUnit]
    excluded_total: int
    excluded_counts: dict[str, int]
    excluded_truncated: bool
    limit: int | None

    @classmethod
    def fields_of(cls, result: RankingResult, *, max_excluded: int | None = None) -> dict[str, Any]:
        """The field values of ``result``, for this model or one that extends it."""
        shown = result.excluded if max_excluded is None else result.excluded[:max_excluded]
        return {
            'candidates': [RankedUnitOut.model_validate(c) for c in result.candidates],
            'candidates_total': result.candidates_total,
            'candidates_truncated': len(result.candidates) < result.candidates_total,
            'excluded': list(shown),
            'excluded_total': result.excluded_total,
            'excluded_counts': dict(result.excluded_counts),
            'excluded_truncated': len(shown) < result.excluded_total,
            'limit': result.limit,
        }

    @classmethod
    def of(cls, result: RankingResult, *, max_excluded: int | None = None) -> RankingOut:
        return cls(**cls.fields_of(result, max_excluded=max_excluded))
