"""Build atlas_coord/domain/transport/data/land-europe.json from Natural Earth land polygons.

Source: the ``world-atlas`` npm package (TopoJSON of Natural Earth's land polygons, public domain;
package ISC, Mike Bostock), already vendored for the console under node_modules/world-atlas.

    .venv/bin/python scripts/build_land.py [--scale 50m|10m] [--atlas node_modules/world-atlas]

Steps: decode the TopoJSON (delta-encoded, quantised arcs; a negative arc index ``~i`` is arc ``i``
reversed) into polygons; keep those touching Europe and its surroundings (lon -32..45, lat 27..72);
islands are kept whole, a polygon reaching far outside (Eurasia-Africa, Greenland) is clipped to the
box; each resulting polygon is one landmass (the land object is already dissolved, so touching land
is one polygon). Landmasses are named from a list of reference places. Coordinates are rounded to
0.001 degree (about 100 m), far finer than the 1:50m data itself.

It also writes, from the same polygons:

* ``waypoints`` per landmass: one point on land per :data:`WAYPOINT_DEG` grid cell (the land part's
  representative point), the nodes of the road graph in domain/transport/road.py;
* ``land-europe-mask.npz``: a land/sea raster of :data:`MASK_DEG` cells (cell centre on land),
  bit-packed, with which road.py checks cheaply that a road segment does not cross open sea.

Run it again only to change the region or the resolution; the output is committed.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.ops import unary_union
from shapely.validation import make_valid

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / 'atlas_coord' / 'domain' / 'transport' / 'data' / 'land-europe.json'
REGION = (-32.0, 27.0, 45.0, 72.0)  # lon_min, lat_min, lon_max, lat_max
#: A polygon whose bounding box fits in this wider box is an island kept whole.
WHOLE = (-40.0, 20.0, 60.0, 82.0)

MASK = OUT.with_name('land-europe-mask.npz')
WAYPOINT_DEG = 2.0
#: Minimum land area (square degrees) of a grid cell's land part to get a waypoint.
WAYPOINT_MIN_AREA = 0.05
MASK_DEG = 0.025
#: Waypoints only north of 35.8 N and west of 41 E: roads to North Africa, the Levant and the
#: Caucasus are never a unit's route, and fewer nodes keep the road graph's all-pairs step fast.
ROAD_AREA = (-32.0, 35.8, 41.0, 72.0)

#: (name, lon, lat) of a place on each landmass worth naming; the first match names it.
NAMES = [
    ('Eurasia', 2.35, 48.86), ('Great Britain', -0.13, 51.51), ('Ireland', -6.26, 53.35),
    ('Iceland', -21.9, 64.15), ('Zealand', 12.0, 55.5), ('Funen', 10.39, 55.40),
    ('Lolland', 11.5, 54.77), ('Falster', 11.95, 54.8), ('Bornholm', 14.9, 55.1),
    ('Gotland', 18.3, 57.5), ('Öland', 16.6, 56.7), ('Sicily', 13.36, 38.12),
    ('Sardinia', 9.11, 39.22), ('Corsica', 9.15, 42.15), ('Crete', 25.13, 35.34),
    ('Cyprus', 33.36, 35.17), ('Malta', 14.51, 35.90), ('Gozo', 14.25, 36.04),
    ('Mallorca', 2.65, 39.57), ('Menorca', 4.1, 39.95), ('Ibiza', 1.43, 38.91),
    ('Saaremaa', 22.5, 58.4), ('Hiiumaa', 22.6, 58.9), ('Åland', 19.94, 60.1),
    ('Rhodes', 28.0, 36.3), ('Euboea', 23.6, 38.5), ('Lesbos', 26.3, 39.2), ('Chios', 26.0, 38.37),
    ('Corfu', 19.9, 39.6), ('Isle of Man', -4.5, 54.2), ('Anglesey', -4.3, 53.25),
    ('Isle of Wight', -1.3, 50.68), ('Rügen', 13.4, 54.45), ('Usedom', 14.0, 53.95),
    ('Fehmarn', 11.17, 54.47), ('Peloponnese', 22.4, 37.5), ('Tenerife', -16.6, 28.3),
    ('Gran Canaria', -15.6, 27.95), ('Madeira', -16.95, 32.75), ('São Miguel', -25.5, 37.8),
    ('Krk', 14.6, 45.07), ('Als', 9.9, 54.95), ('Møn', 12.3, 54.97), ('Langeland', 10.75, 54.9),
    ('Texel', 4.8, 53.07), ('Walcheren', 3.6, 51.5), ('Skye', -6.2, 57.3), ('Lewis and Harris', -6.6, 58.1),
    ('Orkney', -3.1, 58.98), ('Shetland', -1.2, 60.3), ('Jersey', -2.13, 49.21), ('Elba', 10.25, 42.78),
    ('Hinnøya', 16.0, 68.6), ('Senja', 17.5, 69.3), ('Kvaløya', 18.7, 69.7), ('Vestvågøya', 13.8, 68.2),
]


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) points of every arc of a quantised TopoJSON."""
    (sx, sy), (tx, ty) = topo['transform']['scale'], topo['transform']['translate']
    arcs = []
    for arc in topo['arcs']:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Join arcs into one ring; each arc after the first drops its first point (shared)."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    if any(abs(a[0] - b[0]) > 180 for a, b in zip(points, points[1:], strict=False)):
        # a ring across the antimeridian (Eurasia's Chukotka): unwrap it eastwards, or its seam would
        # cut a horizontal line through Europe
        points = [(x + 360.0 if x < -150 else x, y) for x, y in points]
    return points


