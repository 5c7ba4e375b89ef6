"""The ranking's contract: what the service hands in (units, query) and what it gets back.

Inputs are validated on creation, so the pipeline never meets a bad value. Outputs are plain
frozen values; their wire shape is :mod:`atlas_coord.serializers.ranking`'s business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar, overload

import numpy as np

from ..choices import ACTION_KINDS, AirTransport, AssistanceKind, CapabilityLevel, ReadinessStatus, Tier
from ..eta import AIR_CODES, EtaBreakdown
from ..geo import GeoPoint, validate_lat_lon

#: Exclusion reason codes, in precedence order (a unit gets the first that applies).
REASONS = (
    'unavailable',
    'committed_elsewhere',
    'requesting_state',
    'no_required_capability',
    'out_of_range',
)
#: The same reasons as the pipeline stores them per unit (0: not excluded). A unit that cannot
#: make the deadline is not excluded: it ranks after those that can, flagged late.
R_UNAVAILABLE, R_COMMITTED, R_STATE, R_NOCAP, R_RANGE = range(1, len(REASONS) + 1)

_T = TypeVar('_T')
_LEVELS = CapabilityLevel.codes()
_READINESS = ReadinessStatus.codes()
_KINDS = frozenset(AssistanceKind.codes())


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CapabilityHolding:
    """A capability a unit holds. ``quantity=None`` means not counted: it counts as 1.

    ``quantity=0`` is accepted and treated as not holding the capability.
    """

    level: str
    quantity: int | None = None

    def __post_init__(self) -> None:
        if self.level not in _LEVELS:
            raise ValueError(f"'level' must be 'full' or 'limited', got {self.level!r}")
        if self.quantity is not None and (
            isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 0
        ):
            raise ValueError(f"'quantity' must be None or an integer >= 0, got {self.quantity!r}")

    @property
    def counted(self) -> int:
        """The quantity the matcher counts (None counts as 1)."""
        return 1 if self.quantity is None else self.quantity


def _finite_minutes(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


@dataclass(frozen=True)
class UnitSnapshot:
    """One unit as the ranking sees it, built by the service layer from the directory."""

    id: int
    state: str
    name: str
    lat: float
    lon: float
    stations: tuple[tuple[float, float], ...] = ()
    tier: str = Tier.T2.value
    personnel: int = 0
    air_transport: str = AirTransport.NONE.value
    notice_domestic_min: int = 30
    notice_international_min: int = 180
    capabilities: Mapping[str, CapabilityHolding] = field(default_factory=dict)
    readiness: str = ReadinessStatus.READY.value
    break_off_min: int | None = None
    committed_request_id: int | None = None

    def __post_init__(self) -> None:
        validate_lat_lon(self.lat, self.lon)
        stations = tuple((float(s[0]), float(s[1])) for s in self.stations)
        for s_lat, s_lon in stations:
            validate_lat_lon(s_lat, s_lon)
        object.__setattr__(self, 'stations', stations)
        if self.readiness not in _READINESS:
            raise ValueError(f"'readiness' must be one of {', '.join(_READINESS)}, got {self.readiness!r}")
        if self.air_transport not in AIR_CODES:
            raise ValueError(
                f"'air_transport' must be one of {', '.join(AIR_CODES)}, got {self.air_transport!r}"
            )
        for name in ('notice_domestic_min', 'notice_international_min'):
            value = getattr(self, name)
            if not _finite_minutes(value):
                raise ValueError(f"'{name}' must be a number >= 0, got {value!r}")
        if self.break_off_min is not None and not _finite_minutes(self.break_off_min):
            raise ValueError(f"'break_off_min' must be None or a number >= 0, got {self.break_off_min!r}")
        for code, holding in self.capabilities.items():
            if not isinstance(holding, CapabilityHolding):
                raise ValueError(f"capability {code!r} must be a CapabilityHolding, got {holding!r}")

    @property
    def home(self) -> tuple[float, float]:
        """The home base as (lat, lon) floats."""
        return float(self.lat), float(self.lon)

    @property
    def bases(self) -> tuple[tuple[float, float], ...]:
        """Home base first, then the extra stations."""
        return (self.home, *self.stations)


@dataclass(frozen=True)
class Requirement:
    """A capability the request needs: ``quantity`` of ``code`` at ``min_level`` or better."""

    code: str
    quantity: int = 1
    min_level: str = CapabilityLevel.LIMITED.value
    critical: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"'code' must be a non-empty string, got {self.code!r}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 1:
            raise ValueError(f"'quantity' must be an integer >= 1, got {self.quantity!r}")
        if self.min_level not in _LEVELS:
            raise ValueError(f"'min_level' must be 'full' or 'limited', got {self.min_level!r}")


def _aware_utc(name: str, value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"'{name}' must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class MatchQuery:
    """What the requesting state needs, where and by when. ``now`` and later fields are keyword-only."""

    site: GeoPoint
    requesting_state: str
    requirements: tuple[Requirement, ...]
    _: KW_ONLY
    now: datetime
    kinds: frozenset[str] = frozenset()
    needed_by: datetime | None = None
    include_requesting_state: bool = False
    request_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.site, GeoPoint):
            raise ValueError(f"'site' must be a GeoPoint, got {self.site!r}")
        requirements = tuple(self.requirements)
        for r in requirements:
            if not isinstance(r, Requirement):
                raise ValueError(f"'requirements' must hold Requirement values, got {r!r}")
        object.__setattr__(self, 'requirements', requirements)
        kinds = frozenset(self.kinds)
        unknown = kinds - _KINDS
        if unknown:
            raise ValueError(f"'kinds' has unknown values: {', '.join(sorted(unknown))}")
        object.__setattr__(self, 'kinds', kinds)
        object.__setattr__(self, 'now', _aware_utc('now', self.now))
        if self.needed_by is not None:
            object.__setattr__(self, 'needed_by', _aware_utc('needed_by', self.needed_by))

    @property
    def wants_action(self) -> bool:
        """True if the request asks for action on the ground, or names no kind at all."""
        return not self.kinds or bool(self.kinds & ACTION_KINDS)


# --------------------------------------------------------------------------- outputs


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
    """What the unit's readiness does to its ETA (break-off) and its credit (``penalty``: minutes
    of credit fewer than a READY unit gets, <= 0)."""

    status: str
    limited: bool
    break_off_min: float
    penalty: float
    note: str


@dataclass(frozen=True)
class RankedUnit:
    """A candidate unit with everything the board shows and explains.

    ``score`` is the unit's effective minutes (ETA less its credit; lower is better) and
    ``score_parts`` add up to it. ``on_time`` is False when the unit cannot make the query's
    ``needed_by``; ``late_by_min`` then says by how much (None when on time or no deadline).
    """

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
    on_time: bool = True
    late_by_min: float | None = None

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


class _Lazy(Sequence[_T]):
    """Read-only sequence whose items are built on first access and kept (``build(key)`` per
    position's key). Compares equal to any sequence holding the same values; a slice is a list."""

    def __init__(self, build: Callable[[int], _T], keys: Sequence[int] | np.ndarray,
                 cache: dict[int, _T] | None = None) -> None:
        self._build = build
        self._keys = keys
        self._cache: dict[int, _T] = {} if cache is None else cache

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, i: int) -> _T: ...
    @overload
    def __getitem__(self, i: slice) -> list[_T]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f'{type(self).__name__} index out of range')
        key = int(self._keys[i])
        item = self._cache.get(key)
        if item is None:
            item = self._build(key)
            self._cache[key] = item
        return item

    def __iter__(self) -> Iterator[_T]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


