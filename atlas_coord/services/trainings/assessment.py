"""The conflict check of a plan: load the world around it (units, readiness, deployments, the
other trainings), ask the pure rules what the proposal adds, and decide whether it may be saved.

:func:`assess` expands the occurrences in a two-year horizon and reports only what the proposal
*adds* (:mod:`atlas_coord.domain.training_cover` compares with and without it). :func:`enforce`
turns the conflicts into a :class:`TrainingConflict`, unless a planner holding
``training.override`` for every state named gives a reason (:func:`record_override`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain import conflict_summary, recurrence
from atlas_coord.domain import training_cover as cover
from atlas_coord.domain import training_rules as rules
from atlas_coord.domain.choices import (
    DeploymentStatus,
    ParticipantStatus,
    ReadinessStatus,
    TrainingKind,
    TrainingStatus,
)
from atlas_coord.domain.fulfilment import deployment_holds_unit
from atlas_coord.models import Capability, Deployment, State, Training, TrainingRun, Unit, utcnow
from atlas_coord.policy import Action, Actor, Grant, can, granting
from atlas_coord.serializers.trainings import conflict_summary_wire, conflicts_wire

from .. import audit
from ..coverage import live
from ..errors import Conflict, Forbidden
from .timing import CHECK_HORIZON, MAX_CHECKED_OCCURRENCES, Timing, timing_of

#: At most this many conflicts are returned; the rest are counted in a warning.
MAX_REPORTED_CONFLICTS = 200
#: Kinds that take the participants off duty unless the planner says otherwise.
OFF_DUTY_KINDS = frozenset({TrainingKind.COMMAND_POST, TrainingKind.FIELD_EXERCISE, TrainingKind.COMMON_CHALLENGE})
#: Participants counted as taking part (busy) in conflict checks; waitlisted units are not.
BUSY_STATUSES = (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED)


class TrainingConflict(Conflict):
    """The plan breaks a planning rule; ``conflicts`` (in the error body) say which, where and when."""

    code = "training_conflict"


@dataclass(frozen=True)
class Proposal:
    """A training as the conflict check sees it.

    ``unit_ids`` take part (host, invited, accepted); of those, ``baseline_unit_ids`` are
    not being decided now (e.g. the other participants when one unit accepts), so only
    conflicts that the remaining units *add* are reported.
    """

    training_id: int | None
    title: str
    timing: Timing
    unit_ids: frozenset[int]
    units_off_duty: bool
    baseline_unit_ids: frozenset[int] = frozenset()

    @property
    def added_unit_ids(self) -> frozenset[int]:
        return self.unit_ids - self.baseline_unit_ids


@dataclass
class Assessment:
    """The conflicts a proposal adds, notes for the planner, and the occurrences checked
    (``capability_names``: code -> name, for the summary; loaded only when there are conflicts)."""

    conflicts: list[rules.Conflict]
    warnings: list[str]
    occurrences: list[recurrence.Occurrence]
    capability_names: dict[str, str] = field(default_factory=dict)

    def reported_conflicts(self) -> list[rules.Conflict]:
        """The conflicts shown to the planner: the first :data:`MAX_REPORTED_CONFLICTS`."""
        return self.conflicts[:MAX_REPORTED_CONFLICTS]

    def reported_warnings(self) -> list[str]:
        """The warnings, and how many conflicts are not shown."""
        extra = len(self.conflicts) - MAX_REPORTED_CONFLICTS
        more = [f"{extra} more conflicts are not listed"] if extra > 0 else []
        return self.warnings + more

    def summary(self) -> conflict_summary.ConflictSummary:
        """The reported conflicts by kind, state and capability, counting those not reported."""
        return conflict_summary.summarise(self.reported_conflicts(), capability_names=self.capability_names,
                                          total=len(self.conflicts))


def nothing_checked() -> Assessment:
    """The assessment of a change that needed no check (a cancellation, a decline)."""
    return Assessment([], [], [])


def proposal_of(training: Training, *, timing: Timing | None = None, unit_ids: Iterable[int] | None = None,
                baseline: Iterable[int] = (), units_off_duty: bool | None = None, title: str | None = None) -> Proposal:
    """The stored training as a proposal, with what a change replaces."""
    busy = unit_ids if unit_ids is not None else [p.unit_id for p in training.participants if p.status in BUSY_STATUSES]
    return Proposal(
        training_id=training.id,
        title=title or training.title,
        timing=timing or timing_of(training),
        unit_ids=frozenset(busy),
        units_off_duty=training.units_off_duty if units_off_duty is None else units_off_duty,
        baseline_unit_ids=frozenset(baseline),
    )


def joining(training: Training, unit_id: int) -> Proposal:
    """The training with ``unit_id`` joining the units already busy in it (only it is decided)."""
    others = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES and p.unit_id != unit_id}
    return proposal_of(training, unit_ids=others | {unit_id}, baseline=others)


# ---------------------------------------------------------------- the world around a plan


@dataclass
class _World:
    """Everything outside the proposal that the rules need, loaded once per check."""

    units: dict[int, Unit]
    ready_baseline: dict[int, bool]
    deployed: list[rules.Deployment]
    windows_by_unit: dict[int, list[rules.UnitWindow]]
    off_duty_busy: dict[int, list[tuple[datetime, datetime | None]]]


def capability_names(session: Session) -> dict[str, str]:
    """Capability code -> its plain name in the directory (conflicts are shown by name)."""
    return {code: name for code, name in session.execute(sa.select(Capability.code, Capability.name))}


def critical_capabilities(session: Session, settings, states: Iterable[str]) -> dict[str, list[str]]:
    """The capabilities each state must never be without: the configured override, else the
    state's own list in the directory."""
    configured = settings.training.critical_capabilities
    out: dict[str, list[str]] = {}
    for state in session.scalars(sa.select(State).where(State.code.in_(sorted(set(states))))):
        override = configured.get(state.code) or configured.get(state.code.lower())
        out[state.code] = list(override if override is not None else state.critical_capabilities or [])
    return out


