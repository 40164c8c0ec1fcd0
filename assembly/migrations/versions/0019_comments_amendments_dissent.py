"""Draft rounds: their settings, principles' links to statements, members' comments and
amendments, what each member last read, and dissent notes with their signatures.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('draft_round',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('cosigners', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_draft_round_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_draft_round'))
    )
    op.create_table('amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_reason', sa.String(length=1000), nullable=False),
    sa.Column('accepted_title', sa.String(length=200), nullable=False),
    sa.Column('accepted_text', sa.String(length=2000), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.Column('made_version', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_amendment_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_amendment_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment')),
    sa.UniqueConstraint('public_id', name=op.f('uq_amendment_public_id'))
    )
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_amendment_principle_id'), ['principle_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.String(length=1000), nullable=False),
    sa.Column('hidden_by', sa.String(length=200), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_comment_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_comment_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    sa.UniqueConstraint('public_id', name=op.f('uq_comment_public_id'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_principle_id'), ['principle_id'], unique=False)

    op.create_table('dissent_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('signatures', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_dissent_note_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_dissent_note_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dissent_note')),
    sa.UniqueConstraint('public_id', name=op.f('uq_dissent_note_public_id'))
    )
    with op.batch_alter_table('dissent_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dissent_note_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dissent_note_principle_id'), ['principle_id'], unique=False)

    op.create_table('principle_view',
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_principle_view_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_principle_view_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('principle_id', 'member_id', name=op.f('pk_principle_view'))
    )
    with op.batch_alter_table('principle_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principle_view_member_id'), ['member_id'], unique=False)

    op.create_table('dissent_signature',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_dissent_signature_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['note_id'], ['dissent_note.id'], name=op.f('fk_dissent_signature_note_id_dissent_note'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'member_id', name=op.f('pk_dissent_signature'))
    )
    with op.batch_alter_table('dissent_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dissent_signature_member_id'), ['member_id'], unique=False)

    op.create_table('principle_statement',
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_principle_statement_principle_id_principle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_principle_statement_statement_id_statement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('principle_id', 'statement_id', name=op.f('pk_principle_statement'))
    )
    with op.batch_alter_table('principle_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principle_statement_statement_id'), ['statement_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('principle_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principle_statement_statement_id'))

    op.drop_table('principle_statement')
    with op.batch_alter_table('dissent_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dissent_signature_member_id'))

    op.drop_table('dissent_signature')
    with op.batch_alter_table('principle_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principle_view_member_id'))

    op.drop_table('principle_view')
    with op.batch_alter_table('dissent_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dissent_note_principle_id'))
        batch_op.drop_index(batch_op.f('ix_dissent_note_member_id'))

    op.drop_table('dissent_note')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_principle_id'))
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_comment_member_id'))

    op.drop_table('comment')
    with op.batch_alter_table('amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_principle_id'))
        batch_op.drop_index(batch_op.f('ix_amendment_member_id'))

    op.drop_table('amendment')
    op.drop_table('draft_round')

