"""Tampering with the audit trail behind the application's back is found, and the first bad record
is named: an edited record, a deleted one, two swapped, a forged append, a cut tail and a suffix
re-hashed without the key (or with it, behind a checkpoint).

The trail comes from a real request story (raise, answers, a unit accepting and mobilising),
sealed with the test key and anchored by a checkpoint in the test's own witness file; the
tampering is raw SQL, as someone with database access (but not the key, nor the witness) would
do it. On PostgreSQL that someone must also be able to get past the append-only trigger, as the
table's owner or a superuser can: ``behind_the_back`` (conftest) does so.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord.cli import main
from atlas_coord.db import is_postgres
from atlas_coord.models import AuditRecord, utcnow
from atlas_coord.services import audit, audit_chain
from atlas_coord.services.audit_chain import AuditAnchor
from tests.conftest import AUDIT_KEY, AUDIT_KEY_ID, behind_the_back
from tests.factories import accept_with, deployment_steps, raise_request

KEYS = {AUDIT_KEY_ID: AUDIT_KEY.encode()}


@pytest.fixture
def anchor(tmp_path) -> AuditAnchor:
    return AuditAnchor(keys=KEYS, current_key_id=AUDIT_KEY_ID, witness_path=tmp_path / "witness.jsonl")


@pytest.fixture
def story(database, anchor) -> dict[str, int]:
    """A request whose trail has answers, a deployment and readiness changes, checkpointed at its
    end; seq of its records by action."""
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    with database.transaction() as session:
        records = session.execute(
            sa.select(AuditRecord.action, AuditRecord.seq).where(AuditRecord.request_id == request_id)
            .order_by(AuditRecord.seq)
        ).all()
        assert audit.checkpoint(session, anchor) is not None
        assert audit.verify(session, anchor).ok
    return dict(records)


def verify(database, anchor) -> audit.VerifyResult:
    with database.transaction() as session:
        return audit.verify(session, anchor)


def head_seq(database) -> int:
    with database.transaction() as session:
        return audit.head(session)[0]


def rehash_from(database, seq: int, sealer, *, edit: dict | None = None, key_id: str | None = AUDIT_KEY_ID) -> None:
    """Edit record ``seq`` and re-seal it and every later one with ``sealer``, relinking the chain."""
    with behind_the_back(database) as session:
        prev = session.scalar(sa.select(AuditRecord.hash).where(AuditRecord.seq == seq - 1)) or audit.GENESIS_HASH
        rows = list(session.scalars(sa.select(AuditRecord).where(AuditRecord.seq >= seq).order_by(AuditRecord.seq)))
        session.expunge_all()
        for row in rows:
            for name, value in (edit or {}).items() if row.seq == seq else ():
                setattr(row, name, value)
            row.prev_hash, row.key_id = prev, key_id
            row.hash = sealer(audit_chain.hashed_fields(row))
            session.execute(sa.update(AuditRecord).where(AuditRecord.seq == row.seq).values(
                prev_hash=row.prev_hash, key_id=row.key_id, hash=row.hash,
                **{name: getattr(row, name) for name in (edit or {})}))
            prev = row.hash


def test_the_untouched_trail_verifies_against_its_checkpoint(database, anchor, story):
    result = verify(database, anchor)
    assert result.ok, result.problem
    assert result.checked >= max(story.values())
    assert result.checkpoint is not None and result.checkpoint.seq == result.checked


def test_an_edited_record_is_named(database, anchor, story):
    seq = story["answer.accept"]
    with behind_the_back(database) as session:
        session.execute(sa.text("UPDATE audit_record SET actor_name = 'demo-ca-de' WHERE seq = :seq"), {"seq": seq})

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, seq)
    assert "edited" in result.problem


def test_an_edited_before_and_after_state_is_named(database, anchor, story):
    seq = story["deployment.unit_accept"]
    with behind_the_back(database) as session:
        session.execute(sa.update(AuditRecord).where(AuditRecord.seq == seq).values(after={"status": "DECLINED"}))

    assert (verify(database, anchor).first_bad_seq) == seq


def test_an_edit_resealed_with_the_key_still_breaks_the_next_link(database, anchor, story):
    """Even with the key, re-sealing the edited record alone does not help: the next one links to the old hash."""
    seq = story["answer.accept"]
    with behind_the_back(database) as session:
        record = session.get(AuditRecord, seq)
        record.actor_name = "demo-ca-de"
        forged = audit_chain.mac(KEYS[AUDIT_KEY_ID], audit_chain.hashed_fields(record))
        session.expunge_all()
        session.execute(sa.text("UPDATE audit_record SET actor_name = 'demo-ca-de', hash = :hash WHERE seq = :seq"),
                        {"hash": forged, "seq": seq})

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, seq + 1)
    assert "link broken" in result.problem


def test_a_suffix_resealed_with_the_key_differs_from_the_checkpoint(database, anchor, story):
    """An insider with the key (but not the witness) re-seals everything after an edit: the checkpoint tells."""
    rehash_from(database, story["answer.accept"], lambda fields: audit_chain.mac(KEYS[AUDIT_KEY_ID], fields),
                edit={"actor_name": "demo-ca-de"})

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, head_seq(database))
    assert "differs from the checkpoint" in result.problem


def test_a_deleted_record_is_named(database, anchor, story):
    seq = story["request.submit"]
    with behind_the_back(database) as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq = :seq"), {"seq": seq})

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, seq + 1)
    assert f"record {seq} is missing" in result.problem


def test_a_deletion_hidden_by_renumbering_the_later_records_is_named(database, anchor, story):
    seq = story["answer.accept"]
    with behind_the_back(database) as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq = :seq"), {"seq": seq})
        # Two steps, so that no intermediate row collides with the primary key of another.
        session.execute(sa.text("UPDATE audit_record SET seq = -seq WHERE seq > :seq"), {"seq": seq})
        session.execute(sa.text("UPDATE audit_record SET seq = -seq - 1 WHERE seq < 0"))

    assert verify(database, anchor).first_bad_seq == seq


def test_two_records_put_in_the_other_order_are_named(database, anchor, story):
    first, second = story["answer.accept"], story["deployment.alert"]
    assert second == first + 1
    with behind_the_back(database) as session:
        for old, new in ((first, -1), (second, first), (-1, second)):
            session.execute(sa.text("UPDATE audit_record SET seq = :new WHERE seq = :old"), {"old": old, "new": new})

    assert verify(database, anchor).first_bad_seq == first


@pytest.mark.parametrize("key_id", [AUDIT_KEY_ID, None], ids=["claiming-the-key", "as-legacy-sha256"])
def test_a_forged_append_is_named(database, anchor, story, key_id):
    """Without the key an attacker can only compute a plain SHA-256, which the HMAC check refuses."""
    with database.transaction() as session:
        last_seq, last_hash = audit.head(session)
    forged = AuditRecord(seq=last_seq + 1, at=utcnow(), actor_id=None, actor_name="system", actor_role="system",
                         action="request.close", subject_type="request", subject_id="1", request_id=None,
                         before=None, after={"status": "CLOSED"}, prev_hash=last_hash, key_id=key_id)
    forged.hash = audit_chain.digest(audit_chain.hashed_fields(forged))
    with database.transaction() as session:
        session.add(forged)

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, last_seq + 1)
    assert ("HMAC" if key_id else "unkeyed") in result.problem


def test_a_cut_tail_is_named_by_the_checkpoint(database, anchor, story):
    last = head_seq(database)
    with behind_the_back(database) as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq > :seq"), {"seq": last - 3})

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, last - 2)
    assert f"records {last - 2} to {last} are missing" in result.problem


def test_a_cut_tail_regrown_with_the_key_differs_from_the_checkpoint(database, anchor, story):
    """An insider with the key cuts three records and writes three others: the checkpoint's seq no longer matches."""
    last = head_seq(database)
    with behind_the_back(database) as session:
        session.execute(sa.text("DELETE FROM audit_record WHERE seq > :seq"), {"seq": last - 3})
    with database.transaction() as session:
        for _ in range(3):
            audit.record(session, None, "system", "request.close", "request", 1)

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, last)
    assert "differs from the checkpoint" in result.problem


