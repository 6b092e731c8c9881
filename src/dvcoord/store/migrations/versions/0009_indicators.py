"""indicators and BVPI 225

Revision ID: 0009_indicators
Revises: 0007_training
Create Date: 2026-11-23 04:03:55.078879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009_indicators'
down_revision = '0007_training'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bvpi225_assessment',
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('officer', sa.String(length=200), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bvpi225_assessment'))
    )
    with op.batch_alter_table('bvpi225_assessment', schema=None) as batch_op:
        batch_op.create_index('uq_bvpi225_assessment_year_live', ['financial_year'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('bvpi225_answer',
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('question', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=3), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('evidence_date', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['bvpi225_assessment.id'], name=op.f('fk_bvpi225_answer_assessment_id_bvpi225_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bvpi225_answer'))
    )
    with op.batch_alter_table('bvpi225_answer', schema=None) as batch_op:
        batch_op.create_index('uq_bvpi225_answer_question_live', ['assessment_id', 'question'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('indicator',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('data_source', sa.String(length=300), nullable=False),
    sa.Column('owner_agency_id', sa.String(length=36), nullable=True),
    sa.Column('computed_key', sa.String(length=60), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], name=op.f('fk_indicator_owner_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator'))
    )
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_owner_agency_id'), ['owner_agency_id'], unique=False)
        batch_op.create_index('uq_indicator_computed_live', ['computed_key'], unique=True, sqlite_where=sa.text('deleted_at IS NULL AND computed_key IS NOT NULL'))

    op.create_table('indicator_target',
    sa.Column('indicator_id', sa.String(length=36), nullable=False),
    sa.Column('period_key', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target_hundredths', sa.Integer(), nullable=True),
    sa.Column('national_hundredths', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_target_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_target'))
    )
    with op.batch_alter_table('indicator_target', schema=None) as batch_op:
        batch_op.create_index('uq_indicator_target_period_live', ['indicator_id', 'period_key'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('indicator_value',
    sa.Column('indicator_id', sa.String(length=36), nullable=False),
    sa.Column('period_key', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value_hundredths', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_value_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value'))
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_value_indicator_start', ['indicator_id', 'period_start'], unique=False)
        batch_op.create_index('uq_indicator_value_period_live', ['indicator_id', 'period_key'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('indicator_action',
    sa.Column('indicator_id', sa.String(length=36), nullable=False),
    sa.Column('action_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_indicator_action_action_id_action')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_action_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_action'))
    )
    with op.batch_alter_table('indicator_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_action_action_id'), ['action_id'], unique=False)
        batch_op.create_index('uq_indicator_action_pair_live', ['indicator_id', 'action_id'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('indicator_action', schema=None) as batch_op:
        batch_op.drop_index('uq_indicator_action_pair_live', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_indicator_action_action_id'))

    op.drop_table('indicator_action')
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index('uq_indicator_value_period_live', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_indicator_value_indicator_start')

    op.drop_table('indicator_value')
    with op.batch_alter_table('indicator_target', schema=None) as batch_op:
        batch_op.drop_index('uq_indicator_target_period_live', sqlite_where=sa.text('deleted_at IS NULL'))

    op.drop_table('indicator_target')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_index('uq_indicator_computed_live', sqlite_where=sa.text('deleted_at IS NULL AND computed_key IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_indicator_owner_agency_id'))

    op.drop_table('indicator')
    with op.batch_alter_table('bvpi225_answer', schema=None) as batch_op:
        batch_op.drop_index('uq_bvpi225_answer_question_live', sqlite_where=sa.text('deleted_at IS NULL'))

    op.drop_table('bvpi225_answer')
    with op.batch_alter_table('bvpi225_assessment', schema=None) as batch_op:
        batch_op.drop_index('uq_bvpi225_assessment_year_live', sqlite_where=sa.text('deleted_at IS NULL'))

    op.drop_table('bvpi225_assessment')
