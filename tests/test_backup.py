"""Backing up and restoring the embedded SQLite database with `atlas-coord backup` / `restore`.

The story: a pilot runs on SQLite; while the server is up and requests are being answered, the
operator takes a backup; after losing the disk they restore it into a fresh path, and
`atlas-coord audit verify` reports the same intact chain (same record count, same head hash).
A backup edited by someone is caught by the same check after restore. These tests are about the
SQLite path, so they use a SQLite file even when the suite runs on PostgreSQL; for PostgreSQL
the commands refuse and point at pg_dump / pg_restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord import cli, create_app
from atlas_coord.cli import main
from tests.conftest import Api, app_settings, witness_for
from tests.factories import request_payload, unit_id


def run(url: str, *args: str, witness: Path | None = None):
    """The CLI on ``url``; the audit witness is the pilot's (``witness``) or the database's own."""
    env = {"ATLAS_DATABASE_URL": url, "ATLAS_SECRET_KEY": "backup-test-key", "ATLAS_CONFIG": "",
           "ATLAS_AUDIT_WITNESS_PATH": str(witness or witness_for(url))}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(database_server, tmp_path_factory) -> Path:
    """A migrated, seeded SQLite file: the suite's own template on SQLite runs, else built here."""
    if not database_server.is_postgres:
        return Path(sa.engine.make_url(database_server.template_url).database)
    from atlas_coord.cli import upgrade_database
    from atlas_coord.db import Database
    from atlas_coord.services.seed import seed_demo_accounts, seed_directory
    from tests.conftest import DEMO_PASSWORD

    path = tmp_path_factory.mktemp("sqlite-template") / "atlas.db"
    upgrade_database(sqlite_url(path))
    database = Database(sqlite_url(path))
    with database.transaction() as session:
        seed_directory(session)
        seed_demo_accounts(session, DEMO_PASSWORD)
    database.dispose()
    return path


@pytest.fixture
def running_pilot(sqlite_template, tmp_path):
    """The pilot's server (the app) on its own SQLite file, with a request raised and answered."""
    path = tmp_path / "live" / "atlas.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    app = create_app(app_settings(sqlite_url(path)))
    api = Api(app)
    created = api.post("/api/v1/requests", "demo-cc-be", json=request_payload())
    assert created.status_code == 201, created.get_json()
    with app.extensions["atlas_db"].transaction() as session:
        gign = unit_id(session, "fr-gign")
    accepted = api.post(f"/api/v1/requests/{created.get_json()['id']}/answers/FR/accept", "demo-ca-fr", json={"units": [gign]})
    assert accepted.status_code == 200, accepted.get_json()
    app.db_path = path
    yield app
    app.extensions["atlas_db"].dispose()


def verified(url: str, witness: Path | None = None) -> str:
    result = run(url, "audit", "verify", witness=witness)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("audit trail intact")]
    return line


def audit_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM audit_record").fetchone()[0]


