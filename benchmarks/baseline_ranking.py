"""FROZEN baseline for the ranking benchmark: ``atlas_coord/domain/ranking.py`` as it was before
the ranking became a package (issue #12), imports made absolute, with the straight-line ETA model it
used (``estimate_eta``, ``eta_minutes_many``, ``EtaParams``' road and fixed-wing figures, moved here
from ``atlas_coord/domain/eta.py`` when the application stopped using them, issue #13). Not used by
the application; the naive geopy loop of ``benchmarks.bench_ranking`` uses its ``estimate_eta``.

``benchmarks.bench_ranking`` times it next to :mod:`atlas_coord.domain.ranking` in the same run,
so the goal "ranking 10k median within 10% of the old code" is measured on the same machine and
load. Do not edit it to follow the new code: it is the yardstick. Its ``to_dict`` methods are left
out (they are not timed). The original docstring follows.

Rank special intervention units for an assistance request: who can help, how well, how soon.

Pure domain code (standard library, numpy, pyproj through :mod:`.geo`). The service layer builds
:class:`UnitSnapshot` and :class:`MatchQuery` values from database rows and serialises the
:class:`RankingResult` with :meth:`RankingResult.to_dict`.

Pipeline of :func:`rank_units`
------------------------------
1. **Masks** (numpy, all units): readiness, commitment, requesting state and capability holdings
   give each unit an exclusion reason or none. Reasons, highest precedence first:
   ``unavailable``, ``committed_elsewhere``, ``requesting_state``, ``no_required_capability``,
   ``out_of_range`` (no transport mode reaches the site, see :mod:`.eta`), ``too_far_for_deadline``.
2. **Bounds** (numpy, remaining units): a haversine distance from the site to every base gives
   proven lower/upper bounds of the exact geodesic (:func:`.geo.exact_bounds_m`), hence bounds of
   the ETA and of the score.
3. **Exact** (pyproj, few units): exact geodesics only where the bounds cannot decide: units near
   the deadline or range limits, and the units that may belong to the top ``limit``. A unit outside
   that set has an upper score bound below the lower bounds of ``limit`` others, so it cannot rank
   in the top ``limit``: the shortlist is exactly what an all-exact ranking would give.
4. **Objects** (Python, shortlist only): :class:`RankedUnit` with ETA breakdown, capability fit,
   readiness effect, score parts and explanation sentences.

``limit=None`` ranks every candidate exactly and returns them all (the directory's ~40 units).
With a limit, ``candidates`` holds the best ``limit`` and ``candidates_total`` counts them all.
``excluded`` is an :class:`ExcludedUnits` sequence over *every* excluded unit, built lazily: an
item (with its message, which may need an exact ETA) is made when first read. ``len()``,
``excluded_counts`` and iteration work as usual; :meth:`RankingResult.to_dict` accepts
``max_excluded`` to cap the serialised list. So every unit is counted exactly once:
``candidates_total + len(excluded) == number of units``.

Score
-----
A documented weighted sum; every part is monotone, so the **dominance property** holds: if unit A
is at least as close as B (nearest base; same transport and notice), at least as ready
(READY = COMMITTED to this request > LIMITED > TRAINING, and no longer break-off), of a tier at
least as high, and holds a superset of B's required capabilities at levels and quantities at least
B's, then A's score is at least B's and A is never excluded when B is not; A ranks below B only on
an exact tie of score and ETA, which the stable key (state, name, id) breaks.

``score = capability + eta + readiness + tier`` (:class:`ScoreWeights`):

* ``capability`` = ``capability`` weight x cover, cover = weighted mean over requirements of
  level factor x min(1, held quantity / required quantity); critical requirements weigh double.
* ``eta`` = ``eta`` weight x H / (H + ETA minutes): half the points at H = 120 min.
* ``readiness``: 0 when READY, a penalty when LIMITED, a larger one in TRAINING.
* ``tier``: a bonus by tier when the request asks for action (or names no kind); none for a
  request of equipment or expertise only, where team size does not matter.

Ties: score descending, total ETA ascending, then state, name and id ascending.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import numpy as np

from atlas_coord.domain.eta import (
    AIR_CODES,
    EtaBreakdown,
    check_number_fields,
    format_minutes,
    helicopter_times,
    params_from_mapping,
)
from atlas_coord.domain.geo import (
    exact_bounds_m,
    geodesic_many_m,
    haversine_from_vectors_m,
    unit_vectors,
    validate_lat_lon,
)

# --------------------------------------------------------------------------- the straight-line ETA model
# Frozen here from atlas_coord/domain/eta.py (issue #13 removed it from the application, whose ETA
# is the transport model's): the baseline's and the naive loop's ETA. Do not edit.

#: Transport modes, in tie-break order (the first wins on equal times).
MODES = ('road', 'helicopter', 'fixed_wing')


@dataclass(frozen=True)
class EtaParams:
    """Every figure of the ETA model. Minutes, kilometres and km/h. Sources: docs/domain.md §6.

    [V] = verified source cited in domain.md, [M] = modelling assumption stated there or here.
    Override any field from the app config with :meth:`from_mapping`.
    """

    # --- readiness
    #: Break-off time of a unit in TRAINING that declared none [M]: one hour, the same order as
    #: GIGN's second alert force ("< 2 h") and well above its first (<= 30 min) [V, domain.md §6].
    training_break_off_default_min: float = 60.0

    # --- road: "no sourced convoy speed"; suggested motorway convoy 80-90 km/h and road distance
    # about 1.3 x great-circle [M, domain.md §6 "Road"].
    road_detour_factor: float = 1.3
    road_speed_kmh: float = 85.0
    #: Beyond this great-circle distance road is not offered (sea crossings, e.g. Reykjavík, Nicosia,
    #: make longer drives unrealistic) [M].
    road_max_km: float = 2500.0

    # --- helicopter: "typical planning value 230-260 km/h for medium twins"; Super Puma about
    # 270-300 km/h block speed; H225 cruise 263 km/h, range 850 km; H125 range 630 km [V, §6].
    helicopter_speed_kmh: float = 250.0
    #: Great-circle kilometres flown before a refuelling: "refuelling every 500-600 km" [M, §6].
    helicopter_range_km: float = 550.0
    #: Minutes per refuelling stop (one per leg after the first) [M].
    helicopter_refuel_min: float = 25.0
    #: "20 min take-off and landing overhead" [M, §6 "Suggested model"].
    helicopter_overhead_min: float = 20.0
    #: Ground transfer to the helipad; 0 because SIU bases of the directory have their own or the
    #: helicopter picks the team up [M].
    helicopter_transfer_min: float = 0.0
    #: Routing factor on the great-circle distance; 1.0 because block speed already includes it [M].
    helicopter_routing_factor: float = 1.0
    #: Beyond this great-circle distance helicopters are not used (three legs of 550 km at most,
    #: crew duty and ferry logistics) [M].
    helicopter_max_km: float = 1200.0

    # --- fixed wing: C-130J about 640 km/h; "add roughly 60-90 min for loading, clearances and
    # unloading"; "distance/speed x 1.1 routing"; "transfer to an airfield ... final road leg" [M, §6].
    fixed_wing_transfer_min: float = 15.0
    fixed_wing_overhead_min: float = 75.0
    fixed_wing_routing_factor: float = 1.1
    fixed_wing_speed_kmh: float = 640.0
    fixed_wing_final_road_min: float = 30.0
    #: Beyond this great-circle distance fixed wing is not offered (far outside Europe) [M].
    fixed_wing_max_km: float = 8000.0

    def __post_init__(self) -> None:
        check_number_fields(self, 'ETA')

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EtaParams:
        """Return the defaults overridden by ``values`` (e.g. a config section).

        :raise ValueError: naming the key, for an unknown key or an invalid value.
        """
        return params_from_mapping(cls, values, 'ETA')


DEFAULT_ETA = EtaParams()


def _mode_times(distance_km: float, air: str, p: EtaParams) -> dict[str, tuple[float, float, float, int]]:
    """Return ``{mode: (transfer, overhead, travel, legs)}`` for the modes available at this distance."""
    out: dict[str, tuple[float, float, float, int]] = {}
    if distance_km <= p.road_max_km:
        out['road'] = (0.0, 0.0, distance_km * p.road_detour_factor / p.road_speed_kmh * 60.0, 1)
    if air == 'helicopter' and distance_km <= p.helicopter_max_km:
        out['helicopter'] = helicopter_times(distance_km, p)
    if air == 'fixed_wing' and distance_km <= p.fixed_wing_max_km:
        travel = distance_km * p.fixed_wing_routing_factor / p.fixed_wing_speed_kmh * 60.0
        transfer = p.fixed_wing_transfer_min + p.fixed_wing_final_road_min
        out['fixed_wing'] = (transfer, p.fixed_wing_overhead_min, travel, 1)
    return out


def estimate_eta(
    distance_m: float,
    *,
    air_transport: str = 'none',
    notice_min: float,
    break_off_min: float = 0.0,
    now: datetime | None = None,
    params: EtaParams = DEFAULT_ETA,
) -> EtaBreakdown | None:
    """Return the fastest mode's breakdown, or None if no mode reaches ``distance_m``.

    ``notice_min`` is the unit's notice to move (domestic or international, chosen by the caller),
    ``break_off_min`` the time a unit in training needs to break off (0 otherwise).

    :raise ValueError: for an unknown ``air_transport`` or a negative distance.
    """
    if air_transport not in AIR_CODES:
        raise ValueError(f"'air_transport' must be one of {', '.join(AIR_CODES)}, got {air_transport!r}")
    if not distance_m >= 0:
        raise ValueError(f"'distance_m' must be >= 0, got {distance_m!r}")
    distance_km = float(distance_m) / 1000.0
    times = _mode_times(distance_km, air_transport, params)
    if not times:
        return None
    best_mode, best_total = None, math.inf
    for mode in MODES:  # strict < keeps the earlier mode on ties
        if mode in times:
            transfer, overhead, travel, _legs = times[mode]
            total = transfer + overhead + travel
            if total < best_total:
                best_mode, best_total = mode, total
    assert best_mode is not None
    transfer, overhead, travel, legs = times[best_mode]
    total = float(notice_min) + float(break_off_min) + best_total
    if best_mode == 'road':
        route_km = distance_km * params.road_detour_factor
    elif best_mode == 'helicopter':
        route_km = distance_km * params.helicopter_routing_factor
    else:
        route_km = distance_km * params.fixed_wing_routing_factor
    return EtaBreakdown(
        mode=best_mode,
        distance_km=distance_km,
        route_km=route_km,
        mobilisation_min=float(notice_min),
        break_off_min=float(break_off_min),
        transfer_min=transfer,
        overhead_min=overhead,
        travel_min=travel,
        legs=legs,
        refuel_stops=legs - 1,
        total_min=total,
        arrival=None if now is None else now + timedelta(minutes=total),
    )


def eta_minutes_many(
    distance_m: np.ndarray,
    air_code: np.ndarray,
    fixed_min: np.ndarray,
    params: EtaParams = DEFAULT_ETA,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`estimate_eta`: return ``(total_min, mode_index)`` arrays.

    ``air_code`` holds :data:`AIR_CODES` values; ``fixed_min`` is notice + break-off per unit, added
    in that order by the caller. ``total_min`` is ``inf`` where no mode reaches (``mode_index``
    -1 there); otherwise ``mode_index`` indexes :data:`MODES`.
    """
    p = params
    d_km = np.asarray(distance_m, dtype=np.float64) / 1000.0
    # road, for every unit
    best = d_km * p.road_detour_factor
    best /= p.road_speed_kmh
    best *= 60.0
    best[d_km > p.road_max_km] = np.inf
    mode = np.zeros(d_km.shape, dtype=np.int8)
    # helicopter, on the helicopter units only (in-place steps keep the scalar operation order)
    h = np.flatnonzero(air_code == 1)
    if h.size:
        dh = d_km[h]
        heli = np.ceil(dh / p.helicopter_range_km)
        np.maximum(heli, 1.0, out=heli)  # legs
        heli -= 1.0
        heli *= p.helicopter_refuel_min
        heli += p.helicopter_overhead_min  # overhead
        heli += p.helicopter_transfer_min  # transfer + overhead
        travel = dh * p.helicopter_routing_factor
        travel /= p.helicopter_speed_kmh
        travel *= 60.0
        heli += travel
        heli[dh > p.helicopter_max_km] = np.inf
        better = heli < best[h]
        hb = h[better]
        best[hb] = heli[better]
        mode[hb] = 1
    # fixed wing, on the fixed-wing units only
    f = np.flatnonzero(air_code == 2)
    if f.size:
        df = d_km[f]
        travel = df * p.fixed_wing_routing_factor
        travel /= p.fixed_wing_speed_kmh
        travel *= 60.0
        fw = (p.fixed_wing_transfer_min + p.fixed_wing_final_road_min) + p.fixed_wing_overhead_min + travel
        fw[df > p.fixed_wing_max_km] = np.inf
        better = fw < best[f]
        fb = f[better]
        best[fb] = fw[better]
        mode[fb] = 2
    mode[np.isinf(best)] = -1
    total = fixed_min + best
    return total, mode


