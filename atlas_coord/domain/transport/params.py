"""Every figure of the transport model that is not data (links, ports, airports, aircraft).

Sources in docs/transport.md; [V] = verified source, [M] = modelling assumption. Helicopter and
fixed-wing overheads stay in :class:`atlas_coord.domain.eta.EtaParams` (``eta`` below), so the two
models cannot disagree on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from atlas_coord.domain.eta import DEFAULT_ETA, EtaParams, check_number_fields, params_from_mapping

__all__ = ['DEFAULT_TRANSPORT', 'TransportParams']


@dataclass(frozen=True)
class TransportParams:
    """Minutes, km and km/h. ``eta`` holds the helicopter and fixed-wing figures."""

    #: Road km per great-circle km in Europe [M]: circuity of European road networks is reported
    #: around 1.2-1.3 (docs/transport.md); 1.2 because a convoy takes motorways, not the shortest road.
    road_detour_factor: float = 1.2
    #: Average convoy speed under blue lights, motorway-dominated [M]: the issue's practitioner figure
    #: "300 km in about 3 h" (road km), and domain.md §6 "up to about 110 with blue lights".
    road_speed_kmh: float = 100.0
    #: Fast patrol boat speed: 22 kn = 40.7 km/h [M]: coast-guard fast patrol craft reach 30-40 kn flat
    #: out (marinelink.com, an 85-ft USCG fast patrol craft "up to 40 knots"), but a 100-400 km run in
    #: open sea with a team and its kit is not made at top speed: about 55-70 % of it (docs/transport.md).
    boat_speed_kmh: float = 40.7
    #: Sea routing factor on the great-circle distance [M]: a boat keeps clear of shoals and traffic
    #: separation schemes; the same 1.1 as a flight's routing.
    boat_routing_factor: float = 1.1
    #: Minutes to board, brief and cast off at the port [M]: a crewed boat, about a ferry check-in.
    boat_boarding_min: float = 20.0
    #: Longest boat run from a port, great-circle km [M]: about 10 h at 22 kn, a crew's day at sea.
    #: Beyond, a ship is reached by helicopter (or a navy vessel, not modelled); further out is out of range.
    boat_max_km: float = 400.0
    eta: EtaParams = field(default=DEFAULT_ETA)

    def __post_init__(self) -> None:
        eta = self.eta
        object.__setattr__(self, 'eta', 0.0)  # checked separately: it is not a number
        check_number_fields(self, 'transport')
        if not isinstance(eta, EtaParams):
            raise ValueError(f"transport parameter 'eta' must be EtaParams, got {eta!r}")
        object.__setattr__(self, 'eta', eta)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, eta: EtaParams = DEFAULT_ETA) -> TransportParams:
        """The defaults overridden by ``values`` (a config section); :raise ValueError: naming the key."""
        values = dict(values or {})
        values['eta'] = eta
        return params_from_mapping(cls, values, 'transport')


DEFAULT_TRANSPORT = TransportParams()
