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
Units that cannot make the deadline are candidates too (ranked after the punctual ones): since the
team minimises its latest arrival it uses them only when punctual units cannot cover a need, and
says so in ``notes``. A need that only late units can meet is not ``uncovered``: it is listed in
``late_needs`` with the earliest time it could be met.
The proposal reuses the request's ranking (:class:`RankingResult`): the candidates it ranked,
their ETAs and capability fits. It never ranks again. Imports: standard library and the ranking
package only. The wire shape is :mod:`atlas_coord.serializers.team`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .choices import CapabilityLevel
from .eta import format_minutes
from .ranking import Candidate, MatchQuery, RankedUnit, RankingResult, Requirement

__all__ = ['EXACT_MAX_UNITS', 'NODE_BUDGET', 'LateNeed', 'TeamMember', 'TeamProposal', 'Uncovered', 'propose_team']

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


@dataclass(frozen=True)
class LateNeed:
    """A requirement the available units can meet only after the deadline, and when at the earliest."""

    code: str
    earliest_arrival: datetime | None
    earliest_eta_min: float
    late_by_min: float
    units: list[str]
    message: str


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
    late_needs: list[LateNeed] = field(default_factory=list)

    @property
    def covers_everything(self) -> bool:
        return not self.uncovered


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

    def unmet(self, sums: list[int], provs: list[int]) -> list[int]:
        """Requirements whose quantity or number of providers is still short."""
        return [r for r in range(self.R) if sums[r] < self.targets[r] or provs[r] < self.needs[r]]

    def add(self, u: int, sums: list[int], provs: list[int]) -> tuple[list[int], list[int]]:
        """Sums and provider counts with unit ``u`` added."""
        return ([s + c for s, c in zip(sums, self.contrib[u], strict=True)],
                [n + (c > 0) for n, c in zip(provs, self.contrib[u], strict=True)])

    def gain(self, u: int, unmet: list[int], sums: list[int], provs: list[int]) -> float:
        """How much of the unmet quantities and providers unit ``u`` would bring (greedy's measure)."""
        gain = 0.0
        for r in unmet:
            c = self.contrib[u][r]
            if c <= 0:
                continue
            deficit = self.targets[r] - sums[r]
            if deficit > 0:
                gain += min(c, deficit) / self.targets[r]
            if provs[r] < self.needs[r]:
                gain += 1.0
        return gain

    def least_needed(self, r: int, providers: list[int], sums: list[int], provs: list[int]) -> int | None:
        """Fewest more units that can meet requirement ``r`` from ``providers``; None if none can."""
        deficit = self.targets[r] - sums[r]
        top = sorted((self.contrib[u][r] for u in providers), reverse=True)
        need_q, acc = 0, 0
        while acc < deficit and need_q < len(top):
            acc += top[need_q]
            need_q += 1
        if acc < deficit or len(providers) < self.needs[r] - provs[r]:
            return None
        return max(need_q, self.needs[r] - provs[r])


def _greedy(p: _Problem, pool: list[int]) -> list[int] | None:
    """Add the unit that brings most (then arrives first) until covered; drop who is not needed."""
    chosen: list[int] = []
    sums, provs = [0] * p.R, [0] * p.R
    remaining = list(pool)
    while unmet := p.unmet(sums, provs):
        scored = [(-g, p.arrivals[u], p.ranks[u], u) for u in remaining if (g := p.gain(u, unmet, sums, provs)) > 0]
        if not scored:
            return None
        best = min(scored)[3]
        chosen.append(best)
        remaining.remove(best)
        sums, provs = p.add(best, sums, provs)
    # drop members that are not needed, latest arrival (then worst rank) first
    for u in sorted(chosen, key=lambda u: (-p.arrivals[u], -p.ranks[u])):
        rest = [v for v in chosen if v != u]
        if p.feasible(rest):
            chosen = rest
    return sorted(chosen, key=lambda u: (p.arrivals[u], p.ranks[u]))


class _Search:
    """Branch and bound over a pool, starting from a known cover (the greedy one) if any."""

    def __init__(self, p: _Problem, start: list[int] | None) -> None:
        self.p = p
        self.best = start
        self.best_key = None if start is None else p.key(start)
        self.nodes = 0

    def bound(self, unmet: list[int], allowed: list[int], sums: list[int], provs: list[int]):
        """(lower bound on more members, the providers to branch on), or None if ``unmet`` cannot be met."""
        lower, pick = 1, None
        for r in unmet:
            providers = [u for u in allowed if self.p.contrib[u][r] > 0]
            need = self.p.least_needed(r, providers, sums, provs) if providers else None
            if need is None:
                return None
            lower = max(lower, need)
            if pick is None or len(providers) < len(pick):
                pick = providers
        return lower, pick

    def dfs(self, chosen: list[int], allowed: list[int], sums: list[int], provs: list[int]) -> bool:
        """Search below ``chosen``; False once the node budget is spent."""
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            return False
        unmet = self.p.unmet(sums, provs)
        if not unmet:
            k = self.p.key(chosen)
            if self.best_key is None or k < self.best_key:
                self.best, self.best_key = sorted(chosen), k
            return True
        bounded = self.bound(unmet, allowed, sums, provs)
        if bounded is None:
            return True  # this branch cannot cover everything
        lower, pick = bounded
        if self.best_key is not None and len(chosen) + lower > self.best_key[0]:
            return True
        banned: set[int] = set()
        for u in pick:
            rest = [v for v in allowed if v != u and v not in banned]
            if not self.dfs([*chosen, u], rest, *self.p.add(u, sums, provs)):
                return False
            banned.add(u)
        return True


