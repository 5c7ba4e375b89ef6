"""The coverage map and its what-ifs: who may ask, which units are off, the minutes per cell.

Readable by every role that may read the directory. A what-if naming a request (its deployed units
withheld) only for users entitled to that request (``services.visibility``: 404 otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain.choices import TrainingStatus
from atlas_coord.domain.coverage.grid import Grid
from atlas_coord.domain.coverage.model import ANY_TIER1
from atlas_coord.domain.coverage.summary import AreaSummary, summaries, thin_spells
from atlas_coord.models import Capability, State, Training, Unit
from atlas_coord.models.requests import Deployment
from atlas_coord.policy import Action, Actor, can

from ..errors import Forbidden, Invalid, NotFound
from ..inputs import CapabilityCode, StateCode
from ..trainings.assessment import BUSY_STATUSES
from ..trainings.timing import timing_of
from ..visibility import load_request
from . import live

#: Thresholds a planner may ask for, minutes (24 h at most).
MAX_THRESHOLD_MIN = 24 * 60


class CoverageQuery(BaseModel):
    """``GET /coverage``: which capability, the threshold, when (default now), and the shape."""

    capability: CapabilityCode = ANY_TIER1
    threshold: float = Field(240.0, gt=0, le=MAX_THRESHOLD_MIN, description="minutes")
    at: datetime | None = None
    format: str = Field('geojson', pattern='^(geojson|grid)$')


class CoverageWhatIf(BaseModel):
    """``POST /coverage/what-if``: these units off (deployed, in training, unavailable), these
    states withholding all theirs, a planned training's participants, a request's deployed units."""

    capability: CapabilityCode = ANY_TIER1
    threshold: float = Field(240.0, gt=0, le=MAX_THRESHOLD_MIN, description="minutes")
    unavailable_unit_ids: list[int] = Field(default_factory=list, max_length=1000)
    withheld_states: list[StateCode] = Field(default_factory=list, max_length=40)
    training_id: int | None = None
    request_id: int | None = None


@dataclass(frozen=True)
class CoverageMap:
    grid: Grid
    capability: str
    threshold: float
    at: datetime
    minutes: np.ndarray
    summaries: list[AreaSummary]
    off_unit_ids: list[int]


@dataclass(frozen=True)
class WhatIf:
    now: CoverageMap
    after: CoverageMap
    lost_regions: list[str]
    days: int | None
    sentence: str


def _require_read(actor: Actor) -> None:
    if not can(actor, Action.DIRECTORY_READ):
        raise Forbidden("you may not read the directory")


def _check_capability(session: Session, code: str) -> str:
    if code != ANY_TIER1 and session.get(Capability, code) is None:
        raise Invalid(f"unknown capability {code!r}", fields={"capability": "unknown capability code"})
    return code


def busy_at(session: Session, at: datetime) -> set[int]:
    """Units taking part (invited, accepted) in a planned training that takes them off duty at ``at``."""
    busy: set[int] = set()
    trainings = session.scalars(
        sa.select(Training).where(Training.status == TrainingStatus.PLANNED.value, Training.units_off_duty.is_(True),
                                  Training.start_utc <= at,
                                  sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > at))
        .options(selectinload(Training.participants), selectinload(Training.occurrence_overrides)))
    for t in trainings:
        if timing_of(t).occurrences(at, at + timedelta(seconds=1), max_count=1):
            busy |= {p.unit_id for p in t.participants if p.status in BUSY_STATUSES}
    return busy


def _map(inputs: live.Inputs, key: str, threshold: float, at: datetime, off: set[int]) -> CoverageMap:
    minutes = live.minutes_for(inputs, key, off)
    return CoverageMap(inputs.grid, key, threshold, at, minutes, summaries(inputs.grid, minutes, threshold),
                       sorted(off))


def coverage_map(session: Session, actor: Actor, settings: Any, query: CoverageQuery) -> CoverageMap:
    """Minutes per cell for one capability, now or at ``query.at`` (planned off-duty trainings then).

    :raise Forbidden: the actor may not read the directory.
    :raise Invalid: unknown capability, ``at`` in the past.
    """
    _require_read(actor)
    key = _check_capability(session, query.capability)
    now = datetime.now(UTC)
    at = now if query.at is None else query.at.astimezone(UTC)
    if at < now - timedelta(minutes=5):
        raise Invalid("the coverage is known from now on", fields={"at": "must not lie in the past"})
    inputs = live.load_inputs(session, settings)
    return _map(inputs, key, query.threshold, at, busy_at(session, at))


def _withheld(session: Session, actor: Actor, body: CoverageWhatIf) -> tuple[set[int], int | None]:
    """The units a what-if takes off, and the training's length in days when it names one."""
    off: set[int] = set()
    known = set(session.scalars(sa.select(Unit.id).where(Unit.id.in_(body.unavailable_unit_ids))))
    for i, uid in enumerate(body.unavailable_unit_ids):
        if uid not in known:
            raise Invalid(f"unknown unit {uid}", fields={f"unavailable_unit_ids.{i}": "unknown unit"})
    off |= known
    for i, code in enumerate(body.withheld_states):
        if session.get(State, code) is None:
            raise Invalid(f"unknown state {code!r}", fields={f"withheld_states.{i}": "unknown state code"})
    if body.withheld_states:
        off |= set(session.scalars(sa.select(Unit.id).where(Unit.state_code.in_(body.withheld_states))))
    days = None
    if body.training_id is not None:
        training = session.get(Training, body.training_id)
        if training is None:
            raise Invalid(f"unknown training {body.training_id}", fields={"training_id": "unknown training"})
        off |= {p.unit_id for p in training.participants if p.status in BUSY_STATUSES}
        start, end = timing_of(training).first_instants()
        days = max(1, math.ceil((end - start).total_seconds() / 86400))
    if body.request_id is not None:
        request = load_request(session, actor, body.request_id)  # need-to-know: 404 otherwise
        off |= set(session.scalars(sa.select(Deployment.unit_id).where(Deployment.request_id == request.id)))
    return off, days


