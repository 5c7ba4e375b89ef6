"""The ``atlas-coord`` command: database, seed, users, audit, and the server and scheduler processes."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .config import ConfigError, load_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _settings():
    """Settings for the commands that sign nothing (db, seed, user, audit, backup, restore,
    scheduler): the secret key signs session cookies and CSRF tokens, so only ``serve`` needs
    it, and a cron job's backup should not have to hold it. ``serve`` loads its own settings
    and still refuses to start without one."""
    try:
        return load_settings(require_secret_key=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _database(settings):
    """The settings' database, its sessions sealing audit records with the configured key."""
    from .db import Database
    from .services.audit_chain import session_info

    return Database(settings.database.url, session_info=session_info(settings))


def alembic_config(url: str):
    from alembic.config import Config

    from .db import normalise_url

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = normalise_url(url)
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@click.group()
def main() -> None:
    """atlas-coord: crisis-response coordination for ATLAS special intervention units."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (works from an empty database, SQLite or PostgreSQL)."""
    settings = _settings()
    upgrade_database(settings.database.url, revision)
    click.echo(f"database at {revision}")


@main.command()
@click.option("--demo", is_flag=True, help="also create fictional demo accounts (never in production)")
def seed(demo: bool) -> None:
    """Load the public ATLAS directory; with --demo also the demo accounts."""
    from .services.seed import seed_demo_accounts, seed_directory

    database = _database(_settings())
    with database.transaction() as session:
        report = seed_directory(session)
        click.echo(
            f"directory: {report.states} states, {report.authorities} authorities, "
            f"{report.capabilities} capabilities, {report.units} units ({report.created_units} new), "
            f"{report.airlift_assets} airlift assets"
        )
        click.echo("note: the directory is illustrative public data, not the official GSC list")
        if demo:
            password = os.environ.get("ATLAS_DEMO_PASSWORD")
            password, accounts = seed_demo_accounts(session, password)
            click.echo("")
            click.echo("Demo accounts (fictional, for trying atlas-coord out; never use in production):")
            for account in accounts:
                click.echo(f"  {account.username:<20} {', '.join(account.roles):<28} {account.description}")
            click.echo(f"  password for every demo account: {password}")
            from .services.duty.demo import seed_demo_rosters
            from .services.seed import DEMO_STATES, DEMO_UNITS

            rosters = seed_demo_rosters(session, DEMO_STATES, DEMO_UNITS)
            if rosters:
                click.echo(f"demo duty rosters (fictional officers, round the clock): {', '.join(rosters)}")
    database.dispose()


@main.group()
def roster() -> None:
    """Duty rosters (CSV; the format is in the README)."""


@roster.command("import")
@click.argument("org")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_import(org: str, path: Path) -> None:
    """Replace ORG's roster (ca-FR, cc-FR, unit-12) from the CSV file PATH; all or nothing."""
    from .services import duty
    from .services.errors import ServiceError

    database = _database(_settings())
    try:
        with database.transaction() as session:
            row = duty.import_csv(session, None, org, path.read_text(encoding="utf-8"))
            click.echo(f"imported roster {row.key}: version {row.version}, {len(row.shifts)} shifts")
    except ServiceError as exc:
        for field, problem in exc.fields.items():
            click.echo(f"  {field}: {problem}", err=True)
        raise click.ClickException(exc.message) from None
    finally:
        database.dispose()


@roster.command("export")
@click.argument("org")
def roster_export(org: str) -> None:
    """Print ORG's roster as CSV."""
    from .services import duty

    database = _database(_settings())
    try:
        with database.transaction() as session:
            row = duty.load_org(session, org)
            if row is None:
                raise click.ClickException(f"{org} has no roster")
            click.echo(duty.export_csv(session, row), nl=False)
    finally:
        database.dispose()


