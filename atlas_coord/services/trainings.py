"""Joint trainings and exercises (Art. 5): plan, check, invite, respond, attend, and the rows
the scheduler works on.

Planning never empties the map. Every create, update, occurrence edit, invitation and
acceptance runs :func:`assess`, which expands the occurrences in a two-year horizon and asks
the pure rules of :mod:`atlas_coord.domain.training_rules`:

* a unit in two overlapping trainings (:func:`find_overlaps`);
* a unit that is deployed (:func:`deployed_conflicts`; busy from now with no planned end);
* the readiness guard: every participating state keeps a READY unit for each capability it
  marks critical (``training.critical_capabilities`` in the configuration, else
  ``State.critical_capabilities``);
* the coverage threshold: every EU capital keeps a unit with each capability within
  ``training.coverage_threshold_minutes``, using the ranking engine's ETA.

The guard and the coverage check run with and without the units whose participation is being
decided, and only what the proposal *adds* is reported. A blocked plan raises
:class:`TrainingConflict` (HTTP 409, code ``training_conflict``) with the conflicts; a
planner with ``training.override`` for every state named may save it anyway with a reason,
which is kept on the training and in the audit trail.

The scheduler's side (:func:`sync_schedule`, :func:`claim_reminder`, :func:`claim_run_start`,
...) works on domain rows claimed with compare-and-set updates; see
:mod:`atlas_coord.scheduler.jobs` for the transactions around them.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain import recurrence
from atlas_coord.domain import training_rules as rules
from atlas_coord.domain.choices import ConflictKind, DeploymentStatus, ReadinessStatus
from atlas_coord.domain.lifecycle import deployment_holds_unit
from atlas_coord.models import (
    Capability,
    State,
    Training,
    TrainingAttendance,
    TrainingOccurrenceOverride,
    TrainingParticipant,
    TrainingReminder,
    TrainingRun,
    Unit,
    utcnow,
)
from atlas_coord.policy import Action, Actor, Grant, can, granting
from atlas_coord.schemas_trainings import (
    AttendanceRecord,
    Invitation,
    OccurrenceEdit,
    ParticipantResponse,
    TrainingCancel,
    TrainingCreate,
    TrainingFilter,
    TrainingUpdate,
)
from atlas_coord.serializers.conflicts import ConflictOut

from . import audit, events
from .errors import Conflict, Forbidden, Invalid, NotFound
from .transitions import check_expected_version, claim_version

log = logging.getLogger(__name__)

#: How far ahead a plan is checked, and at most how many of its occurrences.
CHECK_HORIZON = timedelta(days=730)
MAX_CHECKED_OCCURRENCES = 500
#: At most this many conflicts are returned; the rest are counted in a warning.
MAX_REPORTED_CONFLICTS = 200
#: Longest single occurrence (a multi-day field exercise).
MAX_OCCURRENCE = timedelta(days=14)
#: Occurrences shown with a training when no window is asked for.
DEFAULT_OCCURRENCE_WINDOW = timedelta(days=90)
#: Reminders and runs are materialised this far beyond the longest reminder lead time.
MATERIALISE_SLACK = timedelta(hours=48)
#: Kinds that take the participants off duty unless the planner says otherwise.
OFF_DUTY_KINDS = frozenset({"command_post", "field_exercise", "common_challenge"})
#: Participants counted as taking part (busy) in conflict checks; waitlisted units are not.
BUSY_STATUSES = ("invited", "accepted")
#: Participants reminded of an occurrence.
REMINDED_STATUSES = ("invited", "accepted", "waitlisted")
SYSTEM_ROLE = "system"

_KIND_ORDER = {
    ConflictKind.READINESS_GUARD: 0,
    ConflictKind.COVERAGE_THRESHOLD: 1,
    ConflictKind.UNIT_DEPLOYED: 2,
    ConflictKind.UNIT_OVERLAP: 3,
}

# The member state of each check point of the coverage grid (for the fallback ETA's notice).
_CHECK_POINT_STATE = {
    "Vienna": "AT", "Brussels": "BE", "Sofia": "BG", "Zagreb": "HR", "Nicosia": "CY", "Prague": "CZ",
    "Copenhagen": "DK", "Tallinn": "EE", "Helsinki": "FI", "Paris": "FR", "Berlin": "DE", "Athens": "GR",
    "Budapest": "HU", "Dublin": "IE", "Rome": "IT", "Riga": "LV", "Vilnius": "LT", "Luxembourg": "LU",
    "Valletta": "MT", "Amsterdam": "NL", "Warsaw": "PL", "Lisbon": "PT", "Bucharest": "RO",
    "Bratislava": "SK", "Ljubljana": "SI", "Madrid": "ES", "Stockholm": "SE", "Oslo": "NO",
    "Reykjavík": "IS", "Bern": "CH", "London": "GB",
}


class TrainingConflict(Conflict):
    """The plan breaks a planning rule; ``conflicts`` (in the error body) say which, where and when."""

    code = "training_conflict"


# =============================================================================== timing


@dataclass(frozen=True)
class Timing:
    """When a training happens: the venue's zone, the first occurrence as naive wall times,
    the rule, its exceptions and the edited occurrences."""

    tz: str
    start_local: datetime
    end_local: datetime
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    overrides: Mapping[datetime, recurrence.OccurrenceOverride] = field(default_factory=dict)

    @property
    def duration(self) -> timedelta:
        return self.end_local - self.start_local

    def occurrences(self, start_utc: datetime, end_utc: datetime, max_count: int = MAX_CHECKED_OCCURRENCES):
        return recurrence.expand(
            self.start_local, self.tz, self.duration, self.rrule,
            exdates=self.exdates, overrides=self.overrides,
            window_start_utc=start_utc, window_end_utc=end_utc, max_count=max_count,
        )

    def first_instants(self) -> tuple[datetime, datetime]:
        return recurrence.resolve_local(self.start_local, self.tz)[0], recurrence.resolve_local(self.end_local, self.tz)[0]

    def series_end_utc(self) -> datetime | None:
        """End of the last occurrence (moved occurrences included), or None if open-ended."""
        last = recurrence.last_start(self.start_local, self.tz, self.rrule)
        if last is None:
            return None
        ends = [recurrence.resolve_local(last + self.duration, self.tz)[0]]
        for rid, edit in self.overrides.items():
            if not edit.cancelled:
                start = edit.start_local or rid
                ends.append(recurrence.resolve_local(edit.end_local or start + self.duration, self.tz)[0])
        return max(ends)

    def contains(self, recurrence_id: datetime) -> bool:
        """True when ``recurrence_id`` is an occurrence of the rule and not excluded."""
        return not recurrence.orphaned_overrides(
            self.start_local, self.tz, self.rrule, [recurrence_id], exdates=self.exdates
        )


def timing_of(training: Training, overrides: Iterable[TrainingOccurrenceOverride] | None = None) -> Timing:
    rows = training.occurrence_overrides if overrides is None else overrides
    return Timing(
        tz=training.timezone,
        start_local=training.start_local,
        end_local=training.end_local,
        rrule=training.rrule,
        exdates=tuple(datetime.fromisoformat(x) for x in training.exdates or ()),
        overrides={
            o.recurrence_id: recurrence.OccurrenceOverride(o.start_local, o.end_local, o.cancelled, o.title)
            for o in rows
        },
    )


def _validated_timing(
    tz: str,
    start_local: datetime,
    end_local: datetime,
    rrule: str | None,
    exdates: Iterable[datetime],
    *,
    align: bool,
    overrides: Mapping[datetime, recurrence.OccurrenceOverride] | None = None,
) -> Timing:
    """Cross-field timing rules; the start is moved to the rule's first occurrence if ``align``.

    :raise Invalid: naming ``end_local``, ``start_local``, ``rrule`` or ``exdates.N``.
    """
    if end_local <= start_local:
        raise Invalid("the training must end after it starts", fields={"end_local": "must be after start_local"})
    if end_local - start_local > MAX_OCCURRENCE:
        raise Invalid(
            f"one occurrence may last at most {MAX_OCCURRENCE.days} days",
            fields={"end_local": f"at most {MAX_OCCURRENCE.days} days after start_local"},
        )
    exdates = sorted(set(exdates))
    if rrule is not None:
        try:
            first = recurrence.align_start(start_local, rrule, tz)
        except ValueError as exc:
            raise Invalid(str(exc), fields={"rrule": str(exc)}) from exc
        if first != start_local:
            if not align:
                message = (f"{start_local:%Y-%m-%d %H:%M} is not an occurrence of {rrule}; the first one is "
                           f"{first:%Y-%m-%dT%H:%M} (send align_start=true to start the series there)")
                raise Invalid(message, fields={"start_local": message})
            end_local = first + (end_local - start_local)
            start_local = first
    elif exdates:
        raise Invalid("exceptions need a recurrence rule", fields={"exdates": "only for a series with rrule"})
    stray = set(recurrence.orphaned_overrides(start_local, tz, rrule, exdates))
    for index, value in enumerate(exdates):
        if value in stray:
            raise Invalid(
                f"{value:%Y-%m-%d %H:%M} is not an occurrence of the series",
                fields={f"exdates.{index}": "not an occurrence of the series"},
            )
    return Timing(tz, start_local, end_local, rrule, tuple(exdates), dict(overrides or {}))


def _iso_local(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="minutes")


def _iso_utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# =============================================================================== assessment


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
    """The conflicts a proposal adds, notes for the planner, and the occurrences checked."""

    conflicts: list[rules.Conflict]
    warnings: list[str]
    occurrences: list[recurrence.Occurrence]

    def conflicts_json(self) -> list[dict[str, Any]]:
        return [ConflictOut.of(c).wire() for c in self.conflicts[:MAX_REPORTED_CONFLICTS]]

    def warnings_json(self) -> list[str]:
        extra = len(self.conflicts) - MAX_REPORTED_CONFLICTS
        more = [f"{extra} more conflicts are not listed"] if extra > 0 else []
        return self.warnings + more


@dataclass
class _World:
    """Everything outside the proposal that the rules need, loaded once per check."""

    units: dict[int, Unit]
    ready_baseline: dict[int, bool]
    deployed: list[rules.Deployment]
    windows_by_unit: dict[int, list[rules.UnitWindow]]
    off_duty_busy: dict[int, list[tuple[datetime, datetime | None]]]


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
    """Units committed to a deployment: readiness COMMITTED, or a deployment row that holds the
    unit (when the requests layer provides a ``Deployment`` model)."""
    ids = set(session.scalars(sa.select(Unit.id).where(Unit.readiness_status == ReadinessStatus.COMMITTED.value)))
    from atlas_coord import models

    deployment = getattr(models, "Deployment", None)
    unit_col = getattr(deployment, "unit_id", None)
    status_col = getattr(deployment, "status", None)
    if deployment is not None and unit_col is not None and status_col is not None:
        holding = [s.value for s in DeploymentStatus if deployment_holds_unit(s.value)]
        ids |= set(session.scalars(sa.select(unit_col).where(status_col.in_(holding))))
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


def _load_world(session: Session, span: tuple[datetime, datetime], ignore_training_id: int | None, now: datetime) -> _World:
    units = {u.id: u for u in session.scalars(sa.select(Unit).options(selectinload(Unit.capabilities)))}
    switched_from = _active_run_previous_status(session)
    ready = {}
    for unit in units.values():
        status = unit.readiness_status
        if status == ReadinessStatus.TRAINING.value and unit.id in switched_from:
            status = switched_from[unit.id]
        ready[unit.id] = status == ReadinessStatus.READY.value
    deployed = [rules.Deployment(uid, now, None, units[uid].state_code) for uid in sorted(deployed_unit_ids(session)) if uid in units]

    start, end = span
    query = (
        sa.select(Training)
        .where(
            Training.status == "planned",
            Training.start_utc < end,
            sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > start),
        )
        .options(selectinload(Training.participants), selectinload(Training.occurrence_overrides))
    )
    if ignore_training_id is not None:
        query = query.where(Training.id != ignore_training_id)
    windows: dict[int, list[rules.UnitWindow]] = defaultdict(list)
    off_duty: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for other in session.scalars(query):
        busy = [p.unit_id for p in other.participants if p.status in BUSY_STATUSES]
        if not busy:
            continue
        for occ in timing_of(other).occurrences(start, end, max_count=4 * MAX_CHECKED_OCCURRENCES):
            for unit_id in busy:
                state = units[unit_id].state_code if unit_id in units else None
                windows[unit_id].append(
                    rules.UnitWindow(unit_id, state, occ.start_utc, occ.end_utc, other.id, occ.title or other.title)
                )
                if other.units_off_duty:
                    off_duty[unit_id].append((occ.start_utc, occ.end_utc))
    return _World(units, ready, deployed, windows, off_duty)


def _merge_busy(*sources: Mapping[int, Iterable[tuple[datetime, datetime | None]]]) -> dict[int, list]:
    merged: dict[int, list] = defaultdict(list)
    for source in sources:
        for unit_id, intervals in source.items():
            merged[unit_id].extend(intervals)
    return merged


def _subtract(window: tuple[datetime, datetime], covering: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    pieces = [window]
    for s, e in covering:
        next_pieces = []
        for a, b in pieces:
            if e <= a or s >= b:
                next_pieces.append((a, b))
                continue
            if a < s:
                next_pieces.append((a, s))
            if e < b:
                next_pieces.append((e, b))
        pieces = next_pieces
    return pieces


def _only_added(
    with_proposal: list[rules.Conflict],
    without_proposal: list[rules.Conflict],
    recheck: Callable[[rules.Conflict, tuple[datetime, datetime]], list[rules.Conflict]],
) -> list[rules.Conflict]:
    """The conflicts of ``with_proposal`` minus what ``without_proposal`` already has, per
    (kind, state, capability, point); partly covered windows are re-checked on the rest."""
    def key(c: rules.Conflict):
        return (c.kind, c.state, c.capability, c.point)

    covered: dict[tuple, list] = defaultdict(list)
    for c in without_proposal:
        covered[key(c)].append((c.window_start, c.window_end))
    added: list[rules.Conflict] = []
    for c in with_proposal:
        whole = (c.window_start, c.window_end)
        pieces = _subtract(whole, covered.get(key(c), ()))
        if pieces == [whole]:
            added.append(c)
        else:
            for piece in pieces:
                added.extend(recheck(c, piece))
    return added


def eta_function(settings, units: Mapping[int, Unit]) -> tuple[Callable[[Any, float, float], float | None], str | None]:
    """The ETA used by the coverage check: the ranking engine's (``services.matching.eta_minutes``),
    with domestic notice to move when the check point lies in the unit's own state.
    Returns ``(eta_fn, warning_or_None)``."""
    from atlas_coord.domain.eta import DEFAULT_ETA, EtaParams
    from atlas_coord.services import matching

    params = EtaParams.from_mapping(settings.eta) if settings.eta else DEFAULT_ETA
    point_state = {(p.lat, p.lon): _CHECK_POINT_STATE.get(p.name) for p in rules.EU_CAPITALS}
    snapshots: dict[int, Any] = {}

    def ranking_eta(unit: rules.CoverageUnit, lat: float, lon: float) -> float | None:
        if unit.id not in snapshots:
            snapshots[unit.id] = matching.unit_snapshot(units[unit.id])
        return matching.eta_minutes(snapshots[unit.id], lat, lon, params, point_state=point_state.get((lat, lon)))

    return ranking_eta, None


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
    occurrences = proposal.timing.occurrences(start, end, max_count=MAX_CHECKED_OCCURRENCES + 1)
    if len(occurrences) > MAX_CHECKED_OCCURRENCES:
        occurrences = occurrences[:MAX_CHECKED_OCCURRENCES]
        warnings.append(f"only the first {MAX_CHECKED_OCCURRENCES} occurrences were checked "
                        f"(up to {occurrences[-1].start_utc:%Y-%m-%d})")
    if not occurrences:
        return Assessment([], ["no occurrence in the checked window"], [])
    added = proposal.added_unit_ids
    if not added:
        return Assessment([], warnings, occurrences)
    span = (min(o.start_utc for o in occurrences), max(o.end_utc for o in occurrences))
    world = _load_world(session, span, proposal.training_id, now)

    conflicts: list[rules.Conflict] = []
    for unit_id in sorted(added):
        mine = world.windows_by_unit.get(unit_id, [])
        for occ in occurrences:
            if mine:
                conflicts += rules.find_overlaps([unit_id], occ.start_utc, occ.end_utc, mine)
    conflicts += _deployed(added, occurrences, world.deployed)

    if proposal.units_off_duty:
        proposal_busy = {u: [(o.start_utc, o.end_utc) for o in occurrences] for u in proposal.unit_ids}
        baseline_busy = {u: proposal_busy[u] for u in proposal.baseline_unit_ids}
        deployments = {d.unit_id: [(d.start_utc, d.end_utc)] for d in world.deployed}
        busy_with = _merge_busy(world.off_duty_busy, deployments, proposal_busy)
        busy_without = _merge_busy(world.off_duty_busy, deployments, baseline_busy)
        conflicts += _readiness(session, settings, world, added, span, busy_with, busy_without)
        coverage, note = _coverage(settings, world, added, occurrences, busy_with, busy_without)
        conflicts += coverage
        if note:
            warnings.append(note)
    conflicts.sort(key=lambda c: (_KIND_ORDER.get(c.kind, 9), c.window_start, c.state or "", c.capability or "",
                                  c.point or "", str(c.unit_id)))
    return Assessment(conflicts, warnings, occurrences)


def _deployed(added, occurrences, deployments) -> list[rules.Conflict]:
    """One conflict per deployed unit (its first occurrence), counting the occurrences affected."""
    first: dict[Any, rules.Conflict] = {}
    count: dict[Any, int] = defaultdict(int)
    for occ in occurrences:
        for c in rules.deployed_conflicts(added, occ.start_utc, occ.end_utc, deployments):
            first.setdefault(c.unit_id, c)
            count[c.unit_id] += 1
    return [replace(c, details={**c.details, "occurrences_affected": count[u]}) for u, c in first.items()]


def _readiness(session, settings, world: _World, added, span, busy_with, busy_without) -> list[rules.Conflict]:
    states = {world.units[u].state_code for u in added if u in world.units}
    critical = {s: caps for s, caps in critical_capabilities(session, settings, states).items() if caps}
    if not critical:
        return []
    guard_units = [
        rules.GuardUnit(u.id, u.state_code, frozenset(c.capability_code for c in u.capabilities), world.ready_baseline[u.id])
        for u in world.units.values() if u.state_code in critical
    ]
    with_ = rules.readiness_guard(critical, guard_units, busy_with, span)
    if not with_:
        return []
    without = rules.readiness_guard(critical, guard_units, busy_without, span)
    return _only_added(
        with_, without,
        lambda c, piece: rules.readiness_guard({c.state: [c.capability]}, guard_units, busy_with, piece),
    )


def _coverage(settings, world: _World, added, occurrences, busy_with, busy_without):
    threshold = settings.training.coverage_threshold_minutes
    coverage_units = [
        rules.CoverageUnit(u.id, u.state_code, u.lat, u.lon, frozenset(c.capability_code for c in u.capabilities),
                           world.ready_baseline[u.id])
        for u in world.units.values()
    ]
    by_id = {cu.id: cu for cu in coverage_units}
    eta, note = eta_function(settings, world.units)
    cache: dict[tuple[int, str], float] = {}

    def cached_eta(unit: rules.CoverageUnit, lat: float, lon: float) -> float | None:
        key = (unit.id, f"{lat},{lon}")
        if key not in cache:
            try:
                value = eta(unit, lat, lon)
            except (ValueError, TypeError, KeyError):
                log.warning("no ETA for unit %r to %r,%r", unit.id, lat, lon, exc_info=True)
                value = None
            cache[key] = math.inf if value is None else float(value)
        return cache[key]

    # Only (point, capability) pairs that an added unit serves within the threshold can get worse.
    relevant: dict[rules.CheckPoint, set[str]] = defaultdict(set)
    for unit_id in added:
        unit = by_id.get(unit_id)
        if unit is None or not unit.ready:
            continue
        for point in rules.EU_CAPITALS:
            if cached_eta(unit, point.lat, point.lon) <= threshold:
                relevant[point] |= unit.capabilities
    conflicts: list[rules.Conflict] = []
    for point, caps in relevant.items():
        caps_list = sorted(caps)
        for occ in occurrences:
            window = (occ.start_utc, occ.end_utc)
            with_ = rules.coverage_threshold_check([point], caps_list, threshold, window, coverage_units, busy_with, cached_eta)
            if not with_:
                continue
            without = rules.coverage_threshold_check([point], caps_list, threshold, window, coverage_units, busy_without, cached_eta)
            conflicts += _only_added(
                with_, without,
                lambda c, piece, p=point: rules.coverage_threshold_check(
                    [p], [c.capability], threshold, piece, coverage_units, busy_with, cached_eta),
            )
    return conflicts, note


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


def _enforce(
    session: Session,
    actor: Actor,
    assessment: Assessment,
    *,
    override_reason: str | None,
    host_state: str,
    what: str,
) -> Grant | None:
    """Raise :class:`TrainingConflict` unless the plan is clear or a permitted override is given.

    :return: the override grant when the conflicts are overridden, else None.
    """
    if not assessment.conflicts:
        return None
    if not override_reason:
        first = assessment.conflicts[0]
        n = len(assessment.conflicts)
        raise TrainingConflict(
            f"{what} is blocked by {n} planning conflict{'s' if n != 1 else ''}: {first.message}",
            conflicts=assessment.conflicts_json(),
            warnings=assessment.warnings_json(),
        )
    return _grant_for_override(actor, assessment.conflicts, host_state)


def _record_override(session, actor: Actor, grant: Grant, training: Training, reason: str,
                     assessment: Assessment, what: str, now: datetime) -> None:
    conflicts = assessment.conflicts_json()
    training.override_reason = reason
    training.override_by_id = actor.user_id
    training.override_at = now
    training.override_conflicts = conflicts
    audit.record(session, actor, grant.label(), "training.override", "training", training.id,
                 after={"what": what, "reason": reason, "conflicts": conflicts})


# =============================================================================== views


def participant_view(p: TrainingParticipant, units: Mapping[int, Unit]) -> dict[str, Any]:
    unit = units.get(p.unit_id)
    return {
        "unit_id": p.unit_id,
        "unit_name": unit.name if unit else None,
        "state": unit.state_code if unit else None,
        "role": p.role,
        "status": p.status,
        "invitation_order": p.invitation_order,
        "invited_at": _iso_utc(p.invited_at),
        "responded_at": _iso_utc(p.responded_at),
    }


def occurrence_view(occ: recurrence.Occurrence, conflicts: Iterable[rules.Conflict] = ()) -> dict[str, Any]:
    return {
        "recurrence_id": _iso_local(occ.recurrence_id),
        "start_local": occ.start_local.isoformat(timespec="minutes"),
        "end_local": occ.end_local.isoformat(timespec="minutes"),
        "start_utc": _iso_utc(occ.start_utc),
        "end_utc": _iso_utc(occ.end_utc),
        "overridden": occ.overridden,
        "title": occ.title,
        "conflicts": [ConflictOut.of(c).wire() for c in conflicts],
    }


def training_view(training: Training, units: Mapping[int, Unit]) -> dict[str, Any]:
    host = units.get(training.host_unit_id)
    guests_accepted = sum(1 for p in training.participants if p.role == "guest" and p.status == "accepted")
    return {
        "id": training.id,
        "kind": training.kind,
        "title": training.title,
        "description": training.description,
        "host_unit": {"id": training.host_unit_id, "name": host.name if host else None,
                      "state": host.state_code if host else None},
        "venue": {"name": training.venue_name, "lat": training.venue_lat, "lon": training.venue_lon},
        "timezone": training.timezone,
        "start_local": _iso_local(training.start_local),
        "end_local": _iso_local(training.end_local),
        "start_utc": _iso_utc(training.start_utc),
        "end_utc": _iso_utc(training.end_utc),
        "series_end_utc": _iso_utc(training.series_end_utc),
        "rrule": training.rrule,
        "exdates": list(training.exdates or []),
        "environments": list(training.environments or []),
        "capabilities": list(training.capabilities or []),
        "capacity": training.capacity,
        "places_taken": guests_accepted,
        "funding_note": training.funding_note,
        "break_off_min": training.break_off_min,
        "units_off_duty": training.units_off_duty,
        "status": training.status,
        "cancel_reason": training.cancel_reason,
        "override": None if not training.override_reason else {
            "reason": training.override_reason,
            "by_id": training.override_by_id,
            "at": _iso_utc(training.override_at),
            "conflicts": training.override_conflicts or [],
        },
        "participants": [participant_view(p, units) for p in training.participants],
        "occurrence_overrides": [
            {"recurrence_id": _iso_local(o.recurrence_id), "start_local": _iso_local(o.start_local),
             "end_local": _iso_local(o.end_local), "cancelled": o.cancelled, "title": o.title}
            for o in training.occurrence_overrides
        ],
        "version": training.version,
        "created_at": _iso_utc(training.created_at),
        "updated_at": _iso_utc(training.updated_at),
        "ical_url": f"/api/v1/trainings/{training.id}.ics",
    }


def units_by_id(session: Session, ids: Iterable[int]) -> dict[int, Unit]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(wanted)))}


def units_of(session: Session, trainings: Iterable[Training]) -> dict[int, Unit]:
    ids: set[int] = set()
    for t in trainings:
        ids.add(t.host_unit_id)
        ids.update(p.unit_id for p in t.participants)
    return units_by_id(session, ids)


def view(session: Session, training: Training) -> dict[str, Any]:
    return training_view(training, units_of(session, [training]))


# =============================================================================== reads


def _require_read(actor: Actor) -> None:
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


def _as_utc(value: datetime | date | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    moment = datetime.combine(value, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def list_trainings(session: Session, actor: Actor, filters: TrainingFilter) -> tuple[list[Training], int]:
    """Trainings in a stable order (first start, id), filtered and paged.

    A date range keeps the trainings with at least one occurrence in ``[from, to)``.

    :raise Forbidden: the actor may not read trainings.
    :raise Invalid: ``to`` not after ``from``; unknown state.
    """
    _require_read(actor)
    lo, hi = _as_utc(filters.from_), _as_utc(filters.to, end=True)
    if lo is not None and hi is not None and hi <= lo:
        raise Invalid("the range must end after it starts", fields={"to": "must be after from"})
    query = training_query().order_by(Training.start_utc, Training.id)
    if filters.status:
        query = query.where(Training.status == filters.status)
    if filters.kind:
        query = query.where(Training.kind == filters.kind)
    if filters.unit:
        query = query.where(sa.or_(
            Training.host_unit_id == filters.unit,
            Training.id.in_(sa.select(TrainingParticipant.training_id).where(TrainingParticipant.unit_id == filters.unit)),
        ))
    if filters.state:
        if session.get(State, filters.state) is None:
            raise Invalid(f"unknown state {filters.state!r}", fields={"state": "unknown state code"})
        state_units = sa.select(Unit.id).where(Unit.state_code == filters.state)
        query = query.where(sa.or_(
            Training.host_unit_id.in_(state_units),
            Training.id.in_(sa.select(TrainingParticipant.training_id).where(TrainingParticipant.unit_id.in_(state_units))),
        ))
    if hi is not None:
        query = query.where(Training.start_utc < hi)
    if lo is not None:
        query = query.where(sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > lo))
    found = list(session.scalars(query))
    if lo is not None or hi is not None:
        window = (lo or datetime(1970, 1, 1, tzinfo=UTC), hi or datetime(9000, 1, 1, tzinfo=UTC))
        found = [t for t in found if timing_of(t).occurrences(*window, max_count=1)]
    start = (filters.page - 1) * filters.per_page
    return found[start : start + filters.per_page], len(found)


def training_detail(
    session: Session,
    actor: Actor,
    settings,
    training_id: int,
    *,
    window_from: datetime | date | None = None,
    window_to: datetime | date | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The training with its occurrences in a window (default: the next 90 days), each with the
    conflicts it adds, and warnings.

    :raise Forbidden: may not read trainings. :raise NotFound: no such training.
    :raise Invalid: the window ends before it starts.
    """
    _require_read(actor)
    now = now or utcnow()
    training = get_training(session, training_id)
    lo = _as_utc(window_from) or now
    hi = _as_utc(window_to, end=True) or lo + DEFAULT_OCCURRENCE_WINDOW
    if hi <= lo:
        raise Invalid("the window must end after it starts", fields={"to": "must be after from"})
    if hi - lo > CHECK_HORIZON:
        raise Invalid("the window may span at most two years", fields={"to": "at most two years after from"})
    timing = timing_of(training)
    occurrences = timing.occurrences(lo, hi)
    warnings: list[str] = []
    conflicts: list[rules.Conflict] = []
    if training.status == "planned" and hi > now:
        assessment = assess(session, settings, _proposal_of(training), now=now, window=(lo, hi))
        conflicts, warnings = assessment.conflicts, assessment.warnings
    orphans = recurrence.orphaned_overrides(training.start_local, training.timezone, training.rrule,
                                            list(timing.overrides), exdates=timing.exdates)
    if orphans:
        warnings.append("edits of occurrences the series no longer has are ignored: "
                        + ", ".join(f"{o:%Y-%m-%d %H:%M}" for o in orphans))
    result = view(session, training)
    result["occurrences"] = [
        occurrence_view(o, [c for c in conflicts if c.window_start < o.end_utc and (c.window_end or hi) > o.start_utc])
        for o in occurrences
    ]
    result["window"] = {"from": _iso_utc(lo), "to": _iso_utc(hi)}
    result["warnings"] = warnings
    return result


