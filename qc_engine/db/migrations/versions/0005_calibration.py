"""calibration sessions: chats rated blind by several reviewers, and the lead's final answer

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calibration_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('calibration_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_sessions_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_sessions_created_by'), ['created_by'],
                              unique=False)

    op.create_table('calibration_chats',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('final_problems', sa.JSON(), nullable=True),
    sa.Column('final_passed', sa.Boolean(), nullable=True),
    sa.Column('final_note', sa.Text(), nullable=True),
    sa.Column('final_by', sa.Integer(), nullable=True),
    sa.Column('final_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['final_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['calibration_sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'position'),
    sa.UniqueConstraint('session_id', 'transcript_id')
    )
    with op.batch_alter_table('calibration_chats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_chats_session_id'), ['session_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_chats_transcript_id'), ['transcript_id'],
                              unique=False)

    op.create_table('calibration_participants',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['calibration_sessions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'user_id')
    )
    with op.batch_alter_table('calibration_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_participants_session_id'),
                              ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_participants_user_id'), ['user_id'],
                              unique=False)

    op.create_table('calibration_ratings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['calibration_chats.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['calibration_participants.id'],
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'chat_id')
    )
    with op.batch_alter_table('calibration_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_ratings_chat_id'), ['chat_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_ratings_participant_id'),
                              ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calibration_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_ratings_participant_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_ratings_chat_id'))
    op.drop_table('calibration_ratings')
    with op.batch_alter_table('calibration_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_participants_user_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_participants_session_id'))
    op.drop_table('calibration_participants')
    with op.batch_alter_table('calibration_chats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_chats_transcript_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_chats_session_id'))
    op.drop_table('calibration_chats')
    with op.batch_alter_table('calibration_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_sessions_created_by'))
        batch_op.drop_index(batch_op.f('ix_calibration_sessions_created_at'))
    op.drop_table('calibration_sessions')
