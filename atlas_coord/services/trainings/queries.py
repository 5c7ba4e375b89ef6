"""Reads of trainings: the list, one training with its occurrences and their conflicts, the
attendance, and the units the edge needs to show them. Nothing here changes a row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain import recurrence
from atlas_coord.domain import training_rules as rules
from atlas_coord.domain.choices import TrainingStatus
from atlas_coord.models import State, Training, TrainingAttendance, TrainingParticipant, Unit, utcnow
from atlas_coord.policy import Action, Actor, can

from ..errors import Forbidden, Invalid, NotFound
from .assessment import assess, capability_names, proposal_of
from .commands import TrainingFilter
from .timing import CHECK_HORIZON, as_utc, timing_of

#: Occurrences shown with a training when no window is asked for.
DEFAULT_OCCURRENCE_WINDOW = timedelta(days=90)


@dataclass
class TrainingList:
    """One page of trainings, how many match, and the units they name."""

    trainings: list[Training]
    total: int
    units: dict[int, Unit]


@dataclass
class TrainingDetail:
    """A training, its occurrences in ``window`` each with the conflicts it adds, and warnings
    (``capability_names``: code -> name, to summarise the conflicts and the override's)."""

    training: Training
    units: dict[int, Unit]
    occurrences: list[tuple[recurrence.Occurrence, list[rules.Conflict]]]
    window: tuple[datetime, datetime]
    warnings: list[str]
    capability_names: dict[str, str] = field(default_factory=dict)


def require_read(actor: Actor) -> None:
    """:raise Forbidden: the actor may not read trainings."""
    if not can(actor, Action.TRAINING_READ):
        raise Forbidden("you may not read trainings")


def training_query():
    return sa.select(Training).options(selectinload(Training.participants), selectinload(Training.occurrence_overrides))


def get_training(session: Session, training_id: int) -> Training:
    """:raise NotFound: no such training."""
    training = session.scalar(training_query().where(Training.id == training_id))
    if training is None:
        raise NotFound(f"training {training_id} not found", fields={"training_id": "unknown training"})
    return training


def units_by_id(session: Session, ids: Iterable[int]) -> dict[int, Unit]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(wanted)))}


def units_of(session: Session, trainings: Iterable[Training]) -> dict[int, Unit]:
    """The host and participating units of ``trainings``, by id."""
    ids: set[int] = set()
    for t in trainings:
        ids.add(t.host_unit_id)
        ids.update(p.unit_id for p in t.participants)
    return units_by_id(session, ids)


def _involving(query, unit_ids):
    """Trainings hosted by, or with a participant among, ``unit_ids`` (a value or a subquery)."""
    participating = sa.select(TrainingParticipant.training_id).where(TrainingParticipant.unit_id.in_(unit_ids))
    return query.where(sa.or_(Training.host_unit_id.in_(unit_ids), Training.id.in_(participating)))


def _filtered(session: Session, filters: TrainingFilter, lo: datetime | None, hi: datetime | None):
    query = training_query().order_by(Training.start_utc, Training.id)
    if filters.status:
        query = query.where(Training.status == filters.status.value)
    if filters.kind:
        query = query.where(Training.kind == filters.kind.value)
    if filters.unit:
        query = _involving(query, [filters.unit])
    if filters.state:
        if session.get(State, filters.state) is None:
            raise Invalid(f"unknown state {filters.state!r}", fields={"state": "unknown state code"})
        query = _involving(query, sa.select(Unit.id).where(Unit.state_code == filters.state))
    if hi is not None:
        query = query.where(Training.start_utc < hi)
    if lo is not None:
        query = query.where(sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > lo))
    return query


def list_trainings(session: Session, actor: Actor, filters: TrainingFilter) -> TrainingList:
    """Trainings in a stable order (first start, id), filtered and paged.

    A date range keeps the trainings with at least one occurrence in ``[from, to)``.

    :raise Forbidden: the actor may not read trainings.
    :raise Invalid: ``to`` not after ``from``; unknown state.
    """
    require_read(actor)
    lo, hi = as_utc(filters.from_), as_utc(filters.to, end=True)
    if lo is not None and hi is not None and hi <= lo:
        raise Invalid("the range must end after it starts", fields={"to": "must be after from"})
    found = list(session.scalars(_filtered(session, filters, lo, hi)))
    if lo is not None or hi is not None:
        window = (lo or datetime(1970, 1, 1, tzinfo=UTC), hi or datetime(9000, 1, 1, tzinfo=UTC))
        found = [t for t in found if timing_of(t).occurrences(*window, max_count=1)]
    start = (filters.page - 1) * filters.per_page
    page = found[start : start + filters.per_page]
    return TrainingList(page, len(found), units_of(session, page))


def training_detail(
    session: Session,
    actor: Actor,
    settings,
    training_id: int,
    *,
    window_from: datetime | date | None = None,
    window_to: datetime | date | None = None,
    now: datetime | None = None,
) -> TrainingDetail:
    """The training with its occurrences in a window (default: the next 90 days), each with the
    conflicts it adds, and warnings.

    :raise Forbidden: may not read trainings. :raise NotFound: no such training.
    :raise Invalid: the window ends before it starts.
    """
    require_read(actor)
    now = now or utcnow()
    training = get_training(session, training_id)
    lo = as_utc(window_from) or now
    hi = as_utc(window_to, end=True) or lo + DEFAULT_OCCURRENCE_WINDOW
    if hi <= lo:
        raise Invalid("the window must end after it starts", fields={"to": "must be after from"})
    if hi - lo > CHECK_HORIZON:
        raise Invalid("the window may span at most two years", fields={"to": "at most two years after from"})
    timing = timing_of(training)
    warnings: list[str] = []
    conflicts: list[rules.Conflict] = []
    if training.status == TrainingStatus.PLANNED and hi > now:
        assessment = assess(session, settings, proposal_of(training), now=now, window=(lo, hi))
        conflicts, warnings = assessment.conflicts, assessment.warnings
    orphans = recurrence.orphaned_overrides(training.start_local, training.timezone, training.rrule,
                                            list(timing.overrides), exdates=timing.exdates)
    if orphans:
        warnings.append("edits of occurrences the series no longer has are ignored: "
                        + ", ".join(f"{o:%Y-%m-%d %H:%M}" for o in orphans))
    occurrences = [
        (o, [c for c in conflicts if c.window_start < o.end_utc and (c.window_end or hi) > o.start_utc])
        for o in timing.occurrences(lo, hi)
    ]
    names = capability_names(session) if conflicts or training.override_conflicts else {}
    return TrainingDetail(training, units_of(session, [training]), occurrences, (lo, hi), warnings, names)


def list_attendance(session: Session, actor: Actor, training_id: int) -> list[TrainingAttendance]:
    """Every recorded entry, by occurrence and unit.

    :raise Forbidden: may not read trainings. :raise NotFound: no such training.
    """
    require_read(actor)
    get_training(session, training_id)
    return list(session.scalars(sa.select(TrainingAttendance).where(TrainingAttendance.training_id == training_id)
                                .order_by(TrainingAttendance.recurrence_id, TrainingAttendance.unit_id)))
