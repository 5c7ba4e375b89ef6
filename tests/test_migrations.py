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


def test_upgrading_an_old_directory_drops_the_duplicate_gsg9_berlin_station(database_server):
    """A database seeded before 0005 ranked GSG 9's Berlin detachment twice (issue #13)."""
    import sqlalchemy as sa

    from atlas_coord.services.seed import load_directory

    url = database_server.fresh(empty=True)
    try:
        upgrade_database(url, "0004")
        engine = make_engine(url)
        gsg9 = next(u for u in load_directory()["units"] if u["key"] == "de-gsg9")
        columns = {k: gsg9[k] for k in ("key", "name", "local_name", "english_name", "parent_agency", "base_city", "lat",
                                        "lon", "tier", "personnel", "air_transport", "notice_domestic_min",
                                        "notice_international_min")}
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO state (code, name, membership, timezone, critical_capabilities) "
                                 "VALUES ('DE', 'Germany', 'eu', 'Europe/Berlin', '[]')"))
            conn.execute(sa.text(
                "INSERT INTO unit (key, state_code, name, local_name, english_name, parent_agency, base_city, lat, lon, "
                "tier, personnel, air_transport, languages, notice_domestic_min, notice_international_min, "
                "readiness_status, readiness_personnel, readiness_equipment, readiness_transport, version, created_at, "
                "updated_at) VALUES (:key, 'DE', :name, :local_name, :english_name, :parent_agency, :base_city, :lat, "
                ":lon, :tier, :personnel, :air_transport, '[]', :notice_domestic_min, :notice_international_min, "
                "'READY', 'ready', 'ready', 'ready', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), columns)
            unit = conn.scalar(sa.text("SELECT id FROM unit WHERE key = 'de-gsg9'"))
            for name, lat, lon in (("GSG 9 Berlin location", 52.52, 13.4), ("Another station", 53.55, 9.99)):
                conn.execute(sa.text("INSERT INTO unit_station (unit_id, name, lat, lon) VALUES (:u, :n, :lat, :lon)"),
                             {"u": unit, "n": name, "lat": lat, "lon": lon})
        upgrade_database(url)
        with engine.connect() as conn:
            names = set(conn.scalars(sa.text("SELECT name FROM unit_station")))
        engine.dispose()
        assert names == {"Another station"}
    finally:
        database_server.drop(url)