def _proposal_of(training: Training, *, timing: Timing | None = None, unit_ids: Iterable[int] | None = None,
                 baseline: Iterable[int] = (), units_off_duty: bool | None = None, title: str | None = None) -> Proposal:
    busy = unit_ids if unit_ids is not None else [p.unit_id for p in training.participants if p.status in BUSY_STATUSES]
    return Proposal(
        training_id=training.id,
        title=title or training.title,
        timing=timing or timing_of(training),
        unit_ids=frozenset(busy),
        units_off_duty=training.units_off_duty if units_off_duty is None else units_off_duty,
        baseline_unit_ids=frozenset(baseline),
    )


# =============================================================================== writes: plan


def _unit_or_invalid(session: Session, unit_id: int, field_name: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise Invalid(f"unit {unit_id} not found", fields={field_name: "unknown unit"})
    return unit


def _check_codes(session: Session, codes: list[str], field_name: str) -> None:
    known = set(session.scalars(sa.select(Capability.code).where(Capability.code.in_(codes))))
    for index, code in enumerate(codes):
        if code not in known:
            raise Invalid(f"unknown capability {code!r}", fields={f"{field_name}.{index}": "unknown capability code"})


def _plan_grant(actor: Actor, state: str) -> Grant:
    grant = granting(actor, Action.TRAINING_PLAN, state=state)
    if grant is None:
        raise Forbidden(f"you may not plan trainings hosted in {rules.state_name(state)}")
    return grant


def _require_planned(training: Training) -> None:
    if training.status != "planned":
        raise Conflict(f"training {training.id} is {training.status}", current={"status": training.status})


def _audience(training: Training, units: Mapping[int, Unit]) -> list[str]:
    rooms = {events.ROOM_ALL}
    for p in training.participants:
        rooms.add(events.unit_room(p.unit_id))
        if p.unit_id in units:
            rooms.add(events.state_room(units[p.unit_id].state_code))
    return sorted(rooms)


def _publish(session: Session, training: Training, type_: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    units = units_of(session, [training])
    data = training_view(training, units)
    events.publish(session, type_, f"training:{training.id}", {"training": data, **(extra or {})},
                   _audience(training, units))
    return data


@dataclass
class Saved:
    """A saved training with what the check found (overridden conflicts, warnings)."""

    training: Training
    assessment: Assessment
    overridden: bool = False


def check_plan(session: Session, actor: Actor, settings, data, *, now: datetime | None = None) -> Assessment:
    """Dry run of a create (or of a change when ``data.training_id`` is set): the conflicts and
    warnings, nothing saved.

    :raise Forbidden: may not plan trainings at that host.
    :raise Invalid: unknown unit or capability, bad timing (the field is named).
    :raise NotFound: ``training_id`` names no training.
    """
    now = now or utcnow()
    host = _unit_or_invalid(session, data.host_unit_id, "host_unit_id")
    _plan_grant(actor, host.state_code)
    _check_codes(session, data.capabilities, "capabilities")
    _check_codes(session, data.environments, "environments")
    for index, unit_id in enumerate(data.invite_unit_ids):
        _unit_or_invalid(session, unit_id, f"invite_unit_ids.{index}")
    timing = _validated_timing(data.timezone, data.start_local, data.end_local, data.rrule, data.exdates,
                               align=data.align_start)
    training_id = getattr(data, "training_id", None)
    unit_ids = {host.id, *data.invite_unit_ids}
    if training_id is not None:
        existing = get_training(session, training_id)
        unit_ids |= {p.unit_id for p in existing.participants if p.status in BUSY_STATUSES and p.role == "guest"}
        timing = replace(timing, overrides=timing_of(existing).overrides)
    off_duty = data.units_off_duty if data.units_off_duty is not None else data.kind in OFF_DUTY_KINDS
    proposal = Proposal(training_id, data.title, timing, frozenset(unit_ids), off_duty)
    return assess(session, settings, proposal, now=now)


def create_training(session: Session, actor: Actor, settings, data: TrainingCreate, *, now: datetime | None = None) -> Saved:
    """Plan a training hosted by a unit; the host takes part (accepted), ``invite_unit_ids`` are
    invited in order.

    :raise Forbidden: may not plan at that host's state, or may not override the conflicts.
    :raise Invalid: unknown unit or capability, the host invited as a guest, bad timing.
    :raise TrainingConflict: the plan breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    host = _unit_or_invalid(session, data.host_unit_id, "host_unit_id")
    grant = _plan_grant(actor, host.state_code)
    _check_codes(session, data.capabilities, "capabilities")
    _check_codes(session, data.environments, "environments")
    for index, unit_id in enumerate(data.invite_unit_ids):
        _unit_or_invalid(session, unit_id, f"invite_unit_ids.{index}")
        if unit_id == host.id:
            raise Invalid("the host unit takes part as host", fields={f"invite_unit_ids.{index}": "is the host unit"})
    timing = _validated_timing(data.timezone, data.start_local, data.end_local, data.rrule, data.exdates,
                               align=data.align_start)
    off_duty = data.units_off_duty if data.units_off_duty is not None else data.kind in OFF_DUTY_KINDS
    proposal = Proposal(None, data.title, timing, frozenset({host.id, *data.invite_unit_ids}), off_duty)
    assessment = assess(session, settings, proposal, now=now)
    override_grant = _enforce(session, actor, assessment, override_reason=data.override_reason,
                              host_state=host.state_code, what="the training")

    start_utc, end_utc = timing.first_instants()
    training = Training(
        kind=data.kind, title=data.title, description=data.description, host_unit_id=host.id,
        venue_name=data.venue.name, venue_lat=data.venue.lat, venue_lon=data.venue.lon,
        timezone=timing.tz, start_local=timing.start_local, end_local=timing.end_local,
        start_utc=start_utc, end_utc=end_utc, series_end_utc=timing.series_end_utc(),
        rrule=timing.rrule, exdates=[x.isoformat() for x in timing.exdates],
        environments=list(dict.fromkeys(data.environments)), capabilities=list(dict.fromkeys(data.capabilities)),
        capacity=data.capacity, funding_note=data.funding_note, break_off_min=data.break_off_min,
        units_off_duty=off_duty, status="planned", created_by_id=actor.user_id,
        created_at=now, updated_at=now, schedule_changed_at=now,
    )
    training.participants = [
        TrainingParticipant(unit_id=host.id, role="host", status="accepted", invitation_order=0,
                            invited_at=now, invited_by_id=actor.user_id, responded_at=now, responded_by_id=actor.user_id),
        *[TrainingParticipant(unit_id=u, role="guest", status="invited", invitation_order=i + 1,
                              invited_at=now, invited_by_id=actor.user_id)
          for i, u in enumerate(data.invite_unit_ids)],
    ]
    session.add(training)
    session.flush()
    if override_grant is not None:
        _record_override(session, actor, override_grant, training, data.override_reason, assessment, "create", now)
    sync_schedule(session, settings, training, now=now)
    session.flush()
    after = _publish(session, training, "training.created", {"warnings": assessment.warnings})
    audit.record(session, actor, grant.label(), "training.create", "training", training.id, after=after)
    return Saved(training, assessment, override_grant is not None)


_TIMING_FIELDS = {"timezone", "start_local", "end_local", "rrule", "exdates"}


def update_training(session: Session, actor: Actor, settings, training_id: int, data: TrainingUpdate,
                    *, now: datetime | None = None) -> Saved:
    """Change a planned training; only the fields given change. The whole plan is checked again.

    :raise NotFound: no such training.
    :raise Forbidden: may not plan at the (old or new) host's state, or may not override.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise Invalid: unknown unit or capability, bad timing (the field is named).
    :raise TrainingConflict: the changed plan breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = _plan_grant(actor, host.state_code)
    _require_planned(training)
    check_expected_version(training, data.expected_version, f"training {training.id}")
    changes = data.model_dump(exclude_unset=True, exclude={"expected_version", "override_reason", "align_start"})
    new_host = host
    if "host_unit_id" in changes:
        if data.host_unit_id is None:
            raise Invalid("a training needs a host unit", fields={"host_unit_id": "required"})
        new_host = _unit_or_invalid(session, data.host_unit_id, "host_unit_id")
        _plan_grant(actor, new_host.state_code)
    for name in ("capabilities", "environments"):
        if changes.get(name) is not None:
            _check_codes(session, changes[name], name)
    before = view(session, training)

    old_timing = timing_of(training)
    timing_changed = bool(_TIMING_FIELDS & changes.keys())
    timing = old_timing
    if timing_changed:
        exdates = data.exdates if "exdates" in changes and data.exdates is not None else (
            [] if "exdates" in changes else list(old_timing.exdates))
        timing = _validated_timing(
            changes.get("timezone") or old_timing.tz,
            changes.get("start_local") or old_timing.start_local,
            changes.get("end_local") or old_timing.end_local,
            data.rrule if "rrule" in changes else old_timing.rrule,
            exdates, align=data.align_start, overrides=old_timing.overrides,
        )
    kind = changes.get("kind") or training.kind
    off_duty = changes["units_off_duty"] if changes.get("units_off_duty") is not None else training.units_off_duty
    busy = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES and p.role == "guest"} | {new_host.id}
    proposal = _proposal_of(training, timing=timing, unit_ids=busy, units_off_duty=off_duty,
                            title=changes.get("title") or training.title)
    assessment = assess(session, settings, proposal, now=now)
    override_grant = _enforce(session, actor, assessment, override_reason=data.override_reason,
                              host_state=new_host.state_code, what="the change")

    seen_version = training.version
    simple = ("title", "description", "funding_note", "break_off_min", "capacity", "environments", "capabilities")
    for name in simple:
        if name in changes and (changes[name] is not None or name in ("description", "funding_note", "capacity")):
            setattr(training, name, changes[name])
    training.kind = kind
    training.units_off_duty = off_duty
    if "venue" in changes and data.venue is not None:
        training.venue_name, training.venue_lat, training.venue_lon = data.venue.name, data.venue.lat, data.venue.lon
    if timing_changed:
        _apply_timing(training, timing, now)
    if new_host.id != host.id:
        _change_host(training, host.id, new_host.id, actor, now)
    if "capacity" in changes:
        _promote_waitlisted(session, settings, training, now)
    if override_grant is not None:
        _record_override(session, actor, override_grant, training, data.override_reason, assessment, "update", now)
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    sync_schedule(session, settings, training, now=now)
    after = _publish(session, training, "training.updated", {"warnings": assessment.warnings})
    audit.record(session, actor, grant.label(), "training.update", "training", training.id, before=before, after=after)
    return Saved(training, assessment, override_grant is not None)


def _apply_timing(training: Training, timing: Timing, now: datetime) -> None:
    start_utc, end_utc = timing.first_instants()
    training.timezone = timing.tz
    training.start_local, training.end_local = timing.start_local, timing.end_local
    training.start_utc, training.end_utc = start_utc, end_utc
    training.rrule = timing.rrule
    training.exdates = [x.isoformat() for x in timing.exdates]
    training.series_end_utc = timing.series_end_utc()
    training.schedule_changed_at = now


def _change_host(training: Training, old_host_id: int, new_host_id: int, actor: Actor, now: datetime) -> None:
    training.host_unit_id = new_host_id
    for p in list(training.participants):
        if p.unit_id == old_host_id and p.role == "host":
            training.participants.remove(p)
    existing = next((p for p in training.participants if p.unit_id == new_host_id), None)
    if existing is None:
        training.participants.append(TrainingParticipant(
            unit_id=new_host_id, role="host", status="accepted", invitation_order=0, invited_at=now,
            invited_by_id=actor.user_id, responded_at=now, responded_by_id=actor.user_id))
    else:
        existing.role, existing.status, existing.responded_at = "host", "accepted", now


def cancel_training(session: Session, actor: Actor, settings, training_id: int, data: TrainingCancel,
                    *, now: datetime | None = None) -> Training:
    """Cancel the training (all its occurrences); unsent reminders are dropped and a running
    occurrence ends at the next scheduler run, restoring readiness.

    :raise NotFound: no such training. :raise Forbidden: may not plan at the host's state.
    :raise Conflict: already cancelled, or ``expected_version`` is stale.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = _plan_grant(actor, host.state_code)
    _require_planned(training)
    check_expected_version(training, data.expected_version, f"training {training.id}")
    before = view(session, training)
    seen_version = training.version
    training.status = "cancelled"
    training.cancel_reason = data.reason
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    sync_schedule(session, settings, training, now=now)
    after = _publish(session, training, "training.cancelled", {"reason": data.reason})
    audit.record(session, actor, grant.label(), "training.cancel", "training", training.id, before=before, after=after)
    return training


def edit_occurrence(session: Session, actor: Actor, settings, training_id: int, recurrence_id: datetime,
                    data: OccurrenceEdit, *, now: datetime | None = None) -> Saved:
    """Move, rename or cancel one occurrence (RFC 5545 RECURRENCE-ID), keyed by its original
    local start. A move is checked like any change.

    :raise NotFound: no such training, or ``recurrence_id`` is not one of its occurrences.
    :raise Forbidden: may not plan at the host's state, or may not override.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise Invalid: the edited occurrence would end before it starts.
    :raise TrainingConflict: the move breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = _plan_grant(actor, host.state_code)
    _require_planned(training)
    check_expected_version(training, data.expected_version, f"training {training.id}")
    timing = timing_of(training)
    if not timing.contains(recurrence_id):
        raise NotFound(f"{recurrence_id:%Y-%m-%d %H:%M} is not an occurrence of training {training_id}",
                       fields={"recurrence_id": "not an occurrence of the series"})
    start = data.start_local or recurrence_id
    end = data.end_local or start + timing.duration
    if not data.cancelled:
        if end <= start:
            raise Invalid("the occurrence must end after it starts", fields={"end_local": "must be after start_local"})
        if end - start > MAX_OCCURRENCE:
            raise Invalid(f"one occurrence may last at most {MAX_OCCURRENCE.days} days",
                          fields={"end_local": f"at most {MAX_OCCURRENCE.days} days after start_local"})
    edit = recurrence.OccurrenceOverride(data.start_local, data.end_local, data.cancelled, data.title)
    new_timing = replace(timing, overrides={**timing.overrides, recurrence_id: edit})
    assessment = Assessment([], [], [])
    override_grant = None
    if not data.cancelled:
        window = (recurrence.resolve_local(min(start, recurrence_id), training.timezone)[0] - timedelta(days=1),
                  recurrence.resolve_local(max(end, recurrence_id + timing.duration), training.timezone)[0] + timedelta(days=1))
        assessment = assess(session, settings, _proposal_of(training, timing=new_timing), now=now, window=window)
        override_grant = _enforce(session, actor, assessment, override_reason=data.override_reason,
                                  host_state=host.state_code, what="the edit")
    before = view(session, training)
    seen_version = training.version
    row = next((o for o in training.occurrence_overrides if o.recurrence_id == recurrence_id), None)
    if row is None:
        row = TrainingOccurrenceOverride(recurrence_id=recurrence_id)
        training.occurrence_overrides.append(row)
    row.start_local, row.end_local, row.cancelled, row.title = data.start_local, data.end_local, data.cancelled, data.title
    row.edited_by_id, row.edited_at = actor.user_id, now
    training.series_end_utc = new_timing.series_end_utc()
    training.schedule_changed_at = now
    if override_grant is not None:
        _record_override(session, actor, override_grant, training, data.override_reason, assessment, "occurrence", now)
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    sync_schedule(session, settings, training, now=now)
    occurrence = {"recurrence_id": _iso_local(recurrence_id), "cancelled": data.cancelled,
                  "start_local": _iso_local(data.start_local), "end_local": _iso_local(data.end_local), "title": data.title}
    after = _publish(session, training, "training.updated", {"occurrence": occurrence})
    audit.record(session, actor, grant.label(), "training.occurrence_edit", "training", training.id,
                 before=before, after={"occurrence": occurrence, "version": after["version"]})
    return Saved(training, assessment, override_grant is not None)


def revert_occurrence(session: Session, actor: Actor, settings, training_id: int, recurrence_id: datetime,
                      *, now: datetime | None = None) -> Training:
    """Drop the edit of one occurrence: it happens as the rule says again (checked like any change).

    :raise NotFound: no such training or no edit of that occurrence.
    :raise Forbidden: may not plan at the host's state.
    :raise TrainingConflict: the restored occurrence breaks a planning rule.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = _plan_grant(actor, host.state_code)
    _require_planned(training)
    row = next((o for o in training.occurrence_overrides if o.recurrence_id == recurrence_id), None)
    if row is None:
        raise NotFound(f"no edit of the occurrence {recurrence_id:%Y-%m-%d %H:%M}", fields={"recurrence_id": "not edited"})
    timing = timing_of(training)
    overrides = {k: v for k, v in timing.overrides.items() if k != recurrence_id}
    start_utc = recurrence.resolve_local(recurrence_id, training.timezone)[0]
    assessment = assess(session, settings, _proposal_of(training, timing=replace(timing, overrides=overrides)), now=now,
                        window=(start_utc - timedelta(days=1), start_utc + timing.duration + timedelta(days=1)))
    _enforce(session, actor, assessment, override_reason=None, host_state=host.state_code, what="restoring the occurrence")
    seen_version = training.version
    training.occurrence_overrides.remove(row)
    training.series_end_utc = replace(timing, overrides=overrides).series_end_utc()
    training.schedule_changed_at = now
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    sync_schedule(session, settings, training, now=now)
    occurrence = {"recurrence_id": _iso_local(recurrence_id), "reverted": True}
    _publish(session, training, "training.updated", {"occurrence": occurrence})
    audit.record(session, actor, grant.label(), "training.occurrence_revert", "training", training.id, after=occurrence)
    return training


# =============================================================================== writes: participants


def invite_units(session: Session, actor: Actor, settings, training_id: int, data: Invitation,
                 *, now: datetime | None = None) -> Saved:
    """Invite units (in the given order, behind those already invited). A unit that declined may
    be invited again. The invited units are checked like a change of the plan.

    :raise NotFound: no such training. :raise Forbidden: may not plan at the host's state.
    :raise Invalid: unknown unit, or a unit already invited, waiting or taking part.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise TrainingConflict: the invited units would break a planning rule.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = _plan_grant(actor, host.state_code)
    _require_planned(training)
    check_expected_version(training, data.expected_version, f"training {training.id}")
    by_unit = {p.unit_id: p for p in training.participants}
    for index, unit_id in enumerate(data.unit_ids):
        _unit_or_invalid(session, unit_id, f"unit_ids.{index}")
        existing = by_unit.get(unit_id)
        if existing is not None and existing.status != "declined":
            raise Invalid(f"unit {unit_id} is already {existing.status}", fields={f"unit_ids.{index}": f"already {existing.status}"})
    current = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES}
    proposal = _proposal_of(training, unit_ids=current | set(data.unit_ids), baseline=current)
    assessment = assess(session, settings, proposal, now=now)
    override_grant = _enforce(session, actor, assessment, override_reason=data.override_reason,
                              host_state=host.state_code, what="the invitation")
    seen_version = training.version
    order = max((p.invitation_order for p in training.participants), default=0)
    for unit_id in data.unit_ids:
        order += 1
        existing = by_unit.get(unit_id)
        if existing is None:
            training.participants.append(TrainingParticipant(
                unit_id=unit_id, role="guest", status="invited", invitation_order=order,
                invited_at=now, invited_by_id=actor.user_id))
        else:
            existing.status, existing.invitation_order, existing.invited_at = "invited", order, now
            existing.invited_by_id, existing.responded_at, existing.responded_by_id = actor.user_id, None, None
    if override_grant is not None:
        _record_override(session, actor, override_grant, training, data.override_reason, assessment, "invite", now)
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    change = {"change": "invited", "unit_ids": list(data.unit_ids)}
    after = _publish(session, training, "training.participant_changed", change)
    audit.record(session, actor, grant.label(), "training.invite", "training", training.id,
                 after={**change, "participants": after["participants"]})
    return Saved(training, assessment, override_grant is not None)


