"""Letter batches: letters whose invitations start working only when downloaded (issue #7).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'letter_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('assembly_id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('credentials', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('error', sa.String(length=2000), nullable=True),
        sa.Column('archive', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'],
                                name=op.f('fk_letter_batch_assembly_id_assembly'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['officer_id'], ['officer.id'],
                                name=op.f('fk_letter_batch_officer_id_officer'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['user_session.id'],
                                name=op.f('fk_letter_batch_session_id_user_session'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_batch')),
        sa.UniqueConstraint('public_id', name=op.f('uq_letter_batch_public_id')),
    )
    with op.batch_alter_table('letter_batch', schema=None) as batch_op:
        for column in ('assembly_id', 'officer_id', 'session_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_letter_batch_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('letter_batch')
