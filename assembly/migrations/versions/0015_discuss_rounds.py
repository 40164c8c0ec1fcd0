"""Discuss rounds: their prompt and moderation, statements, and members' votes (latest and
history).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('discuss_round',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('prompt', sa.String(length=500), nullable=False),
    sa.Column('moderation', sa.String(length=16), nullable=False),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_discuss_round_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_discuss_round'))
    )
    op.create_table('statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.Boolean(), nullable=False),
    sa.Column('text', sa.String(length=280), nullable=False),
    sa.Column('normalised', sa.String(length=280), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('moderated_by', sa.String(length=200), nullable=False),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_statement_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_statement_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement')),
    sa.UniqueConstraint('public_id', name=op.f('uq_statement_public_id')),
    sa.UniqueConstraint('round_id', 'number', name='uq_statement_number')
    )
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_statement_round_normalised', ['round_id', 'normalised'], unique=False)

    op.create_table('vote',
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_vote_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_vote_statement_id_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_id', 'member_id', name=op.f('pk_vote'))
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_member_id'), ['member_id'], unique=False)

    op.create_table('vote_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_vote_record_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_vote_record_statement_id_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_record'))
    )
    with op.batch_alter_table('vote_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_record_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_record_statement_id'), ['statement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vote_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_record_statement_id'))
        batch_op.drop_index(batch_op.f('ix_vote_record_member_id'))

    op.drop_table('vote_record')
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_member_id'))

    op.drop_table('vote')
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_round_normalised')
        batch_op.drop_index(batch_op.f('ix_statement_round_id'))
        batch_op.drop_index(batch_op.f('ix_statement_member_id'))

    op.drop_table('statement')
    op.drop_table('discuss_round')
