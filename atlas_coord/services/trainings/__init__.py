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

One module per reason to change:

* :mod:`.timing`: when a training happens (zone, rule, exceptions, edited occurrences);
* :mod:`.assessment`: the conflict check and the override decision;
* :mod:`.planning`: check, create, change, cancel; edit and restore one occurrence;
* :mod:`.participation`: invitations, answers, the waiting list, attendance;
* :mod:`.schedule`: the scheduler's reminder and run rows;
* :mod:`.queries`: the reads;
* :mod:`.commands`: the input models the edge validates;
* :mod:`.changes` and :mod:`.publishing`: the frame of a change and its outbox event.

This package re-exports what the edges, the scheduler and the tests call, so
``services.trainings.create_training(...)`` is the one name to use.
"""

from .assessment import (
    BUSY_STATUSES,
    MAX_REPORTED_CONFLICTS,
    OFF_DUTY_KINDS,
    Assessment,
    Proposal,
    TrainingConflict,
    assess,
    critical_capabilities,
    deployed_unit_ids,
    eta_function,
)
from .changes import Saved
from .participation import invite_units, promote_waitlisted, record_attendance, respond
from .planning import (
    cancel_training,
    check_plan,
    create_training,
    edit_occurrence,
    revert_occurrence,
    update_training,
)
from .queries import (
    TrainingDetail,
    TrainingList,
    get_training,
    list_attendance,
    list_trainings,
    training_detail,
    training_query,
    units_by_id,
    units_of,
)
from .schedule import (
    claim_reminder,
    claim_run_end,
    claim_run_start,
    deliver_reminder,
    due_reminder_ids,
    due_run_end_ids,
    due_run_start_ids,
    end_run,
    start_run,
    sync_one,
    sync_schedule,
    trainings_to_sync,
)
from .timing import (
    CHECK_HORIZON,
    MAX_CHECKED_OCCURRENCES,
    MAX_OCCURRENCE,
    Timing,
    timing_of,
    validated_timing,
)

__all__ = [
    "BUSY_STATUSES",
    "CHECK_HORIZON",
    "MAX_CHECKED_OCCURRENCES",
    "MAX_OCCURRENCE",
    "MAX_REPORTED_CONFLICTS",
    "OFF_DUTY_KINDS",
    "Assessment",
    "Proposal",
    "Saved",
    "Timing",
    "TrainingConflict",
    "TrainingDetail",
    "TrainingList",
    "assess",
    "cancel_training",
    "check_plan",
    "claim_reminder",
    "claim_run_end",
    "claim_run_start",
    "create_training",
    "critical_capabilities",
    "deliver_reminder",
    "deployed_unit_ids",
    "due_reminder_ids",
    "due_run_end_ids",
    "due_run_start_ids",
    "edit_occurrence",
    "end_run",
    "eta_function",
    "get_training",
    "invite_units",
    "list_attendance",
    "list_trainings",
    "promote_waitlisted",
    "record_attendance",
    "respond",
    "revert_occurrence",
    "start_run",
    "sync_one",
    "sync_schedule",
    "timing_of",
    "training_detail",
    "training_query",
    "trainings_to_sync",
    "units_by_id",
    "units_of",
    "update_training",
    "validated_timing",
]