@main.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="ROLE[:SCOPE], e.g. crisis_centre:BE, unit_commander:12")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--display-name", default=None)
def user_add(username: str, roles: tuple[str, ...], password_stdin: bool, display_name: str | None) -> None:
    """Create a user with one or more role grants."""
    from .services.accounts import GrantSpec, create_user, password_problem
    from .services.errors import ServiceError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(password):  # refused before the database is opened
        raise click.ClickException(problem)
    database = _database(_settings())
    try:
        with database.transaction() as session:
            created = create_user(
                session,
                None,
                username=username,
                password=password,
                grants=[GrantSpec.parse(role) for role in roles],
                display_name=display_name,
            )
            click.echo(f"created user {created.username} (id {created.id}) with {', '.join(roles)}")
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        database.dispose()


@main.group()
def mfa() -> None:
    """Second factors."""


@mfa.command("reseal")
def mfa_reseal() -> None:
    """Seal every TOTP secret with the current encryption key (encryption.current_key_id): plain
    secrets from before sealing, and ones sealed with an older key. Run it after a key rotation,
    before the old key is removed from encryption.keys."""
    from .services.errors import ServiceError
    from .services.mfa import reseal
    from .services.secret_box import SecretBox

    settings = _settings()
    database = _database(settings)
    try:
        with database.transaction() as session:
            changed, current = reseal(session, SecretBox.from_settings(settings.encryption))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        database.dispose()
    click.echo(f"re-sealed {changed} TOTP secret(s) with key {settings.encryption.current_key_id}; "
               f"{current} already current")


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@click.option("--witness", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="compare with this witness file instead of audit.witness_path (e.g. a copy kept elsewhere)")
def audit_verify(witness: Path | None) -> None:
    """Check the chain with the keys and against the witness's checkpoints; names the first record
    that was edited, deleted, reordered, forged or cut off, and exits 1."""
    from .services.audit import verify
    from .services.audit_chain import anchor_from_settings

    settings = _settings()
    database = _database(settings)
    with database.transaction() as session:
        result = verify(session, anchor_from_settings(settings), witness=witness)
    database.dispose()
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.ok:
        anchored = f", checkpoint at seq {result.checkpoint.seq} of {result.checkpoint.at}" if result.checkpoint else ""
        legacy = f", {result.legacy} legacy (SHA-256) records" if result.legacy else ""
        click.echo(f"audit trail intact: {result.checked} records, head {result.head or 'none'}{anchored}{legacy}")
        return
    where = f"record {result.first_bad_seq}" if result.first_bad_seq is not None else "the witness"
    click.echo(f"audit trail BROKEN at {where}: {result.problem}", err=True)
    sys.exit(1)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Append a signed checkpoint of the current head to the witness (audit.witness_path)."""
    from .services.audit import checkpoint
    from .services.audit_chain import anchor_from_settings

    settings = _settings()
    anchor = anchor_from_settings(settings)
    if not anchor.keys:
        raise click.ClickException("no audit key: set ATLAS_AUDIT_KEYS or audit.hmac_keys (see README, Security)")
    database = _database(settings)
    with database.transaction() as session:
        written = checkpoint(session, anchor)
    database.dispose()
    if written is None:
        raise click.ClickException(f"no checkpoint written to {anchor.witness_path} (empty chain, or see the log)")
    click.echo(f"checkpoint seq {written.seq}, head {written.hash}, key {written.key_id} -> {anchor.witness_path}")


# ---------------------------------------------------------------- backups (SQLite)

PG_BACKUP_HINT = (
    "back PostgreSQL up with `pg_dump -Fc -f atlas.dump <database>` and restore it with "
    "`pg_restore --clean --if-exists -d <database> atlas.dump`, then run `atlas-coord audit verify` "
    "(see README, Backups)"
)
SQLITE_HEADER = b"SQLite format 3\x00"


def _sqlite_path(settings, verb: str) -> Path:
    """The configured SQLite file, or a clear refusal naming ``database.url``."""
    import sqlalchemy as sa

    from .db import normalise_url

    url = sa.engine.make_url(normalise_url(settings.database.url))
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"database.url (or ATLAS_DATABASE_URL) names a {url.get_backend_name()} database "
            f"({url.host or 'local'}/{url.database}); `atlas-coord {verb}` only handles SQLite files: {PG_BACKUP_HINT}"
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException(f"database.url is an in-memory SQLite database; there is no file to {verb}")
    return Path(url.database)


@dataclass
class _Snapshot:
    revision: str | None
    audit_records: int | None
    # The classification markings of the crises in the copy (docs/markings.md).
    markings: tuple[str, ...] = ()


def _inspect_sqlite(connection) -> _Snapshot:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    audit_records = None
    if "audit_record" in tables:
        audit_records = connection.execute("SELECT count(*) FROM audit_record").fetchone()[0]
    markings: tuple[str, ...] = ()
    if "crisis" in tables:
        markings = tuple(row[0] for row in connection.execute("SELECT DISTINCT classification FROM crisis"))
    return _Snapshot(revision, audit_records, markings)


def _known_revisions() -> tuple[set[str], str | None]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def _copy_sqlite(source: Path, target: Path) -> _Snapshot:
    """Copy ``source`` with SQLite's online backup API into a temporary file beside ``target``,
    make it a self-contained file (no WAL), sync it and move it into place atomically.
    ``target`` is either the old file or nothing: never half written."""
    import sqlite3
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        # A plain connection: a read-only one cannot always open a WAL database's shared memory.
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(temp)
            try:
                # One step (pages=-1): a consistent snapshot even while the server writes (WAL).
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise click.ClickException(f"the copy of {source} failed SQLite's check: {check}")
                snapshot = _inspect_sqlite(dst)
            finally:
                dst.close()
        finally:
            src.close()
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        # A stale write-ahead log beside the target would be replayed onto the new file.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temp, target)
        _fsync_dir(target.parent)
        return snapshot
    finally:
        temp.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _describe_copy(verb: str, source: Path, target: Path, snapshot: _Snapshot) -> str:
    records = "no audit table" if snapshot.audit_records is None else f"{snapshot.audit_records} audit records"
    return (
        f"{verb} {source} -> {target} ({target.stat().st_size} bytes), "
        f"alembic revision {snapshot.revision or 'none'}, {records}"
    )


def _write_marking(path: Path, snapshot: _Snapshot, ceiling) -> None:
    """Print the backup's marking (the highest of its crises) and write it to ``<path>.marking``,
    so that whoever stores or moves the file sees what it must be handled as."""
    from .domain.markings import banner, marking_of_copy

    marking, unknown = marking_of_copy(snapshot.markings, ceiling)
    sidecar = Path(f"{path}.marking")
    sidecar.write_text(f"{banner(marking)}\n", encoding="utf-8")
    click.echo(f"marking: {banner(marking)} (the highest marking in the backup; also in {sidecar})")
    if unknown:
        click.echo(f"note: crises marked {', '.join(map(repr, unknown))} name no known marking; "
                   f"the backup is marked at the accreditation ceiling {ceiling.value}")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="overwrite PATH if it exists")
def backup(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH (safe while the server runs).

    Uses SQLite's online backup API, so writers are not stopped and the copy is consistent.
    For PostgreSQL use pg_dump / pg_restore (the command says how).
    """
    source = _sqlite_path(_settings(), "backup")
    if not source.is_file():
        raise click.ClickException(f"database.url names {source}, which does not exist")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; choose another file or pass --force to overwrite it")
    if path.resolve() == source.resolve():
        raise click.ClickException(f"{path} is the live database itself")
    settings = _settings()
    snapshot = _copy_sqlite(source, path)
    click.echo(_describe_copy("backup", source, path, snapshot))
    _write_marking(path, snapshot, settings.security.accreditation_ceiling)
    click.echo(f"also back up the audit witness {settings.audit.witness_path} and keep the audit keys "
               "(audit.hmac_keys) safe: `audit verify` of a restore needs both")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace the configured database file if it exists")
