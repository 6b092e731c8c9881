"""exchange: merge log

Revision ID: 0006_exchange
Revises: 0005_alarms
Create Date: 2026-11-23 03:02:27.955567
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006_exchange'
down_revision = '0005_alarms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('merge_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('merged_at', sa.DateTime(), nullable=False),
    sa.Column('user', sa.String(length=200), nullable=False),
    sa.Column('peer_id', sa.String(length=36), nullable=False),
    sa.Column('peer_name', sa.String(length=300), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('peer_revision', sa.String(length=60), nullable=False),
    sa.Column('peer_mark', sa.DateTime(), nullable=True),
    sa.Column('local_mark', sa.DateTime(), nullable=True),
    sa.Column('rows_new', sa.Integer(), nullable=False),
    sa.Column('rows_changed', sa.Integer(), nullable=False),
    sa.Column('rows_deleted', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('backup_file', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merge_log'))
    )
    with op.batch_alter_table('merge_log', schema=None) as batch_op:
        batch_op.create_index('ix_merge_log_peer', ['peer_id', 'merged_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('merge_log', schema=None) as batch_op:
        batch_op.drop_index('ix_merge_log_peer')

    op.drop_table('merge_log')
