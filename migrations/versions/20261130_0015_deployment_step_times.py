"""deployment step times: departed_at (EN ROUTE) and arrived_at (ON SCENE) as columns, filled from
the audit trail for deployments that took those steps before this revision

Revision ID: 0015
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None


def _from_audit(action: str) -> str:
    return ("(SELECT max(audit_record.at) FROM audit_record WHERE audit_record.subject_type = 'deployment' "
            "AND audit_record.subject_id = CAST(deployment.id AS VARCHAR) "
            f"AND audit_record.action = 'deployment.{action}')")


def upgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("departed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE deployment SET departed_at = {_from_audit('depart')}, arrived_at = {_from_audit('arrive')}")


def downgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_column("arrived_at")
        batch_op.drop_column("departed_at")