def restore(source: Path, force: bool) -> None:
    """Replace the configured SQLite database with the backup SOURCE.

    Stop `atlas-coord serve` and `atlas-coord scheduler` first. SOURCE must be an atlas-coord
    SQLite database at a migration this version knows; the target is written to a temporary
    file in the same folder and moved into place, so it is never half written.
    """
    import sqlite3

    target = _sqlite_path(_settings(), "restore")
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise click.ClickException(f"{source} is not a SQLite database")
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            snapshot = _inspect_sqlite(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{source} cannot be read as a SQLite database: {exc}") from exc
    known, head = _known_revisions()
    if snapshot.revision is None:
        raise click.ClickException(f"{source} has no alembic_version table: not an atlas-coord database")
    if snapshot.revision not in known:
        raise click.ClickException(
            f"{source} is at alembic revision {snapshot.revision}, which this version of atlas-coord does not know "
            f"(known: {', '.join(sorted(known))}); restore it with the version that wrote it"
        )
    if target.exists() and not force:
        raise click.ClickException(
            f"database.url names {target}, which exists; stop the server and the scheduler, then pass --force to replace it"
        )
    if target.exists() and target.resolve() == source.resolve():
        raise click.ClickException(f"{source} is the configured database itself")
    snapshot = _copy_sqlite(source, target)
    click.echo(_describe_copy("restored", source, target, snapshot))
    if snapshot.revision != head:
        click.echo(f"note: the backup is at revision {snapshot.revision}; run `atlas-coord db upgrade` to reach {head}")
    click.echo("next: `atlas-coord audit verify` checks the restored audit trail")


@main.command()
@click.option("--host", default=None, help="overrides server.host")
@click.option("--port", default=None, type=int, help="overrides server.port")
@click.option("--no-scheduler", is_flag=True, help="do not run the embedded scheduler in this process")
def serve(host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Serve the API, the live channel and the console (one process; threading async mode).

    SIGTERM or SIGINT stops it gracefully: no new connections, live clients are disconnected
    (they reconnect elsewhere and catch up), requests in flight get up to
    ``server.shutdown_grace_seconds`` to finish, the embedded scheduler finishes its run, the
    database pool is closed, and the process exits 0.
    """
    from .serving import serve_until_stopped

    overrides: dict = {"server": {}}
    if host:
        overrides["server"]["host"] = host
    if port:
        overrides["server"]["port"] = port
    if no_scheduler:
        overrides["scheduler"] = {"embedded": False}
    try:
        settings = load_settings(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.audit.hmac_keys and not settings.testing:
        raise click.ClickException(
            "audit.hmac_keys: not set; set ATLAS_AUDIT_KEYS (id:secret,...) or audit.hmac_keys, "
            "or run `make run` once, which generates instance/audit_key"
        )
    if not settings.encryption.keys and not settings.testing:
        raise click.ClickException(
            "encryption.keys: not set; set ATLAS_ENCRYPTION_KEYS (id:secret,...) or encryption.keys, "
            "or run `make run` once, which generates instance/encryption_key"
        )
    sys.exit(serve_until_stopped(settings, announce=click.echo))


@main.command()
@click.option("--interval", type=click.IntRange(1, 3600), default=None, help="seconds between runs (overrides scheduler.interval_seconds)")
@click.option("--once", is_flag=True, help="run the due work once and exit")
def scheduler(interval: int | None, once: bool) -> None:
    """Run the scheduler as its own process: reminders, training starts and ends, answer deadlines.

    Run it when ``scheduler.embedded`` is false (or ``serve --no-scheduler``); a second scheduler
    started by mistake sends nothing twice.
    """
    from .logs import configure_logging
    from .scheduler.runner import run_standalone

    settings = _settings()
    configure_logging(settings)
    report = run_standalone(settings, interval_seconds=interval, once=once)
    if report is not None:
        click.echo(f"scheduler run: {report.summary() or 'nothing due'}")
        if report.errors:
            sys.exit(1)

if __name__ == "__main__":  # pragma: no cover
    main()