@pytest.mark.parametrize("key_id", [AUDIT_KEY_ID, None], ids=["keeping-the-key-id", "downgraded-to-legacy"])
def test_a_suffix_rehashed_without_the_key_is_named(database, anchor, story, key_id):
    seq = story["answer.accept"]
    rehash_from(database, seq, audit_chain.digest, edit={"actor_name": "demo-ca-de"}, key_id=key_id)

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, seq)
    assert ("HMAC" if key_id else "unkeyed") in result.problem


def test_a_record_under_an_unknown_key_is_reported(database, anchor, story):
    with behind_the_back(database) as session:
        session.execute(sa.text("UPDATE audit_record SET key_id = 'gone' WHERE seq = 1"))

    result = verify(database, anchor)

    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "unknown key id 'gone'" in result.problem


def test_keys_rotate_and_each_record_is_checked_with_its_own(database, anchor, story, tmp_path):
    rotated = AuditAnchor(keys={"k2": b"k" * 40, **KEYS}, current_key_id="k2", witness_path=anchor.witness_path)
    before = head_seq(database)
    with database.transaction() as session:
        session.info[audit_chain.ANCHOR_INFO_KEY] = rotated
        audit.record(session, None, "system", "request.close", "request", 1)
        assert audit.checkpoint(session, rotated).key_id == "k2"
    with database.transaction() as session:
        assert session.get(AuditRecord, before + 1).key_id == "k2"

    assert verify(database, rotated).ok
    without_old = AuditAnchor(keys={"k2": b"k" * 40}, current_key_id="k2", witness_path=tmp_path / "new.jsonl")
    result = verify(database, without_old)
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert f"unknown key id {AUDIT_KEY_ID!r}" in result.problem