__all__ = [
    'DEFAULT_LIMIT',
    'DEFAULT_WEIGHTS',
    'KINDS',
    'LEVELS',
    'READINESS',
    'REASONS',
    'CapabilityFit',
    'CapabilityHolding',
    'ExcludedUnit',
    'ExcludedUnits',
    'MatchQuery',
    'RankedUnit',
    'RankingResult',
    'ReadinessEffect',
    'Requirement',
    'ScoreWeights',
    'UnitIndex',
    'UnitSnapshot',
    'rank_units',
]

#: A sensible ``limit`` for boards and APIs over large directories.
DEFAULT_LIMIT = 50
LEVELS = ('full', 'limited')
READINESS = ('READY', 'LIMITED', 'TRAINING', 'COMMITTED', 'UNAVAILABLE')
KINDS = frozenset({'EQUIPMENT', 'EXPERTISE', 'ACTION_ARMED', 'ACTION_UNARMED'})
ACTION_KINDS = frozenset({'ACTION_ARMED', 'ACTION_UNARMED'})
#: Exclusion reason codes, in precedence order (a unit gets the first that applies).
REASONS = (
    'unavailable',
    'committed_elsewhere',
    'requesting_state',
    'no_required_capability',
    'out_of_range',
    'too_far_for_deadline',
)
_R_UNAVAILABLE, _R_COMMITTED, _R_STATE, _R_NOCAP, _R_RANGE, _R_DEADLINE = range(1, 7)
_READY, _LIMITED, _TRAINING, _COMMITTED, _UNAVAILABLE = range(5)
_TIER_CODES = {'T1': 1, 'T2': 2, 'T3': 3}
_TIER_NOTES = {
    'T1': 'Tier T1 team (26 members, deliberate hostage rescue)',
    'T2': 'Tier T2 team (19 members)',
    'T3': 'Tier T3 tactical response team (15 members, no deliberate hostage rescue)',
}
_MODE_LABEL = {'road': 'road', 'helicopter': 'helicopter', 'fixed_wing': 'fixed wing'}