def respond(session: Session, actor: Actor, settings, training_id: int, unit_id: int, data: ParticipantResponse,
            *, now: datetime | None = None) -> Saved:
    """A unit answers its invitation: its commander or its state's competent authority.

    "accept" becomes accepted while places are free (after the conflict check), else
    waitlisted; "decline" frees the place, and the first units on the waiting list (by
    invitation order) move up, each after its own conflict check.

    :raise NotFound: no such training, or the unit is not invited to it.
    :raise Forbidden: neither the unit's commander nor its state's competent authority; or an
        override without the right.
    :raise Conflict: the training is cancelled, or the unit is the host.
    :raise TrainingConflict: the unit's participation breaks a planning rule.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    participant = next((p for p in training.participants if p.unit_id == unit_id), None)
    if participant is None:
        raise NotFound(f"unit {unit_id} is not invited to training {training_id}", fields={"unit_id": "not invited"})
    unit = session.get(Unit, unit_id)
    grant = granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id)
    if grant is None:
        raise Forbidden("only the unit's commander or its state's competent authority may answer")
    _require_planned(training)
    if participant.role == "host":
        raise Conflict("the host unit takes part by definition; change the host instead", current={"role": "host"})
    previous = participant.status
    wanted = "accepted" if data.answer == "accept" else "declined"
    if previous == wanted or (previous == "waitlisted" and data.answer == "accept"):
        return Saved(training, Assessment([], [], []))
    host = session.get(Unit, training.host_unit_id)
    seen_version = training.version
    assessment = Assessment([], [], [])
    override_grant = None
    promoted: list[int] = []
    if data.answer == "accept":
        accepted_guests = sum(1 for p in training.participants if p.role == "guest" and p.status == "accepted")
        outcome = rules.decide_acceptance(training.capacity, accepted_guests)
        if outcome == "accepted":
            others = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES and p.unit_id != unit_id}
            assessment = assess(session, settings, _proposal_of(training, unit_ids=others | {unit_id}, baseline=others), now=now)
            override_grant = _enforce(session, actor, assessment, override_reason=data.override_reason,
                                      host_state=host.state_code, what=f"{unit.name}'s acceptance")
        participant.status = outcome
    else:
        participant.status = "declined"
    participant.responded_at, participant.responded_by_id = now, actor.user_id
    if previous == "accepted" and participant.status == "declined":
        promoted = _promote_waitlisted(session, settings, training, now)
    if override_grant is not None:
        _record_override(session, actor, override_grant, training, data.override_reason, assessment, "accept", now)
    claim_version(session, training, seen_version, f"training {training.id}", updated_at=utcnow())
    change = {"change": "responded", "unit_id": unit_id, "previous": previous, "status": participant.status,
              "promoted_unit_ids": promoted}
    _publish(session, training, "training.participant_changed", change)
    audit.record(session, actor, grant.label(), "training.respond", "training", training.id, after=change)
    return Saved(training, assessment, override_grant is not None)


def _promote_waitlisted(session: Session, settings, training: Training, now: datetime) -> list[int]:
    """Move waiting units up while places are free, first in line first. A unit whose
    participation would now break a planning rule stays on the list and the next one moves up."""
    promoted: list[int] = []
    passed_over: set[int] = set()
    while True:
        queue = [(p.unit_id, p.status, p.invitation_order) for p in training.participants
                 if p.role == "guest" and p.unit_id not in passed_over]
        candidates = rules.promote_from_waitlist(training.capacity, queue)
        if not candidates:
            return promoted
        unit_id = candidates[0]
        others = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES and p.unit_id != unit_id}
        assessment = assess(session, settings, _proposal_of(training, unit_ids=others | {unit_id}, baseline=others), now=now)
        if assessment.conflicts:
            log.info("waitlisted unit %r stays waiting for training %r: %s", unit_id, training.id,
                     assessment.conflicts[0].message)
            passed_over.add(unit_id)
            continue
        participant = next(p for p in training.participants if p.unit_id == unit_id)
        participant.status, participant.responded_at = "accepted", now
        promoted.append(unit_id)


def record_attendance(session: Session, actor: Actor, training_id: int, data: AttendanceRecord,
                      *, now: datetime | None = None) -> list[TrainingAttendance]:
    """Record who attended one occurrence, once it has started: the planner for any participant,
    a unit's commander or competent authority for that unit. Recording again replaces the entry.

    :raise NotFound: no such training, or ``recurrence_id`` is not one of its occurrences.
    :raise Forbidden: may record for none of the units given.
    :raise Invalid: a unit that was never invited (``entries.N.unit_id``).
    :raise Conflict: the occurrence has not started yet.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    _require_read(actor)
    host = session.get(Unit, training.host_unit_id)
    planner = granting(actor, Action.TRAINING_PLAN, state=host.state_code)
    participants = {p.unit_id for p in training.participants}
    if planner is None:
        # Who may record is settled first, so a refusal does not depend on the occurrence's time.
        for index, entry in enumerate(data.entries):
            unit = session.get(Unit, entry.unit_id) if entry.unit_id in participants else None
            if unit is not None and granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id) is None:
                raise Forbidden(f"you may not record attendance for {unit.name}",
                                fields={f"entries.{index}.unit_id": "not yours"})
    timing = timing_of(training)
    rid = data.recurrence_id
    if not timing.contains(rid):
        raise NotFound(f"{rid:%Y-%m-%d %H:%M} is not an occurrence of training {training_id}",
                       fields={"recurrence_id": "not an occurrence of the series"})
    edit = timing.overrides.get(rid)
    start_local = edit.start_local if edit and edit.start_local else rid
    if recurrence.resolve_local(start_local, training.timezone)[0] > now:
        raise Conflict("attendance is recorded once the occurrence has started", fields={"recurrence_id": "not started yet"})
    existing = {a.unit_id: a for a in session.scalars(
        sa.select(TrainingAttendance).where(TrainingAttendance.training_id == training.id,
                                            TrainingAttendance.recurrence_id == rid))}
    rows, role = [], None
    for index, entry in enumerate(data.entries):
        if entry.unit_id not in participants:
            raise Invalid(f"unit {entry.unit_id} was not invited", fields={f"entries.{index}.unit_id": "not a participant"})
        unit = session.get(Unit, entry.unit_id)
        grant = planner or granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id)
        if grant is None:
            raise Forbidden(f"you may not record attendance for {unit.name}", fields={f"entries.{index}.unit_id": "not yours"})
        role = role or grant.label()
        row = existing.get(entry.unit_id) or TrainingAttendance(training_id=training.id, unit_id=entry.unit_id, recurrence_id=rid)
        row.attended, row.personnel, row.hours, row.note = entry.attended, entry.personnel, entry.hours, entry.note
        row.recorded_by_id, row.recorded_at = actor.user_id, now
        session.add(row)
        rows.append(row)
    session.flush()
    change = {"change": "attendance", "recurrence_id": _iso_local(rid), "entries": [attendance_view(r) for r in rows]}
    events.publish(session, "training.participant_changed", f"training:{training.id}", {"training_id": training.id, **change},
                   _audience(training, units_of(session, [training])))
    audit.record(session, actor, role, "training.attendance", "training", training.id, after=change)
    return rows


