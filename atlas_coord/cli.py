"""The ``atlas-coord`` command: database, seed, users, audit, and the server and scheduler processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .config import ConfigError, load_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _settings():
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


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
    from .db import Database
    from .services.seed import seed_demo_accounts, seed_directory

    settings = _settings()
    database = Database(settings.database.url)
    with database.transaction() as session:
        report = seed_directory(session)
        click.echo(
            f"directory: {report.states} states, {report.authorities} authorities, "
            f"{report.capabilities} capabilities, {report.units} units ({report.created_units} new)"
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
    from .db import Database
    from .services.accounts import GrantSpec, create_user
    from .services.errors import ServiceError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    database = Database(settings.database.url)
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
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; names the first record that was edited, deleted or reordered."""
    from .db import Database
    from .services.audit import verify

    database = Database(_settings().database.url)
    with database.transaction() as session:
        result = verify(session)
    database.dispose()
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} records")
        return
    click.echo(f"audit trail BROKEN at record {result.first_bad_seq}: {result.problem}", err=True)
    sys.exit(1)


@main.command()
@click.option("--host", default=None, help="overrides server.host")
@click.option("--port", default=None, type=int, help="overrides server.port")
@click.option("--no-scheduler", is_flag=True, help="do not run the embedded scheduler in this process")
def serve(host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Serve the API, the live channel and the console (one process; threading async mode)."""
    from . import create_app
    from .extensions import socketio

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
    app = create_app(settings)
    start_embedded = getattr(app, "start_embedded_scheduler", None)
    if start_embedded is not None and settings.scheduler.embedded:
        start_embedded()
    click.echo(f"atlas-coord serving on http://{settings.server.host}:{settings.server.port}")
    socketio.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        use_reloader=False,
        log_output=False,
        allow_unsafe_werkzeug=True,
    )


@main.command()
@click.option("--interval", type=click.IntRange(1, 3600), default=None, help="seconds between runs (overrides scheduler.interval_seconds)")
@click.option("--once", is_flag=True, help="run the due work once and exit")
def scheduler(interval: int | None, once: bool) -> None:
    """Run the scheduler as its own process: reminders, training starts and ends, answer deadlines.

    Run it when ``scheduler.embedded`` is false (or ``serve --no-scheduler``); a second scheduler
    started by mistake sends nothing twice.
    """
    import logging

    from .scheduler.runner import run_standalone

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings()
    report = run_standalone(settings, interval_seconds=interval, once=once)
    if report is not None:
        click.echo(f"scheduler run: {report.summary() or 'nothing due'}")
        if report.errors:
            sys.exit(1)

if __name__ == "__main__":  # pragma: no cover
    main()
