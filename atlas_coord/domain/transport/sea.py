"""A site at sea: a boat from a port.

:data:`PORTS` lists major ferry, naval or coast-guard ports of the ATLAS states with their
coordinates (public positions of the harbours, rounded to about 1 km). That a fast boat is
available at each to carry a unit is an assumption [M]: in practice the navy, coast guard or police
of the coastal state provides it. Boat speed and boarding time are in
:class:`.params.TransportParams` (22 kn fast patrol boat, docs/transport.md).
"""

from __future__ import annotations

import functools

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.route import Leg, Place, PlaceIndex, great_circle_km

__all__ = ['PORTS', 'boat_leg', 'ports']

#: (name, lat, lon)
PORTS: tuple[tuple[str, float, float], ...] = (
    # North Sea, Channel, Atlantic
    ('Rotterdam', 51.90, 4.48), ('Den Helder', 52.96, 4.78), ('Antwerp', 51.27, 4.35), ('Zeebrugge', 51.33, 3.20),
    ('Hamburg', 53.54, 9.97), ('Cuxhaven', 53.87, 8.70), ('Esbjerg', 55.47, 8.44), ('Calais', 50.965, 1.86),
    ('Le Havre', 49.48, 0.11), ('Cherbourg', 49.64, -1.62), ('Brest', 48.38, -4.49), ('Saint-Nazaire', 47.27, -2.20),
    ('Bordeaux', 44.86, -0.55), ('Bilbao', 43.34, -3.03), ('A Coruña', 43.37, -8.39), ('Porto (Leixões)', 41.19, -8.70),
    ('Lisbon', 38.70, -9.16), ('Cádiz', 36.53, -6.29), ('Dover', 51.125, 1.33), ('Portsmouth', 50.80, -1.10),
    ('Plymouth', 50.36, -4.15), ('Aberdeen', 57.14, -2.08), ('Rosyth', 56.02, -3.45), ('Belfast', 54.62, -5.90),
    ('Dublin', 53.35, -6.20), ('Cork', 51.85, -8.29), ('Reykjavík', 64.15, -21.94), ('Las Palmas', 28.13, -15.42),
    ('Funchal', 32.64, -16.91), ('Ponta Delgada', 37.74, -25.67),
    # Baltic, Nordic
    ('Kiel', 54.32, 10.14), ('Rostock', 54.15, 12.10), ('Copenhagen', 55.69, 12.60), ('Aarhus', 56.15, 10.22),
    ('Gothenburg', 57.70, 11.94), ('Oslo', 59.90, 10.74), ('Bergen', 60.39, 5.32), ('Stavanger', 58.97, 5.73),
    ('Trondheim', 63.44, 10.40), ('Tromsø', 69.65, 18.96), ('Karlskrona', 56.16, 15.59), ('Stockholm', 59.32, 18.10),
    ('Visby', 57.64, 18.29), ('Gdynia', 54.53, 18.55), ('Klaipėda', 55.70, 21.13), ('Riga', 56.97, 24.10),
    ('Tallinn', 59.44, 24.77), ('Helsinki', 60.16, 24.95), ('Turku', 60.44, 22.22), ('Mariehamn', 60.09, 19.93),
    ('Luleå', 65.58, 22.15),
    # Mediterranean, Black Sea
    ('Barcelona', 41.37, 2.18), ('Valencia', 39.45, -0.32), ('Cartagena', 37.59, -0.98), ('Palma', 39.56, 2.63),
    ('Marseille', 43.31, 5.36), ('Toulon', 43.11, 5.91), ('Ajaccio', 41.92, 8.74), ('Genoa', 44.41, 8.92),
    ('La Spezia', 44.10, 9.83), ('Civitavecchia', 42.09, 11.79), ('Naples', 40.84, 14.26), ('Cagliari', 39.21, 9.11),
    ('Palermo', 38.13, 13.37), ('Catania', 37.50, 15.09), ('Taranto', 40.47, 17.23), ('Bari', 41.13, 16.87),
    ('Ancona', 43.62, 13.51), ('Venice', 45.44, 12.33), ('Trieste', 45.65, 13.76), ('Rijeka', 45.33, 14.43),
    ('Split', 43.50, 16.44), ('Valletta', 35.89, 14.52), ('Piraeus', 37.94, 23.64), ('Thessaloniki', 40.63, 22.93),
    ('Heraklion', 35.34, 25.14), ('Rhodes', 36.45, 28.23), ('Limassol', 34.65, 33.02), ('Larnaca', 34.92, 33.64),
    ('Varna', 43.19, 27.92), ('Burgas', 42.49, 27.48), ('Constanța', 44.17, 28.65),
)


@functools.cache
def ports() -> PlaceIndex:
    """The ports as a searchable index."""
    return PlaceIndex(tuple(Place(n, GeoPoint(lat, lon)) for n, lat, lon in PORTS))


def boat_leg(port: Place, site: Place, params: TransportParams = DEFAULT_TRANSPORT) -> Leg:
    """Boarding at ``port`` and the run to ``site`` at patrol-boat speed."""
    km = great_circle_km(port.point, site.point)
    minutes = params.boat_boarding_min + km * params.boat_routing_factor / params.boat_speed_kmh * 60.0
    return Leg('boat', port.name, site.name, km, minutes, points=(port.latlon, site.latlon))
