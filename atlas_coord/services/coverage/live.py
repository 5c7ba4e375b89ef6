"""The coverage model of this worker, kept live.

The per-unit × per-cell minutes (:func:`atlas_coord.domain.coverage.times.unit_cell_minutes`) are
computed once per directory (bases, notice, aircraft, capabilities) and transport figures, and
cached in-process, keyed by a fingerprint of those inputs. Availability is read from the database
on every use and applied incrementally (:meth:`Coverage.set_available`), so a readiness change
costs a few milliseconds and a rolled-back change heals itself at the next read. A readiness change
adds to its ``readiness.changed`` event the cells that changed when the model is warm here, else
the capabilities affected (clients then refetch).

A server process builds the model in the background as it starts (:func:`prewarm`, ``[coverage]
prewarm``), so the first map request or training check finds it ready; a request arriving during
that build waits for it (:func:`model_for` builds one at a time), it never starts a second one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from atlas_coord.domain.coverage.grid import Grid, load_grid
from atlas_coord.domain.coverage.model import Coverage, CoverageChange, available_now, unit_keys
from atlas_coord.domain.coverage.times import unit_cell_minutes
from atlas_coord.domain.ranking.types import UnitSnapshot
from atlas_coord.domain.training_rules import CoverageUnit
from atlas_coord.models import Unit

from .. import matching

#: Cells listed in a ``readiness.changed`` event's coverage per capability at most; beyond, clients refetch.
MAX_EVENT_CELLS = 500
#: Part of the cache key: bump it when :func:`unit_cell_minutes` computes differently, so that a
#: matrix kept by an older release in ``[coverage] cache_dir`` is not read back.
MATRIX_FORMAT = 1
#: The name of the thread that builds the model as a server process starts.
PREWARM_THREAD = 'coverage-prewarm'

log = logging.getLogger(__name__)

_lock = threading.Lock()
_build_lock = threading.Lock()
_models: dict[str, Coverage] = {}
_grid_km: dict[int, float] = {}


@dataclass(frozen=True)
class Build:
    """One build of this worker's model: in which thread, for which inputs, read from the cache
    file or computed, and how long it took (logged; tests read the thread)."""

    thread: str
    fingerprint: str
    from_cache: bool
    seconds: float


_builds: deque[Build] = deque(maxlen=16)


def _free_locks_after_fork() -> None:
    """A worker forked while its parent's start-up build held the lock (``gunicorn --preload``)
    would otherwise wait for that lock forever: the child gets free locks, and builds (or reads
    the cache) at its first use unless the parent's model was already there."""
    global _lock, _build_lock
    _lock, _build_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_free_locks_after_fork)


def recent_builds() -> list[Build]:
    """This worker's last builds, oldest first."""
    with _lock:
        return list(_builds)


@dataclass(frozen=True)
class Inputs:
    """What the matrix depends on, loaded once per use."""

    grid: Grid
    units: list[UnitSnapshot]
    transport: Any
    airlift: Mapping[str, Any]
    fingerprint: str
    cache_dir: str = ''


def grid_for(settings: Any) -> Grid:
    cov = getattr(settings, 'coverage', None)
    km, stride = (cov.cell_km, cov.cell_stride) if cov is not None else (50, 1)
    grid = load_grid(km)
    return grid if stride == 1 else grid.take(np.arange(0, grid.n, stride))


def _fingerprint(grid: Grid, units: list[UnitSnapshot], transport: Any, airlift: Mapping[str, Any]) -> str:
    # the cells' own coordinates: two strides (or a rebuilt grid file) may give as many cells
    cells = hashlib.sha256(np.ascontiguousarray(grid.lat).tobytes() + np.ascontiguousarray(grid.lon).tobytes())
    parts = [MATRIX_FORMAT, grid.km, grid.n, cells.hexdigest(), repr(transport),
             sorted((k, repr(v)) for k, v in airlift.items())]
    parts += [(u.id, u.state, u.bases, u.tier, u.air_transport, u.notice_domestic_min, u.notice_international_min,
               sorted(unit_keys(u))) for u in units]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def load_inputs(session: Session, settings: Any) -> Inputs:
    units = matching.load_snapshots(session)
    params = matching.eta_params_for(settings)
    transport = matching.transport_params_for(settings, params)
    airlift = matching.airlift_for_ranking(session)
    grid = grid_for(settings)
    cache_dir = getattr(getattr(settings, 'coverage', None), 'cache_dir', '') or ''
    return Inputs(grid, units, transport, airlift, _fingerprint(grid, units, transport, airlift), cache_dir)


def _minutes(inputs: Inputs) -> tuple[np.ndarray, bool]:
    """The matrix, and whether it was read back: from ``[coverage] cache_dir`` when a worker (or a
    previous run) built it for the same fingerprint, else from the transport model (and then kept
    there; other fingerprints' files are removed: they are stale)."""
    path = Path(inputs.cache_dir) / f'coverage-{inputs.fingerprint[:32]}.npy' if inputs.cache_dir else None
    if path is not None and path.exists():
        try:
            minutes = np.load(path, allow_pickle=False)
            if minutes.shape == (len(inputs.units), inputs.grid.n):
                return minutes, True
        except (OSError, ValueError):
            log.warning('unreadable coverage cache %s; rebuilding', path, exc_info=True)
    minutes = unit_cell_minutes(inputs.units, inputs.grid, inputs.transport, inputs.airlift)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f'{path.name}.{os.getpid()}.tmp')
            with open(tmp, 'wb') as f:
                np.save(f, minutes)
            os.replace(tmp, path)  # atomic: another worker reads a whole file or none
            for stale in path.parent.glob('coverage-*.npy'):
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError:
            log.warning('could not keep the coverage matrix in %s', path.parent, exc_info=True)
    return minutes, False


