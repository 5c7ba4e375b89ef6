"""A state's airlift as plain values: the aircraft that may carry a unit, where they are based and
how soon they can fly. The ranking's transport model reads them (``domain/transport/``); the
directory data and its sources are in ``atlas_coord/seed/airlift.json`` and ``docs/airlift.md``."""

from __future__ import annotations

from dataclasses import dataclass

from .choices import AirliftKind
from .geo import GeoPoint


@dataclass(frozen=True)
class AirliftAsset:
    """One aircraft type of one operator at one base.

    ``state`` is the state that operates it; ``partners`` the other states whose units it may
    carry. ``mobilisation_min`` is the time from the request to wheels-up (an assumption unless
    ``mobilisation_assumed`` is false). ``count`` is the fleet, not the aircraft available.
    """

    state: str
    kind: AirliftKind
    aircraft_type: str
    seats: int
    mobilisation_min: int
    base_icao: str | None
    base: GeoPoint
    count: int = 1
    operator: str = ''
    partners: tuple[str, ...] = ()
    assumption: bool = False
    mobilisation_assumed: bool = True
    partners_assumed: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, 'kind', AirliftKind(self.kind))
        if self.seats <= 0:
            raise ValueError(f"'seats' must be positive, got {self.seats}")
        if self.count <= 0:
            raise ValueError(f"'count' must be positive, got {self.count}")
        if self.mobilisation_min < 0:
            raise ValueError(f"'mobilisation_min' must not be negative, got {self.mobilisation_min}")

    @property
    def lat(self) -> float:
        return self.base.lat

    @property
    def lon(self) -> float:
        return self.base.lon

    def may_carry(self, state: str) -> bool:
        """Whether a unit of ``state`` may fly on it: its own state's, or a partner's."""
        return state == self.state or state in self.partners