def attendance_view(row: TrainingAttendance) -> dict[str, Any]:
    return {"unit_id": row.unit_id, "recurrence_id": _iso_local(row.recurrence_id), "attended": row.attended,
            "personnel": row.personnel, "hours": row.hours, "note": row.note, "recorded_at": _iso_utc(row.recorded_at)}


def list_attendance(session: Session, actor: Actor, training_id: int) -> list[dict[str, Any]]:
    """:raise Forbidden: may not read trainings. :raise NotFound: no such training."""
    _require_read(actor)
    get_training(session, training_id)
    rows = session.scalars(sa.select(TrainingAttendance).where(TrainingAttendance.training_id == training_id)
                           .order_by(TrainingAttendance.recurrence_id, TrainingAttendance.unit_id))
    return [attendance_view(r) for r in rows]


# =============================================================================== the scheduler's rows


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, so two schedulers materialising the same rows agree."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).on_conflict_do_nothing(), rows)


def materialise_horizon(settings) -> timedelta:
    return timedelta(hours=max(settings.training.reminder_lead_hours or [0])) + MATERIALISE_SLACK


def sync_schedule(session: Session, settings, training: Training, *, now: datetime | None = None) -> None:
    """Bring the training's reminder and run rows in line with its occurrences up to the horizon.

    Reminders are created per occurrence and lead time when due no earlier than the last change
    of the timing (so a training planned two days ahead gets no "one week before" reminder);
    unsent ones of moved or dropped occurrences are updated or deleted. Runs not yet started
    follow their occurrence; a running one whose occurrence was cancelled or shortened gets
    its end moved (to now at the latest), so the scheduler restores readiness. Every change is
    conditional on the row not being claimed, so it is safe beside a running scheduler.
    """
    now = now or utcnow()
    session.flush()
    reminders = session.scalars(sa.select(TrainingReminder).where(
        TrainingReminder.training_id == training.id, TrainingReminder.sent_at.is_(None))).all()
    runs = session.scalars(sa.select(TrainingRun).where(
        TrainingRun.training_id == training.id, TrainingRun.ended_at.is_(None))).all()
    horizon_end = now + materialise_horizon(settings)
    for row in [*reminders, *runs]:
        start = row.occurrence_start_utc if isinstance(row, TrainingReminder) else row.start_utc
        horizon_end = max(horizon_end, start + timedelta(days=1))
    occurrences = []
    if training.status == "planned":
        occurrences = timing_of(training).occurrences(now - MAX_OCCURRENCE, horizon_end, max_count=10 * MAX_CHECKED_OCCURRENCES)
    by_rid = {o.recurrence_id: o for o in occurrences}

    wanted_reminders: dict[tuple[datetime, int], tuple[datetime, datetime]] = {}
    for occ in occurrences:
        if occ.start_utc <= now:
            continue
        for lead in sorted(set(settings.training.reminder_lead_hours)):
            due = occ.start_utc - timedelta(hours=lead)
            if due >= training.schedule_changed_at - timedelta(seconds=1) and due <= horizon_end:
                wanted_reminders[(occ.recurrence_id, lead)] = (due, occ.start_utc)
    for row in reminders:
        want = wanted_reminders.pop((row.recurrence_id, row.lead_hours), None)
        if want is None:
            session.execute(sa.delete(TrainingReminder).where(TrainingReminder.id == row.id, TrainingReminder.sent_at.is_(None)))
        elif (row.due_at, row.occurrence_start_utc) != want:
            session.execute(sa.update(TrainingReminder).where(TrainingReminder.id == row.id, TrainingReminder.sent_at.is_(None))
                            .values(due_at=want[0], occurrence_start_utc=want[1]))
    _insert_ignoring_duplicates(session, TrainingReminder, [
        {"training_id": training.id, "recurrence_id": rid, "lead_hours": lead, "due_at": due, "occurrence_start_utc": start}
        for (rid, lead), (due, start) in sorted(wanted_reminders.items())
    ])

    # Existing rows follow their occurrence (a missed one is closed by the start step, with a
    # note); new rows are made only for occurrences that have not ended.
    wanted_runs = {rid: (o.start_utc, o.end_utc) for rid, o in by_rid.items()}
    for row in runs:
        want = wanted_runs.pop(row.recurrence_id, None)
        if row.started_at is None:
            if want is None:
                session.execute(sa.delete(TrainingRun).where(TrainingRun.id == row.id, TrainingRun.started_at.is_(None)))
            elif (row.start_utc, row.end_utc) != want:
                session.execute(sa.update(TrainingRun).where(TrainingRun.id == row.id, TrainingRun.started_at.is_(None))
                                .values(start_utc=want[0], end_utc=want[1]))
        else:
            new_end = now if want is None else max(want[1], now)
            if new_end != row.end_utc:
                session.execute(sa.update(TrainingRun).where(TrainingRun.id == row.id, TrainingRun.ended_at.is_(None))
                                .values(end_utc=new_end))
    _insert_ignoring_duplicates(session, TrainingRun, [
        {"training_id": training.id, "recurrence_id": rid, "start_utc": s, "end_utc": e, "switched_units": [], "notes": []}
        for rid, (s, e) in sorted(wanted_runs.items()) if e > now
    ])
    session.expire_all()


