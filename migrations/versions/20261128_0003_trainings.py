"""joint trainings and exercises: series, occurrence edits, participants, attendance,
reminders and runs claimed by the scheduler, calendar feed tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('state_code', sa.String(length=2), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(scope = 'unit' AND unit_id IS NOT NULL AND state_code IS NULL) OR (scope = 'state' AND state_code IS NOT NULL AND unit_id IS NULL)", name=op.f('ck_calendar_feed_token_scope_target')),
    sa.CheckConstraint("scope IN ('unit', 'state')", name=op.f('ck_calendar_feed_token_scope')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_calendar_feed_token_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['app_user.id'], name=op.f('fk_calendar_feed_token_revoked_by_id_app_user')),
    sa.ForeignKeyConstraint(['state_code'], ['state.code'], name=op.f('fk_calendar_feed_token_state_code_state')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_calendar_feed_token_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_token_hash'))
    )
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_token_state_code'), ['state_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_feed_token_unit_id'), ['unit_id'], unique=False)

    op.create_table('training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('host_unit_id', sa.Integer(), nullable=False),
    sa.Column('venue_name', sa.String(length=200), nullable=False),
    sa.Column('venue_lat', sa.Double(), nullable=False),
    sa.Column('venue_lon', sa.Double(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('start_local', sa.DateTime(), nullable=False),
    sa.Column('end_local', sa.DateTime(), nullable=False),
    sa.Column('start_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('series_end_utc', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('environments', sa.JSON(), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('funding_note', sa.Text(), nullable=True),
    sa.Column('break_off_min', sa.Integer(), nullable=False),
    sa.Column('units_off_duty', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('override_by_id', sa.Integer(), nullable=True),
    sa.Column('override_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('override_conflicts', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('schedule_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('meeting', 'workshop', 'table_top', 'command_post', 'field_exercise', 'common_challenge')", name=op.f('ck_training_kind')),
    sa.CheckConstraint("status IN ('planned', 'cancelled')", name=op.f('ck_training_status')),
    sa.CheckConstraint('break_off_min >= 0', name=op.f('ck_training_break_off_non_negative')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_training_capacity_positive')),
    sa.CheckConstraint('end_local > start_local', name=op.f('ck_training_ends_after_start')),
    sa.CheckConstraint('venue_lat BETWEEN -90 AND 90 AND venue_lon BETWEEN -180 AND 180', name=op.f('ck_training_venue_coordinates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_training_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['host_unit_id'], ['unit.id'], name=op.f('fk_training_host_unit_id_unit')),
    sa.ForeignKeyConstraint(['override_by_id'], ['app_user.id'], name=op.f('fk_training_override_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training'))
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_host_unit_id'), ['host_unit_id'], unique=False)
        batch_op.create_index('ix_training_span', ['start_utc', 'series_end_utc'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_status'), ['status'], unique=False)

    op.create_table('training_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('recurrence_id', sa.DateTime(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('personnel', sa.Integer(), nullable=True),
    sa.Column('hours', sa.Double(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hours IS NULL OR hours >= 0', name=op.f('ck_training_attendance_hours_non_negative')),
    sa.CheckConstraint('personnel IS NULL OR personnel >= 0', name=op.f('ck_training_attendance_personnel_non_negative')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_training_attendance_recorded_by_id_app_user')),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_attendance_training_id_training'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_training_attendance_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance')),
    sa.UniqueConstraint('training_id', 'unit_id', 'recurrence_id', name='uq_training_attendance_occurrence')
    )
    op.create_table('training_occurrence_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('recurrence_id', sa.DateTime(), nullable=False),
    sa.Column('start_local', sa.DateTime(), nullable=True),
    sa.Column('end_local', sa.DateTime(), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['app_user.id'], name=op.f('fk_training_occurrence_override_edited_by_id_app_user')),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_occurrence_override_training_id_training'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_occurrence_override')),
    sa.UniqueConstraint('training_id', 'recurrence_id', name='uq_training_occurrence_override')
    )
    op.create_table('training_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('invitation_order', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('host', 'guest')", name=op.f('ck_training_participant_role')),
    sa.CheckConstraint("status IN ('invited', 'accepted', 'declined', 'waitlisted')", name=op.f('ck_training_participant_status')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['app_user.id'], name=op.f('fk_training_participant_invited_by_id_app_user')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['app_user.id'], name=op.f('fk_training_participant_responded_by_id_app_user')),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_participant_training_id_training'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_training_participant_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_participant')),
    sa.UniqueConstraint('training_id', 'unit_id', name='uq_training_participant_unit')
    )
    with op.batch_alter_table('training_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_participant_unit_id'), ['unit_id'], unique=False)

    op.create_table('training_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('recurrence_id', sa.DateTime(), nullable=False),
    sa.Column('occurrence_start_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lead_hours', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('sent', 'skipped', 'superseded')", name=op.f('ck_training_reminder_outcome')),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_reminder_training_id_training'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_reminder')),
    sa.UniqueConstraint('training_id', 'recurrence_id', 'lead_hours', name='uq_training_reminder_occurrence_lead')
    )
    with op.batch_alter_table('training_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_training_reminder_due', ['sent_at', 'due_at'], unique=False)

    op.create_table('training_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('recurrence_id', sa.DateTime(), nullable=False),
    sa.Column('start_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_utc', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=120), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=120), nullable=True),
    sa.Column('switched_units', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], name=op.f('fk_training_run_training_id_training'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_run')),
    sa.UniqueConstraint('training_id', 'recurrence_id', name='uq_training_run_occurrence')
    )
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.create_index('ix_training_run_end', ['ended_at', 'end_utc'], unique=False)
        batch_op.create_index('ix_training_run_start', ['started_at', 'start_utc'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.drop_index('ix_training_run_start')
        batch_op.drop_index('ix_training_run_end')

    op.drop_table('training_run')
    with op.batch_alter_table('training_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_training_reminder_due')

    op.drop_table('training_reminder')
    with op.batch_alter_table('training_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_participant_unit_id'))

    op.drop_table('training_participant')
    op.drop_table('training_occurrence_override')
    op.drop_table('training_attendance')
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_status'))
        batch_op.drop_index('ix_training_span')
        batch_op.drop_index(batch_op.f('ix_training_host_unit_id'))

    op.drop_table('training')
    with op.batch_alter_table('calendar_feed_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_token_unit_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_feed_token_state_code'))

    op.drop_table('calendar_feed_token')