def _exact(p: _Problem, pool: list[int], start: list[int] | None) -> tuple[list[int] | None, bool]:
    """Branch and bound over ``pool``; return (best members, finished within the node budget)."""
    search = _Search(p, start)
    finished = search.dfs([], list(pool), [0] * p.R, [0] * p.R)
    return search.best, finished


# --------------------------------------------------------------------------- entry point


def propose_team(query: MatchQuery, ranking: RankingResult, *, redundancy: bool = False) -> TeamProposal:
    """Propose a team for ``query`` from the ranking already made for it (never ranked again).

    A ranking made with a ``limit`` offers only its shown candidates (``complete=False`` on the
    proposal then); rank with ``limit=None`` and show :meth:`RankingResult.top` to propose from
    every candidate. With no requirement at all, the team is the single earliest-arriving candidate.
    """
    complete = len(ranking.candidates) == ranking.candidates_total
    # Weighed on every candidate's facts; only the members and the units named in a late need are
    # explained (their route planned): the team must not cost a route per candidate.
    full = ranking.candidates
    cands: list[Candidate] = sorted(full.facts, key=lambda c: (c.eta_min, c.rank))
    notes: list[str] = []
    if not complete:
        notes.append(f'Only the {len(ranking.candidates)} shown of {ranking.candidates_total} candidates were considered')
    done = _Outcome(redundancy, complete, notes)
    if not query.requirements:
        return _earliest([full[c.rank - 1] for c in cands[:1]], done, len(cands))
    reqs = query.requirements
    contrib_all = [_contribution(c, reqs) for c in cands]
    uncovered, targets, needs = _availability(reqs, contrib_all, redundancy)
    # relevant units, sorted by (arrival, rank)
    relevant = [i for i, row in enumerate(contrib_all) if any(c > 0 for c in row)]
    p = _Problem([cands[i].eta_min for i in relevant], [cands[i].rank for i in relevant],
                 [contrib_all[i] for i in relevant], targets, needs)
    if not any(t > 0 for t in targets):
        return done.proposal([], uncovered, 'none', len(relevant))
    pool = list(range(_first_cover_cut(p)))
    members, method = _solve(p, pool, notes)
    order = sorted(members, key=lambda u: (p.arrivals[u], p.ranks[u]))
    chosen = [full[cands[relevant[u]].rank - 1] for u in order]
    team = [_member(c, _gives(p, u, reqs)) for c, u in zip(chosen, order, strict=True)]
    late_needs = _late_needs(query, p, [cands[i] for i in relevant], reqs, full)
    late_used = [c for c in chosen if not c.on_time]
    if late_used:
        names = ', '.join(f'{c.name} ({c.state}, late by {format_minutes(c.late_by_min or 0)})' for c in late_used)
        short = ', '.join(n.code for n in late_needs) or 'every need'
        notes.append(f'Late units used: {names}; no set of punctual units covers {short}')
    return done.proposal(team, uncovered, method, len(pool), late_needs)


@dataclass(frozen=True)
class _Outcome:
    """What every proposal of one call shares: the redundancy asked for, completeness, notes."""

    redundancy: bool
    complete: bool
    notes: list[str]

    def proposal(self, team: list[TeamMember], uncovered: list[Uncovered], method: str, considered: int,
                 late_needs: list[LateNeed] | None = None) -> TeamProposal:
        latest = max(team, key=lambda m: m.eta_min) if team else None
        return TeamProposal(team, None if latest is None else latest.arrival, None if latest is None else latest.eta_min,
                            uncovered, self.redundancy, method, considered, self.complete, self.notes,
                            late_needs or [])


def _earliest(first: list[RankedUnit], done: _Outcome, considered: int) -> TeamProposal:
    """No requirement: the earliest-arriving candidate (``first``, if there is one) alone."""
    if not first:
        return done.proposal([], [], 'none', 0)
    member = _member(first[0], {}, 'Earliest arrival; the request names no specific capability')
    return done.proposal([member], [], 'exact', considered)


def _contribution(c: Candidate, reqs: tuple[Requirement, ...]) -> tuple[int, ...]:
    """What a candidate counts towards each requirement: its held quantity where its level meets the minimum."""
    fits = {f.code: f for f in c.capability_fit}
    row = []
    for r in reqs:
        f = fits.get(r.code)
        held = None if f is None else f.held_level
        meets = held is not None and (held == CapabilityLevel.FULL or r.min_level == CapabilityLevel.LIMITED)
        row.append((1 if f.held_quantity is None else f.held_quantity) if meets else 0)
    return tuple(row)