def trainings_to_sync(session: Session, settings, now: datetime) -> list[int]:
    """Planned trainings with an occurrence that may need rows before the horizon ends."""
    horizon_end = now + materialise_horizon(settings)
    return list(session.scalars(
        sa.select(Training.id).where(
            Training.status == "planned",
            Training.start_utc < horizon_end,
            sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > now - MAX_OCCURRENCE),
        ).order_by(Training.id)
    ))


def sync_one(session: Session, settings, training_id: int, now: datetime) -> None:
    training = session.get(Training, training_id)
    if training is not None:
        sync_schedule(session, settings, training, now=now)


def due_reminder_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    return list(session.scalars(
        sa.select(TrainingReminder.id).where(TrainingReminder.sent_at.is_(None), TrainingReminder.due_at <= now)
        .order_by(TrainingReminder.due_at, TrainingReminder.id).limit(limit)
    ))


def claim_reminder(session: Session, reminder_id: int, now: datetime, worker: str) -> TrainingReminder | None:
    """Compare-and-set ``sent_at`` from NULL; None when another scheduler got there first."""
    result = session.execute(
        sa.update(TrainingReminder).where(TrainingReminder.id == reminder_id, TrainingReminder.sent_at.is_(None))
        .values(sent_at=now, claimed_by=worker)
    )
    if result.rowcount != 1:
        return None
    return session.get(TrainingReminder, reminder_id, populate_existing=True)