def deployed_unit_ids(session: Session) -> set[int]:
    """Units committed to a deployment: readiness COMMITTED, or a deployment row that holds the unit."""
    ids = set(session.scalars(sa.select(Unit.id).where(Unit.readiness_status == ReadinessStatus.COMMITTED.value)))
    holding = [s.value for s in DeploymentStatus if deployment_holds_unit(s.value)]
    ids |= set(session.scalars(sa.select(Deployment.unit_id).where(Deployment.status.in_(holding))))
    return ids


def _active_run_previous_status(session: Session) -> dict[int, str]:
    """unit id -> the status a running training switched it from."""
    previous: dict[int, str] = {}
    runs = session.scalars(
        sa.select(TrainingRun).where(TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None))
    )
    for run in runs:
        for entry in run.switched_units or []:
            previous.setdefault(int(entry["unit_id"]), entry["previous_status"])
    return previous


def _ready_baseline(session: Session, units: dict[int, Unit]) -> dict[int, bool]:
    """READY or not, as before any running training switched the unit to TRAINING."""
    switched_from = _active_run_previous_status(session)
    ready = {}
    for unit in units.values():
        status = unit.readiness_status
        if status == ReadinessStatus.TRAINING and unit.id in switched_from:
            status = switched_from[unit.id]
        ready[unit.id] = status == ReadinessStatus.READY
    return ready


def _other_trainings(session: Session, span: tuple[datetime, datetime], ignore_training_id: int | None):
    start, end = span
    query = (
        sa.select(Training)
        .where(
            Training.status == TrainingStatus.PLANNED.value,
            Training.start_utc < end,
            sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > start),
        )
        .options(selectinload(Training.participants), selectinload(Training.occurrence_overrides))
    )
    if ignore_training_id is not None:
        query = query.where(Training.id != ignore_training_id)
    return session.scalars(query)


