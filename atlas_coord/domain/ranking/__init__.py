"""Rank special intervention units for an assistance request: who can help, how well, how soon.

Pure domain code (standard library, numpy, pyproj through :mod:`.geo`). The service layer builds
:class:`UnitSnapshot` and :class:`MatchQuery` values from database rows (the query's site is one
:class:`~atlas_coord.domain.geo.GeoPoint`); the edges serialise the :class:`RankingResult` with
:mod:`atlas_coord.serializers.ranking`.

Modules: :mod:`.types` the input and output values, :mod:`.index` the columnar :class:`UnitIndex`,
:mod:`.score` the weights and score parts, :mod:`.context` the per-query state, :mod:`.rank` the
pipeline below, :mod:`.explain` the explanation sentences and exclusion messages.

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
``excluded_counts`` and iteration work as usual; the response model caps the serialised list
(``max_excluded``). :meth:`RankingResult.top` shortens a full ranking to the ranking a limit
would give, so one ranking serves the team proposal and the board. Every unit is counted once:
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

from .index import UnitIndex
from .rank import rank_units
from .score import DEFAULT_WEIGHTS, ScoreWeights
from .types import (
    REASONS,
    CapabilityFit,
    CapabilityHolding,
    ExcludedUnit,
    ExcludedUnits,
    MatchQuery,
    RankedUnit,
    RankingResult,
    ReadinessEffect,
    Requirement,
    UnitSnapshot,
)

__all__ = [
    'DEFAULT_LIMIT',
    'DEFAULT_WEIGHTS',
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