# --------------------------------------------------------------------------- input types


@dataclass(frozen=True)
class CapabilityHolding:
    """A capability a unit holds. ``quantity=None`` means not counted: it counts as 1.

    ``quantity=0`` is accepted and treated as not holding the capability.
    """

    level: str
    quantity: int | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"'level' must be 'full' or 'limited', got {self.level!r}")
        if self.quantity is not None and (
            isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 0
        ):
            raise ValueError(f"'quantity' must be None or an integer >= 0, got {self.quantity!r}")

    @property
    def counted(self) -> int:
        """The quantity the matcher counts (None counts as 1)."""
        return 1 if self.quantity is None else self.quantity


@dataclass(frozen=True)
class UnitSnapshot:
    """One unit as the ranking sees it, built by the service layer from the directory."""

    id: int
    state: str
    name: str
    lat: float
    lon: float
    stations: tuple[tuple[float, float], ...] = ()
    tier: str = 'T2'
    personnel: int = 0
    air_transport: str = 'none'
    notice_domestic_min: int = 30
    notice_international_min: int = 180
    capabilities: Mapping[str, CapabilityHolding] = field(default_factory=dict)
    readiness: str = 'READY'
    break_off_min: int | None = None
    committed_request_id: int | None = None

    def __post_init__(self) -> None:
        validate_lat_lon(self.lat, self.lon)
        stations = tuple((float(s[0]), float(s[1])) for s in self.stations)
        for s_lat, s_lon in stations:
            validate_lat_lon(s_lat, s_lon)
        object.__setattr__(self, 'stations', stations)
        if self.readiness not in READINESS:
            raise ValueError(f"'readiness' must be one of {', '.join(READINESS)}, got {self.readiness!r}")
        if self.air_transport not in AIR_CODES:
            raise ValueError(
                f"'air_transport' must be one of {', '.join(AIR_CODES)}, got {self.air_transport!r}"
            )
        for name in ('notice_domestic_min', 'notice_international_min'):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"'{name}' must be a number >= 0, got {value!r}")
        if self.break_off_min is not None and not (
            isinstance(self.break_off_min, int | float) and math.isfinite(self.break_off_min)
            and self.break_off_min >= 0
        ):
            raise ValueError(f"'break_off_min' must be None or a number >= 0, got {self.break_off_min!r}")
        for code, holding in self.capabilities.items():
            if not isinstance(holding, CapabilityHolding):
                raise ValueError(f"capability {code!r} must be a CapabilityHolding, got {holding!r}")

    @property
    def bases(self) -> tuple[tuple[float, float], ...]:
        """Home base first, then the extra stations."""
        return ((float(self.lat), float(self.lon)), *self.stations)


@dataclass(frozen=True)
class Requirement:
    """A capability the request needs: ``quantity`` of ``code`` at ``min_level`` or better."""

    code: str
    quantity: int = 1
    min_level: str = 'limited'
    critical: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"'code' must be a non-empty string, got {self.code!r}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 1:
            raise ValueError(f"'quantity' must be an integer >= 1, got {self.quantity!r}")
        if self.min_level not in LEVELS:
            raise ValueError(f"'min_level' must be 'full' or 'limited', got {self.min_level!r}")


