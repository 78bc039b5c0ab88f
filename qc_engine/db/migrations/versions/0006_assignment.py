"""assignment: whole chats and standing queue rules given to reviewers, daily targets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch table copy: copying users would drop the old table,
    # and with foreign keys on that deletes every key, session and decision made by a user.
    op.add_column('users', sa.Column('daily_target', sa.Integer(), nullable=True))
    op.add_column('users', sa.Column('away', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))

    op.create_table('chat_assignments',
    sa.Column('transcript_id', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('transcript_id')
    )
    with op.batch_alter_table('chat_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_assignments_user_id'), ['user_id'],
                              unique=False)

    op.create_table('assignment_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('shop', sa.String(length=200), nullable=True),
    sa.Column('agent', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_rules_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_rules_user_id'))
    op.drop_table('assignment_rules')
    with op.batch_alter_table('chat_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_assignments_user_id'))
    op.drop_table('chat_assignments')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the reason given in upgrade.
    op.drop_column('users', 'away')
    op.drop_column('users', 'daily_target')
