"""answers lapse: a PENDING answer or an undecided counter-proposal becomes LAPSED when the request
is withdrawn or closed

Revision ID: 0014
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None

BEFORE = ("PENDING", "ACCEPTED", "REFUSED", "COUNTER_PROPOSED", "COUNTER_ACCEPTED", "COUNTER_REJECTED")
AFTER = (*BEFORE, "LAPSED")


def _status_check(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{value}'" for value in values))


def upgrade() -> None:
    with op.batch_alter_table("request_addressee", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_request_addressee_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_request_addressee_status"), _status_check(AFTER))
    # Requests that ended before this revision: their awaited answers lapse now.
    op.execute(
        "UPDATE request_addressee SET status = 'LAPSED', version = version + 1 "
        "WHERE status IN ('PENDING', 'COUNTER_PROPOSED') AND request_id IN "
        "(SELECT id FROM assistance_request WHERE status IN ('CLOSED', 'WITHDRAWN'))"
    )


def downgrade() -> None:
    op.execute("UPDATE request_addressee SET status = 'PENDING' WHERE status = 'LAPSED'")
    with op.batch_alter_table("request_addressee", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_request_addressee_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_request_addressee_status"), _status_check(BEFORE))