@dataclass(frozen=True)
class MatchQuery:
    """What the requesting state needs, where and by when. ``now`` and later fields are keyword-only."""

    site_lat: float
    site_lon: float
    requesting_state: str
    requirements: tuple[Requirement, ...]
    _: KW_ONLY
    now: datetime
    kinds: frozenset[str] = frozenset()
    needed_by: datetime | None = None
    include_requesting_state: bool = False
    request_id: int | None = None

    def __post_init__(self) -> None:
        try:
            lat, lon = validate_lat_lon(self.site_lat, self.site_lon)
        except ValueError as exc:
            raise ValueError(str(exc).replace("'lat'", "'site_lat'").replace("'lon'", "'site_lon'")) from None
        object.__setattr__(self, 'site_lat', lat)
        object.__setattr__(self, 'site_lon', lon)
        requirements = tuple(self.requirements)
        for r in requirements:
            if not isinstance(r, Requirement):
                raise ValueError(f"'requirements' must hold Requirement values, got {r!r}")
        object.__setattr__(self, 'requirements', requirements)
        kinds = frozenset(self.kinds)
        unknown = kinds - KINDS
        if unknown:
            raise ValueError(f"'kinds' has unknown values: {', '.join(sorted(unknown))}")
        object.__setattr__(self, 'kinds', kinds)
        for name in ('now', 'needed_by'):
            value = getattr(self, name)
            if value is None and name == 'needed_by':
                continue
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"'{name}' must be a timezone-aware datetime, got {value!r}")
            object.__setattr__(self, name, value.astimezone(UTC))

    @property
    def wants_action(self) -> bool:
        """True if the request asks for action on the ground, or names no kind at all."""
        return not self.kinds or bool(self.kinds & ACTION_KINDS)


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the score (points). See the module docstring for the formula."""

    #: Points for covering every requirement fully at full level [M].
    capability: float = 50.0
    #: Points at ETA 0; half of them at ``eta_half_min``. With the default notice to move of
    #: 2-4 h for international help [domain.md §6], capability and speed weigh about the same [M].
    eta: float = 40.0
    eta_half_min: float = 120.0
    #: Level factor of a holding that meets the minimum: full / limited; below a 'full' minimum.
    level_full: float = 1.0
    level_limited: float = 0.75
    level_below_min: float = 0.25
    #: Weight of a critical requirement in the cover (a normal one weighs 1).
    critical_weight: float = 2.0
    #: Readiness part (<= 0). READY and COMMITTED-to-this-request score 0.
    limited_penalty: float = -5.0
    training_penalty: float = -10.0
    #: Tier bonus when the request asks for action.
    tier_t1: float = 5.0
    tier_t2: float = 3.0
    tier_t3: float = 1.0

    def __post_init__(self) -> None:
        if not (self.level_full >= self.level_limited >= self.level_below_min >= 0):
            raise ValueError('level factors must satisfy level_full >= level_limited >= level_below_min >= 0')
        if not (0 >= self.limited_penalty >= self.training_penalty):
            raise ValueError('penalties must satisfy 0 >= limited_penalty >= training_penalty')
        if self.capability < 0 or self.eta < 0 or self.eta_half_min <= 0 or self.critical_weight <= 0:
            raise ValueError('capability and eta weights must be >= 0, eta_half_min and critical_weight > 0')


DEFAULT_WEIGHTS = ScoreWeights()


# --------------------------------------------------------------------------- output types


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class CapabilityFit:
    """How one unit meets one requirement. ``covered`` is True, False or ``'partial'``."""

    code: str
    required_quantity: int
    min_level: str
    critical: bool
    held_level: str | None
    held_quantity: int | None
    covered: bool | str
    credit: float

@dataclass(frozen=True)
class ReadinessEffect:
    """What the unit's readiness does to its ETA and score."""

    status: str
    limited: bool
    break_off_min: float
    penalty: float
    note: str

@dataclass(frozen=True)
class RankedUnit:
    """A candidate unit with everything the board shows and explains."""

    unit_id: int
    state: str
    name: str
    rank: int
    score: float
    score_parts: dict[str, float]
    distance_m: float
    from_station: tuple[float, float]
    eta: EtaBreakdown
    capability_fit: list[CapabilityFit]
    cover: float
    readiness: ReadinessEffect
    tier: str
    explanation: list[str]

    @property
    def limited(self) -> bool:
        return self.readiness.limited

@dataclass(frozen=True)
class ExcludedUnit:
    """A unit left out, with a reason code from :data:`REASONS` and a human message."""

    unit_id: int
    state: str
    name: str
    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

class ExcludedUnits(Sequence[ExcludedUnit]):
    """Lazy, read-only sequence of every excluded unit, ordered by (state, name, id).

    Items are built on first access and cached, because a 100,000-unit ranking may exclude tens
    of thousands of units and building them all would cost more than the ranking itself.
    Compares equal to any sequence holding the same :class:`ExcludedUnit` values.
    """

    def __init__(self, build: Any, positions: np.ndarray, counts: dict[str, int]) -> None:
        self._build = build
        self._positions = positions
        self._cache: dict[int, ExcludedUnit] = {}
        self.counts = counts

    def __len__(self) -> int:
        return int(self._positions.size)

    @overload
    def __getitem__(self, i: int) -> ExcludedUnit: ...
    @overload
    def __getitem__(self, i: slice) -> list[ExcludedUnit]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError('excluded index out of range')
        item = self._cache.get(i)
        if item is None:
            item = self._build(int(self._positions[i]))
            self._cache[i] = item
        return item

    def __iter__(self) -> Iterator[ExcludedUnit]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f'<ExcludedUnits {len(self)} {self.counts}>'

    def by_reason(self, reason: str) -> list[ExcludedUnit]:
        """Every excluded unit with ``reason`` (builds those items)."""
        return [e for e in self if e.reason == reason]


@dataclass(frozen=True)
class RankingResult:
    """Ranked candidates (best first) and every excluded unit.

    ``candidates`` holds at most ``limit`` units; ``candidates_total`` counts every candidate.
    """

    candidates: list[RankedUnit]
    excluded: ExcludedUnits
    candidates_total: int
    excluded_counts: dict[str, int]
    limit: int | None = None

    @property
    def excluded_total(self) -> int:
        return len(self.excluded)

