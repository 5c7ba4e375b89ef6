"""assistance requests, answers, deployments and costs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crisis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('crisis_type', sa.String(length=24), nullable=False),
    sa.Column('site_lat', sa.Double(), nullable=False),
    sa.Column('site_lon', sa.Double(), nullable=False),
    sa.Column('place_name', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_exercise', sa.Boolean(), nullable=False),
    sa.Column('classification', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("crisis_type IN ('hostage_taking', 'aircraft_hijacking', 'maritime_hijacking', 'bus_hijacking', 'train_hijacking', 'terrorist_siege', 'other')", name=op.f('ck_crisis_crisis_type')),
    sa.CheckConstraint('site_lat BETWEEN -90 AND 90 AND site_lon BETWEEN -180 AND 180', name=op.f('ck_crisis_site_coordinates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_crisis_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_crisis_state_code_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis'))
    )
    with op.batch_alter_table('crisis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_state_code'), ['state_code'], unique=False)

    op.create_table('assistance_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crisis_id', sa.Integer(), nullable=False),
    sa.Column('requesting_state', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('operational_necessity', sa.Text(), nullable=False),
    sa.Column('needed_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_hours', sa.Integer(), nullable=False),
    sa.Column('address_all', sa.Boolean(), nullable=False),
    sa.Column('addressed_states', sa.JSON(), nullable=False),
    sa.Column('answer_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ranking_snapshot', sa.JSON(), nullable=True),
    sa.Column('withdrawal_reason', sa.String(length=1000), nullable=True),
    sa.Column('costs_settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('costs_settled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('DRAFT', 'SUBMITTED', 'PARTIALLY_MET', 'MET', 'CLOSED', 'WITHDRAWN')", name=op.f('ck_assistance_request_status')),
    sa.CheckConstraint('duration_hours > 0', name=op.f('ck_assistance_request_duration_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_assistance_request_version_positive')),
    sa.ForeignKeyConstraint(['costs_settled_by_id'], ['app_user.id'], name=op.f('fk_assistance_request_costs_settled_by_id_app_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_assistance_request_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['crisis_id'], ['crisis.id'], name=op.f('fk_assistance_request_crisis_id_crisis')),
    sa.ForeignKeyConstraint(['requesting_state'], ['state.code'], name=op.f('fk_assistance_request_requesting_state_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_request'))
    )
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_request_crisis_id'), ['crisis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_request_requesting_state'), ['requesting_state'], unique=False)

    op.create_table('request_addressee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('counter_kinds', sa.JSON(), nullable=False),
    sa.Column('counter_assistance_kinds', sa.JSON(), nullable=False),
    sa.Column('counter_personnel', sa.Integer(), nullable=True),
    sa.Column('counter_arrival_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counter_text', sa.String(length=4000), nullable=True),
    sa.Column('counter_decision_reason', sa.String(length=2000), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seen_by_id', sa.Integer(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('PENDING', 'ACCEPTED', 'REFUSED', 'COUNTER_PROPOSED', 'COUNTER_ACCEPTED', 'COUNTER_REJECTED')", name=op.f('ck_request_addressee_status')),
    sa.CheckConstraint('counter_personnel IS NULL OR counter_personnel > 0', name=op.f('ck_request_addressee_counter_personnel_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_request_addressee_version_positive')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['app_user.id'], name=op.f('fk_request_addressee_answered_by_id_app_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_request_addressee_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_request_addressee_request_id_assistance_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seen_by_id'], ['app_user.id'], name=op.f('fk_request_addressee_seen_by_id_app_user')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_request_addressee_state_code_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_addressee')),
    sa.UniqueConstraint('request_id', 'state_code', name='uq_request_addressee_state')
    )
    with op.batch_alter_table('request_addressee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_addressee_request_id'), ['request_id'], unique=False)

    op.create_table('request_requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('capability_code', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('min_level', sa.String(length=8), nullable=False),
    sa.CheckConstraint("min_level IN ('full', 'limited')", name=op.f('ck_request_requirement_min_level')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_request_requirement_quantity_positive')),
    sa.ForeignKeyConstraint(['capability_code'], ['capability.code'], name=op.f('fk_request_requirement_capability_code_capability')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_request_requirement_request_id_assistance_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_requirement')),
    sa.UniqueConstraint('request_id', 'capability_code', name='uq_request_requirement_capability')
    )
    with op.batch_alter_table('request_requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_requirement_request_id'), ['request_id'], unique=False)

    op.create_table('arrangement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('addressee_id', sa.Integer(), nullable=False),
    sa.Column('legal_basis', sa.String(length=20), nullable=False),
    sa.Column('weapons_manifest', sa.JSON(), nullable=False),
    sa.Column('liaison_officer', sa.JSON(), nullable=True),
    sa.Column('cost_default_bearer', sa.String(length=12), nullable=False),
    sa.Column('cost_overrides', sa.JSON(), nullable=False),
    sa.Column('cost_note', sa.String(length=2000), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("cost_default_bearer IN ('requesting', 'sending')", name=op.f('ck_arrangement_cost_default_bearer')),
    sa.CheckConstraint("legal_basis IN ('DECISION_2008_617', 'PRUM_ART_18', 'BILATERAL')", name=op.f('ck_arrangement_legal_basis')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_arrangement_version_positive')),
    sa.ForeignKeyConstraint(['addressee_id'], ['request_addressee.id'], name=op.f('fk_arrangement_addressee_id_request_addressee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_arrangement_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangement')),
    sa.UniqueConstraint('addressee_id', name=op.f('uq_arrangement_addressee_id'))
    )
    op.create_table('deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('addressee_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=True),
    sa.Column('transport_mode', sa.String(length=8), nullable=True),
    sa.Column('eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_scene_commander', sa.String(length=200), nullable=True),
    sa.Column('extended_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recalled', sa.Boolean(), nullable=False),
    sa.Column('status_reason', sa.String(length=2000), nullable=True),
    sa.Column('previous_readiness', sa.String(length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("previous_readiness IN ('READY', 'LIMITED', 'COMMITTED', 'TRAINING', 'UNAVAILABLE')", name=op.f('ck_deployment_previous_readiness')),
    sa.CheckConstraint("status IN ('ALERTED', 'ACCEPTED', 'DECLINED', 'MOBILISING', 'EN_ROUTE', 'ON_SCENE', 'STOOD_DOWN', 'RETURNED', 'RECALLED')", name=op.f('ck_deployment_status')),
    sa.CheckConstraint("transport_mode IS NULL OR transport_mode IN ('road', 'air', 'rail', 'sea')", name=op.f('ck_deployment_transport_mode')),
    sa.CheckConstraint('headcount IS NULL OR headcount > 0', name=op.f('ck_deployment_headcount_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_deployment_version_positive')),
    sa.ForeignKeyConstraint(['addressee_id'], ['request_addressee.id'], name=op.f('fk_deployment_addressee_id_request_addressee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_deployment_request_id_assistance_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_deployment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment')),
    sa.UniqueConstraint('request_id', 'unit_id', name='uq_deployment_request_unit')
    )
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_deployment_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('offered_unit',
    sa.Column('addressee_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['addressee_id'], ['request_addressee.id'], name=op.f('fk_offered_unit_addressee_id_request_addressee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_offered_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('addressee_id', 'unit_id', name=op.f('pk_offered_unit'))
    )
    op.create_table('cost_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_by', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('TRANSPORT', 'ACCOMMODATION', 'EQUIPMENT', 'OTHER')", name=op.f('ck_cost_item_category')),
    sa.CheckConstraint("paid_by IN ('requesting', 'sending')", name=op.f('ck_cost_item_paid_by')),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_cost_item_amount_non_negative')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_cost_item_currency_iso4217')),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], name=op.f('fk_cost_item_deployment_id_deployment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_cost_item_recorded_by_id_app_user')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_cost_item_request_id_assistance_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_item'))
    )
    with op.batch_alter_table('cost_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_item_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_item_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cost_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_item_request_id'))
        batch_op.drop_index(batch_op.f('ix_cost_item_deployment_id'))

    op.drop_table('cost_item')
    op.drop_table('offered_unit')
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_index('ix_deployment_unit_status')
        batch_op.drop_index(batch_op.f('ix_deployment_request_id'))

    op.drop_table('deployment')
    op.drop_table('arrangement')
    with op.batch_alter_table('request_requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_requirement_request_id'))

    op.drop_table('request_requirement')
    with op.batch_alter_table('request_addressee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_addressee_request_id'))

    op.drop_table('request_addressee')
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_request_requesting_state'))
        batch_op.drop_index(batch_op.f('ix_assistance_request_crisis_id'))

    op.drop_table('assistance_request')
    with op.batch_alter_table('crisis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_state_code'))

    op.drop_table('crisis')
