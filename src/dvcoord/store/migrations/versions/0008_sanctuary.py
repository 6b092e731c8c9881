"""sanctuary scheme

Revision ID: 0008_sanctuary
Revises: 0006_exchange
Create Date: 2026-11-23 03:51:33.867167
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008_sanctuary'
down_revision = '0006_exchange'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sanctuary_contractor',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('trade', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_contractor'))
    )
    op.create_table('sanctuary_item',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('usual_cost_pence', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_item'))
    )
    op.create_table('sanctuary_case',
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('referring_officer', sa.String(length=200), nullable=False),
    sa.Column('referral_date', sa.Date(), nullable=False),
    sa.Column('risk_level', sa.String(length=20), nullable=False),
    sa.Column('marac', sa.Boolean(), nullable=False),
    sa.Column('tenure', sa.String(length=30), nullable=False),
    sa.Column('landlord', sa.String(length=200), nullable=False),
    sa.Column('permission', sa.String(length=20), nullable=False),
    sa.Column('permission_requested_on', sa.Date(), nullable=True),
    sa.Column('permission_on', sa.Date(), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_on', sa.Date(), nullable=True),
    sa.Column('perpetrator_gone', sa.Boolean(), nullable=False),
    sa.Column('perpetrator_gone_on', sa.Date(), nullable=True),
    sa.Column('survey_on', sa.Date(), nullable=True),
    sa.Column('survey_officer', sa.String(length=200), nullable=False),
    sa.Column('marker_placed', sa.Boolean(), nullable=False),
    sa.Column('marker_on', sa.Date(), nullable=True),
    sa.Column('fire_check', sa.Boolean(), nullable=False),
    sa.Column('fire_check_on', sa.Date(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('works_ordered_on', sa.Date(), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('declined_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('postcode_district', sa.String(length=4), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_sanctuary_case_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_case'))
    )
    with op.batch_alter_table('sanctuary_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctuary_case_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_sanctuary_case_installed', ['installed_on'], unique=False)
        batch_op.create_index('ix_sanctuary_case_referral', ['referral_date'], unique=False)
        batch_op.create_index('ix_sanctuary_case_stage_referral', ['stage', 'referral_date'], unique=False)
        batch_op.create_index('uq_sanctuary_case_reference_live', ['reference'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('sanctuary_stock_level',
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('reorder_level', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['sanctuary_item.id'], name=op.f('fk_sanctuary_stock_level_item_id_sanctuary_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_stock_level'))
    )
    with op.batch_alter_table('sanctuary_stock_level', schema=None) as batch_op:
        batch_op.create_index('uq_sanctuary_stock_level_item_live', ['item_id'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('sanctuary_follow_up',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('visit_on', sa.Date(), nullable=False),
    sa.Column('by_whom', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('further_work', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['sanctuary_case.id'], name=op.f('fk_sanctuary_follow_up_case_id_sanctuary_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_follow_up'))
    )
    with op.batch_alter_table('sanctuary_follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_sanctuary_follow_up_case', ['case_id', 'visit_on'], unique=False)

    op.create_table('sanctuary_measure',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('contractor_id', sa.String(length=36), nullable=True),
    sa.Column('unit_cost_pence', sa.Integer(), nullable=False),
    sa.Column('fitted_on', sa.Date(), nullable=False),
    sa.Column('from_stock', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['sanctuary_case.id'], name=op.f('fk_sanctuary_measure_case_id_sanctuary_case')),
    sa.ForeignKeyConstraint(['contractor_id'], ['sanctuary_contractor.id'], name=op.f('fk_sanctuary_measure_contractor_id_sanctuary_contractor')),
    sa.ForeignKeyConstraint(['item_id'], ['sanctuary_item.id'], name=op.f('fk_sanctuary_measure_item_id_sanctuary_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_measure'))
    )
    with op.batch_alter_table('sanctuary_measure', schema=None) as batch_op:
        batch_op.create_index('ix_sanctuary_measure_case', ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanctuary_measure_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index('ix_sanctuary_measure_fitted', ['fitted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanctuary_measure_item_id'), ['item_id'], unique=False)

    op.create_table('sanctuary_stock_movement',
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('moved_on', sa.Date(), nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=True),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('unit_cost_pence', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['sanctuary_item.id'], name=op.f('fk_sanctuary_stock_movement_item_id_sanctuary_item')),
    sa.ForeignKeyConstraint(['measure_id'], ['sanctuary_measure.id'], name=op.f('fk_sanctuary_stock_movement_measure_id_sanctuary_measure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctuary_stock_movement'))
    )
    with op.batch_alter_table('sanctuary_stock_movement', schema=None) as batch_op:
        batch_op.create_index('ix_sanctuary_stock_movement_item', ['item_id', 'moved_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanctuary_stock_movement_measure_id'), ['measure_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sanctuary_stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanctuary_stock_movement_measure_id'))
        batch_op.drop_index('ix_sanctuary_stock_movement_item')

    op.drop_table('sanctuary_stock_movement')
    with op.batch_alter_table('sanctuary_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanctuary_measure_item_id'))
        batch_op.drop_index('ix_sanctuary_measure_fitted')
        batch_op.drop_index(batch_op.f('ix_sanctuary_measure_contractor_id'))
        batch_op.drop_index('ix_sanctuary_measure_case')

    op.drop_table('sanctuary_measure')
    with op.batch_alter_table('sanctuary_follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_sanctuary_follow_up_case')

    op.drop_table('sanctuary_follow_up')
    with op.batch_alter_table('sanctuary_stock_level', schema=None) as batch_op:
        batch_op.drop_index('uq_sanctuary_stock_level_item_live', sqlite_where=sa.text('deleted_at IS NULL'))

    op.drop_table('sanctuary_stock_level')
    with op.batch_alter_table('sanctuary_case', schema=None) as batch_op:
        batch_op.drop_index('uq_sanctuary_case_reference_live', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_sanctuary_case_stage_referral')
        batch_op.drop_index('ix_sanctuary_case_referral')
        batch_op.drop_index('ix_sanctuary_case_installed')
        batch_op.drop_index(batch_op.f('ix_sanctuary_case_agency_id'))

    op.drop_table('sanctuary_case')
    op.drop_table('sanctuary_item')
    op.drop_table('sanctuary_contractor')