# --------------------------------------------------------------------------- columnar index


class UnitIndex:
    """Columnar numpy arrays of a unit list, built once (:meth:`build`) and reused across queries.

    Building costs a Python pass over the units (about 10 µs a unit); ranking then works on the
    arrays. The index is immutable in practice: rebuild it when the directory changes.
    """

    def __init__(self, units: tuple[UnitSnapshot, ...]) -> None:
        self.units = units
        n = self.n = len(units)
        ids = [u.id for u in units]
        if len(set(ids)) != n:
            dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
            raise ValueError(f'duplicate unit ids: {dupes[:10]}')
        self.ids = np.array(ids, dtype=np.int64)
        self.state_codes: dict[str, int] = {}
        self.state = np.array(
            [self.state_codes.setdefault(u.state, len(self.state_codes)) for u in units], dtype=np.int32
        )
        self.readiness = np.array([READINESS.index(u.readiness) for u in units], dtype=np.int8)
        self.committed_req = np.array(
            [-1 if u.committed_request_id is None else u.committed_request_id for u in units], dtype=np.int64
        )
        self.has_committed_req = np.array([u.committed_request_id is not None for u in units], dtype=bool)
        self.break_off = np.array(
            [np.nan if u.break_off_min is None else u.break_off_min for u in units], dtype=np.float64
        )
        self.notice_dom = np.array([u.notice_domestic_min for u in units], dtype=np.float64)
        self.notice_intl = np.array([u.notice_international_min for u in units], dtype=np.float64)
        self.air = np.array([AIR_CODES[u.air_transport] for u in units], dtype=np.int8)
        self.tier = np.array([_TIER_CODES.get(u.tier, 0) for u in units], dtype=np.int8)

        self.unavailable_pos = np.flatnonzero(self.readiness == _UNAVAILABLE)
        self.committed_pos = np.flatnonzero(self.readiness == _COMMITTED)
        by_state = np.argsort(self.state, kind='stable')
        cuts = np.cumsum(np.bincount(self.state, minlength=len(self.state_codes)))[:-1]
        self.state_pos = dict(enumerate(np.split(by_state, cuts))) if n else {}

        # bases: home base then stations, grouped by unit
        counts = np.array([1 + len(u.stations) for u in units], dtype=np.int64)
        self.base_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.base_start[1:])
        self.multi_base = bool(n) and bool((counts > 1).any())
        if self.multi_base:
            coords = [b for u in units for b in u.bases]
        else:
            coords = [(float(u.lat), float(u.lon)) for u in units]
        arr = np.array(coords, dtype=np.float64).reshape(-1, 2)
        self.base_lat = np.ascontiguousarray(arr[:, 0])
        self.base_lon = np.ascontiguousarray(arr[:, 1])
        self.base_vectors = unit_vectors(self.base_lat, self.base_lon)

        # capabilities: one row per code, level 0 none / 1 limited / 2 full, counted quantity
        codes: dict[str, int] = {}
        for u in units:
            for code in u.capabilities:
                codes.setdefault(code, len(codes))
        self.cap_codes = codes
        self.cap_level = np.zeros((len(codes), n), dtype=np.uint8)
        self.cap_qty = np.zeros((len(codes), n), dtype=np.float64)
        for j, u in enumerate(units):
            for code, h in u.capabilities.items():
                q = h.counted
                if q > 0:
                    row = codes[code]
                    self.cap_level[row, j] = 2 if h.level == 'full' else 1
                    self.cap_qty[row, j] = q

        # stable tie-break key: (state, name, id)
        order = sorted(range(n), key=lambda i: (units[i].state, units[i].name, units[i].id))
        self.order_by_key = np.array(order, dtype=np.int64)
        self.key_rank = np.empty(n, dtype=np.int64)
        self.key_rank[self.order_by_key] = np.arange(n, dtype=np.int64)

    @classmethod
    def build(cls, units: Iterable[UnitSnapshot] | UnitIndex) -> UnitIndex:
        """Return an index of ``units`` (an index is returned unchanged).

        :raise ValueError: on duplicate unit ids or a value that is not a :class:`UnitSnapshot`.
        """
        if isinstance(units, UnitIndex):
            return units
        units = tuple(units)
        for u in units:
            if not isinstance(u, UnitSnapshot):
                raise ValueError(f'expected UnitSnapshot values, got {type(u).__name__}')
        return cls(units)

    def __len__(self) -> int:
        return self.n

    # -- exact distances

    def exact_distances(self, lat: float, lon: float, pos: np.ndarray) -> np.ndarray:
        """Exact geodesic metres from (lat, lon) to the nearest base of each unit in ``pos``."""
        pos = np.asarray(pos, dtype=np.int64)
        if pos.size == 0:
            return np.zeros(0, dtype=np.float64)
        if not self.multi_base:
            return geodesic_many_m(lat, lon, self.base_lat[pos], self.base_lon[pos])
        starts = self.base_start[pos]
        counts = self.base_start[pos + 1] - starts
        offs = np.zeros(pos.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offs[1:])
        base_ids = np.repeat(starts - offs[:-1], counts) + np.arange(offs[-1], dtype=np.int64)
        d = geodesic_many_m(lat, lon, self.base_lat[base_ids], self.base_lon[base_ids])
        return np.minimum.reduceat(d, offs[:-1])

    def nearest_base(self, lat: float, lon: float, i: int) -> tuple[float, tuple[float, float]]:
        """Exact metres to the nearest base of unit ``i`` and that base (the first on ties)."""
        s, e = int(self.base_start[i]), int(self.base_start[i + 1])
        if not self.multi_base:
            s, e = i, i + 1
        d = geodesic_many_m(lat, lon, self.base_lat[s:e], self.base_lon[s:e])
        k = int(np.argmin(d))
        return float(d[k]), (float(self.base_lat[s + k]), float(self.base_lon[s + k]))

    def haversine_unit_m(self, lat: float, lon: float) -> np.ndarray:
        """Great-circle metres from (lat, lon) to every unit's nearest base (approximate)."""
        d = haversine_from_vectors_m(lat, lon, self.base_vectors)
        if self.multi_base:
            d = np.minimum.reduceat(d, self.base_start[:-1])
        return d