def _load_world(session: Session, span: tuple[datetime, datetime], ignore_training_id: int | None, now: datetime) -> _World:
    units = {u.id: u for u in session.scalars(sa.select(Unit).options(selectinload(Unit.capabilities)))}
    deployed = [rules.Deployment(uid, now, None, units[uid].state_code) for uid in sorted(deployed_unit_ids(session)) if uid in units]
    windows: dict[int, list[rules.UnitWindow]] = defaultdict(list)
    off_duty: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for other in _other_trainings(session, span, ignore_training_id):
        busy = [p.unit_id for p in other.participants if p.status in BUSY_STATUSES]
        if not busy:
            continue
        for occ in timing_of(other).occurrences(*span, max_count=4 * MAX_CHECKED_OCCURRENCES):
            for unit_id in busy:
                state = units[unit_id].state_code if unit_id in units else None
                windows[unit_id].append(
                    rules.UnitWindow(unit_id, state, occ.start_utc, occ.end_utc, other.id, occ.title or other.title)
                )
                if other.units_off_duty:
                    off_duty[unit_id].append((occ.start_utc, occ.end_utc))
    return _World(units, _ready_baseline(session, units), deployed, windows, off_duty)


def eta_function(session: Session, settings) -> tuple[Callable[[Any, float, float], float | None], str | None]:
    """The ETA used by the coverage check: the coverage map's own minutes at the cell holding each
    check point (:func:`..coverage.live.guard_minutes`: notice to move, domestic when the cell lies
    in the unit's state, + the transport model's route, with the configured ``[eta]`` and
    ``[transport]`` figures and each state's airlift), so the guard and the map never disagree.
    Returns ``(eta_fn, warning_or_None)``."""
    return live.guard_minutes(session, settings, [(p.lat, p.lon) for p in rules.EU_CAPITALS]), None


# ---------------------------------------------------------------- the check


def _checked_occurrences(proposal: Proposal, start: datetime, end: datetime, warnings: list[str]):
    occurrences = proposal.timing.occurrences(start, end, max_count=MAX_CHECKED_OCCURRENCES + 1)
    if len(occurrences) > MAX_CHECKED_OCCURRENCES:
        occurrences = occurrences[:MAX_CHECKED_OCCURRENCES]
        warnings.append(f"only the first {MAX_CHECKED_OCCURRENCES} occurrences were checked "
                        f"(up to {occurrences[-1].start_utc:%Y-%m-%d})")
    return occurrences


