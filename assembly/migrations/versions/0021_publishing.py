"""Publishing: the council's response to each principle, and the published versions of the
charter with their files. Published versions and files are append-only: the database refuses
UPDATE and DELETE on them (triggers, as for the audit log).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assembly.tables

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

PROTECTED = ("published_charter", "published_file")


def upgrade() -> None:
    op.create_table('published_charter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', assembly.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.String(length=2000), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_published_charter_assembly_id_assembly'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_charter')),
    sa.UniqueConstraint('assembly_id', 'version', name='uq_published_charter_version')
    )
    with op.batch_alter_table('published_charter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_charter_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('published_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('charter_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['charter_id'], ['published_charter.id'], name=op.f('fk_published_file_charter_id_published_charter'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_file')),
    sa.UniqueConstraint('charter_id', 'name', name='uq_published_file_name')
    )
    with op.batch_alter_table('published_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_file_charter_id'), ['charter_id'], unique=False)

    op.create_table('council_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('principle_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reasons', sa.String(length=5000), nullable=False),
    sa.Column('responded_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', assembly.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_council_response_assembly_id_assembly'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principle_id'], ['principle.id'], name=op.f('fk_council_response_principle_id_principle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_response')),
    sa.UniqueConstraint('assembly_id', 'principle_id', name='uq_council_response_principle')
    )
    with op.batch_alter_table('council_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_response_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_council_response_principle_id'), ['principle_id'], unique=False)


    _protect()


def downgrade() -> None:
    _unprotect()
    with op.batch_alter_table('council_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_response_principle_id'))
        batch_op.drop_index(batch_op.f('ix_council_response_assembly_id'))

    op.drop_table('council_response')
    with op.batch_alter_table('published_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_file_charter_id'))

    op.drop_table('published_file')
    with op.batch_alter_table('published_charter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_charter_assembly_id'))

    op.drop_table('published_charter')


# What the public read at a published address, and the sha256 printed beside it, can never
# change: the database itself refuses UPDATE and DELETE, so neither a bug nor someone with the
# application's credentials can rewrite a published charter quietly.
def _refusal(table: str) -> str:
    return f"{table} is append-only: publish a new version instead"


def _protect() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in PROTECTED:
        if postgres:
            op.execute(
                f"""
                CREATE FUNCTION {table}_refuse_change() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{_refusal(table)}';
                END;
                $$ LANGUAGE plpgsql
                """
            )
        for event in ("UPDATE", "DELETE"):
            action = (f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()" if postgres
                      else f"BEGIN SELECT RAISE(ABORT, '{_refusal(table)}'); END")
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       + action)


def _unprotect() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in PROTECTED:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}"
                       + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")