# --------------------------------------------------------------------------- ranking


class _Ctx:
    """Per-query values shared by the ranking and the lazy exclusion messages."""

    def __init__(self, query: MatchQuery, index: UnitIndex, params: EtaParams, weights: ScoreWeights):
        self.q, self.idx, self.p, self.w = query, index, params, weights
        self.state_code = index.state_codes.get(query.requesting_state, -1)
        self.budget_min = (
            math.inf if query.needed_by is None else (query.needed_by - query.now).total_seconds() / 60.0
        )
        self.exact = np.full(index.n, np.nan)  # exact distances computed so far, by unit position

    def fixed_many(self, pos: np.ndarray) -> np.ndarray:
        """Notice to move + break-off minutes of the units at ``pos`` (same sum as the scalar ETA)."""
        idx = self.idx
        domestic = idx.state[pos] == self.state_code
        notice = np.where(domestic, idx.notice_dom[pos], idx.notice_intl[pos])
        brk = idx.break_off[pos]
        brk = np.where(np.isnan(brk), self.p.training_break_off_default_min, brk)
        brk[idx.readiness[pos] != _TRAINING] = 0.0
        return notice + brk

    def domestic(self, i: int) -> bool:
        return int(self.idx.state[i]) == self.state_code

    def notice(self, i: int) -> float:
        idx = self.idx
        return float(idx.notice_dom[i] if self.domestic(i) else idx.notice_intl[i])

    def break_off(self, i: int) -> float:
        idx = self.idx
        if idx.readiness[i] != _TRAINING:
            return 0.0
        b = float(idx.break_off[i])
        return self.p.training_break_off_default_min if math.isnan(b) else b

    def exact_distance(self, i: int) -> float:
        d = float(self.exact[i])
        if math.isnan(d):
            d = float(self.idx.exact_distances(self.q.site_lat, self.q.site_lon, np.array([i]))[0])
            self.exact[i] = d
        return d

    def eta_of(self, i: int, distance_m: float) -> EtaBreakdown | None:
        u = self.idx.units[i]
        return estimate_eta(
            distance_m,
            air_transport=u.air_transport,
            notice_min=self.notice(i),
            break_off_min=self.break_off(i),
            now=self.q.now,
            params=self.p,
        )


def _cover_arrays(query: MatchQuery, index: UnitIndex, pos: np.ndarray | None, w: ScoreWeights):
    """Return (cover, held_any) over ``pos`` (None = all units)."""
    n = index.n if pos is None else pos.size
    reqs = query.requirements
    if not reqs:
        return np.ones(n), np.ones(n, dtype=bool)
    acc = np.zeros(n)
    held_any = np.zeros(n, dtype=bool)
    total_w = 0.0
    for r in reqs:
        weight = w.critical_weight if r.critical else 1.0
        total_w += weight
        row = index.cap_codes.get(r.code)
        if row is None:
            continue
        level = index.cap_level[row] if pos is None else index.cap_level[row, pos]
        qty = index.cap_qty[row] if pos is None else index.cap_qty[row, pos]
        held_any |= level > 0
        lut = np.array(
            [0.0, w.level_limited if r.min_level == 'limited' else w.level_below_min, w.level_full]
        )
        ratio = qty / r.quantity
        np.minimum(ratio, 1.0, out=ratio)
        credit = np.take(lut, level)
        credit *= ratio
        credit *= weight
        acc += credit
    return acc / total_w, held_any


def _fit(query: MatchQuery, unit: UnitSnapshot, w: ScoreWeights) -> tuple[list[CapabilityFit], float]:
    """Per-requirement fit and cover of one unit (same arithmetic as :func:`_cover_arrays`)."""
    fits = []
    acc, total_w = 0.0, 0.0
    for r in query.requirements:
        weight = w.critical_weight if r.critical else 1.0
        total_w += weight
        h = unit.capabilities.get(r.code)
        if h is None or h.counted <= 0:
            fits.append(CapabilityFit(r.code, r.quantity, r.min_level, r.critical,
                                      None if h is None else h.level, None if h is None else h.quantity,
                                      False, 0.0))
            continue
        meets = h.level == 'full' or r.min_level == 'limited'
        if h.level == 'full':
            lf = w.level_full
        else:
            lf = w.level_limited if r.min_level == 'limited' else w.level_below_min
        credit = lf * min(1.0, h.counted / r.quantity)
        acc += weight * credit
        covered: bool | str = True if meets and h.counted >= r.quantity else 'partial'
        fits.append(CapabilityFit(r.code, r.quantity, r.min_level, r.critical, h.level, h.quantity,
                                  covered, credit))
    cover = 1.0 if not query.requirements else acc / total_w
    return fits, cover


