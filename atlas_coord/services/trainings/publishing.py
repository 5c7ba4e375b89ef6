"""Who hears of a training and what its events carry: every change is an outbox event with the
training as :class:`~atlas_coord.serializers.trainings.TrainingOut` builds it (the REST body's
shape), frozen in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.models import Training, Unit
from atlas_coord.serializers.trainings import TrainingOut

from .. import events
from .queries import units_of


def audience(training: Training, units: Mapping[int, Unit]) -> list[str]:
    """Everyone, each participating unit and each participating unit's state."""
    rooms = {events.ROOM_ALL}
    for p in training.participants:
        rooms.add(events.unit_room(p.unit_id))
        if p.unit_id in units:
            rooms.add(events.state_room(units[p.unit_id].state_code))
    return sorted(rooms)


def publish(session: Session, training: Training, type_: str, data: Mapping[str, Any]) -> None:
    """Append ``data`` as a ``type_`` event of the training to the outbox, for its audience."""
    events.publish(session, type_, f"training:{training.id}", dict(data), audience(training, units_of(session, [training])))


def current(session: Session, training: Training) -> dict[str, Any]:
    """The training's wire form now (an audit record's ``before``)."""
    return TrainingOut.of(training, units_of(session, [training])).wire()


def publish_training(session: Session, training: Training, type_: str,
                     extra: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[int, Unit]]:
    """Publish the training as it is now, with ``extra``; return its wire form (for the audit
    record) and the units it names (for the edge)."""
    units = units_of(session, [training])
    data = TrainingOut.of(training, units).wire()
    events.publish(session, type_, f"training:{training.id}", {"training": data, **(extra or {})},
                   audience(training, units))
    return data, units
