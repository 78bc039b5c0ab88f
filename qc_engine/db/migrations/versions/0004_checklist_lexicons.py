"""checklist lexicons: each checklist version carries the lexicons it reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 23:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_lexicons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checklist_id', 'name')
    )
    with op.batch_alter_table('checklist_lexicons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_lexicons_checklist_id'), ['checklist_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checklist_lexicons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_lexicons_checklist_id'))
    op.drop_table('checklist_lexicons')