def _static_parts(ctx: _Ctx, pos: np.ndarray, cover: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w, idx = ctx.w, ctx.idx
    cap = w.capability * cover
    ready_lut = np.array([0.0, w.limited_penalty, w.training_penalty, 0.0, 0.0])
    ready = ready_lut[idx.readiness[pos]]
    if ctx.q.wants_action:
        tier_lut = np.array([0.0, w.tier_t1, w.tier_t2, w.tier_t3])
        tier = tier_lut[idx.tier[pos]]
    else:
        tier = np.zeros(pos.size)
    return cap, ready, tier


_EMPTY = np.zeros(0, dtype=np.int64)


def _reach_km(p: EtaParams) -> np.ndarray:
    """Largest great-circle km any mode reaches, by air code (none, helicopter, fixed wing)."""
    return np.array([p.road_max_km, max(p.road_max_km, p.helicopter_max_km), max(p.road_max_km, p.fixed_wing_max_km)])


def _eta_part(w: ScoreWeights, eta_min: np.ndarray) -> np.ndarray:
    return (w.eta * w.eta_half_min) / (w.eta_half_min + eta_min)


def rank_units(
    query: MatchQuery,
    units: Sequence[UnitSnapshot] | UnitIndex,
    *,
    params: EtaParams = DEFAULT_ETA,
    limit: int | None = None,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> RankingResult:
    """Rank ``units`` for ``query``: the best ``limit`` candidates in full, every exclusion lazily.

    ``units`` is a sequence of :class:`UnitSnapshot` or a prebuilt :class:`UnitIndex` (build it
    once per directory version for large directories). ``limit=None`` returns every candidate and
    computes every exact distance: fine for the directory, slow for 100,000 units, where the
    service should pass a limit (e.g. :data:`DEFAULT_LIMIT`).

    ``result.excluded`` holds every excluded unit but builds each :class:`ExcludedUnit` only when
    read (see :class:`ExcludedUnits`); ``result.excluded_counts`` counts them by reason. Besides the
    reasons of the request workflow, ``out_of_range`` marks a unit no transport mode reaches (no
    road beyond :attr:`EtaParams.road_max_km` and no aircraft that far).

    A COMMITTED unit is a candidate only when ``query.request_id`` is set and equals its
    ``committed_request_id``; it then ranks as READY. The output does not depend on the order of
    ``units``.

    :raise ValueError: on invalid ``limit``, duplicate unit ids or invalid units.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"'limit' must be None or an integer >= 0, got {limit!r}")
    index = UnitIndex.build(units)
    ctx = _Ctx(query, index, params, weights)
    q = query

    # 1. masks, lowest precedence first so that higher ones overwrite
    cover_all, held_any = _cover_arrays(q, index, None, weights)
    reason = np.logical_not(held_any).astype(np.int8)
    reason *= _R_NOCAP
    if not q.include_requesting_state:
        reason[index.state_pos.get(ctx.state_code, _EMPTY)] = _R_STATE
    committed = index.committed_pos
    if q.request_id is not None:
        committed = committed[~(index.has_committed_req[committed]
                                & (index.committed_req[committed] == q.request_id))]
    reason[committed] = _R_COMMITTED
    reason[index.unavailable_pos] = _R_UNAVAILABLE
    alive = np.flatnonzero(reason == 0)

    # 2./3. distances: bounds for many, exact where the bounds cannot decide
    m = alive.size
    budget = ctx.budget_min
    exact_d = np.full(m, np.nan)
    air, fixed = index.air[alive], ctx.fixed_many(alive)
    small = limit is None or m <= max(limit, 64)
    if small:
        exact_d[:] = index.exact_distances(q.site_lat, q.site_lon, alive)
        eta_lo, _ = eta_minutes_many(exact_d, air, fixed, params)
        eta_hi = eta_lo
        d_hi = exact_d
    else:
        hv = index.haversine_unit_m(q.site_lat, q.site_lon)[alive]
        d_lo, d_hi = exact_bounds_m(hv)
        eta_lo, _ = eta_minutes_many(d_lo, air, fixed, params)
        eta_hi = np.full(m, np.nan)  # filled only where needed
        # reachable at d_lo but maybe not at d_hi (same comparisons as eta_minutes_many)
        reach = np.take(_reach_km(params), air)
        unsure = (d_lo / 1000.0 <= reach) & (d_hi / 1000.0 > reach)
        if math.isfinite(budget):
            maybe = np.flatnonzero((eta_lo <= budget) & ~unsure)
            if maybe.size:
                e, _ = eta_minutes_many(d_hi[maybe], air[maybe], fixed[maybe], params)
                eta_hi[maybe] = e
                unsure[maybe[e > budget]] = True
        k = np.flatnonzero(unsure)
        if k.size:
            exact_d[k] = index.exact_distances(q.site_lat, q.site_lon, alive[k])
            e, _ = eta_minutes_many(exact_d[k], air[k], fixed[k], params)
            eta_lo[k] = e
            eta_hi[k] = e
    known = ~np.isnan(exact_d)
    ctx.exact[alive[known]] = exact_d[known]
    out_of_range = np.isinf(eta_lo)
    late = eta_lo > budget
    reason[alive[late]] = _R_DEADLINE
    reason[alive[out_of_range]] = _R_RANGE
    keep = np.flatnonzero(~(out_of_range | late))
    cand = alive[keep]
    exact_d, eta_lo, eta_hi, d_hi = exact_d[keep], eta_lo[keep], eta_hi[keep], d_hi[keep]
    air, fixed = air[keep], fixed[keep]
    cover = cover_all[cand]
    cap, ready, tier = _static_parts(ctx, cand, cover)

    # choose who needs an exact score: whoever may beat the want-th best lower bound
    n_cand = cand.size
    want = n_cand if limit is None else min(limit, n_cand)
    if small or want == 0:
        sel = np.arange(n_cand) if want else np.zeros(0, dtype=np.int64)
    else:
        if want < n_cand:
            score_hi = ((cap + _eta_part(weights, eta_lo)) + ready) + tier
            # lower bounds for a subset give a threshold no higher than the true one: still safe
            sub_size = n_cand if math.isfinite(budget) else min(n_cand, 4 * want + 64)
            sub = np.arange(n_cand) if sub_size == n_cand else np.argpartition(-score_hi, sub_size - 1)[:sub_size]
            missing = sub[np.isnan(eta_hi[sub])]
            if missing.size:
                eta_hi[missing], _ = eta_minutes_many(d_hi[missing], air[missing], fixed[missing], params)
            score_lo = ((cap[sub] + _eta_part(weights, eta_hi[sub])) + ready[sub]) + tier[sub]
            threshold = np.partition(score_lo, sub_size - want)[sub_size - want]
            sel = np.flatnonzero(score_hi >= threshold)
        else:
            sel = np.arange(n_cand)
        todo = sel[np.isnan(exact_d[sel])]
        if todo.size:
            exact_d[todo] = index.exact_distances(q.site_lat, q.site_lon, cand[todo])
    d_sel = exact_d[sel]
    eta_sel, _ = eta_minutes_many(d_sel, air[sel], fixed[sel], params)
    eta_part = _eta_part(weights, eta_sel)
    # Rounded to 1e-9 so that sums equal in exact arithmetic compare equal (a 1-ULP difference
    # between summation orders must not break the dominance property); ties go to the stable key.
    score = np.round(((cap[sel] + eta_part) + ready[sel]) + tier[sel], 9)
    order = np.lexsort((index.key_rank[cand[sel]], eta_sel, -score))[:want]

    candidates = []
    for rank, j in enumerate(order, start=1):
        s = int(sel[j])
        candidates.append(_ranked(ctx, int(cand[s]), rank, float(d_sel[j]), float(cover[s]), float(score[j]), {
            'capability': float(cap[s]),
            'eta': float(eta_part[j]),
            'readiness': float(ready[s]),
            'tier': float(tier[s]),
        }))

    # excluded, in (state, name, id) order, built lazily
    key_order = index.order_by_key
    positions = key_order[reason[key_order] > 0]
    bincount = np.bincount(reason, minlength=len(REASONS) + 1)
    counts = {code: int(bincount[i + 1]) for i, code in enumerate(REASONS) if bincount[i + 1]}
    excluded = ExcludedUnits(lambda i: _excluded(ctx, i, int(reason[i])), positions, counts)
    return RankingResult(candidates, excluded, int(n_cand), counts, limit)


# --------------------------------------------------------------------------- objects


def _ranked(
    ctx: _Ctx, i: int, rank: int, distance_m: float, cover: float, score: float, parts: dict[str, float]
) -> RankedUnit:
    q, idx, w = ctx.q, ctx.idx, ctx.w
    u = idx.units[i]
    if len(u.stations):
        exact, station = idx.nearest_base(q.site_lat, q.site_lon, i)
    else:
        exact, station = distance_m, (float(u.lat), float(u.lon))
    eta = ctx.eta_of(i, exact)
    assert eta is not None
    fits, _cover = _fit(q, u, w)
    code = int(idx.readiness[i])
    if code == _LIMITED:
        note = f'Limited readiness: ranked with a {-w.limited_penalty:g}-point penalty'
    elif code == _TRAINING:
        note = f'In training, can break off within {format_minutes(ctx.break_off(i))}'
    elif code == _COMMITTED:
        note = 'Already committed to this request'
    else:
        note = 'Ready'
    readiness = ReadinessEffect(u.readiness, code == _LIMITED, ctx.break_off(i), parts['readiness'], note)

    explanation = [_cover_sentence(fits)]
    eta_line = eta.summary()
    if station != (float(u.lat), float(u.lon)):
        eta_line += ' (from a secondary station)'
    explanation.append(eta_line)
    scope = 'Domestic' if ctx.domestic(i) else 'International'
    explanation.append(f'{scope} notice to move: {format_minutes(eta.mobilisation_min)}')
    explanation.append(note)
    if q.needed_by is not None and eta.arrival is not None:
        slack = (q.needed_by - eta.arrival).total_seconds() / 60.0
        explanation.append(f'Arrives {format_minutes(slack)} before the deadline' if slack >= 1
                           else 'Arrives just in time for the deadline')
    if parts['tier'] and u.tier in _TIER_NOTES:
        explanation.append(_TIER_NOTES[u.tier])
    return RankedUnit(
        unit_id=u.id, state=u.state, name=u.name, rank=rank, score=score, score_parts=parts,
        distance_m=exact, from_station=station, eta=eta, capability_fit=fits, cover=cover,
        readiness=readiness, tier=u.tier, explanation=explanation,
    )


def _cover_sentence(fits: list[CapabilityFit]) -> str:
    total = len(fits)
    if not total:
        return 'No specific capability required'
    full = [f for f in fits if f.covered is True]
    if len(full) == total:
        text = 'Covers the required capability' if total == 1 else f'Covers all {total} required capabilities'
        limited = [f.code for f in fits if f.held_level == 'limited']
        return text + (f' ({", ".join(limited)} at limited level)' if limited else '')
    bits = []
    missing = [f.code for f in fits if f.covered is False]
    if missing:
        bits.append(f'missing {", ".join(missing)}')
    for f in fits:
        if f.covered == 'partial':
            held_q = 1 if f.held_quantity is None else f.held_quantity
            if f.min_level == 'full' and f.held_level == 'limited':
                bits.append(f'{f.code} only at limited level')
            else:
                bits.append(f'{f.code} {held_q} of {f.required_quantity}')
    return f'Covers {len(full)} of {total} required capabilities ({"; ".join(bits)})'


def _excluded(ctx: _Ctx, i: int, code: int) -> ExcludedUnit:
    q, idx, p = ctx.q, ctx.idx, ctx.p
    u = idx.units[i]
    reason = REASONS[code - 1]
    details: dict[str, Any] = {}
    if code == _R_UNAVAILABLE:
        message = 'Unavailable'
    elif code == _R_COMMITTED:
        if u.committed_request_id is None:
            message = 'Committed to another request'
        else:
            message = f'Committed to request #{u.committed_request_id}'
            details['committed_request_id'] = u.committed_request_id
    elif code == _R_STATE:
        message = f'Belongs to the requesting state {q.requesting_state}'
    elif code == _R_NOCAP:
        codes = list(dict.fromkeys(r.code for r in q.requirements))
        message = f'Holds none of the required capabilities ({", ".join(codes)})'
        details['missing'] = codes
    else:
        d = ctx.exact_distance(i)
        details['distance_m'] = round(d, 1)
        km = d / 1000.0
        if code == _R_RANGE:
            limits = [f'road limit {p.road_max_km:,.0f} km']
            if u.air_transport == 'helicopter':
                limits.append(f'helicopter limit {p.helicopter_max_km:,.0f} km')
            elif u.air_transport == 'fixed_wing':
                limits.append(f'fixed-wing limit {p.fixed_wing_max_km:,.0f} km')
            else:
                limits.append('no aircraft')
            message = f'No transport reaches the site {km:,.0f} km away ({"; ".join(limits)})'
        else:
            eta = ctx.eta_of(i, d)
            assert eta is not None
            assert eta.arrival is not None
            assert q.needed_by is not None
            late = (eta.arrival - q.needed_by).total_seconds() / 60.0
            message = (f'Earliest arrival {eta.arrival:%Y-%m-%d %H:%M} UTC by {_MODE_LABEL[eta.mode]} '
                       f'(ETA {format_minutes(eta.total_min)}) is {format_minutes(late)} after the deadline '
                       f'{q.needed_by:%Y-%m-%d %H:%M} UTC')
            details.update(arrival=eta.arrival.isoformat(), needed_by=q.needed_by.isoformat(),
                           mode=eta.mode, eta_min=round(eta.total_min, 2), late_min=round(late, 2))
    return ExcludedUnit(u.id, u.state, u.name, reason, message, details)
