"""Reminders: which round events have had their e-mails queued, and members who opted out.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reminder_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('queued', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_reminder_event_round_id_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_event')),
        sa.UniqueConstraint('round_id', 'cycle', 'event', name='uq_reminder_event'),
    )
    with op.batch_alter_table('reminder_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_event_round_id'), ['round_id'],
                              unique=False)
    op.create_table(
        'reminder_opt_out',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                                name=op.f('fk_reminder_opt_out_member_id_member'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_reminder_opt_out')),
    )


def downgrade() -> None:
    op.drop_table('reminder_opt_out')
    op.drop_table('reminder_event')
