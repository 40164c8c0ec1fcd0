"""Single-use sign-in links (e-mailed) and codes (from an officer) for members who have joined.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['officer.id'],
                            name=op.f('fk_sign_in_credential_created_by_officer'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                            name=op.f('fk_sign_in_credential_member_id_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_credential')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_sign_in_credential_secret_hash'))
    )
    with op.batch_alter_table('sign_in_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_credential_created_by'), ['created_by'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_credential_member_id'), ['member_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('sign_in_credential')
