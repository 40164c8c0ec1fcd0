"""The organisers' contact details on the assembly, and members' declines (issue #8).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CONTACT_COLUMNS = (('contact_phone', 40), ('contact_email', 254), ('contact_address', 500),
                   ('support_offer', 2000))


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        for name, length in CONTACT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=''))
    # The default only fills the existing rows; new ones get theirs from the model.
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        for name, _ in CONTACT_COLUMNS:
            batch_op.alter_column(name, server_default=None)
    op.create_table(
        'member_decline',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('declined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                                name=op.f('fk_member_decline_member_id_member'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_decline')),
    )


def downgrade() -> None:
    op.drop_table('member_decline')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        for name, _ in reversed(CONTACT_COLUMNS):
            batch_op.drop_column(name)
