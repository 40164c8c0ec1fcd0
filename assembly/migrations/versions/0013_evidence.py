"""The evidence library of learn rounds: briefings and their earlier versions, attachments kept
in the database, which members read what and opened which round, and questions to the speakers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('briefing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('body', sa.String(length=50000), nullable=False),
    sa.Column('easy_read', sa.String(length=20000), nullable=False),
    sa.Column('speaker_name', sa.String(length=200), nullable=False),
    sa.Column('speaker_organisation', sa.String(length=200), nullable=False),
    sa.Column('speaker_role', sa.String(length=200), nullable=False),
    sa.Column('interests', sa.String(length=2000), nullable=False),
    sa.Column('video_url', sa.String(length=1000), nullable=False),
    sa.Column('transcript', sa.String(length=50000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_briefing_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing')),
    sa.UniqueConstraint('public_id', name=op.f('uq_briefing_public_id'))
    )
    with op.batch_alter_table('briefing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_round_id'), ['round_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=1000), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefing.id'], name=op.f('fk_attachment_briefing_id_briefing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('public_id', name=op.f('uq_attachment_public_id'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_briefing_id'), ['briefing_id'], unique=False)

    op.create_table('briefing_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('saved_by', sa.String(length=200), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefing.id'], name=op.f('fk_briefing_version_briefing_id_briefing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_version')),
    sa.UniqueConstraint('briefing_id', 'version', name='uq_briefing_version')
    )
    with op.batch_alter_table('briefing_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_version_briefing_id'), ['briefing_id'], unique=False)

    op.create_table('briefing_read',
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefing.id'], name=op.f('fk_briefing_read_briefing_id_briefing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_briefing_read_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('briefing_id', 'member_id', name=op.f('pk_briefing_read'))
    )
    with op.batch_alter_table('briefing_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_read_member_id'), ['member_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('briefing_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=5000), nullable=False),
    sa.Column('answered_by', sa.String(length=200), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefing.id'], name=op.f('fk_question_briefing_id_briefing'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_question_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['question.id'], name=op.f('fk_question_merged_into_id_question'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_question_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('public_id', name=op.f('uq_question_public_id'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_briefing_id'), ['briefing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_round_id'), ['round_id'], unique=False)

    op.create_table('round_visit',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_round_visit_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_visit_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'member_id', name=op.f('pk_round_visit'))
    )
    with op.batch_alter_table('round_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_visit_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('round_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_visit_member_id'))

    op.drop_table('round_visit')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_round_id'))
        batch_op.drop_index(batch_op.f('ix_question_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_question_member_id'))
        batch_op.drop_index(batch_op.f('ix_question_briefing_id'))

    op.drop_table('question')
    with op.batch_alter_table('briefing_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_read_member_id'))

    op.drop_table('briefing_read')
    with op.batch_alter_table('briefing_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_version_briefing_id'))

    op.drop_table('briefing_version')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_briefing_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('briefing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_round_id'))

    op.drop_table('briefing')