def land_polygons(topo: dict) -> list[Polygon]:
    arcs = decode_arcs(topo)
    out = []
    for geom in topo['objects']['land']['geometries']:
        polys = geom['arcs'] if geom['type'] == 'MultiPolygon' else [geom['arcs']]
        for rings in polys:
            shell, *holes = (ring(r, arcs) for r in rings)
            out.append(make_valid(Polygon(shell, holes)))
    return out


def european(polygons: list[Polygon]) -> list[Polygon]:
    region, whole = box(*REGION), box(*WHOLE)
    kept = []
    for poly in polygons:
        if not poly.intersects(region):
            continue
        kept.append(poly if whole.contains(poly) else poly.intersection(region))
    merged = unary_union(kept)
    parts = list(merged.geoms) if isinstance(merged, MultiPolygon) else [merged]
    return sorted((p for p in parts if isinstance(p, Polygon) and p.area > 0), key=lambda p: -p.area)


def rounded(poly: Polygon) -> list[list[list[float]]]:
    rings = mapping(poly)['coordinates']
    return [[[round(x, 3), round(y, 3)] for x, y in r] for r in rings]


def waypoints(poly: Polygon) -> list[list[float]]:
    """One representative point per WAYPOINT_DEG cell of ``poly`` with enough land."""
    x0, y0, x1, y1 = poly.bounds
    xs = np.arange(math.floor(x0 / WAYPOINT_DEG) * WAYPOINT_DEG, x1, WAYPOINT_DEG)
    ys = np.arange(math.floor(y0 / WAYPOINT_DEG) * WAYPOINT_DEG, y1, WAYPOINT_DEG)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    cells = shapely.box(gx, gy, gx + WAYPOINT_DEG, gy + WAYPOINT_DEG)
    out = []
    road_area = box(*ROAD_AREA)
    for piece in shapely.intersection(poly, cells):
        parts = [g for g in getattr(piece, 'geoms', [piece]) if g.geom_type == 'Polygon']
        if not parts:
            continue
        biggest = max(parts, key=lambda g: g.area)
        pt = biggest.representative_point()
        if biggest.area >= WAYPOINT_MIN_AREA and road_area.contains(pt):
            out.append([round(pt.x, 3), round(pt.y, 3)])
    return out


def land_mask(polys: list[Polygon]) -> np.ndarray:
    """Boolean raster (rows from REGION's south edge): True where the cell centre is on land."""
    lon0, lat0, lon1, lat1 = REGION
    cols, rows = round((lon1 - lon0) / MASK_DEG), round((lat1 - lat0) / MASK_DEG)
    mask = np.zeros((rows, cols), dtype=bool)
    lons = lon0 + (np.arange(cols) + 0.5) * MASK_DEG
    lats = lat0 + (np.arange(rows) + 0.5) * MASK_DEG
    for poly in polys:
        x0, y0, x1, y1 = poly.bounds
        c = np.flatnonzero((lons >= x0) & (lons <= x1))
        r = np.flatnonzero((lats >= y0) & (lats <= y1))
        if not c.size or not r.size:
            continue
        shapely.prepare(poly)
        gx, gy = np.meshgrid(lons[c], lats[r])
        inside = shapely.contains_xy(poly, gx, gy)
        mask[np.ix_(r, c)] |= inside
    return mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', default='50m', choices=('10m', '50m', '110m'))
    parser.add_argument('--atlas', default=str(ROOT / 'node_modules' / 'world-atlas'))
    args = parser.parse_args()
    topo = json.loads((Path(args.atlas) / f'land-{args.scale}.json').read_text())
    polys = european(land_polygons(topo))
    from shapely.geometry import Point

    names: dict[int, str] = {}
    for name, lon, lat in NAMES:
        for i, poly in enumerate(polys):
            if i not in names and poly.contains(Point(lon, lat)):
                names[i] = name
                break
    landmasses = [
        {'id': i, 'name': names.get(i, f'island {i}'), 'polygon': rounded(poly), 'waypoints': waypoints(poly)}
        for i, poly in enumerate(polys)
    ]
    mask = land_mask(polys)
    np.savez_compressed(MASK, bits=np.packbits(mask, axis=None), shape=np.array(mask.shape), deg=MASK_DEG,
                        origin=np.array(REGION[:2]))
    doc = {
        'source': f'Natural Earth 1:{args.scale[:-1]}m land polygons via the world-atlas npm package 2.0.2 '
        '(https://github.com/topojson/world-atlas); built by scripts/build_land.py',
        'license': 'Natural Earth: public domain (https://www.naturalearthdata.com/about/terms-of-use/); '
        'world-atlas: ISC, Copyright 2013-2019 Michael Bostock',
        'region': {'lon_min': REGION[0], 'lat_min': REGION[1], 'lon_max': REGION[2], 'lat_max': REGION[3]},
        'waypoint_deg': WAYPOINT_DEG,
        'landmasses': landmasses,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(',', ':'), ensure_ascii=False))
    print(f'{OUT.relative_to(ROOT)}: {len(landmasses)} landmasses, {OUT.stat().st_size / 1e6:.2f} MB, '
          f"{sum(len(lm['waypoints']) for lm in landmasses)} waypoints")
    print(f'{MASK.relative_to(ROOT)}: {mask.shape} cells, {MASK.stat().st_size / 1e6:.2f} MB')
    for lm in landmasses:
        if not lm['name'].startswith('island'):
            print(f"  {lm['id']:4d} {lm['name']}")


if __name__ == '__main__':
    main()
