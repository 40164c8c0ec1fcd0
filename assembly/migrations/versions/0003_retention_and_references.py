"""Retention counted from the assembly's end for panel members and reserves; where each
respondent's id came from, so erasure knows whether it is a plain reference.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_retention_days', sa.Integer(), nullable=False,
                                      server_default='90'))
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        # Existing rows: unknown, so erasure treats their id as possibly personal.
        batch_op.add_column(sa.Column('id_source', sa.String(length=8), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_column('id_source')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_column('member_retention_days')
