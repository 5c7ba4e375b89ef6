"""directory, accounts, audit trail and event outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-28 13:48:46.538381
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('audit_record',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=80), nullable=False),
    sa.Column('actor_role', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_record')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_record_hash'))
    )
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.create_index('ix_audit_record_request', ['request_id', 'seq'], unique=False)

    op.create_table('capability',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('family', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint("family IN ('environment', 'specialist', 'support')", name=op.f('ck_capability_family')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_capability'))
    )
    op.create_table('event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_at', ['at'], unique=False)

    op.create_table('state',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('membership', sa.String(length=12), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('critical_capabilities', sa.JSON(), nullable=False),
    sa.CheckConstraint("membership IN ('eu', 'associated', 'partner')", name=op.f('ck_state_membership')),
    sa.CheckConstraint('length(code) = 2', name=op.f('ck_state_code_alpha2')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_state'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('authority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('contact_channel', sa.String(length=300), nullable=False),
    sa.Column('may_request', sa.Boolean(), nullable=False),
    sa.Column('may_answer', sa.Boolean(), nullable=False),
    sa.CheckConstraint('may_request OR may_answer', name=op.f('ck_authority_has_power')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_authority_state_code_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authority'))
    )
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authority_state_code'), ['state_code'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('local_name', sa.String(length=200), nullable=False),
    sa.Column('english_name', sa.String(length=200), nullable=False),
    sa.Column('parent_agency', sa.String(length=200), nullable=False),
    sa.Column('base_city', sa.String(length=120), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.Column('tier', sa.String(length=2), nullable=False),
    sa.Column('personnel', sa.Integer(), nullable=False),
    sa.Column('air_transport', sa.String(length=12), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('notice_domestic_min', sa.Integer(), nullable=False),
    sa.Column('notice_international_min', sa.Integer(), nullable=False),
    sa.Column('source_note', sa.Text(), nullable=True),
    sa.Column('readiness_status', sa.String(length=12), nullable=False),
    sa.Column('readiness_break_off_min', sa.Integer(), nullable=True),
    sa.Column('readiness_personnel', sa.String(length=8), nullable=False),
    sa.Column('readiness_equipment', sa.String(length=8), nullable=False),
    sa.Column('readiness_transport', sa.String(length=8), nullable=False),
    sa.Column('readiness_reason', sa.String(length=500), nullable=True),
    sa.Column('readiness_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("air_transport IN ('helicopter', 'fixed_wing', 'none')", name=op.f('ck_unit_air_transport')),
    sa.CheckConstraint("readiness_equipment IN ('ready', 'partial', 'none')", name=op.f('ck_unit_readiness_equipment')),
    sa.CheckConstraint("readiness_personnel IN ('ready', 'partial', 'none')", name=op.f('ck_unit_readiness_personnel')),
    sa.CheckConstraint("readiness_status IN ('READY', 'LIMITED', 'COMMITTED', 'TRAINING', 'UNAVAILABLE')", name=op.f('ck_unit_readiness_status')),
    sa.CheckConstraint("readiness_transport IN ('ready', 'partial', 'none')", name=op.f('ck_unit_readiness_transport')),
    sa.CheckConstraint("tier IN ('T1', 'T2', 'T3')", name=op.f('ck_unit_tier')),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180', name=op.f('ck_unit_base_coordinates')),
    sa.CheckConstraint('personnel >= 0', name=op.f('ck_unit_personnel_non_negative')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_unit_state_code_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('key', name=op.f('uq_unit_key'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_state_code'), ['state_code'], unique=False)

    op.create_table('readiness_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('previous_status', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('break_off_min', sa.Integer(), nullable=True),
    sa.Column('personnel', sa.String(length=8), nullable=False),
    sa.Column('equipment', sa.String(length=8), nullable=False),
    sa.Column('transport', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("previous_status IN ('READY', 'LIMITED', 'COMMITTED', 'TRAINING', 'UNAVAILABLE')", name=op.f('ck_readiness_change_previous_status')),
    sa.CheckConstraint("status IN ('READY', 'LIMITED', 'COMMITTED', 'TRAINING', 'UNAVAILABLE')", name=op.f('ck_readiness_change_status')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['app_user.id'], name=op.f('fk_readiness_change_changed_by_id_app_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_readiness_change_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_change'))
    )
    with op.batch_alter_table('readiness_change', schema=None) as batch_op:
        batch_op.create_index('ix_readiness_change_unit_at', ['unit_id', 'changed_at'], unique=False)

    op.create_table('role_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'crisis_centre', 'competent_authority', 'unit_commander', 'training_planner', 'observer')", name=op.f('ck_role_grant_role')),
    sa.CheckConstraint('NOT (state_code IS NOT NULL AND unit_id IS NOT NULL)', name=op.f('ck_role_grant_one_scope')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_role_grant_state_code_state')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_role_grant_unit_id_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_role_grant_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grant')),
    sa.UniqueConstraint('user_id', 'role', 'state_code', 'unit_id', name='uq_role_grant_scope')
    )
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grant_user_id'), ['user_id'], unique=False)

    op.create_table('unit_capability',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('capability_code', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.CheckConstraint("level IN ('full', 'limited')", name=op.f('ck_unit_capability_level')),
    sa.CheckConstraint('quantity IS NULL OR quantity > 0', name=op.f('ck_unit_capability_quantity_positive')),
    sa.ForeignKeyConstraint(['capability_code'], ['capability.code'], name=op.f('fk_unit_capability_capability_code_capability')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_capability_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'capability_code', name=op.f('pk_unit_capability'))
    )
    op.create_table('unit_station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180', name=op.f('ck_unit_station_coordinates')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_station_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_station'))
    )
    with op.batch_alter_table('unit_station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_station_unit_id'), ['unit_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('unit_station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_station_unit_id'))

    op.drop_table('unit_station')
    op.drop_table('unit_capability')
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grant_user_id'))

    op.drop_table('role_grant')
    with op.batch_alter_table('readiness_change', schema=None) as batch_op:
        batch_op.drop_index('ix_readiness_change_unit_at')

    op.drop_table('readiness_change')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_state_code'))

    op.drop_table('unit')
    with op.batch_alter_table('authority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authority_state_code'))

    op.drop_table('authority')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('state')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_at')

    op.drop_table('event')
    op.drop_table('capability')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_record_request')

    op.drop_table('audit_record')
    op.drop_table('app_user')

