"""Draft principles and every version of their wording.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('principle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('rationale', sa.String(length=5000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_principle_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principle')),
    sa.UniqueConstraint('public_id', name=op.f('uq_principle_public_id'))
    )
    with op.batch_alter_table('principle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principle_round_id'), ['round_id'], unique=False)

    op.create_table('principle_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('rationale', sa.String(length=5000), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('saved_by', sa.String(length=200), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_principle_version_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principle_version')),
    sa.UniqueConstraint('principle_id', 'version', name='uq_principle_version')
    )
    with op.batch_alter_table('principle_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principle_version_principle_id'), ['principle_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('principle_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principle_version_principle_id'))

    op.drop_table('principle_version')
    with op.batch_alter_table('principle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principle_round_id'))

    op.drop_table('principle')
