"""Initial schema: officers, sessions, assemblies, pool, quotas, selection, members, invitations,
and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('assembly_id', 'seq', name='uq_audit_event_seq')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('address_key', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_account_at', ['account_key', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_address_at', ['address_key', 'at'], unique=False)

    op.create_table('officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer')),
    sa.UniqueConstraint('email', name=op.f('uq_officer_email'))
    )
    op.create_table('assembly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.String(length=1000), nullable=False),
    sa.Column('remit', sa.String(length=10000), nullable=False),
    sa.Column('commissioning_body', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('panel_size', sa.Integer(), nullable=True),
    sa.Column('one_per_household', sa.Boolean(), nullable=False),
    sa.Column('address_columns', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.Column('legal_basis', sa.String(length=2000), nullable=False),
    sa.Column('consent_version', sa.String(length=100), nullable=False),
    sa.Column('pool_uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['officer.id'], name=op.f('fk_assembly_created_by_officer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly')),
    sa.UniqueConstraint('public_id', name=op.f('uq_assembly_public_id'))
    )
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_created_by'), ['created_by'], unique=False)

    op.create_table('pool_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_pool_count_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_count')),
    sa.UniqueConstraint('assembly_id', 'feature', 'value', name='uq_pool_count_category')
    )
    with op.batch_alter_table('pool_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_count_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('min_count', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('min_flex', sa.Integer(), nullable=True),
    sa.Column('max_flex', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_count >= 0 AND min_count <= max_count', name=op.f('ck_quota_range')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_quota_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota')),
    sa.UniqueConstraint('assembly_id', 'feature', 'value', name='uq_quota_category')
    )
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('respondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('household_key', sa.String(length=64), nullable=True),
    sa.Column('legal_basis', sa.String(length=2000), nullable=False),
    sa.Column('consent_version', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased', sa.Boolean(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_respondent_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_respondent')),
    sa.UniqueConstraint('assembly_id', 'external_id', name='uq_respondent_external_id'),
    sa.UniqueConstraint('public_id', name=op.f('uq_respondent_public_id'))
    )
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_respondent_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('selection_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=32), nullable=False),
    sa.Column('panel_size', sa.Integer(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=200), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=False),
    sa.Column('error', sa.String(length=20000), nullable=True),
    sa.Column('marginals', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('commitment', sa.String(length=128), nullable=True),
    sa.Column('lottery', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_selection_run_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['officer.id'], name=op.f('fk_selection_run_created_by_officer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_run'))
    )
    with op.batch_alter_table('selection_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_run_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_run_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_run_status'), ['status'], unique=False)

    op.create_table('contact',
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('address_line_1', sa.String(length=200), nullable=False),
    sa.Column('address_line_2', sa.String(length=200), nullable=False),
    sa.Column('address_line_3', sa.String(length=200), nullable=False),
    sa.Column('town', sa.String(length=100), nullable=False),
    sa.Column('postcode', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_contact_respondent_id_respondent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('respondent_id', name=op.f('pk_contact'))
    )
    op.create_table('draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=200), nullable=False),
    sa.Column('ticket', sa.Integer(), nullable=False),
    sa.Column('panel', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('reserves', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_draw_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drawn_by'], ['officer.id'], name=op.f('fk_draw_drawn_by_officer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['selection_run.id'], name=op.f('fk_draw_run_id_selection_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw')),
    sa.UniqueConstraint('run_id', name=op.f('uq_draw_run_id'))
    )
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draw_drawn_by'), ['drawn_by'], unique=False)

    op.create_table('profile',
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_profile_respondent_id_respondent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('respondent_id', name=op.f('pk_profile'))
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('replaced_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_member_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_id'], ['draw.id'], name=op.f('fk_member_draw_id_draw'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by'], ['member.id'], name=op.f('fk_member_replaced_by_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_member_respondent_id_respondent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('assembly_id', 'respondent_id', name='uq_member_respondent'),
    sa.UniqueConstraint('public_id', name=op.f('uq_member_public_id'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_replaced_by'), ['replaced_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_respondent_id'), ['respondent_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['officer.id'], name=op.f('fk_invitation_created_by_officer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_invitation_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_member_id'), ['member_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=100), nullable=True),
    sa.CheckConstraint('(officer_id IS NULL) <> (member_id IS NULL)', name=op.f('ck_user_session_one_owner')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_user_session_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['officer.id'], name=op.f('fk_user_session_officer_id_officer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_officer_id'), ['officer_id'], unique=False)


    _protect_audit_log()


def downgrade() -> None:
    _unprotect_audit_log()
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_officer_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_member_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))

    op.drop_table('user_session')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_member_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_created_by'))

    op.drop_table('invitation')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_respondent_id'))
        batch_op.drop_index(batch_op.f('ix_member_replaced_by'))
        batch_op.drop_index(batch_op.f('ix_member_draw_id'))
        batch_op.drop_index(batch_op.f('ix_member_assembly_id'))

    op.drop_table('member')
    op.drop_table('profile')
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_drawn_by'))
        batch_op.drop_index(batch_op.f('ix_draw_assembly_id'))

    op.drop_table('draw')
    op.drop_table('contact')
    with op.batch_alter_table('selection_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_run_status'))
        batch_op.drop_index(batch_op.f('ix_selection_run_created_by'))
        batch_op.drop_index(batch_op.f('ix_selection_run_assembly_id'))

    op.drop_table('selection_run')
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_respondent_assembly_id'))

    op.drop_table('respondent')
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_assembly_id'))

    op.drop_table('quota')
    with op.batch_alter_table('pool_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_count_assembly_id'))

    op.drop_table('pool_count')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_created_by'))

    op.drop_table('assembly')
    op.drop_table('officer')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_address_at')
        batch_op.drop_index('ix_login_attempt_account_at')

    op.drop_table('login_attempt')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_assembly_id'))

    op.drop_table('audit_event')


# The audit log is append-only: the database itself refuses UPDATE and DELETE, so neither a bug
# nor someone with the application's credentials can rewrite history quietly.
_REFUSAL = "audit_event is append-only"


def _protect_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_REFUSAL}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
            )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )


def _unprotect_audit_log() -> None:
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{event}" + (
            " ON audit_event" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_event_refuse_change()")