def _availability(
    reqs: tuple[Requirement, ...], contrib_all: list[tuple[int, ...]], redundancy: bool
) -> tuple[list[Uncovered], list[int], list[int]]:
    """What the whole candidate set can provide: the shortfalls, and the targets and provider counts capped to it."""
    uncovered: list[Uncovered] = []
    targets, needs = [], []
    for j, r in enumerate(reqs):
        total = sum(row[j] for row in contrib_all)
        providers = sum(1 for row in contrib_all if row[j] > 0)
        target = min(r.quantity, total)
        need = 0 if target == 0 else 1
        if total < r.quantity:
            uncovered.append(_short(r, total))
        if redundancy and r.critical and total > 0:
            if providers < 2:
                uncovered.append(Uncovered(
                    r.code, 2, providers, 2 - providers, 'redundancy',
                    f'Only one available unit can provide critical {r.code}: no redundancy possible'))
            need = min(2, providers)
        targets.append(target)
        needs.append(need)
    return uncovered, targets, needs


def _short(r: Requirement, total: int) -> Uncovered:
    level = 'full level' if r.min_level == CapabilityLevel.FULL else 'any level'
    if total == 0:
        msg = f'No available unit holds {r.code} at {level}'
    else:
        msg = f'Available units hold only {total} of the {r.quantity} {r.code} required ({level})'
    return Uncovered(r.code, r.quantity, total, r.quantity - total, 'quantity', msg)


def _late_needs(query: MatchQuery, p: _Problem, units: list[Candidate], reqs: tuple[Requirement, ...],
                full: Sequence[RankedUnit]) -> list[LateNeed]:
    """Each requirement whose (capped) target the units meet only after the deadline, and when at the earliest.

    ``units`` are the relevant candidates in ``p``'s order (arrival, rank): walking them, the first
    at which a requirement's quantity and providers are met is when it could be met at the earliest;
    that one is read explained from ``full`` (its arrival as the board shows it).
    """
    if query.needed_by is None:
        return []
    out = []
    for r, req in enumerate(reqs):
        if p.targets[r] <= 0:
            continue
        total, providers, names = 0, 0, []
        for k, c in enumerate(units):
            if p.contrib[k][r] <= 0:
                continue
            total, providers = total + p.contrib[k][r], providers + 1
            names.append(c.name)
            if total >= p.targets[r] and providers >= p.needs[r]:
                if not c.on_time:
                    last = full[c.rank - 1]
                    late = last.late_by_min or 0.0
                    when = (f'{last.eta.arrival:%Y-%m-%d %H:%M} UTC' if last.eta.arrival
                            else f'in {format_minutes(last.eta.total_min)}')
                    out.append(LateNeed(req.code, last.eta.arrival, last.eta.total_min, late, names,
                                        f'{req.code} can be met at the earliest {when}, {format_minutes(late)} after '
                                        f'the deadline ({", ".join(names)})'))
                break
    return out


def _first_cover_cut(p: _Problem) -> int:
    """How many units (by arrival) it takes before the arrived ones can cover every capped target."""
    sums, provs = [0] * p.R, [0] * p.R
    n = len(p.arrivals)
    for k in range(n):
        sums, provs = p.add(k, sums, provs)
        last = k == n - 1 or p.arrivals[k + 1] != p.arrivals[k]
        if last and not p.unmet(sums, provs):
            return k + 1
    raise AssertionError('all relevant units together meet the capped targets')  # pragma: no cover


def _solve(p: _Problem, pool: list[int], notes: list[str]) -> tuple[list[int], str]:
    """Exact within :data:`EXACT_MAX_UNITS` units and the node budget, else greedy."""
    greedy = _greedy(p, pool)
    if len(pool) > EXACT_MAX_UNITS:
        assert greedy is not None
        return greedy, 'greedy'
    members, finished = _exact(p, pool, greedy)
    assert members is not None
    if finished:
        return members, 'exact'
    notes.append(f'Exact search stopped after {NODE_BUDGET:,} nodes; best team found so far')
    return members, 'exact-partial'


def _gives(p: _Problem, u: int, reqs: tuple[Requirement, ...]) -> dict[str, int]:
    gives: dict[str, int] = {}
    for j, r in enumerate(reqs):
        if p.contrib[u][j] > 0:
            gives[r.code] = gives.get(r.code, 0) + p.contrib[u][j]
    return gives


def _member(c: RankedUnit, gives: dict[str, int], why: str | None = None) -> TeamMember:
    if why is None:
        parts = [code if q == 1 else f'{code} x{q}' for code, q in gives.items()]
        why = (f'Provides {", ".join(parts)}; arrives in {format_minutes(c.eta.total_min)} '
               f'by {c.eta.mode.replace("_", " ")}')
    return TeamMember(c.unit_id, c.state, c.name, c.rank, c.eta.total_min, c.eta.arrival, c.eta.mode, gives, why)
