"""The actions people may take next from a status: what a response offers as ``allowed`` (the
console's buttons) and what a refused transition names as the way on."""

from __future__ import annotations

from .choices import Party
from .lifecycle import TRANSITIONS, Machine, allowed_actions

# Actions only the system takes (the request's 'recompute'); never offered to people.
_SYSTEM_ONLY = {
    machine: {t.action for t in table if t.parties == {Party.SYSTEM}} for machine, table in TRANSITIONS.items()
}


def next_actions(machine: Machine, current: str) -> list[str]:
    """The actions people may take from ``current`` (the system's own 'recompute' is left out)."""
    return [a for a in allowed_actions(machine, current) if a not in _SYSTEM_ONLY[machine]]