def deliver_reminder(session: Session, reminder: TrainingReminder, now: datetime) -> str:
    """Send a claimed reminder: a ``training.reminder`` event to the participants' unit and state
    rooms and an audit record. Skipped when the training was cancelled or the occurrence has
    started; superseded when a shorter lead time for the same occurrence is also due.
    Returns the outcome, which is stored on the row."""
    training = session.scalar(training_query().where(Training.id == reminder.training_id))
    outcome = "sent"
    if training is None or training.status != "planned" or reminder.occurrence_start_utc <= now:
        outcome = "skipped"
    else:
        shorter_due = session.scalar(sa.select(sa.func.count()).select_from(TrainingReminder).where(
            TrainingReminder.training_id == reminder.training_id,
            TrainingReminder.recurrence_id == reminder.recurrence_id,
            TrainingReminder.lead_hours < reminder.lead_hours,
            TrainingReminder.due_at <= now,
        ))
        if shorter_due:
            outcome = "superseded"
    reminder.outcome = outcome
    session.flush()
    if outcome != "sent":
        return outcome
    units = units_of(session, [training])
    recipients = sorted(p.unit_id for p in training.participants if p.status in REMINDED_STATUSES)
    rooms = {events.unit_room(u) for u in recipients} | {events.state_room(units[u].state_code) for u in recipients if u in units}
    start_utc, start_local = recurrence.resolve_local(_occurrence_start_local(training, reminder.recurrence_id), training.timezone)
    venue = {"name": training.venue_name, "lat": training.venue_lat, "lon": training.venue_lon}
    data = {
        "reminder_id": reminder.id,
        "training_id": training.id,
        "title": training.title,
        "kind": training.kind,
        "subject": f"Reminder: {training.title} on {start_local:%a %d %b %Y %H:%M} ({training.timezone}), "
                   f"{training.venue_name}",
        "lead_hours": reminder.lead_hours,
        "occurrence": {"recurrence_id": _iso_local(reminder.recurrence_id), "start_local": start_local.isoformat(timespec="minutes"),
                       "start_utc": _iso_utc(start_utc), "timezone": training.timezone},
        "venue": venue,
        "unit_ids": recipients,
    }
    events.publish(session, "training.reminder", f"training:{training.id}", data, sorted(rooms))
    audit.record(session, None, SYSTEM_ROLE, "training.reminder", "training", training.id,
                 after={k: data[k] for k in ("reminder_id", "lead_hours", "occurrence", "unit_ids")})
    return outcome