class ExcludedUnits(_Lazy[ExcludedUnit]):
    """Lazy, read-only sequence of every excluded unit, ordered by (state, name, id).

    Items are built on first access and cached, because a 100,000-unit ranking may exclude tens
    of thousands of units and building them all would cost more than the ranking itself.
    Compares equal to any sequence holding the same :class:`ExcludedUnit` values.
    """

    def __init__(self, build: Callable[[int], ExcludedUnit], positions: np.ndarray, counts: dict[str, int]) -> None:
        super().__init__(build, positions)
        self.counts = counts

    def __repr__(self) -> str:
        return f'<ExcludedUnits {len(self)} {self.counts}>'

    def by_reason(self, reason: str) -> list[ExcludedUnit]:
        """Every excluded unit with ``reason`` (builds those items)."""
        return [e for e in self if e.reason == reason]


def _nothing_to_build(k: int) -> RankedUnit:
    raise IndexError(k)


class Candidate(NamedTuple):
    """A candidate as the ranking ordered it, before its route is planned and its explanation
    written: what a team proposal weighs for every candidate (:mod:`..team`)."""

    unit_id: int
    state: str
    name: str
    rank: int
    #: The ETA minutes the ranking ordered by (the explained :attr:`RankedUnit.eta` sums its
    #: route's legs: the same minutes, to the last bits of a float).
    eta_min: float
    on_time: bool
    capability_fit: list[CapabilityFit]


class RankedUnits(_Lazy[RankedUnit]):
    """The candidates, best first: each :class:`RankedUnit` (route, ETA breakdown, explanation) is
    built when first read, ``facts`` holds every one's :class:`Candidate` at once.

    Why: a match ranks every candidate (the team proposal weighs them all) but shows ten, and
    planning a candidate's route and writing its sentences cost most of a ranking (issue #18).
    """

    def __init__(self, build: Callable[[int], RankedUnit], facts: Sequence[Candidate],
                 cache: dict[int, RankedUnit] | None = None) -> None:
        super().__init__(build, range(len(facts)), cache)
        self.facts = tuple(facts)

    @classmethod
    def empty(cls) -> RankedUnits:
        return cls(_nothing_to_build, ())

    def head(self, n: int) -> RankedUnits:
        """The first ``n`` candidates, sharing what is built already."""
        return RankedUnits(self._build, self.facts[:n], self._cache)

    @property
    def explained(self) -> int:
        """How many candidates (of this ranking, shown or not) are built so far."""
        return len(self._cache)

    def __repr__(self) -> str:
        return f'<RankedUnits {len(self)}, {self.explained} explained>'


@dataclass(frozen=True)
class RankingResult:
    """Ranked candidates (best first) and every excluded unit.

    ``candidates`` holds at most ``limit`` units; ``candidates_total`` counts every candidate.
    """

    candidates: RankedUnits
    excluded: ExcludedUnits
    candidates_total: int
    excluded_counts: dict[str, int]
    limit: int | None = None

    @property
    def excluded_total(self) -> int:
        return len(self.excluded)

    def top(self, limit: int | None) -> RankingResult:
        """The same ranking shortened to the best ``limit`` candidates (None keeps them all).

        A full ranking (``limit=None``) shortened this way equals the ranking made with that
        limit (see :func:`rank_units`), so one ranking serves both the team proposal, which needs
        every candidate, and the board, which shows a shortlist.
        """
        shown = self.candidates if limit is None else self.candidates.head(limit)
        return RankingResult(shown, self.excluded, self.candidates_total, self.excluded_counts, limit)
