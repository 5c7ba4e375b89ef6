"""The models and the migrations describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from atlas_coord.cli import upgrade_database
from atlas_coord.db import make_engine
from atlas_coord.models import Base


def test_upgrade_from_an_empty_database_matches_the_models(database_server):
    url = database_server.fresh(empty=True)
    try:
        upgrade_database(url)
        engine = make_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, Base.metadata)
        engine.dispose()
        assert differences == [], f"models and migrations disagree: {differences}"
    finally:
        database_server.drop(url)


def test_upgrading_twice_is_harmless(database_server):
    url = database_server.fresh(empty=True)
    try:
        upgrade_database(url)
        upgrade_database(url)
    finally:
        database_server.drop(url)