def _occurrence_start_local(training: Training, rid: datetime) -> datetime:
    edit = next((o for o in training.occurrence_overrides if o.recurrence_id == rid), None)
    return edit.start_local if edit is not None and edit.start_local is not None else rid


def due_run_start_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return list(session.scalars(
        sa.select(TrainingRun.id).where(TrainingRun.started_at.is_(None), TrainingRun.start_utc <= now)
        .order_by(TrainingRun.start_utc, TrainingRun.id).limit(limit)
    ))


def due_run_end_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return list(session.scalars(
        sa.select(TrainingRun.id).where(TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None),
                                        TrainingRun.end_utc <= now)
        .order_by(TrainingRun.end_utc, TrainingRun.id).limit(limit)
    ))


def claim_run_start(session: Session, run_id: int, now: datetime, worker: str) -> TrainingRun | None:
    """Compare-and-set ``started_at`` from NULL; None when another scheduler got there first."""
    result = session.execute(
        sa.update(TrainingRun).where(TrainingRun.id == run_id, TrainingRun.started_at.is_(None))
        .values(started_at=now, started_by=worker)
    )
    return session.get(TrainingRun, run_id, populate_existing=True) if result.rowcount == 1 else None


def claim_run_end(session: Session, run_id: int, now: datetime, worker: str) -> TrainingRun | None:
    """Compare-and-set ``ended_at`` from NULL; None when another scheduler got there first."""
    result = session.execute(
        sa.update(TrainingRun).where(TrainingRun.id == run_id, TrainingRun.started_at.is_not(None),
                                     TrainingRun.ended_at.is_(None))
        .values(ended_at=now, ended_by=worker)
    )
    return session.get(TrainingRun, run_id, populate_existing=True) if result.rowcount == 1 else None


