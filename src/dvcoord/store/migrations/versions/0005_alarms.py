"""panic alarms

Revision ID: 0005_alarms
Revises: 0002_plans
Create Date: 2026-11-23 02:59:19.992574
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_alarms'
down_revision = '0002_plans'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alarm_type',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('monitoring_centre', sa.String(length=200), nullable=False),
    sa.Column('test_interval_days', sa.Integer(), nullable=False),
    sa.Column('battery_life_months', sa.Integer(), nullable=True),
    sa.Column('has_sim', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_type'))
    )
    op.create_table('alarm',
    sa.Column('asset_tag', sa.String(length=60), nullable=False),
    sa.Column('serial_number', sa.String(length=100), nullable=False),
    sa.Column('type_id', sa.String(length=36), nullable=False),
    sa.Column('sim_number', sa.String(length=40), nullable=False),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('owner_agency_id', sa.String(length=36), nullable=True),
    sa.Column('storage_location', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['type_id'], ['alarm_type.id'], name=op.f('fk_alarm_type_id_alarm_type')),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], name=op.f('fk_alarm_owner_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm'))
    )
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_owner_agency_id'), ['owner_agency_id'], unique=False)
        batch_op.create_index('ix_alarm_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_type_id'), ['type_id'], unique=False)
        batch_op.create_index('uq_alarm_asset_tag_live', ['asset_tag'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('alarm_loan',
    sa.Column('alarm_id', sa.String(length=36), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('officer', sa.String(length=200), nullable=False),
    sa.Column('case_reference', sa.String(length=60), nullable=False),
    sa.Column('marac', sa.Boolean(), nullable=False),
    sa.Column('police_marker', sa.Boolean(), nullable=False),
    sa.Column('police_marker_date', sa.Date(), nullable=True),
    sa.Column('issued_date', sa.Date(), nullable=False),
    sa.Column('installed_date', sa.Date(), nullable=True),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('returned_date', sa.Date(), nullable=True),
    sa.Column('ended_date', sa.Date(), nullable=True),
    sa.Column('return_condition', sa.String(length=20), nullable=False),
    sa.Column('end_reason', sa.String(length=60), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm.id'], name=op.f('fk_alarm_loan_alarm_id_alarm')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_alarm_loan_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_loan'))
    )
    with op.batch_alter_table('alarm_loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_loan_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_alarm_loan_alarm_issued', ['alarm_id', 'issued_date'], unique=False)
        batch_op.create_index('ix_alarm_loan_issued', ['issued_date'], unique=False)
        batch_op.create_index('ix_alarm_loan_open_review', ['ended_date', 'review_date'], unique=False)

    op.create_table('alarm_log',
    sa.Column('alarm_id', sa.String(length=36), nullable=False),
    sa.Column('loan_id', sa.String(length=36), nullable=True),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('by_whom', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('cost_pence', sa.Integer(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm.id'], name=op.f('fk_alarm_log_alarm_id_alarm')),
    sa.ForeignKeyConstraint(['loan_id'], ['alarm_loan.id'], name=op.f('fk_alarm_log_loan_id_alarm_loan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alarm_log'))
    )
    with op.batch_alter_table('alarm_log', schema=None) as batch_op:
        batch_op.create_index('ix_alarm_log_alarm_kind_date', ['alarm_id', 'kind', 'entry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_log_loan_id'), ['loan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alarm_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_log_loan_id'))
        batch_op.drop_index('ix_alarm_log_alarm_kind_date')

    op.drop_table('alarm_log')
    with op.batch_alter_table('alarm_loan', schema=None) as batch_op:
        batch_op.drop_index('ix_alarm_loan_open_review')
        batch_op.drop_index('ix_alarm_loan_issued')
        batch_op.drop_index('ix_alarm_loan_alarm_issued')
        batch_op.drop_index(batch_op.f('ix_alarm_loan_agency_id'))

    op.drop_table('alarm_loan')
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.drop_index('uq_alarm_asset_tag_live', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_alarm_type_id'))
        batch_op.drop_index('ix_alarm_status')
        batch_op.drop_index(batch_op.f('ix_alarm_owner_agency_id'))

    op.drop_table('alarm')
    op.drop_table('alarm_type')