def test_an_edited_witness_is_reported(database, anchor, story):
    lines = anchor.witness_path.read_text().splitlines()
    edited = json.loads(lines[-1]) | {"seq": 3}
    anchor.witness_path.write_text("\n".join([*lines[:-1], json.dumps(edited)]) + "\n")

    result = verify(database, anchor)

    assert result.ok is False
    assert "witness" in result.problem and "HMAC" in result.problem


def test_legacy_records_verify_as_sha256_up_to_the_first_keyed_one(database, anchor, story):
    """A database from before 0006: its records have no key id and a plain SHA-256 seal."""
    seq = story["answer.accept"]
    rehash_from(database, 1, audit_chain.digest, key_id=None)  # the whole chain becomes legacy ...
    rehash_from(database, seq, lambda f: audit_chain.mac(KEYS[AUDIT_KEY_ID], f))  # ... then keyed from seq on
    anchor.witness_path.unlink()  # (its checkpoint predates the conversion)

    result = verify(database, anchor)

    assert result.ok, result.problem
    assert result.legacy == seq - 1
    assert result.notes and "no checkpoint" in result.notes[0]


def test_every_nth_record_is_checkpointed_after_commit_and_never_after_rollback(database, tmp_path):
    witness = tmp_path / "nth.jsonl"
    anchor = AuditAnchor(keys=KEYS, current_key_id=AUDIT_KEY_ID, witness_path=witness, checkpoint_every=2)
    with database.transaction() as session:
        session.info[audit_chain.ANCHOR_INFO_KEY] = anchor
        for _ in range(2):
            audit.record(session, None, "system", "request.close", "request", 1)
        assert not witness.exists()  # not before the commit
    first = [json.loads(line) for line in witness.read_text().splitlines()]
    assert len(first) == 1 and first[0]["seq"] % 2 == 0

    session = database.session_factory()
    session.info[audit_chain.ANCHOR_INFO_KEY] = anchor
    for _ in range(2):
        audit.record(session, None, "system", "request.close", "request", 1)
    session.rollback()
    session.close()
    assert len(witness.read_text().splitlines()) == 1


def test_a_failed_checkpoint_write_keeps_the_record_and_the_next_one_covers_it(database, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    broken = AuditAnchor(keys=KEYS, current_key_id=AUDIT_KEY_ID, witness_path=blocked / "w.jsonl", checkpoint_every=1)
    with database.transaction() as session:
        session.info[audit_chain.ANCHOR_INFO_KEY] = broken
        written = audit.record(session, None, "system", "request.close", "request", 1)
    written = written.seq  # sealed and numbered when the transaction committed
    assert "not written" in caplog.text
    assert head_seq(database) == written

    fixed = AuditAnchor(keys=KEYS, current_key_id=AUDIT_KEY_ID, witness_path=tmp_path / "w.jsonl")
    with database.transaction() as session:
        later = audit.checkpoint_if_due(session, fixed, utcnow())
    assert later.seq == written
    with database.transaction() as session:  # nothing new: the scheduler's step stays quiet
        assert audit.checkpoint_if_due(session, fixed, utcnow() + timedelta(hours=1)) is None


def test_postgres_refuses_to_update_or_delete_audit_rows(database):
    with database.transaction() as session:
        if not is_postgres(session):
            pytest.skip("the append-only trigger is PostgreSQL's")
    for statement in ("UPDATE audit_record SET actor_name = 'mallory' WHERE seq = 1",
                      "DELETE FROM audit_record WHERE seq = 1", "TRUNCATE audit_record"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), database.transaction() as session:
            session.execute(sa.text(statement))
    with database.transaction() as session:
        assert session.get(AuditRecord, 1).actor_name != "mallory"


def test_the_command_line_names_the_tampered_record_too(db_url, database, anchor, story):
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "tamper-test-key", "ATLAS_CONFIG": "",
           "ATLAS_AUDIT_WITNESS_PATH": str(anchor.witness_path)}
    intact = CliRunner().invoke(main, ["audit", "verify"], env=env, catch_exceptions=False)
    assert intact.exit_code == 0 and f"checkpoint at seq {head_seq(database)}" in intact.output

    seq = story["deployment.mobilise"]
    with behind_the_back(database) as session:
        session.execute(sa.text("UPDATE audit_record SET actor_role = 'admin' WHERE seq = :seq"), {"seq": seq})
    result = CliRunner().invoke(main, ["audit", "verify"], env=env, catch_exceptions=False)

    assert result.exit_code == 1
    assert f"record {seq}" in result.output


def test_the_command_line_writes_a_checkpoint(db_url, database, tmp_path):
    witness = tmp_path / "cli.jsonl"
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_CONFIG": "", "ATLAS_AUDIT_WITNESS_PATH": str(witness)}
    result = CliRunner().invoke(main, ["audit", "checkpoint"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(witness.read_text())["seq"] == head_seq(database)
