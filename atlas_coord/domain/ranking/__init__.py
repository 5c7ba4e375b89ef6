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
   ``out_of_range`` (no transport mode reaches the site, see :mod:`.eta`). A unit that cannot make
   ``needed_by`` is *not* excluded: it ranks after every punctual unit, flagged late.
2. **Bounds** (numpy, remaining units): a haversine distance from the site to every base gives
   proven lower/upper bounds of the exact geodesic (:func:`.geo.exact_bounds_m`), hence bounds of
   the ETA and of the ordering key.
3. **Exact** (pyproj, few units): exact geodesics only where the bounds cannot decide: units near
   the deadline or range limits (so that every unit's lateness is decided exactly), and the units
   that may belong to the top ``limit`` (+1, for the last one's comparison sentence). If at least
   that many units are punctual, only punctual units may rank there; else every punctual unit does
   and the rest come from the late ones, by lateness. Within a group, a unit whose lower key bound
   exceeds the ``limit``-th smallest upper bound has ``limit`` others strictly before it, so it
   cannot rank in the top ``limit``: the shortlist is exactly what an all-exact ranking would give.
4. **Objects** (Python, shortlist only): a :class:`Candidate` per ranked unit (rank, ETA minutes,
   capability fit: what a team proposal weighs), and :class:`RankedUnit` with the route's ETA
   breakdown, readiness effect, score parts and explanation sentences, built when first read
   (:class:`RankedUnits`): a match ranks every candidate for the team but shows ten.

``limit=None`` ranks every candidate exactly and returns them all (the directory's ~40 units).
With a limit, ``candidates`` holds the best ``limit`` and ``candidates_total`` counts them all.
``excluded`` is an :class:`ExcludedUnits` sequence over *every* excluded unit, built lazily: an
item (with its message, which may need an exact ETA) is made when first read. ``len()``,
``excluded_counts`` and iteration work as usual; the response model caps the serialised list
(``max_excluded``). :meth:`RankingResult.top` shortens a full ranking to the ranking a limit
would give, so one ranking serves the team proposal and the board. Every unit is counted once:
``candidates_total + len(excluded) == number of units``.

Score: time to the site first
-----------------------------
``score`` is the unit's **effective minutes**, lower is better::

    score = ETA minutes - min(capability + tier + readiness, max_credit_min)

The ETA includes the notice to move and a TRAINING unit's break-off time (:mod:`.eta`). The credits
are minutes (:class:`ScoreWeights`, overridable under ``[ranking]``), each capped by its weight:

* ``capability`` = ``capability_min`` (15) x cover, cover = weighted mean over requirements of
  level factor x min(1, held quantity / required quantity); critical requirements weigh double.
  Full against limited level is worth 15 x 0.25 = 3.75 min for a single requirement.
* ``tier``: T1 8, T2 5, T3 2 min when the request asks for action (or names no kind); none for a
  request of equipment or expertise only, where team size does not matter.
* ``readiness``: READY (or COMMITTED to this request) 7, LIMITED and TRAINING 0 min.

Their sum is capped at ``max_credit_min`` (30): labels never outweigh more than 30 minutes of
time to the site. ``score_parts`` add up to the score: ``eta`` (minutes), the credits as negative
minutes, and ``credit_cap`` (what the cap took back, >= 0).

Order: punctual units (or all, without a deadline) by score, then ETA; then late units by
lateness (ETA), then score; last the stable key (state, name, id). Each candidate's explanation
ends with the comparison with the next one ("Ranked above RAID: 40 min sooner", "Ranked above X
although 12 min later: tier T1 over T3 (+6 min credit)").

**Dominance property**: if unit A is at least as close as B (nearest base; same transport and
notice), at least as ready (READY = COMMITTED to this request > LIMITED > TRAINING, and no longer
break-off), of a tier at least as high, and holds a superset of B's required capabilities at levels
and quantities at least B's, then A's ETA is at most B's (so A is late only if B is) and its credit
at least B's (every part and the cap are monotone), so A's score is at most B's; A is never
excluded when B is not, and ranks below B only on an exact tie of score and ETA, which the stable
key breaks.
"""

from .index import UnitIndex
from .rank import rank_units
from .score import DEFAULT_WEIGHTS, ScoreWeights
from .types import (
    REASONS,
    Candidate,
    CapabilityFit,
    CapabilityHolding,
    ExcludedUnit,
    ExcludedUnits,
    MatchQuery,
    RankedUnit,
    RankedUnits,
    RankingResult,
    ReadinessEffect,
    Requirement,
    UnitSnapshot,
)

__all__ = [
    'DEFAULT_LIMIT',
    'DEFAULT_WEIGHTS',
    'REASONS',
    'Candidate',
    'CapabilityFit',
    'CapabilityHolding',
    'ExcludedUnit',
    'ExcludedUnits',
    'MatchQuery',
    'RankedUnit',
    'RankedUnits',
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
