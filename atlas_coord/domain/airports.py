"""The offline airport table (the ``airportsdata`` package), with its known errors corrected.

Every module that needs an airport's position (site entry, the transport model, the airlift
data) reads it here, so a correction is made once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import airportsdata

#: Positions in ``airportsdata`` known to be wrong, with the published aerodrome reference point.
#: airportsdata 20260905 has EBBR (and Melsbroek, EBMB) at 50.5405, 4.2904: the DMS figures
#: 50°54'05", 4°29'04" written as decimals, a point 45 km away near Nivelles. Source: Belgian AIP
#: (skeyes), AD 2 EBBR 2.2, ARP 505405N 0042904E, i.e. 50.90139, 4.48444. Melsbroek Air Base
#: shares Brussels Airport's runways; its position here is EBBR's ARP (an assumption, within ~1 km).
AIRPORT_CORRECTIONS: Mapping[str, tuple[float, float]] = {
    'EBBR': (50.90139, 4.48444),
    'EBMB': (50.90139, 4.48444),
}


def _corrected(row: dict[str, Any]) -> dict[str, Any]:
    fix = AIRPORT_CORRECTIONS.get(row['icao'])
    return row if fix is None else {**row, 'lat': fix[0], 'lon': fix[1]}


@functools.cache
def airports_by(code_type: str = 'ICAO') -> Mapping[str, dict[str, Any]]:
    """Airports keyed by ``'ICAO'`` or ``'IATA'`` code, loaded once, positions corrected."""
    return {code: _corrected(row) for code, row in airportsdata.load(code_type).items()}
