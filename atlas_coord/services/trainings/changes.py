"""The frame of every change to a planned training: load it, check the planner may plan at its
host, that it is still planned and that the caller saw the current version (:func:`open_change`);
at the end, claim the next version with a compare-and-set (:meth:`Change.claim`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.domain import training_rules as rules
from atlas_coord.domain.choices import TrainingStatus
from atlas_coord.models import Training, Unit, utcnow
from atlas_coord.policy import Action, Actor, Grant, granting

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..transitions import check_expected_version, claim_version
from .assessment import Assessment, nothing_checked
from .publishing import publish_training
from .queries import get_training
from .schedule import sync_schedule


@dataclass
class Saved:
    """A saved training with what the check found (overridden conflicts, warnings), and the
    units it names (for its response)."""

    training: Training
    assessment: Assessment = field(default_factory=nothing_checked)
    overridden: bool = False
    units: dict[int, Unit] = field(default_factory=dict)


def unit_or_invalid(session: Session, unit_id: int, field_name: str) -> Unit:
    """:raise Invalid: no such unit (naming ``field_name``)."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise Invalid(f"unit {unit_id} not found", fields={field_name: "unknown unit"})
    return unit


def plan_grant(actor: Actor, state: str) -> Grant:
    """:raise Forbidden: the actor may not plan trainings hosted in ``state``."""
    grant = granting(actor, Action.TRAINING_PLAN, state=state)
    if grant is None:
        raise Forbidden(f"you may not plan trainings hosted in {rules.state_name(state)}")
    return grant


def require_planned(training: Training) -> None:
    """:raise Conflict: the training is cancelled."""
    if training.status != TrainingStatus.PLANNED:
        raise Conflict(f"training {training.id} is {training.status}", current={"status": training.status})


@dataclass
class Change:
    """A change under way: the training, its host, the planner's grant and the version seen."""

    training: Training
    host: Unit
    grant: Grant
    seen_version: int

    @property
    def what(self) -> str:
        return f"training {self.training.id}"

    def claim(self, session: Session) -> None:
        """Take the next version; of two changes planned from the same version one wins.

        :raise Conflict: someone else changed the training meanwhile.
        """
        claim_version(session, self.training, self.seen_version, self.what, updated_at=utcnow())

    def publish(self, session: Session, settings, type_: str, extra: Mapping[str, Any], *, now: datetime,
                sync: bool = True) -> tuple[dict[str, Any], dict[int, Unit]]:
        """Claim the version, bring the scheduler's rows in line (``sync``) and publish the event.

        :return: the training's wire form (for the audit record) and the units it names.
        :raise Conflict: someone else changed the training meanwhile.
        """
        self.claim(session)
        if sync:
            sync_schedule(session, settings, self.training, now=now)
        return publish_training(session, self.training, type_, extra)


def open_change(session: Session, actor: Actor, training_id: int, expected_version: int | None = None) -> Change:
    """Load a training for a planner's change.

    :raise NotFound: no such training.
    :raise Forbidden: may not plan at the host's state.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    """
    training = get_training(session, training_id)
    host = session.get(Unit, training.host_unit_id)
    grant = plan_grant(actor, host.state_code)
    require_planned(training)
    check_expected_version(training, expected_version, f"training {training.id}")
    return Change(training, host, grant, training.version)


def edited_row(training: Training, recurrence_id: datetime):
    """The stored edit of the occurrence ``recurrence_id``, or None."""
    return next((o for o in training.occurrence_overrides if o.recurrence_id == recurrence_id), None)


def not_an_occurrence(training_id: int, recurrence_id: datetime) -> NotFound:
    return NotFound(f"{recurrence_id:%Y-%m-%d %H:%M} is not an occurrence of training {training_id}",
                    fields={"recurrence_id": "not an occurrence of the series"})
