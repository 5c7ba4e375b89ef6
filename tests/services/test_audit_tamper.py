"""Tampering with a request's audit trail behind the application's back is found, and the first
bad record is named: an edited record, a deleted one, two swapped into another order.

The trail comes from a real request story (raise, answers, a unit accepting and returning), and
the tampering is raw SQL, as someone with database access would do it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord.cli import main
from atlas_coord.models import AuditRecord
from atlas_coord.services import audit
from tests.factories import accept_with, deployment_steps, raise_request


@pytest.fixture
def story(database) -> dict[str, int]:
    """A request whose trail has answers, a deployment and readiness changes; seq of its records by action."""
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    with database.transaction() as session:
        records = session.execute(
            sa.select(AuditRecord.action, AuditRecord.seq).where(AuditRecord.request_id == request_id)
            .order_by(AuditRecord.seq)
        ).all()
        assert audit.verify(session).ok
    return dict(records)


def verify(database) -> audit.VerifyResult:
    with database.transaction() as session:
        return audit.verify(session)


def test_the_untouched_trail_verifies(database, story):
    result = verify(database)
    assert result.ok
    assert result.checked >= max(story.values())


def test_an_edited_record_is_named(database, story):
    seq = story["answer.accept"]
    with database.transaction() as session:
        session.execute(sa.text("UPDATE audit_record SET actor_name = 'demo-ca-de' WHERE seq = :seq"), {"seq": seq})

    result = verify(database)

    assert (result.ok, result.first_bad_seq) == (False, seq)
    assert "edited" in result.problem


def test_an_edited_before_and_after_state_is_named(database, story):
    seq = story["deployment.unit_accept"]
    with database.transaction() as session:
        session.execute(sa.update(AuditRecord).where(AuditRecord.seq == seq).values(after={"status": "DECLINED"}))

    result = verify(database)

    assert (result.ok, result.first_bad_seq) == (False, seq)


def test_an_edit_that_also_rewrites_the_records_own_hash_breaks_the_next_link(database, story):
    """Recomputing the edited record's hash does not help: the next record still links to the old one."""
    seq = story["answer.accept"]
    with database.transaction() as session:
        record = session.get(AuditRecord, seq)
        record.actor_name = "demo-ca-de"
        forged = audit._digest(audit._hashed_fields(record))
        session.execute(sa.text("UPDATE audit_record SET actor_name = 'demo-ca-de', hash = :hash WHERE seq = :seq"),
                        {"hash": forged, "seq": seq})
        session.expunge_all()

    result = verify(database)

    assert (result.ok, result.first_bad_seq) == (False, seq + 1)
    assert "link broken" in result.problem


def test_a_deleted_record_is_named(database, story):
    seq = story["request.submit"]
    with database.transaction() as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq = :seq"), {"seq": seq})

    result = verify(database)

    assert result.ok is False
    assert result.first_bad_seq == seq + 1
    assert f"record {seq} is missing" in result.problem


def test_a_deletion_hidden_by_renumbering_the_later_records_is_named(database, story):
    """Deleting a record and shifting the later ones down to close the gap still breaks the chain."""
    seq = story["answer.accept"]
    with database.transaction() as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq = :seq"), {"seq": seq})
        # Two steps, so that no intermediate row collides with the primary key of another.
        session.execute(sa.text("UPDATE audit_record SET seq = -seq WHERE seq > :seq"), {"seq": seq})
        session.execute(sa.text("UPDATE audit_record SET seq = -seq - 1 WHERE seq < 0"))

    result = verify(database)

    assert (result.ok, result.first_bad_seq) == (False, seq)


def test_two_records_put_in_the_other_order_are_named(database, story):
    first, second = story["answer.accept"], story["deployment.alert"]
    assert second == first + 1
    with database.transaction() as session:
        for old, new in ((first, -1), (second, first), (-1, second)):
            session.execute(sa.text("UPDATE audit_record SET seq = :new WHERE seq = :old"), {"old": old, "new": new})

    result = verify(database)

    assert (result.ok, result.first_bad_seq) == (False, first)


def test_the_command_line_names_the_tampered_record_too(db_url, database, story):
    seq = story["deployment.mobilise"]
    with database.transaction() as session:
        session.execute(sa.text("UPDATE audit_record SET actor_role = 'admin' WHERE seq = :seq"), {"seq": seq})

    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "tamper-test-key", "ATLAS_CONFIG": ""}
    result = CliRunner().invoke(main, ["audit", "verify"], env=env, catch_exceptions=False)

    assert result.exit_code == 1
    assert f"record {seq}" in result.output
