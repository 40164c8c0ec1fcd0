"""Quotas: the share of the population with each value, when the quotas file gives it (from
the census), published beside the panel's share.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_share', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_column('target_share')
