"""The ETA's shared pieces: its figures, its breakdown and how minutes are written.

An ETA is notice to move (+ break-off for a unit in training) + the transport model's fastest route
(:mod:`atlas_coord.domain.transport`, used by the ranking through :mod:`.ranking.routes`).
This module holds what that model and the ranking share:

* :class:`EtaParams`: the helicopter figures (block speed, take-off/landing overhead, one refuelling
  stop per extra leg of :attr:`EtaParams.helicopter_range_km`, up to
  :attr:`EtaParams.helicopter_max_km`), the fixed-wing flight's overhead and routing factor, and
  the default break-off of a unit in training; sourced in docs/domain.md §6;
* :class:`EtaBreakdown`, the components and legs the console shows; :func:`format_minutes`.

The straight-line model this module held before the transport model (road, helicopter or fixed wing
over the great-circle distance) lives on only as the benchmark's yardstick, in
``benchmarks/baseline_ranking.py``. Imports: standard library only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    'AIR_CODES',
    'DEFAULT_ETA',
    'EtaBreakdown',
    'EtaParams',
    'check_number_fields',
    'format_minutes',
    'helicopter_times',
    'params_from_mapping',
]

#: ``UnitSnapshot.air_transport`` values and their integer codes in the ranking's index.
AIR_CODES = {'none': 0, 'helicopter': 1, 'fixed_wing': 2}


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

    # --- fixed wing (the flight leg of the transport model; cruise speeds are the aircraft's, in
    # domain/transport/air.py): "add roughly 60-90 min for loading, clearances and unloading";
    # "distance/speed x 1.1 routing" [M, domain.md §6].
    fixed_wing_overhead_min: float = 75.0
    fixed_wing_routing_factor: float = 1.1

    def __post_init__(self) -> None:
        check_number_fields(self, 'ETA')

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> EtaParams:
        """Return the defaults overridden by ``values`` (e.g. a config section).

        :raise ValueError: naming the key, for an unknown key or an invalid value.
        """
        return params_from_mapping(cls, values, 'ETA')


def check_number_fields(params: Any, label: str) -> None:
    """Check and coerce to float every field of a frozen parameter dataclass, in place.

    Every field is a finite-or-infinite number >= 0; ``*_kmh`` and ``*_range_km`` fields are positive
    and finite; ``*_factor`` fields are >= 1.

    :raise ValueError: naming the field.
    """
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{label} parameter '{f.name}' must be a number, got {value!r}")
        value = float(value)
        if math.isnan(value) or value < 0:
            raise ValueError(f"{label} parameter '{f.name}' must be >= 0, got {value!r}")
        if (f.name.endswith('_kmh') or f.name.endswith('_range_km')) and not (0 < value < math.inf):
            raise ValueError(f"{label} parameter '{f.name}' must be a positive finite number, got {value!r}")
        if f.name.endswith('_factor') and value < 1:
            raise ValueError(f"{label} parameter '{f.name}' must be >= 1, got {value!r}")
        object.__setattr__(params, f.name, value)


def params_from_mapping(cls: type, values: Mapping[str, Any] | None, label: str) -> Any:
    """``cls()`` overridden by ``values``; :raise ValueError: naming an unknown key or a bad value."""
    if not values:
        return cls()
    known = {f.name for f in dataclasses.fields(cls)}
    for key in values:
        if key not in known:
            raise ValueError(f"Unknown {label} parameter '{key}'; known: {', '.join(sorted(known))}")
    return cls(**dict(values))


DEFAULT_ETA = EtaParams()


@dataclass(frozen=True)
class EtaBreakdown:
    """Minutes from the alert to arrival at the site, by component, for the chosen mode.

    ``total_min = mobilisation_min + break_off_min + (transfer_min + overhead_min + travel_min)``.
    ``transfer_min`` holds ground legs (to the airfield and the final road leg for fixed wing),
    ``overhead_min`` take-off/landing, loading/clearance and refuelling stops. ``legs`` and
    ``refuel_stops`` count helicopter legs (1 and 0 for the other modes). ``arrival`` is
    ``now + total_min`` when a reference time was given.
    """

    mode: str
    distance_km: float
    route_km: float
    mobilisation_min: float
    break_off_min: float
    transfer_min: float
    overhead_min: float
    travel_min: float
    legs: int
    refuel_stops: int
    total_min: float
    arrival: datetime | None = None
    #: The route leg by leg (``domain.transport.route.Leg``), when the transport model made it.
    steps: tuple = ()
    #: 'road 45 min to EBBR, flight 1 h 50, road 25 min' (``Route.summary``), or ''.
    route_summary: str = ''

    def summary(self) -> str:
        """One human sentence: 'Helicopter: 412 km, 1 refuelling stop, ETA 2 h 35 min', or with the
        transport model's legs 'Fixed wing: 1,270 km, road 45 min to EBBR, flight 1 h 50, road 25 min,
        ETA 5 h 10 min'."""
        label = _LABELS.get(self.mode, self.mode.replace('_', ' ').capitalize())
        parts = [f'{label}: {_km(self.distance_km)}']
        if self.route_summary:
            parts.append(self.route_summary)
            parts.append(f'ETA {format_minutes(self.total_min)}')
            return ', '.join(parts)
        if self.mode == 'road' and self.distance_km >= 1:
            parts[0] += f' ({_km(self.route_km)} by road)'
        if self.mode == 'helicopter' and self.refuel_stops:
            stops = 'stop' if self.refuel_stops == 1 else 'stops'
            parts.append(f'{self.refuel_stops} refuelling {stops}')
        parts.append(f'ETA {format_minutes(self.total_min)}')
        return ', '.join(parts)


_LABELS = {'road': 'Road', 'helicopter': 'Helicopter', 'fixed_wing': 'Fixed wing'}


def _km(km: float) -> str:
    return f'{km:,.0f} km' if km >= 10 else f'{km:.1f} km'


def format_minutes(minutes: float) -> str:
    """'2 h 35 min' / '45 min', rounding up to the whole minute (an ETA is never flattered)."""
    if not math.isfinite(minutes):
        return 'never'
    whole = max(0, math.ceil(minutes - 1e-9))
    hours, mins = divmod(whole, 60)
    if hours and mins:
        return f'{hours} h {mins:02d} min'
    if hours:
        return f'{hours} h'
    return f'{mins} min'


def helicopter_times(distance_km: float, p: EtaParams = DEFAULT_ETA) -> tuple[float, float, float, int]:
    """``(transfer, overhead, travel, legs)`` of a helicopter flight of ``distance_km`` great-circle km.

    One refuelling stop per :attr:`EtaParams.helicopter_range_km` after the first leg. The caller
    checks :attr:`EtaParams.helicopter_max_km`. Shared with the transport model (domain/transport).
    """
    legs = max(1, math.ceil(distance_km / p.helicopter_range_km))
    overhead = p.helicopter_overhead_min + (legs - 1) * p.helicopter_refuel_min
    travel = distance_km * p.helicopter_routing_factor / p.helicopter_speed_kmh * 60.0
    return p.helicopter_transfer_min, overhead, travel, legs
