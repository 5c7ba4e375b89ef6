"""a request without a frozen ranking holds SQL NULL, not the JSON text ``null``: the request's page
asks ``ranking_snapshot IS NOT NULL`` instead of loading and decoding tens of kB of JSON

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A ranking that failed at submission was stored as JSON null (the column's default then).
    op.execute("UPDATE assistance_request SET ranking_snapshot = NULL "
               "WHERE ranking_snapshot IS NOT NULL AND CAST(ranking_snapshot AS TEXT) = 'null'")


def downgrade() -> None:
    pass  # SQL NULL reads as None in the older code too