def _build(inputs: Inputs) -> Coverage:
    """Build the model for ``inputs`` (under ``_build_lock``), recorded in :func:`recent_builds`."""
    began = time.perf_counter()
    minutes, from_cache = _minutes(inputs)
    model = Coverage(inputs.units, minutes)
    build = Build(threading.current_thread().name, inputs.fingerprint, from_cache, time.perf_counter() - began)
    log.info('coverage table for %s units x %s cells %s in %.1fs (thread %s)', len(inputs.units), inputs.grid.n,
             'read from the cache' if from_cache else 'computed', build.seconds, build.thread)
    with _lock:
        _builds.append(build)
    return model


def _sync(model: Coverage, units: list[UnitSnapshot]) -> list[CoverageChange]:
    """Apply the live availability of ``units`` to ``model``, one incremental change per unit."""
    return [model.set_available(u.id, available_now(u)) for u in units
            if bool(model.available[model.pos[u.id]]) != available_now(u)]


def model_for(inputs: Inputs) -> Coverage:
    """This worker's model for ``inputs``, built on first use, synced with the units' readiness.

    The build (seconds: the transport model) runs outside the worker's lock, one at a time, so a
    readiness change in another thread never waits for it; a thread that finds a build under way
    (the start-up's :func:`prewarm`, or another request) waits for it and then uses its model."""
    with _lock:
        model = _models.get(inputs.fingerprint)
    if model is None:
        with _build_lock:
            with _lock:
                model = _models.get(inputs.fingerprint)
            if model is None:
                model = _build(inputs)
                with _lock:
                    _models.clear()  # one directory at a time per worker: the old one is stale
                    _models[inputs.fingerprint] = model
                    _grid_km.clear()
                    _grid_km[id(model)] = inputs.grid.km
    with _lock:
        _sync(model, inputs.units)
    return model


def prewarm(transaction: Callable[[], AbstractContextManager[Session]], settings: Any) -> threading.Thread:
    """Build this worker's model in a daemon thread, so that the first map request or training
    check finds it ready (a server process starts it: ``[coverage] prewarm``).

    The inputs are read in a short transaction of their own and the build runs after it, so the
    database (SQLite's write lock included) is never held for the seconds of the build. A failure
    is logged: the first request then builds the model as it would without a prewarm."""

    def run() -> None:
        try:
            with transaction() as session:
                inputs = load_inputs(session, settings)
            model_for(inputs)
        except Exception:  # noqa: BLE001 - a background warm-up; the request path still works
            log.exception('building the coverage table at start-up failed; the first request builds it')

    thread = threading.Thread(target=run, name=PREWARM_THREAD, daemon=True)
    thread.start()
    return thread


def minutes_for(inputs: Inputs, key: str, off: set[int]) -> np.ndarray:
    """Minutes per cell for ``key`` with ``off`` units unavailable, read under the worker's lock (a
    readiness change in another thread updates the minima in place)."""
    model = model_for(inputs)
    with _lock:
        if off:
            return model.what_if(off, [key]).get(key, model.times(key)).copy()
        return model.times(key).copy()


def _cells_wire(change: CoverageChange) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (cells, values) in change.cells.items():
        if cells.size > MAX_EVENT_CELLS:
            out[key] = None
        else:
            out[key] = [[int(c), None if np.isinf(v) else round(float(v))] for c, v in zip(cells, values, strict=True)]
    return out


def change_of(unit: Unit) -> dict[str, Any]:
    """After a readiness change of ``unit``: its part of the ``readiness.changed`` event
    (``serializers.directory.CoverageChangeOut``).

    ``cells``: per capability, ``[cell, minutes]`` pairs that changed; None when this worker has no
    warm model (the capabilities are still named, clients refetch). Only this unit is applied: the
    model serves the worker's current directory (any other change is a new fingerprint, rebuilt at
    the next read); a rolled-back change heals at the next read (:func:`model_for` syncs)."""
    snap = matching.unit_snapshot(unit)
    data: dict[str, Any] = {'available': available_now(snap), 'capabilities': sorted(unit_keys(snap)), 'cells': None}
    with _lock:
        model = next(iter(_models.values()), None)
        if model is not None and unit.id in model.pos:
            data['cells'] = _cells_wire(model.set_available(unit.id, available_now(snap)))
            data['cell_km'] = _grid_km.get(id(model))
    return data


def guard_minutes(session: Session, settings: Any, points: list[tuple[float, float]]):
    """The training guard's minutes: ``eta(unit, lat, lon)`` read from the coverage computation at
    the cell holding each check point (the map's own number for that cell). Only those cells are
    computed (cells are independent: the same values as the full grid), unless this worker's full
    model is warm."""
    inputs = load_inputs(session, settings)
    full = load_grid(int(inputs.grid.km))
    cells = sorted({c for lat, lon in points if (c := full.cell_of(lat, lon)) is not None})
    with _lock:
        warm = _models.get(inputs.fingerprint) if inputs.grid.n == full.n else None
    minutes = warm.minutes[:, cells] if warm is not None else unit_cell_minutes(
        inputs.units, full.take(cells), inputs.transport, inputs.airlift)
    column = {c: k for k, c in enumerate(cells)}
    cell_at = {(lat, lon): full.cell_of(lat, lon) for lat, lon in points}
    row = {u.id: k for k, u in enumerate(inputs.units)}

    def eta(unit: CoverageUnit, lat: float, lon: float) -> float | None:
        cell = cell_at[(lat, lon)] if (lat, lon) in cell_at else full.cell_of(lat, lon)
        if cell is None or cell not in column or unit.id not in row:
            return None
        value = float(minutes[row[unit.id], column[cell]])
        return None if np.isinf(value) else value

    return eta
