"""airlift: each state's air transport (airlift_asset); GSG 9's duplicate Berlin station goes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airlift_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("aircraft_type", sa.String(length=120), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("base_name", sa.String(length=120), nullable=False),
        sa.Column("base_icao", sa.String(length=4), nullable=True),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("aircraft_count", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("mobilisation_min", sa.Integer(), nullable=False),
        sa.Column("mobilisation_assumed", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.String(length=500), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("partners_assumed", sa.Boolean(), nullable=False),
        sa.Column("source_url", sa.String(length=300), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("assumption", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('fixed_wing', 'helicopter')", name=op.f("ck_airlift_asset_kind")),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name=op.f("ck_airlift_asset_base_coordinates")
        ),
        sa.CheckConstraint("base_icao IS NULL OR length(base_icao) = 4", name=op.f("ck_airlift_asset_base_icao_length")),
        sa.CheckConstraint("aircraft_count > 0", name=op.f("ck_airlift_asset_aircraft_count_positive")),
        sa.CheckConstraint("seats > 0", name=op.f("ck_airlift_asset_seats_positive")),
        sa.CheckConstraint("mobilisation_min >= 0", name=op.f("ck_airlift_asset_mobilisation_non_negative")),
        sa.CheckConstraint("source_url IS NOT NULL OR assumption", name=op.f("ck_airlift_asset_sourced_or_assumed")),
        sa.ForeignKeyConstraint(["state_code"], ["state.code"], name=op.f("fk_airlift_asset_state_code_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlift_asset")),
        sa.UniqueConstraint("key", name=op.f("uq_airlift_asset_key")),
    )
    with op.batch_alter_table("airlift_asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_airlift_asset_state_code"), ["state_code"], unique=False)
    # GSG 9's "Berlin location" station duplicated the separate unit de-gsg9-berlin (same
    # coordinates), so the detachment was ranked twice (issue #13); the seed no longer has it.
    op.execute(
        "DELETE FROM unit_station WHERE name = 'GSG 9 Berlin location' "
        "AND unit_id IN (SELECT id FROM unit WHERE key = 'de-gsg9')"
    )


def downgrade() -> None:
    with op.batch_alter_table("airlift_asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_airlift_asset_state_code"))
    op.drop_table("airlift_asset")
