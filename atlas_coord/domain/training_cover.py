"""What a proposed training takes away: the with/without comparison of the planning rules.

:mod:`atlas_coord.domain.training_rules` answers "which conflicts are there" for one picture of
who is busy. A planner only needs to hear about what the proposal *adds*: a state already without
a READY aircraft unit, or a capital already out of reach, is not the new training's fault. So each
check runs twice, with the proposal's units busy and without, and only the difference is kept
(:func:`only_added`); a window that was partly bad already is checked again on the rest.

Pure functions over plain values: no database, no settings object, no clock.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from . import training_rules as rules
from .choices import ConflictKind

log = logging.getLogger(__name__)

Window = tuple[datetime, datetime]
Busy = Mapping[Any, Iterable[tuple[datetime, datetime | None]]]
EtaFn = Callable[[rules.CoverageUnit, float, float], float | None]

#: The order conflicts are listed in: what blocks a state first, double bookings last.
KIND_ORDER = {
    ConflictKind.READINESS_GUARD: 0,
    ConflictKind.COVERAGE_THRESHOLD: 1,
    ConflictKind.UNIT_DEPLOYED: 2,
    ConflictKind.UNIT_OVERLAP: 3,
}

def sort_key(c: rules.Conflict) -> tuple:
    """Kind first (see :data:`KIND_ORDER`), then time, state, capability, place and unit."""
    return (KIND_ORDER.get(c.kind, 9), c.window_start, c.state or "", c.capability or "", c.point or "",
            str(c.unit_id))


def merge_busy(*sources: Busy) -> dict[Any, list]:
    """One busy map from several (other trainings, deployments, the proposal)."""
    merged: dict[Any, list] = defaultdict(list)
    for source in sources:
        for unit_id, intervals in source.items():
            merged[unit_id].extend(intervals)
    return merged


def subtract(window: Window, covering: Iterable[Window]) -> list[Window]:
    """The parts of ``window`` that none of ``covering`` overlaps (half-open intervals)."""
    pieces = [window]
    for s, e in covering:
        next_pieces = []
        for a, b in pieces:
            if e <= a or s >= b:
                next_pieces.append((a, b))
                continue
            if a < s:
                next_pieces.append((a, s))
            if e < b:
                next_pieces.append((e, b))
        pieces = next_pieces
    return pieces


def only_added(
    with_proposal: list[rules.Conflict],
    without_proposal: list[rules.Conflict],
    recheck: Callable[[rules.Conflict, Window], list[rules.Conflict]],
) -> list[rules.Conflict]:
    """The conflicts of ``with_proposal`` minus what ``without_proposal`` already has, per
    (kind, state, capability, point); partly covered windows are re-checked on the rest."""
    def key(c: rules.Conflict):
        return (c.kind, c.state, c.capability, c.point)

    covered: dict[tuple, list] = defaultdict(list)
    for c in without_proposal:
        covered[key(c)].append((c.window_start, c.window_end))
    added: list[rules.Conflict] = []
    for c in with_proposal:
        whole = (c.window_start, c.window_end)
        pieces = subtract(whole, covered.get(key(c), ()))
        if pieces == [whole]:
            added.append(c)
        else:
            for piece in pieces:
                added.extend(recheck(c, piece))
    return added


def overlaps_added(added: Iterable[Any], occurrences: Sequence[Window],
                   windows_by_unit: Mapping[Any, list[rules.UnitWindow]]) -> list[rules.Conflict]:
    """Each added unit's double bookings, occurrence by occurrence."""
    conflicts: list[rules.Conflict] = []
    for unit_id in sorted(added):
        mine = windows_by_unit.get(unit_id, [])
        if not mine:
            continue
        for start, end in occurrences:
            conflicts += rules.find_overlaps([unit_id], start, end, mine)
    return conflicts


def deployed_added(added: Iterable[Any], occurrences: Sequence[Window],
                   deployments: Sequence[rules.Deployment]) -> list[rules.Conflict]:
    """One conflict per deployed unit (its first occurrence), counting the occurrences affected."""
    first: dict[Any, rules.Conflict] = {}
    count: dict[Any, int] = defaultdict(int)
    for start, end in occurrences:
        for c in rules.deployed_conflicts(added, start, end, deployments):
            first.setdefault(c.unit_id, c)
            count[c.unit_id] += 1
    return [replace(c, details={**c.details, "occurrences_affected": count[u]}) for u, c in first.items()]


def readiness_added(critical: Mapping[str, Sequence[str]], guard_units: Sequence[rules.GuardUnit],
                    busy_with: Busy, busy_without: Busy, span: Window) -> list[rules.Conflict]:
    """The readiness-guard conflicts that the proposal's busy units add over ``span``."""
    with_ = rules.readiness_guard(critical, guard_units, busy_with, span)
    if not with_:
        return []
    without = rules.readiness_guard(critical, guard_units, busy_without, span)
    return only_added(
        with_, without,
        lambda c, piece: rules.readiness_guard({c.state: [c.capability]}, guard_units, busy_with, piece),
    )


def cached_eta(eta: EtaFn) -> Callable[[rules.CoverageUnit, float, float], float]:
    """``eta`` remembered per unit and place; no ETA (or one that cannot be computed) is infinite."""
    cache: dict[tuple[Any, str], float] = {}

    def remembered(unit: rules.CoverageUnit, lat: float, lon: float) -> float:
        key = (unit.id, f"{lat},{lon}")
        if key not in cache:
            try:
                value = eta(unit, lat, lon)
            except (ValueError, TypeError, KeyError):
                log.warning("no ETA for unit %r to %r,%r", unit.id, lat, lon, exc_info=True)
                value = None
            cache[key] = math.inf if value is None else float(value)
        return cache[key]

    return remembered


def _relevant_pairs(added: Iterable[Any], units: Sequence[rules.CoverageUnit], threshold: float,
                    eta: Callable[[rules.CoverageUnit, float, float], float]) -> dict[rules.CheckPoint, set[str]]:
    """Only (point, capability) pairs that an added unit serves within the threshold can get worse."""
    by_id = {cu.id: cu for cu in units}
    relevant: dict[rules.CheckPoint, set[str]] = defaultdict(set)
    for unit_id in added:
        unit = by_id.get(unit_id)
        if unit is None or not unit.ready:
            continue
        for point in rules.EU_CAPITALS:
            if eta(unit, point.lat, point.lon) <= threshold:
                relevant[point] |= unit.capabilities
    return relevant


def coverage_added(added: Iterable[Any], occurrences: Sequence[Window], units: Sequence[rules.CoverageUnit],
                   threshold: float, busy_with: Busy, busy_without: Busy, eta: EtaFn) -> list[rules.Conflict]:
    """The coverage-threshold conflicts that the proposal adds, occurrence by occurrence."""
    eta_of = cached_eta(eta)
    conflicts: list[rules.Conflict] = []
    for point, caps in _relevant_pairs(added, units, threshold, eta_of).items():
        caps_list = sorted(caps)
        for window in occurrences:
            with_ = rules.coverage_threshold_check([point], caps_list, threshold, window, units, busy_with, eta_of)
            if not with_:
                continue
            without = rules.coverage_threshold_check([point], caps_list, threshold, window, units, busy_without,
                                                     eta_of)
            conflicts += only_added(
                with_, without,
                lambda c, piece, p=point: rules.coverage_threshold_check(
                    [p], [c.capability], threshold, piece, units, busy_with, eta_of),
            )
    return conflicts
