"""reports: response times on transcripts, stored reports, scheduled runs, webhook queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BACKFILL_BATCH = 2000


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch table copy (see downgrade).
    op.add_column('transcripts', sa.Column('first_response_seconds', sa.Float(), nullable=True))
    op.add_column('transcripts', sa.Column('reply_waits', sa.Integer(), nullable=False,
                                           server_default='0'))
    op.add_column('transcripts', sa.Column('reply_wait_total_seconds', sa.Float(),
                                           nullable=True))
    op.add_column('transcripts', sa.Column('reply_wait_max_seconds', sa.Float(), nullable=True))

    op.create_table('reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('shop', sa.String(length=200), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by', sa.String(length=120), nullable=False),
    sa.Column('empty', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'period', 'shop')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_generated_at'), ['generated_at'],
                              unique=False)

    op.create_table('report_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('shop', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'period', 'shop')
    )

    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_dispatched_at'), ['dispatched_at'],
                              unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_event_id'), ['event_id'],
                              unique=False)
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'],
                              unique=False)

    _backfill_response_times()


def _backfill_response_times() -> None:
    """Response times of the chats stored before this revision, from their messages."""
    from qc_engine.clock import response_times_of

    bind = op.get_bind()
    messages = sa.table('messages', sa.column('transcript_id', sa.String),
                        sa.column('idx', sa.Integer), sa.column('role', sa.String),
                        sa.column('ts', sa.DateTime(timezone=True)))
    transcripts = sa.table('transcripts', sa.column('id', sa.String),
                           sa.column('first_response_seconds', sa.Float),
                           sa.column('reply_waits', sa.Integer),
                           sa.column('reply_wait_total_seconds', sa.Float),
                           sa.column('reply_wait_max_seconds', sa.Float))
    update = (transcripts.update().where(transcripts.c.id == sa.bindparam('tid'))
              .values(first_response_seconds=sa.bindparam('first_response_seconds'),
                      reply_waits=sa.bindparam('reply_waits'),
                      reply_wait_total_seconds=sa.bindparam('reply_wait_total_seconds'),
                      reply_wait_max_seconds=sa.bindparam('reply_wait_max_seconds')))
    last = ""
    while True:
        ids = list(bind.scalars(sa.select(transcripts.c.id).where(transcripts.c.id > last)
                                .order_by(transcripts.c.id).limit(BACKFILL_BATCH)))
        if not ids:
            return
        last = ids[-1]
        per_chat: dict[str, list[tuple[str, object]]] = {i: [] for i in ids}
        rows = bind.execute(sa.select(messages.c.transcript_id, messages.c.role, messages.c.ts)
                            .where(messages.c.transcript_id.in_(ids))
                            .order_by(messages.c.transcript_id, messages.c.idx))
        for tid, role, ts in rows:
            per_chat[tid].append((role, ts))
        bind.execute(update, [{"tid": tid, **response_times_of(chat)}  # type: ignore[arg-type]
                              for tid, chat in per_chat.items()])


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_event_id'))
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_dispatched_at'))
    op.drop_table('webhook_events')
    op.drop_table('report_runs')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_generated_at'))
        batch_op.drop_index(batch_op.f('ix_reports_period'))
    op.drop_table('reports')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch "move and copy" would
    # drop the old transcripts table, and with foreign keys on that deletes every message,
    # flag and work item through ON DELETE CASCADE.
    for column in ('reply_wait_max_seconds', 'reply_wait_total_seconds', 'reply_waits',
                   'first_response_seconds'):
        op.drop_column('transcripts', column)
