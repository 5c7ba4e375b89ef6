"""webauthn and sealed TOTP secrets: mfa_webauthn_credential, mfa_webauthn_challenge; mfa_totp.secret
widened to hold a sealed value (services/secret_box.py)

Existing plain secrets are left as they are: the application still reads them and seals each at
its next use; ``atlas-coord mfa reseal`` seals them all at once (the keys live outside the
database, so this migration cannot).

Revision ID: 0009
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mfa_totp", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=False)
    op.create_table(
        "mfa_webauthn_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_mfa_webauthn_credential_user_id_app_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_webauthn_credential")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_mfa_webauthn_credential_credential_id")),
    )
    with op.batch_alter_table("mfa_webauthn_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_webauthn_credential_user_id"), ["user_id"], unique=False)
    op.create_table(
        "mfa_webauthn_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("challenge", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_mfa_webauthn_challenge_user_id_app_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_webauthn_challenge")),
        sa.UniqueConstraint("challenge", name=op.f("uq_mfa_webauthn_challenge_challenge")),
    )
    with op.batch_alter_table("mfa_webauthn_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_webauthn_challenge_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mfa_webauthn_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_webauthn_challenge_user_id"))
    op.drop_table("mfa_webauthn_challenge")
    with op.batch_alter_table("mfa_webauthn_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_webauthn_credential_user_id"))
    op.drop_table("mfa_webauthn_credential")
    with op.batch_alter_table("mfa_totp", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=False)