def _units_in_other_runs(session: Session, run: TrainingRun) -> dict[int, dict[str, Any]]:
    """unit id -> its switch entry in another running occurrence (started, not ended)."""
    others = session.scalars(sa.select(TrainingRun).where(
        TrainingRun.id != run.id, TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None)))
    held: dict[int, dict[str, Any]] = {}
    for other in others:
        for entry in other.switched_units or []:
            held.setdefault(int(entry["unit_id"]), entry)
    return held


def start_run(session: Session, run: TrainingRun, now: datetime, worker: str) -> dict[str, Any]:
    """A claimed occurrence starts: accepted units of an off-duty training switch to TRAINING
    with the training's break-off time; a COMMITTED unit is skipped and noted. An occurrence
    whose training was cancelled, or that ended while no scheduler ran, is closed unswitched."""
    from . import directory

    training = session.scalar(training_query().where(Training.id == run.training_id))
    if training is None or training.status != "planned" or run.end_utc <= now:
        run.ended_at, run.ended_by = now, worker
        run.notes = [*(run.notes or []), {"note": "not started: " + ("cancelled" if training is None or training.status != "planned"
                                                                     else "ended before the scheduler ran")}]
        session.flush()
        return {"run_id": run.id, "started": False}
    switched, notes = [], list(run.notes or [])
    if training.units_off_duty:
        held = _units_in_other_runs(session, run)
        accepted = sorted(p.unit_id for p in training.participants if p.status == "accepted")
        for unit in session.scalars(sa.select(Unit).where(Unit.id.in_(accepted)).order_by(Unit.id)):
            if unit.readiness_status == ReadinessStatus.COMMITTED.value:
                notes.append({"unit_id": unit.id, "note": "skipped: committed to a deployment"})
                continue
            previous = held.get(unit.id) or {"previous_status": unit.readiness_status,
                                             "previous_break_off_min": unit.readiness_break_off_min}
            switched.append({"unit_id": unit.id, "previous_status": previous["previous_status"],
                             "previous_break_off_min": previous.get("previous_break_off_min")})
            directory.apply_readiness(session, unit, status=ReadinessStatus.TRAINING.value,
                                      reason=f"in training: {training.title}"[:500], source="training", actor=None,
                                      role=SYSTEM_ROLE, break_off_min=training.break_off_min)
    run.switched_units, run.notes = switched, notes
    session.flush()
    data = {"training_id": training.id, "title": training.title, "recurrence_id": _iso_local(run.recurrence_id),
            "start_utc": _iso_utc(run.start_utc), "end_utc": _iso_utc(run.end_utc),
            "switched_unit_ids": [s["unit_id"] for s in switched], "notes": notes}
    events.publish(session, "training.started", f"training:{training.id}", data,
                   _audience(training, units_of(session, [training])))
    audit.record(session, None, SYSTEM_ROLE, "training.start", "training", training.id, after=data)
    return {"run_id": run.id, "started": True, **data}


def end_run(session: Session, run: TrainingRun, now: datetime) -> dict[str, Any]:
    """A claimed occurrence ends: each switched unit still in TRAINING and in no other running
    training gets its previous status back; a unit changed meanwhile (e.g. COMMITTED) is left
    as it is and noted."""
    from . import directory

    training = session.scalar(training_query().where(Training.id == run.training_id))
    held = _units_in_other_runs(session, run)
    restored, notes = [], list(run.notes or [])
    for entry in run.switched_units or []:
        unit = session.get(Unit, int(entry["unit_id"]))
        if unit is None:
            continue
        if unit.id in held:
            notes.append({"unit_id": unit.id, "note": "still in another training; left in TRAINING"})
            continue
        if unit.readiness_status != ReadinessStatus.TRAINING.value:
            notes.append({"unit_id": unit.id, "note": f"not restored: now {unit.readiness_status}"})
            continue
        status = entry["previous_status"]
        break_off = entry.get("previous_break_off_min") if status == ReadinessStatus.TRAINING.value else None
        title = training.title if training is not None else f"training {run.training_id}"
        directory.apply_readiness(session, unit, status=status, reason=f"training ended: {title}"[:500],
                                  source="training", actor=None, role=SYSTEM_ROLE, break_off_min=break_off)
        restored.append(unit.id)
    run.notes = notes
    session.flush()
    data = {"training_id": run.training_id, "title": training.title if training else None,
            "recurrence_id": _iso_local(run.recurrence_id), "restored_unit_ids": restored, "notes": notes}
    audience = _audience(training, units_of(session, [training])) if training is not None else [events.ROOM_ALL]
    events.publish(session, "training.ended", f"training:{run.training_id}", data, audience)
    audit.record(session, None, SYSTEM_ROLE, "training.end", "training", run.training_id, after=data)
    return {"run_id": run.id, **data}