def assess(
    session: Session,
    settings,
    proposal: Proposal,
    *,
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Assessment:
    """Check a proposal against the four planning rules; return only what it adds.

    :param window: the UTC window to check; default from now over :data:`CHECK_HORIZON`.
    """
    now = now or utcnow()
    start, end = window or (now, now + CHECK_HORIZON)
    start = max(start, now)
    warnings: list[str] = []
    if end <= start:
        return Assessment([], ["the window lies in the past; nothing to check"], [])
    occurrences = _checked_occurrences(proposal, start, end, warnings)
    if not occurrences:
        return Assessment([], ["no occurrence in the checked window"], [])
    added = proposal.added_unit_ids
    if not added:
        return Assessment([], warnings, occurrences)
    span = (min(o.start_utc for o in occurrences), max(o.end_utc for o in occurrences))
    world = _load_world(session, span, proposal.training_id, now)
    windows = [(o.start_utc, o.end_utc) for o in occurrences]

    conflicts = cover.overlaps_added(added, windows, world.windows_by_unit)
    conflicts += cover.deployed_added(added, windows, world.deployed)
    if proposal.units_off_duty:
        conflicts += _off_duty_conflicts(session, settings, proposal, world, windows, span, warnings)
    conflicts.sort(key=cover.sort_key)
    return Assessment(conflicts, warnings, occurrences, capability_names(session) if conflicts else {})


def _off_duty_conflicts(session, settings, proposal: Proposal, world: _World, windows, span, warnings) -> list[rules.Conflict]:
    """Readiness guard and coverage threshold, with the proposal's units off duty and without."""
    proposal_busy = {u: windows for u in proposal.unit_ids}
    baseline_busy = {u: proposal_busy[u] for u in proposal.baseline_unit_ids}
    deployments = {d.unit_id: [(d.start_utc, d.end_utc)] for d in world.deployed}
    busy_with = cover.merge_busy(world.off_duty_busy, deployments, proposal_busy)
    busy_without = cover.merge_busy(world.off_duty_busy, deployments, baseline_busy)
    added = proposal.added_unit_ids
    conflicts = _readiness(session, settings, world, added, span, busy_with, busy_without)
    # a capability held with quantity 0 is not held: the coverage map's rule (domain.coverage.model.unit_keys)
    coverage_units = [
        rules.CoverageUnit(u.id, u.state_code, u.lat, u.lon,
                           frozenset(c.capability_code for c in u.capabilities if c.quantity != 0),
                           world.ready_baseline[u.id])
        for u in world.units.values()
    ]
    eta, note = eta_function(session, settings)
    conflicts += cover.coverage_added(added, windows, coverage_units, settings.training.coverage_threshold_minutes,
                                      busy_with, busy_without, eta)
    if note:
        warnings.append(note)
    return conflicts


def _readiness(session, settings, world: _World, added, span, busy_with, busy_without) -> list[rules.Conflict]:
    states = {world.units[u].state_code for u in added if u in world.units}
    critical = {s: caps for s, caps in critical_capabilities(session, settings, states).items() if caps}
    if not critical:
        return []
    guard_units = [
        rules.GuardUnit(u.id, u.state_code, frozenset(c.capability_code for c in u.capabilities), world.ready_baseline[u.id])
        for u in world.units.values() if u.state_code in critical
    ]
    return cover.readiness_added(critical, guard_units, busy_with, busy_without, span)


# ---------------------------------------------------------------- blocked, or overridden


def _grant_for_override(actor: Actor, conflicts: list[rules.Conflict], host_state: str) -> Grant:
    """The planner must hold ``training.override`` for every state a conflict names; a conflict
    without a state (coverage of a capital) needs a network-wide grant.

    :raise Forbidden: naming the state the actor may not override for.
    """
    for state in sorted({c.state for c in conflicts}, key=lambda s: s or ""):
        if not can(actor, Action.TRAINING_OVERRIDE, state=state):
            where = f"for {rules.state_name(state)}" if state else "network-wide (coverage of the capitals)"
            raise Forbidden(f"you may not override planning conflicts {where}",
                            fields={"override_reason": "needs training.override " + (state or "network-wide")})
    grant = granting(actor, Action.TRAINING_OVERRIDE, state=host_state)
    if grant is None:
        raise Forbidden("you may not override planning conflicts", fields={"override_reason": "needs training.override"})
    return grant


def enforce(actor: Actor, assessment: Assessment, *, override_reason: str | None, host_state: str,
            what: str) -> Grant | None:
    """Raise :class:`TrainingConflict` unless the plan is clear or a permitted override is given.

    :return: the override grant when the conflicts are overridden, else None.
    :raise TrainingConflict: conflicts and no ``override_reason``.
    :raise Forbidden: an override the actor may not give.
    """
    if not assessment.conflicts:
        return None
    if not override_reason:
        first = assessment.conflicts[0]
        n = len(assessment.conflicts)
        raise TrainingConflict(
            f"{what} is blocked by {n} planning conflict{'s' if n != 1 else ''}: {first.message}",
            conflicts=conflicts_wire(assessment.reported_conflicts()),
            summary=conflict_summary_wire(assessment.summary()),
            warnings=assessment.reported_warnings(),
        )
    return _grant_for_override(actor, assessment.conflicts, host_state)


def record_override(session: Session, actor: Actor, grant: Grant, training: Training, reason: str,
                    assessment: Assessment, what: str, now: datetime) -> None:
    """Keep who overrode which conflicts and why, on the training and in the audit trail."""
    conflicts = conflicts_wire(assessment.reported_conflicts())
    training.override_reason = reason
    training.override_by_id = actor.user_id
    training.override_at = now
    training.override_conflicts = conflicts
    audit.record(session, actor, grant.label(), "training.override", "training", training.id,
                 after={"what": what, "reason": reason, "conflicts": conflicts})
