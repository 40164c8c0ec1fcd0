"""The programme: rounds, the moments they changed state, meetings and the rounds they serve;
each assembly's time zone (issue #9, items 1 and 2).

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False,
                                      server_default='Europe/London'))
    op.create_table(
        'round',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('assembly_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('purpose', sa.String(length=2000), nullable=False),
        sa.Column('instructions', sa.String(length=5000), nullable=False),
        sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('reopen_reason', sa.String(length=1000), nullable=False),
        sa.Column('results_released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'],
                                name=op.f('fk_round_assembly_id_assembly'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
        sa.UniqueConstraint('public_id', name=op.f('uq_round_public_id')),
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_assembly_id'), ['assembly_id'], unique=False)
    op.create_table(
        'round_transition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('transition', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_round_transition_round_id_round'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_round_transition')),
        sa.UniqueConstraint('round_id', 'cycle', 'transition', name='uq_round_transition'),
    )
    with op.batch_alter_table('round_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_transition_round_id'), ['round_id'],
                              unique=False)
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('assembly_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=1000), nullable=False),
        sa.Column('step_free', sa.String(length=16), nullable=False),
        sa.Column('access_notes', sa.String(length=2000), nullable=False),
        sa.Column('online_url', sa.String(length=1000), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'],
                                name=op.f('fk_meeting_assembly_id_assembly'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting')),
        sa.UniqueConstraint('public_id', name=op.f('uq_meeting_public_id')),
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_assembly_id'), ['assembly_id'], unique=False)
    op.create_table(
        'meeting_round',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'],
                                name=op.f('fk_meeting_round_meeting_id_meeting'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_meeting_round_round_id_round'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('meeting_id', 'round_id', name=op.f('pk_meeting_round')),
    )
    with op.batch_alter_table('meeting_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_round_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    op.drop_table('meeting_round')
    op.drop_table('meeting')
    op.drop_table('round_transition')
    op.drop_table('round')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
