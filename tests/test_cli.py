"""The atlas-coord command: users from stdin, seeding, audit verification."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord.cli import main
from atlas_coord.models import AuditRecord, User
from tests.conftest import behind_the_back, witness_for


def run(db_url, *args, input=None):
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "cli-test-key", "ATLAS_CONFIG": "",
           "ATLAS_AUDIT_WITNESS_PATH": str(witness_for(db_url))}
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def test_user_add_reads_the_password_from_stdin_and_grants_scoped_roles(db_url, database):
    result = run(db_url, "user", "add", "duty-officer-be", "--role", "crisis_centre:BE", "--role", "observer",
                 "--password-stdin", input="a-long-enough-password\n")
    assert result.exit_code == 0, result.output
    with database.transaction() as s:
        user = s.scalar(sa.select(User).where(User.username == "duty-officer-be"))
        assert sorted((g.role, g.state_code) for g in user.grants) == [("crisis_centre", "BE"), ("observer", None)]
        assert user.password_hash.startswith("$argon2")


def test_user_add_refuses_an_unknown_state_and_writes_nothing(db_url, database):
    result = run(db_url, "user", "add", "someone", "--role", "crisis_centre:XX", "--password-stdin",
                 input="a-long-enough-password\n")
    assert result.exit_code != 0
    assert "unknown state" in result.output
    with database.transaction() as s:
        assert s.scalar(sa.select(User).where(User.username == "someone")) is None


def test_seeding_twice_adds_nothing_the_second_time(db_url):
    result = run(db_url, "seed")
    assert result.exit_code == 0
    assert "(0 new)" in result.output


def test_audit_verify_reports_an_intact_chain_and_names_a_tampered_record(db_url, database):
    assert "intact" in run(db_url, "audit", "verify").output
    with behind_the_back(database) as s:
        s.execute(sa.update(AuditRecord).where(AuditRecord.seq == 2).values(actor_name="mallory"))
    result = run(db_url, "audit", "verify")
    assert result.exit_code == 1
    assert "record 2" in result.output
