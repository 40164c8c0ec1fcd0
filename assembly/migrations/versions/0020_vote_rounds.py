"""Vote rounds: settings, ballot papers, ballots and receipts while open, and what sealing
keeps (sealed ballots, counts per stratum, counted receipts, tallies); and the channel of a
question an officer keyed in from paper or a phone call.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False,
                                      server_default='online'))
        batch_op.add_column(sa.Column('entered_by', sa.String(length=200), nullable=False,
                                      server_default=''))
    op.create_table('counted_receipt',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_counted_receipt_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'code_hash', name=op.f('pk_counted_receipt'))
    )
    op.create_table('vote_round',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('draft_round_id', sa.Integer(), nullable=True),
    sa.Column('scale', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.String(length=24), nullable=False),
    sa.Column('rule', sa.String(length=24), nullable=False),
    sa.Column('on_lower_bound', sa.Boolean(), nullable=False),
    sa.Column('quorum', sa.Float(), nullable=False),
    sa.Column('consent_threshold', sa.Float(), nullable=False),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sealed_digest', sa.String(length=64), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_round_id'], ['round.id'], name=op.f('fk_vote_round_draft_round_id_round'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_vote_round_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_vote_round'))
    )
    with op.batch_alter_table('vote_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_round_draft_round_id'), ['draft_round_id'], unique=False)

    op.create_table('ballot_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_ballot_item_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_item_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_item')),
    sa.UniqueConstraint('round_id', 'principle_id', name='uq_ballot_item')
    )
    with op.batch_alter_table('ballot_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_item_principle_id'), ['principle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_item_round_id'), ['round_id'], unique=False)

    op.create_table('ballot_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('method_version', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('inputs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_ballot_tally_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_tally_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_tally')),
    sa.UniqueConstraint('round_id', 'principle_id', name='uq_ballot_tally')
    )
    with op.batch_alter_table('ballot_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_tally_principle_id'), ['principle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_tally_round_id'), ['round_id'], unique=False)

    op.create_table('sealed_ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_sealed_ballot_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_sealed_ballot_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballot'))
    )
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballot_principle_id'), ['principle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sealed_ballot_round_id'), ['round_id'], unique=False)

    op.create_table('stratum_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('option', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_stratum_count_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_stratum_count_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stratum_count')),
    sa.UniqueConstraint('round_id', 'principle_id', 'feature', 'value', 'option', name='uq_stratum_count')
    )
    with op.batch_alter_table('stratum_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stratum_count_principle_id'), ['principle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stratum_count_round_id'), ['round_id'], unique=False)

    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_ballot_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_ballot_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('round_id', 'principle_id', 'member_id', name='uq_ballot')
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_principle_id'), ['principle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_round_id'), ['round_id'], unique=False)

    op.create_table('receipt',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_receipt_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_receipt_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'member_id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_receipt_code_hash'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_member_id'))

    op.drop_table('receipt')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_principle_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_member_id'))

    op.drop_table('ballot')
    with op.batch_alter_table('stratum_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stratum_count_round_id'))
        batch_op.drop_index(batch_op.f('ix_stratum_count_principle_id'))

    op.drop_table('stratum_count')
    with op.batch_alter_table('sealed_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballot_round_id'))
        batch_op.drop_index(batch_op.f('ix_sealed_ballot_principle_id'))

    op.drop_table('sealed_ballot')
    with op.batch_alter_table('ballot_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_tally_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_tally_principle_id'))

    op.drop_table('ballot_tally')
    with op.batch_alter_table('ballot_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_item_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_item_principle_id'))

    op.drop_table('ballot_item')
    with op.batch_alter_table('vote_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_round_draft_round_id'))

    op.drop_table('vote_round')
    op.drop_table('counted_receipt')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('entered_by')
        batch_op.drop_column('channel')
