"""Estimated time of arrival of a special intervention unit at a crisis site.

The model follows docs/domain.md, section 6 ("Figures for a travel-time / ETA model"):

    ETA = mobilisation (notice to move) + break-off (a unit in training)
          + fastest mode's (transfer + overheads + travel)

Modes, each with its own figures in :class:`EtaParams`:

* ``road``: always available up to :attr:`EtaParams.road_max_km`; great-circle distance times a
  detour factor at convoy speed.
* ``helicopter``: units whose ``air_transport`` is ``'helicopter'``, up to
  :attr:`EtaParams.helicopter_max_km`; block speed, a take-off/landing overhead, and one refuelling
  stop per extra leg of :attr:`EtaParams.helicopter_range_km`.
* ``fixed_wing``: units whose ``air_transport`` is ``'fixed_wing'``; transfer to an airfield,
  loading/clearance overheads, distance times a routing factor at cruise speed, and a final road leg.

The fastest available mode wins; on equal times road beats helicopter beats fixed wing. Every
mode's time is non-decreasing in distance and a mode only drops out as the distance grows, so the
ETA is non-decreasing in distance: the ranking's dominance property relies on that.

There are two implementations of the same arithmetic, kept in the same operation order so that they
agree to the last bit (tests/domain/test_eta.py checks it): :func:`estimate_eta` for one unit with a
full :class:`EtaBreakdown`, and :func:`eta_minutes_many` on numpy arrays for the ranking prefilter.
Imports: standard library and numpy only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

__all__ = [
    'AIR_CODES',
    'DEFAULT_ETA',
    'MODES',
    'EtaBreakdown',
    'EtaParams',
    'estimate_eta',
    'eta_minutes_many',
    'check_number_fields',
    'format_minutes',
    'helicopter_times',
    'params_from_mapping',
]

#: Transport modes, in tie-break order (the first wins on equal times).
MODES = ('road', 'helicopter', 'fixed_wing')
#: ``UnitSnapshot.air_transport`` values and their integer codes in the vectorised model.
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

    # --- road: "no sourced convoy speed"; suggested motorway convoy 80-90 km/h and road distance
    # about 1.3 x great-circle [M, domain.md §6 "Road"].
    road_detour_factor: float = 1.3
    road_speed_kmh: float = 85.0
    #: Beyond this great-circle distance road is not offered (sea crossings, e.g. Reykjavík, Nicosia,
    #: make longer drives unrealistic) [M].
    road_max_km: float = 2500.0

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

    # --- fixed wing: C-130J about 640 km/h; "add roughly 60-90 min for loading, clearances and
    # unloading"; "distance/speed x 1.1 routing"; "transfer to an airfield ... final road leg" [M, §6].
    fixed_wing_transfer_min: float = 15.0
    fixed_wing_overhead_min: float = 75.0
    fixed_wing_routing_factor: float = 1.1
    fixed_wing_speed_kmh: float = 640.0
    fixed_wing_final_road_min: float = 30.0
    #: Beyond this great-circle distance fixed wing is not offered (far outside Europe) [M].
    fixed_wing_max_km: float = 8000.0

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


# --------------------------------------------------------------------------- one unit


def helicopter_times(distance_km: float, p: EtaParams = DEFAULT_ETA) -> tuple[float, float, float, int]:
    """``(transfer, overhead, travel, legs)`` of a helicopter flight of ``distance_km`` great-circle km.

    One refuelling stop per :attr:`EtaParams.helicopter_range_km` after the first leg. The caller
    checks :attr:`EtaParams.helicopter_max_km`. Shared with the transport model (domain/transport).
    """
    legs = max(1, math.ceil(distance_km / p.helicopter_range_km))
    overhead = p.helicopter_overhead_min + (legs - 1) * p.helicopter_refuel_min
    travel = distance_km * p.helicopter_routing_factor / p.helicopter_speed_kmh * 60.0
    return p.helicopter_transfer_min, overhead, travel, legs


def _mode_times(distance_km: float, air: str, p: EtaParams) -> dict[str, tuple[float, float, float, int]]:
    """Return ``{mode: (transfer, overhead, travel, legs)}`` for the modes available at this distance."""
    out: dict[str, tuple[float, float, float, int]] = {}
    if distance_km <= p.road_max_km:
        out['road'] = (0.0, 0.0, distance_km * p.road_detour_factor / p.road_speed_kmh * 60.0, 1)
    if air == 'helicopter' and distance_km <= p.helicopter_max_km:
        out['helicopter'] = helicopter_times(distance_km, p)
    if air == 'fixed_wing' and distance_km <= p.fixed_wing_max_km:
        travel = distance_km * p.fixed_wing_routing_factor / p.fixed_wing_speed_kmh * 60.0
        transfer = p.fixed_wing_transfer_min + p.fixed_wing_final_road_min
        out['fixed_wing'] = (transfer, p.fixed_wing_overhead_min, travel, 1)
    return out


def estimate_eta(
    distance_m: float,
    *,
    air_transport: str = 'none',
    notice_min: float,
    break_off_min: float = 0.0,
    now: datetime | None = None,
    params: EtaParams = DEFAULT_ETA,
) -> EtaBreakdown | None:
    """Return the fastest mode's breakdown, or None if no mode reaches ``distance_m``.

    ``notice_min`` is the unit's notice to move (domestic or international, chosen by the caller),
    ``break_off_min`` the time a unit in training needs to break off (0 otherwise).

    :raise ValueError: for an unknown ``air_transport`` or a negative distance.
    """
    if air_transport not in AIR_CODES:
        raise ValueError(f"'air_transport' must be one of {', '.join(AIR_CODES)}, got {air_transport!r}")
    if not distance_m >= 0:
        raise ValueError(f"'distance_m' must be >= 0, got {distance_m!r}")
    distance_km = float(distance_m) / 1000.0
    times = _mode_times(distance_km, air_transport, params)
    if not times:
        return None
    best_mode, best_total = None, math.inf
    for mode in MODES:  # strict < keeps the earlier mode on ties
        if mode in times:
            transfer, overhead, travel, _legs = times[mode]
            total = transfer + overhead + travel
            if total < best_total:
                best_mode, best_total = mode, total
    assert best_mode is not None
    transfer, overhead, travel, legs = times[best_mode]
    total = float(notice_min) + float(break_off_min) + best_total
    if best_mode == 'road':
        route_km = distance_km * params.road_detour_factor
    elif best_mode == 'helicopter':
        route_km = distance_km * params.helicopter_routing_factor
    else:
        route_km = distance_km * params.fixed_wing_routing_factor
    return EtaBreakdown(
        mode=best_mode,
        distance_km=distance_km,
        route_km=route_km,
        mobilisation_min=float(notice_min),
        break_off_min=float(break_off_min),
        transfer_min=transfer,
        overhead_min=overhead,
        travel_min=travel,
        legs=legs,
        refuel_stops=legs - 1,
        total_min=total,
        arrival=None if now is None else now + timedelta(minutes=total),
    )


# --------------------------------------------------------------------------- many units


def eta_minutes_many(
    distance_m: np.ndarray,
    air_code: np.ndarray,
    fixed_min: np.ndarray,
    params: EtaParams = DEFAULT_ETA,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`estimate_eta`: return ``(total_min, mode_index)`` arrays.

    ``air_code`` holds :data:`AIR_CODES` values; ``fixed_min`` is notice + break-off per unit, added
    in that order by the caller. ``total_min`` is ``inf`` where no mode reaches (``mode_index``
    -1 there); otherwise ``mode_index`` indexes :data:`MODES`.
    """
    p = params
    d_km = np.asarray(distance_m, dtype=np.float64) / 1000.0
    # road, for every unit
    best = d_km * p.road_detour_factor
    best /= p.road_speed_kmh
    best *= 60.0
    best[d_km > p.road_max_km] = np.inf
    mode = np.zeros(d_km.shape, dtype=np.int8)
    # helicopter, on the helicopter units only (in-place steps keep the scalar operation order)
    h = np.flatnonzero(air_code == 1)
    if h.size:
        dh = d_km[h]
        heli = np.ceil(dh / p.helicopter_range_km)
        np.maximum(heli, 1.0, out=heli)  # legs
        heli -= 1.0
        heli *= p.helicopter_refuel_min
        heli += p.helicopter_overhead_min  # overhead
        heli += p.helicopter_transfer_min  # transfer + overhead
        travel = dh * p.helicopter_routing_factor
        travel /= p.helicopter_speed_kmh
        travel *= 60.0
        heli += travel
        heli[dh > p.helicopter_max_km] = np.inf
        better = heli < best[h]
        hb = h[better]
        best[hb] = heli[better]
        mode[hb] = 1
    # fixed wing, on the fixed-wing units only
    f = np.flatnonzero(air_code == 2)
    if f.size:
        df = d_km[f]
        travel = df * p.fixed_wing_routing_factor
        travel /= p.fixed_wing_speed_kmh
        travel *= 60.0
        fw = (p.fixed_wing_transfer_min + p.fixed_wing_final_road_min) + p.fixed_wing_overhead_min + travel
        fw[df > p.fixed_wing_max_km] = np.inf
        better = fw < best[f]
        fb = f[better]
        best[fb] = fw[better]
        mode[fb] = 2
    mode[np.isinf(best)] = -1
    total = fixed_min + best
    return total, mode
