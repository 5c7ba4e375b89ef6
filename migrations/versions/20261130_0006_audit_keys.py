"""audit keys: each audit record names the HMAC key that sealed it; PostgreSQL refuses to change audit rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Records written before this revision keep ``key_id`` NULL: they are the legacy SHA-256 prefix of
the chain, verified as before up to the first keyed record (services/audit_verify.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The application's role may only INSERT and SELECT audit rows; a change or deletion needs the
# table owner to drop this trigger first (README, Security). TRUNCATE fires no row trigger,
# hence the statement-level one.
REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
TRIGGERS = {
    "trg_audit_record_no_update_delete": "BEFORE UPDATE OR DELETE ON audit_record FOR EACH ROW",
    "trg_audit_record_no_truncate": "BEFORE TRUNCATE ON audit_record FOR EACH STATEMENT",
}


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))
    if _is_postgres():
        op.execute(REFUSE_FUNCTION)
        for name, when in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION audit_record_append_only()")


def downgrade() -> None:
    if _is_postgres():
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_column("key_id")
