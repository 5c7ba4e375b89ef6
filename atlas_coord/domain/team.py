"""Propose the smallest team of units that covers every requirement, arriving as early as possible.

A request often needs more than one unit: negotiators from one state, divers from another. The
proposal is a multi-cover problem with quantities:

* a unit contributes to a requirement the counted quantity it holds (``quantity=None`` counts as
  1) if its level meets the requirement's minimum (a 'limited' holding counts only when the
  requirement's ``min_level`` is 'limited');
* a requirement is covered when its members' contributions add up to its quantity, and, with
  ``redundancy=True``, when a *critical* requirement has at least two different contributing units.

Objective, in this order: the earliest possible latest arrival, then the fewest units, then the
smallest sum of arrival times, then the best ranks. The search walks the candidates' arrival times
in ascending order; at the first time by which the units arriving can cover everything, it solves
the set cover among them: exactly by branch and bound when at most :data:`EXACT_MAX_UNITS` units
matter (and within :data:`NODE_BUDGET` search nodes), greedily with redundant-member pruning beyond.

What no available unit can provide (a missing capability, a short quantity, a single provider of a
critical capability under ``redundancy``) is reported in ``uncovered`` and the team covers the rest.
Imports: standard library and the ranking module only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .eta import DEFAULT_ETA, EtaParams, format_minutes
from .ranking import (
    DEFAULT_WEIGHTS,
    MatchQuery,
    RankedUnit,
    RankingResult,
    ScoreWeights,
    UnitIndex,
    UnitSnapshot,
    rank_units,
)

__all__ = ['EXACT_MAX_UNITS', 'NODE_BUDGET', 'TeamMember', 'TeamProposal', 'Uncovered', 'propose_team']

#: Largest number of relevant units solved exactly; beyond, greedy.
EXACT_MAX_UNITS = 25
#: Search nodes of the exact solver before it settles for the best cover found so far.
NODE_BUDGET = 200_000


@dataclass(frozen=True)
class TeamMember:
    """A proposed unit, what it brings and when it arrives."""

    unit_id: int
    state: str
    name: str
    rank: int
    eta_min: float
    arrival: datetime | None
    mode: str
    contributes: dict[str, int]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            'unit_id': self.unit_id,
            'state': self.state,
            'name': self.name,
            'rank': self.rank,
            'eta_min': round(self.eta_min, 2),
            'arrival': None if self.arrival is None else self.arrival.isoformat(),
            'mode': self.mode,
            'contributes': dict(self.contributes),
            'why': self.why,
        }


@dataclass(frozen=True)
class Uncovered:
    """A requirement no set of available units can meet in full.

    ``kind`` is ``'quantity'`` (short of units holding it) or ``'redundancy'`` (a critical
    requirement that fewer than two available units can provide).
    """

    code: str
    required: int
    available: int
    shortfall: int
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            'code': self.code,
            'required': self.required,
            'available': self.available,
            'shortfall': self.shortfall,
            'kind': self.kind,
            'message': self.message,
        }


@dataclass(frozen=True)
class TeamProposal:
    """The proposed team. ``method`` is 'exact', 'greedy' or 'none' (no member)."""

    members: list[TeamMember]
    latest_arrival: datetime | None
    latest_eta_min: float | None
    uncovered: list[Uncovered]
    redundancy: bool
    method: str
    considered: int
    complete: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def covers_everything(self) -> bool:
        return not self.uncovered

    def to_dict(self) -> dict[str, Any]:
        return {
            'members': [m.to_dict() for m in self.members],
            'latest_arrival': None if self.latest_arrival is None else self.latest_arrival.isoformat(),
            'latest_eta_min': None if self.latest_eta_min is None else round(self.latest_eta_min, 2),
            'uncovered': [u.to_dict() for u in self.uncovered],
            'covers_everything': self.covers_everything,
            'redundancy': self.redundancy,
            'method': self.method,
            'considered': self.considered,
            'complete': self.complete,
            'notes': list(self.notes),
        }


# --------------------------------------------------------------------------- solver


class _Problem:
    """Units (sorted by arrival, rank) with contribution vectors, and capped targets."""

    def __init__(self, arrivals: list[float], ranks: list[int], contrib: list[tuple[int, ...]],
                 targets: list[int], needs: list[int]) -> None:
        self.arrivals, self.ranks, self.contrib = arrivals, ranks, contrib
        self.targets, self.needs = targets, needs
        self.R = len(targets)

    def feasible(self, members: Sequence[int]) -> bool:
        for r in range(self.R):
            total = sum(self.contrib[u][r] for u in members)
            providers = sum(1 for u in members if self.contrib[u][r] > 0)
            if total < self.targets[r] or providers < self.needs[r]:
                return False
        return True

    def key(self, members: Sequence[int]) -> tuple:
        return (len(members), sum(self.arrivals[u] for u in members), tuple(sorted(self.ranks[u] for u in members)))


def _greedy(p: _Problem, pool: list[int]) -> list[int] | None:
    chosen: list[int] = []
    sums = [0] * p.R
    provs = [0] * p.R
    remaining = list(pool)
    while True:
        unmet = [r for r in range(p.R) if sums[r] < p.targets[r] or provs[r] < p.needs[r]]
        if not unmet:
            break
        best, best_key = None, None
        for u in remaining:
            gain = 0.0
            for r in unmet:
                c = p.contrib[u][r]
                if c <= 0:
                    continue
                deficit = p.targets[r] - sums[r]
                if deficit > 0:
                    gain += min(c, deficit) / p.targets[r]
                if provs[r] < p.needs[r]:
                    gain += 1.0
            if gain <= 0:
                continue
            k = (-gain, p.arrivals[u], p.ranks[u])
            if best_key is None or k < best_key:
                best, best_key = u, k
        if best is None:
            return None
        chosen.append(best)
        remaining.remove(best)
        for r in range(p.R):
            c = p.contrib[best][r]
            sums[r] += c
            provs[r] += c > 0
    # drop members that are not needed, latest arrival (then worst rank) first
    for u in sorted(chosen, key=lambda u: (-p.arrivals[u], -p.ranks[u])):
        rest = [v for v in chosen if v != u]
        if p.feasible(rest):
            chosen = rest
    return sorted(chosen, key=lambda u: (p.arrivals[u], p.ranks[u]))


def _exact(p: _Problem, pool: list[int], start: list[int] | None) -> tuple[list[int] | None, bool]:
    """Branch and bound over ``pool``; return (best members, finished within the node budget)."""
    best: list[list[int] | None] = [start]
    best_key: list[tuple | None] = [None if start is None else p.key(start)]
    nodes = [0]

    def dfs(chosen: list[int], allowed: list[int], sums: list[int], provs: list[int]) -> bool:
        nodes[0] += 1
        if nodes[0] > NODE_BUDGET:
            return False
        unmet = [r for r in range(p.R) if sums[r] < p.targets[r] or provs[r] < p.needs[r]]
        if not unmet:
            k = p.key(chosen)
            if best_key[0] is None or k < best_key[0]:
                best[0], best_key[0] = sorted(chosen), k
            return True
        lower, pick, pick_count = 1, None, None
        for r in unmet:
            providers = [u for u in allowed if p.contrib[u][r] > 0]
            if not providers:
                return True  # this branch cannot cover r
            deficit = p.targets[r] - sums[r]
            top = sorted((p.contrib[u][r] for u in providers), reverse=True)
            need_q = 0
            acc = 0
            while acc < deficit and need_q < len(top):
                acc += top[need_q]
                need_q += 1
            if acc < deficit or len(providers) < p.needs[r] - provs[r]:
                return True
            lower = max(lower, need_q, p.needs[r] - provs[r])
            if pick_count is None or len(providers) < pick_count:
                pick, pick_count = providers, len(providers)
        if best_key[0] is not None and len(chosen) + lower > best_key[0][0]:
            return True
        assert pick is not None
        banned: set[int] = set()
        for u in pick:
            rest = [v for v in allowed if v != u and v not in banned]
            new_sums = [s + c for s, c in zip(sums, p.contrib[u], strict=True)]
            new_provs = [n + (c > 0) for n, c in zip(provs, p.contrib[u], strict=True)]
            if not dfs([*chosen, u], rest, new_sums, new_provs):
                return False
            banned.add(u)
        return True

    finished = dfs([], list(pool), [0] * p.R, [0] * p.R)
    return best[0], finished


# --------------------------------------------------------------------------- entry point


def propose_team(
    query: MatchQuery,
    ranking_result_or_units: RankingResult | Sequence[UnitSnapshot] | UnitIndex,
    *,
    redundancy: bool = False,
    params: EtaParams = DEFAULT_ETA,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> TeamProposal:
    """Propose a team for ``query`` from a ranking result or from units (ranked here, unlimited).

    A :class:`RankingResult` made with a ``limit`` offers only its shown candidates
    (``complete=False`` on the proposal then). With no requirement at all, the team is the single
    earliest-arriving candidate.
    """
    if isinstance(ranking_result_or_units, RankingResult):
        result = ranking_result_or_units
    else:
        result = rank_units(query, ranking_result_or_units, params=params, limit=None, weights=weights)
    complete = len(result.candidates) == result.candidates_total
    cands: list[RankedUnit] = sorted(result.candidates, key=lambda c: (c.eta.total_min, c.rank))
    reqs = query.requirements
    notes: list[str] = []
    if not complete:
        notes.append(f'Only the {len(result.candidates)} shown of {result.candidates_total} candidates were considered')

    if not reqs:
        if not cands:
            return TeamProposal([], None, None, [], redundancy, 'none', 0, complete, notes)
        c = cands[0]
        member = _member(c, {}, 'Earliest arrival; the request names no specific capability')
        return TeamProposal([member], c.eta.arrival, c.eta.total_min, [], redundancy, 'exact', len(cands),
                            complete, notes)

    contrib_all = []
    for c in cands:
        fits = {f.code: f for f in c.capability_fit}
        row = []
        for r in reqs:
            f = fits.get(r.code)
            meets = f is not None and f.held_level is not None and (
                f.held_level == 'full' or r.min_level == 'limited')
            held = 0 if f is None or f.held_level is None else (1 if f.held_quantity is None else f.held_quantity)
            row.append(held if meets else 0)
        contrib_all.append(tuple(row))

    # what the whole candidate set can provide
    uncovered: list[Uncovered] = []
    targets, needs = [], []
    for j, r in enumerate(reqs):
        total = sum(row[j] for row in contrib_all)
        providers = sum(1 for row in contrib_all if row[j] > 0)
        level = 'full level' if r.min_level == 'full' else 'any level'
        target = min(r.quantity, total)
        need = 0 if target == 0 else 1
        if total < r.quantity:
            if total == 0:
                msg = f'No available unit holds {r.code} at {level}'
            else:
                msg = f'Available units hold only {total} of the {r.quantity} {r.code} required ({level})'
            uncovered.append(Uncovered(r.code, r.quantity, total, r.quantity - total, 'quantity', msg))
        if redundancy and r.critical and total > 0:
            if providers < 2:
                uncovered.append(Uncovered(
                    r.code, 2, providers, 2 - providers, 'redundancy',
                    f'Only one available unit can provide critical {r.code}: no redundancy possible'))
            need = min(2, providers)
        targets.append(target)
        needs.append(need)

    # relevant units, sorted by (arrival, rank)
    relevant = [i for i, row in enumerate(contrib_all) if any(c > 0 for c in row)]
    arrivals = [cands[i].eta.total_min for i in relevant]
    p = _Problem(arrivals, [cands[i].rank for i in relevant], [contrib_all[i] for i in relevant], targets, needs)
    if not any(t > 0 for t in targets):
        return TeamProposal([], None, None, uncovered, redundancy, 'none', len(relevant), complete, notes)

    # first arrival threshold at which the arrived units can cover every (capped) target
    sums, provs = [0] * p.R, [0] * p.R
    cut = None
    for k in range(len(relevant)):
        for r in range(p.R):
            c = p.contrib[k][r]
            sums[r] += c
            provs[r] += c > 0
        last = k == len(relevant) - 1 or arrivals[k + 1] != arrivals[k]
        if last and all(sums[r] >= targets[r] and provs[r] >= needs[r] for r in range(p.R)):
            cut = k + 1
            break
    assert cut is not None  # all relevant units together meet the capped targets
    pool = list(range(cut))
    greedy = _greedy(p, pool)
    if len(pool) <= EXACT_MAX_UNITS:
        members, finished = _exact(p, pool, greedy)
        method = 'exact'
        if not finished:
            notes.append(f'Exact search stopped after {NODE_BUDGET:,} nodes; best team found so far')
            method = 'exact-partial'
    else:
        members, method = greedy, 'greedy'
    assert members is not None

    team = []
    for u in sorted(members, key=lambda u: (p.arrivals[u], p.ranks[u])):
        c = cands[relevant[u]]
        gives = {}
        for j, r in enumerate(reqs):
            if p.contrib[u][j] > 0:
                gives[r.code] = gives.get(r.code, 0) + p.contrib[u][j]
        parts = [code if q == 1 else f'{code} x{q}' for code, q in gives.items()]
        why = (f'Provides {", ".join(parts)}; arrives in {format_minutes(c.eta.total_min)} '
               f'by {c.eta.mode.replace("_", " ")}')
        team.append(_member(c, gives, why))
    latest = max(team, key=lambda m: m.eta_min)
    return TeamProposal(team, latest.arrival, latest.eta_min, uncovered, redundancy, method, len(pool),
                        complete, notes)


def _member(c: RankedUnit, gives: dict[str, int], why: str) -> TeamMember:
    return TeamMember(c.unit_id, c.state, c.name, c.rank, c.eta.total_min, c.eta.arrival, c.eta.mode, gives, why)