def _hours(minutes: float) -> str:
    h = minutes / 60.0
    return f"{h:g} h" if h == int(h) else f"{minutes:g} min"


def sentence(session: Session, key: str, lost: list[str], threshold: float, days: int | None) -> str:
    """The what-if in words: "for 3 days the Baltic has no unit with maritime environment within 4 h"."""
    what = "tier-1 unit" if key == ANY_TIER1 else f"unit with {session.get(Capability, key).name.lower()}"
    when = f"for {days} day{'s' if days != 1 else ''} " if days else ""
    if not lost:
        text = f"{when}every region keeps a {what} within {_hours(threshold)}"
    else:
        where = ", ".join(lost[:-1]) + (" and " if len(lost) > 1 else "") + lost[-1]
        text = f"{when}{where} {'have' if len(lost) > 1 else 'has'} no {what} within {_hours(threshold)}"
    return text[0].upper() + text[1:]


def what_if(session: Session, actor: Actor, settings: Any, body: CoverageWhatIf) -> WhatIf:
    """The map with units off, and the map now.

    :raise Forbidden: the actor may not read the directory.
    :raise Invalid: unknown capability, unit, state or training (naming the field).
    :raise NotFound: a request the actor may not see.
    """
    _require_read(actor)
    key = _check_capability(session, body.capability)
    off, days = _withheld(session, actor, body)
    inputs = live.load_inputs(session, settings)
    now = datetime.now(UTC)
    before = _map(inputs, key, body.threshold, now, set())
    after = _map(inputs, key, body.threshold, now, off)
    lost = thin_spells(inputs.grid, before.minutes, after.minutes, body.threshold)
    return WhatIf(before, after, lost, days, sentence(session, key, lost, body.threshold, days))


__all__ = ['CoverageMap', 'CoverageQuery', 'CoverageWhatIf', 'NotFound', 'WhatIf', 'busy_at', 'coverage_map',
           'what_if']