def test_a_backup_taken_while_the_server_runs_restores_to_the_same_verified_audit_trail(running_pilot, tmp_path):
    live = running_pilot.db_path
    witness = witness_for(sqlite_url(live))
    assert Path(f"{live}-wal").exists()  # the server is up in WAL mode, recent commits in the log
    assert run(sqlite_url(live), "audit", "checkpoint").exit_code == 0
    before = verified(sqlite_url(live))
    records = audit_count(live)
    assert records > 2 and f"{records} records" in before
    assert f"checkpoint at seq {records}" in before  # anchored in the pilot's witness

    backup = tmp_path / "backups" / "atlas-2026-11-28.db"
    made = run(sqlite_url(live), "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert f"also back up the audit witness {witness}" in made.output
    assert f"{records} audit records" in made.output
    assert f"({backup.stat().st_size} bytes)" in made.output
    assert f"alembic revision {cli._known_revisions()[1]}," in made.output  # the current head
    assert not Path(f"{backup}-wal").exists()  # a self-contained file

    fresh = tmp_path / "new-disk" / "atlas.db"
    restored = run(sqlite_url(fresh), "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert f"{records} audit records" in restored.output
    assert str(fresh) in restored.output

    # The keys are the same (configuration), and the witness comes along with the backup.
    after = verified(sqlite_url(fresh), witness=witness)
    assert after == before  # "audit trail intact: N records, head <hash>, checkpoint at seq N ..."
    assert "head " in after and "head none" not in after

    # The restored database serves the same request.
    app = create_app(app_settings(sqlite_url(fresh)))
    try:
        listed = Api(app).get("/api/v1/requests", "demo-cc-be").get_json()
        assert listed["total"] == 1
    finally:
        app.extensions["atlas_db"].dispose()


def test_the_backup_prints_its_marking_and_writes_it_beside_the_file(running_pilot, tmp_path):
    live = running_pilot.db_path
    backup = tmp_path / "atlas.db"
    made = run(sqlite_url(live), "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert f"marking: RESTREINT UE/EU RESTRICTED (the highest marking in the backup; also in {backup}.marking)" \
        in made.output
    assert Path(f"{backup}.marking").read_text(encoding="utf-8") == "RESTREINT UE/EU RESTRICTED\n"

    # A value recorded before markings were checked names no level: the backup takes the ceiling.
    with sqlite3.connect(live) as connection:
        connection.execute("UPDATE crisis SET classification = 'internal use'")
    made = run(sqlite_url(live), "backup", str(backup), "--force")
    assert made.exit_code == 0, made.output
    assert "crises marked 'internal use' name no known marking" in made.output
    assert "marking: RESTREINT UE/EU RESTRICTED" in made.output


def test_a_tampered_backup_is_caught_by_verify_after_restore(running_pilot, tmp_path):
    backup = tmp_path / "atlas-backup.db"
    assert run(sqlite_url(running_pilot.db_path), "backup", str(backup)).exit_code == 0
    with sqlite3.connect(backup) as connection:
        connection.execute("UPDATE audit_record SET actor_name = 'mallory' WHERE seq = 2")

    fresh = tmp_path / "restored.db"
    assert run(sqlite_url(fresh), "restore", str(backup)).exit_code == 0
    result = run(sqlite_url(fresh), "audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at record 2" in result.output


def test_an_older_backup_restored_under_a_newer_witness_reports_what_it_lost(running_pilot, tmp_path):
    """Restoring loses the records written after the backup, and verify says so; the witness
    copy kept with the backup verifies it (README, Backups)."""
    live = sqlite_url(running_pilot.db_path)
    witness = witness_for(live)
    assert run(live, "audit", "checkpoint").exit_code == 0
    backup = tmp_path / "atlas-backup.db"
    assert run(live, "backup", str(backup)).exit_code == 0
    kept = tmp_path / "atlas-backup.witness.jsonl"
    shutil.copyfile(witness, kept)
    api = Api(running_pilot)
    assert api.post("/api/v1/requests", "demo-cc-be", json=request_payload()).status_code == 201
    assert run(live, "audit", "checkpoint").exit_code == 0

    fresh = tmp_path / "restored.db"
    assert run(sqlite_url(fresh), "restore", str(backup)).exit_code == 0
    lost = run(sqlite_url(fresh), "audit", "verify", witness=witness)
    assert lost.exit_code == 1 and "are missing" in lost.output and "tail cut" in lost.output
    assert run(sqlite_url(fresh), "audit", "verify", "--witness", str(kept), witness=witness).exit_code == 0


def test_backup_does_not_overwrite_an_existing_file_unless_forced(running_pilot, tmp_path):
    backup = tmp_path / "atlas-backup.db"
    backup.write_bytes(b"yesterday's backup")
    refused = run(sqlite_url(running_pilot.db_path), "backup", str(backup))
    assert refused.exit_code != 0
    assert "exists" in refused.output and "--force" in refused.output
    assert backup.read_bytes() == b"yesterday's backup"

    forced = run(sqlite_url(running_pilot.db_path), "backup", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert audit_count(backup) == audit_count(running_pilot.db_path)


def test_restore_does_not_replace_a_database_unless_forced_and_then_replaces_it_whole(running_pilot, sqlite_template, tmp_path):
    backup = tmp_path / "atlas-backup.db"
    assert run(sqlite_url(running_pilot.db_path), "backup", str(backup)).exit_code == 0
    target = tmp_path / "other" / "atlas.db"
    target.parent.mkdir()
    shutil.copyfile(sqlite_template, target)
    Path(f"{target}-wal").write_bytes(b"stale log of the old database")
    seed_only = audit_count(target)

    refused = run(sqlite_url(target), "restore", str(backup))
    assert refused.exit_code != 0
    assert "database.url" in refused.output and "--force" in refused.output
    assert audit_count(target) == seed_only

    forced = run(sqlite_url(target), "restore", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert not Path(f"{target}-wal").exists()
    assert audit_count(target) == audit_count(backup) > seed_only
    assert verified(sqlite_url(target)) == verified(sqlite_url(running_pilot.db_path))


def test_a_failed_restore_leaves_the_old_database_and_no_partial_file(running_pilot, sqlite_template, tmp_path, monkeypatch):
    backup = tmp_path / "atlas-backup.db"
    assert run(sqlite_url(running_pilot.db_path), "backup", str(backup)).exit_code == 0
    target = tmp_path / "target" / "atlas.db"
    target.parent.mkdir()
    shutil.copyfile(sqlite_template, target)
    original = target.read_bytes()

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run(sqlite_url(target), "restore", str(backup), "--force")
    assert target.read_bytes() == original
    assert sorted(p.name for p in target.parent.iterdir()) == ["atlas.db"]


@pytest.mark.parametrize("kind", ["not sqlite", "no alembic table", "unknown revision"])
def test_restore_refuses_a_file_that_is_not_a_known_atlas_database(tmp_path, kind):
    source = tmp_path / "suspicious.db"
    if kind == "not sqlite":
        source.write_bytes(b"PK\x03\x04 this is a zip file" * 10)
    else:
        with sqlite3.connect(source) as connection:
            connection.execute("CREATE TABLE notes (text TEXT)")
            if kind == "unknown revision":
                connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
                connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    target = tmp_path / "atlas.db"
    result = run(sqlite_url(target), "restore", str(source))
    assert result.exit_code != 0
    expected = {"not sqlite": "is not a SQLite database", "no alembic table": "no alembic_version table",
                "unknown revision": "9999_from_the_future"}[kind]
    assert expected in result.output
    assert not target.exists()


def test_backup_and_restore_refuse_postgresql_and_point_at_pg_dump(database_server, tmp_path):
    urls = ["postgresql://atlas:s3cret-pw@db.example:5432/atlas"]
    if database_server.is_postgres:
        urls.append(database_server.template_url)
    source = tmp_path / "whatever.db"
    source.write_bytes(b"")
    for url in urls:
        for args in (["backup", str(tmp_path / "out.db")], ["restore", str(source)]):
            result = run(url, *args)
            assert result.exit_code != 0
            assert "database.url" in result.output
            assert "pg_dump -Fc" in result.output and "pg_restore" in result.output
            assert "s3cret-pw" not in result.output
            assert not (tmp_path / "out.db").exists()
    assert os.path.getsize(source) == 0
