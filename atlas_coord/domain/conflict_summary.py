"""Planning conflicts summarised for a planner under time pressure: counts first, details on demand.

A field exercise of four units over three days can add close to a hundred conflicts (a readiness
guard per state and critical capability, a coverage gap per capital and capability). Listed one by
one they bury the one decision the planner has to take. :func:`summarise` groups them by kind, then
by state, then by capability, and keeps for each group the count, the span of time it covers, the
places and units named, the worst figure and the positions of its conflicts in the list, so a
console can show the counts and open a group's entries only when asked.

Pure: it reads conflicts by attribute (``kind``, ``state``, ``capability``, ``point``, ``unit_id``,
``window_start``, ``window_end``, ``figure``), so a :class:`~atlas_coord.domain.training_rules.Conflict`
or a conflict read back from its wire form both work. Names come in as arguments: capability names
live in the directory, not in code.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from .choices import ConflictKind
from .training_cover import KIND_ORDER
from .training_rules import state_name

#: How a group without a state is named: coverage of the capitals is the whole network's concern.
NETWORK_LABEL = "Across the network"

_K = TypeVar("_K", bound=Hashable)
_T = TypeVar("_T")


@dataclass(frozen=True)
class CapabilityGroup:
    """The conflicts of one kind, state and capability (``capability`` is None for unit overlaps)."""

    capability: str | None
    capability_name: str | None
    count: int
    window_start: datetime
    window_end: datetime | None
    points: tuple[str, ...]
    unit_ids: tuple[Any, ...]
    worst_figure: float | int | str | None
    conflict_indexes: tuple[int, ...]


@dataclass(frozen=True)
class StateGroup:
    """The conflicts of one kind in one state (``state`` None: across the network)."""

    state: str | None
    name: str
    count: int
    groups: tuple[CapabilityGroup, ...]


@dataclass(frozen=True)
class KindGroup:
    """The conflicts of one kind, by state."""

    kind: str
    label: str
    count: int
    states: tuple[StateGroup, ...]


@dataclass(frozen=True)
class ConflictSummary:
    """All conflicts by kind, state and capability; ``not_listed`` were left out of the list."""

    total: int
    not_listed: int
    kinds: tuple[KindGroup, ...]


def kind_label(kind: str) -> str:
    """The plain name of a conflict kind (the vocabulary's label; unknown kinds humanised)."""
    try:
        return ConflictKind(kind).label
    except ValueError:
        return str(kind).replace("_", " ").capitalize()


def _worst(figures: Sequence[Any]) -> float | int | str | None:
    """The figure that matters most: a sentence ("no capable unit") beats any number, a larger
    number (minutes to reach, overlap) beats a smaller one; READY units left is always 0."""
    words = [f for f in figures if isinstance(f, str)]
    if words:
        return words[0]
    numbers = [f for f in figures if isinstance(f, (int, float)) and not isinstance(f, bool)]
    return max(numbers) if numbers else None


def _group(items: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, list[_T]]:
    """``items`` by ``key``, the keys in the order they first appear, each list in input order."""
    groups: dict[_K, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _capability_group(indexed: list[tuple[int, Any]], capability: str | None,
                      capability_name: Callable[[str], str]) -> CapabilityGroup:
    conflicts = [c for _, c in indexed]
    ends = [c.window_end for c in conflicts]
    return CapabilityGroup(
        capability=capability,
        capability_name=capability_name(capability) if capability else None,
        count=len(conflicts),
        window_start=min(c.window_start for c in conflicts),
        window_end=None if any(e is None for e in ends) else max(ends),
        points=tuple(sorted({c.point for c in conflicts if c.point})),
        unit_ids=tuple(sorted({c.unit_id for c in conflicts if c.unit_id is not None}, key=str)),
        worst_figure=_worst([c.figure for c in conflicts]),
        conflict_indexes=tuple(i for i, _ in indexed),
    )


def _state_group(indexed: list[tuple[int, Any]], state: str | None,
                 capability_name: Callable[[str], str]) -> StateGroup:
    by_capability = _group(indexed, lambda item: item[1].capability)
    groups = [_capability_group(items, cap, capability_name) for cap, items in by_capability.items()]
    # The biggest gap first; equal counts by name, so the order never depends on the input's.
    groups.sort(key=lambda g: (-g.count, (g.capability_name or "").casefold(), g.capability or ""))
    return StateGroup(state=state, name=state_name(state) if state else NETWORK_LABEL, count=len(indexed),
                      groups=tuple(groups))


def summarise(conflicts: Sequence[Any], *, capability_names: Mapping[str, str] | None = None,
              total: int | None = None) -> ConflictSummary:
    """Group ``conflicts`` by kind (in the order they block a plan), state and capability.

    :param capability_names: code -> plain name (from the directory); a code without a name is
        shown humanised rather than raw.
    :param total: how many conflicts there were, when ``conflicts`` is only the listed part.
    """
    names = dict(capability_names or {})

    def capability_name(code: str) -> str:
        return names.get(code) or names.get(code.upper()) or code.replace("_", " ").capitalize()

    by_kind = _group(enumerate(conflicts), lambda item: str(item[1].kind))
    kinds = []
    for kind in sorted(by_kind, key=lambda k: (KIND_ORDER.get(k, 9), k)):
        by_state = _group(by_kind[kind], lambda item: item[1].state)
        states = [_state_group(items, state, capability_name) for state, items in by_state.items()]
        # States with the most conflicts first; the network-wide group (no state) last.
        states.sort(key=lambda s: (s.state is None, -s.count, s.name.casefold()))
        kinds.append(KindGroup(kind=kind, label=kind_label(kind), count=sum(s.count for s in states),
                               states=tuple(states)))
    listed = len(conflicts)
    total = listed if total is None else max(total, listed)
    return ConflictSummary(total=total, not_listed=total - listed, kinds=tuple(kinds))

