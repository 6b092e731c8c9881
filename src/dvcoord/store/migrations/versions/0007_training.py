"""training matrix

Revision ID: 0007_training
Revises: 0008_sanctuary
Create Date: 2026-11-23 03:51:44.345638
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007_training'
down_revision = '0008_sanctuary'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('training_level',
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_level'))
    )
    op.create_table('training_topic',
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_topic'))
    )
    op.create_table('training_course',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('topic_id', sa.String(length=36), nullable=True),
    sa.Column('level_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('delivery', sa.String(length=20), nullable=False),
    sa.Column('refresher_months', sa.Integer(), nullable=True),
    sa.Column('offered_from', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['level_id'], ['training_level.id'], name=op.f('fk_training_course_level_id_training_level')),
    sa.ForeignKeyConstraint(['topic_id'], ['training_topic.id'], name=op.f('fk_training_course_topic_id_training_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_course'))
    )
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_level_id'), ['level_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_course_topic_id'), ['topic_id'], unique=False)

    op.create_table('training_role',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_training_role_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_role'))
    )
    with op.batch_alter_table('training_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_role_agency_id'), ['agency_id'], unique=False)

    op.create_table('training_trainer',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('authorised_until', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_training_trainer_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_trainer'))
    )
    with op.batch_alter_table('training_trainer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_trainer_agency_id'), ['agency_id'], unique=False)

    op.create_table('training_requirement',
    sa.Column('role_id', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=True),
    sa.Column('level_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_requirement_course_id_training_course')),
    sa.ForeignKeyConstraint(['level_id'], ['training_level.id'], name=op.f('fk_training_requirement_level_id_training_level')),
    sa.ForeignKeyConstraint(['role_id'], ['training_role.id'], name=op.f('fk_training_requirement_role_id_training_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_requirement'))
    )
    with op.batch_alter_table('training_requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_requirement_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirement_level_id'), ['level_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirement_role_id'), ['role_id'], unique=False)

    op.create_table('training_session',
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_session_course_id_training_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session'))
    )
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index('ix_training_session_course_date', ['course_id', 'session_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_session_date'), ['session_date'], unique=False)

    op.create_table('training_trainee',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=False),
    sa.Column('role_id', sa.String(length=36), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_training_trainee_agency_id_agency')),
    sa.ForeignKeyConstraint(['role_id'], ['training_role.id'], name=op.f('fk_training_trainee_role_id_training_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_trainee'))
    )
    with op.batch_alter_table('training_trainee', schema=None) as batch_op:
        batch_op.create_index('ix_training_trainee_agency_name', ['agency_id', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_trainee_role_id'), ['role_id'], unique=False)

    op.create_table('training_trainer_course',
    sa.Column('trainer_id', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_trainer_course_course_id_training_course')),
    sa.ForeignKeyConstraint(['trainer_id'], ['training_trainer.id'], name=op.f('fk_training_trainer_course_trainer_id_training_trainer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_trainer_course'))
    )
    with op.batch_alter_table('training_trainer_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_trainer_course_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_training_trainer_course_pair', ['trainer_id', 'course_id'], unique=False)

    op.create_table('training_attendance',
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('trainee_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_training_attendance_session_id_training_session')),
    sa.ForeignKeyConstraint(['trainee_id'], ['training_trainee.id'], name=op.f('fk_training_attendance_trainee_id_training_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance'))
    )
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_training_attendance_session', ['session_id', 'trainee_id'], unique=False)
        batch_op.create_index('ix_training_attendance_trainee', ['trainee_id', 'status', 'session_id', 'completed_on', 'deleted_at'], unique=False)

    op.create_table('training_session_trainer',
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('trainer_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_training_session_trainer_session_id_training_session')),
    sa.ForeignKeyConstraint(['trainer_id'], ['training_trainer.id'], name=op.f('fk_training_session_trainer_trainer_id_training_trainer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session_trainer'))
    )
    with op.batch_alter_table('training_session_trainer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_trainer_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_trainer_trainer_id'), ['trainer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('training_session_trainer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_trainer_trainer_id'))
        batch_op.drop_index(batch_op.f('ix_training_session_trainer_session_id'))

    op.drop_table('training_session_trainer')
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_training_attendance_trainee')
        batch_op.drop_index('ix_training_attendance_session')

    op.drop_table('training_attendance')
    with op.batch_alter_table('training_trainer_course', schema=None) as batch_op:
        batch_op.drop_index('ix_training_trainer_course_pair')
        batch_op.drop_index(batch_op.f('ix_training_trainer_course_course_id'))

    op.drop_table('training_trainer_course')
    with op.batch_alter_table('training_trainee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_trainee_role_id'))
        batch_op.drop_index('ix_training_trainee_agency_name')

    op.drop_table('training_trainee')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_session_date'))
        batch_op.drop_index('ix_training_session_course_date')

    op.drop_table('training_session')
    with op.batch_alter_table('training_requirement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_requirement_role_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirement_level_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirement_course_id'))

    op.drop_table('training_requirement')
    with op.batch_alter_table('training_trainer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_trainer_agency_id'))

    op.drop_table('training_trainer')
    with op.batch_alter_table('training_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_role_agency_id'))

    op.drop_table('training_role')
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_course_topic_id'))
        batch_op.drop_index(batch_op.f('ix_training_course_level_id'))

    op.drop_table('training_course')
    op.drop_table('training_topic')
    op.drop_table('training_level')
