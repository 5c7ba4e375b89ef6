"""The outbox hands committed events to the live layer only once the committing transaction has
given its connection back to the pool.

The live layer may need a connection of the same pool while it emits (to read a gap from the
outbox). When the emit ran inside ``after_commit``, a burst of committing requests held every
connection while they waited for the live layer, which waited for a connection: the pool timed
out, requests answered 500 and the events the live layer could not read never reached clients
(found by ``make loadtest``).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import Event
from atlas_coord.services import events


@pytest.fixture
def emitted(database):
    """What the emitter saw: the seqs handed over, and the outbox as a fresh session read it then."""
    seen: list[dict] = []

    def emitter(batch):
        checked_out = database.engine.pool.checkedout()
        with database.session_factory() as reader:
            stored = reader.scalars(sa.select(Event.seq).where(Event.seq.in_([e["seq"] for e, _ in batch]))).all()
        seen.append({"seqs": [e["seq"] for e, _ in batch], "checked_out": checked_out, "readable": sorted(stored)})

    events.set_emitter(emitter)
    yield seen
    events.set_emitter(None)


def test_the_emitter_runs_after_the_connection_is_back_and_can_read_the_outbox(database, emitted):
    with database.transaction() as session:
        first = events.publish(session, "test.pool", "test", {"i": 1}, [events.ROOM_ALL])
        second = events.publish(session, "test.pool", "test", {"i": 2}, [events.ROOM_ALL])
    first, second = first.seq, second.seq  # numbered when the transaction committed

    assert emitted == [{"seqs": [first, second], "checked_out": 0, "readable": [first, second]}]


def test_events_of_a_rolled_back_transaction_are_never_emitted(database, emitted):
    def failing_change():
        with database.transaction() as session:
            events.publish(session, "test.pool", "test", {"i": 1}, [events.ROOM_ALL])
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        failing_change()

    with database.transaction() as session:
        kept = events.publish(session, "test.pool", "test", {"i": 2}, [events.ROOM_ALL])
    kept = kept.seq

    assert [batch["seqs"] for batch in emitted] == [[kept]]
