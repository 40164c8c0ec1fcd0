"""Run numbers per assembly that are never reused, and seats left empty on purpose (issue 8).

`selection_run.number` counts the runs of one assembly (1, 2, 3...); `assembly.runs_started`
remembers how many were ever started, so a discarded run's number is not given again.
Existing runs are numbered in the order their "selection.started" events were written to the
assembly's audit log, which also counts runs discarded since; runs without such an event come
after, in id order. `member.vacated_reason` says why an officer left a seat empty.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _backfill() -> None:
    """Number the existing runs, and set each assembly's count of runs started."""
    connection = op.get_bind()
    run = sa.table('selection_run', sa.column('id', sa.Integer()),
                   sa.column('assembly_id', sa.Integer()), sa.column('number', sa.Integer()))
    assembly = sa.table('assembly', sa.column('id', sa.Integer()),
                        sa.column('runs_started', sa.Integer()))
    event = sa.table('audit_event', sa.column('assembly_id', sa.Integer()),
                     sa.column('seq', sa.Integer()), sa.column('action', sa.String()),
                     sa.column('details', sa.JSON()))
    started: dict[int, list[int | None]] = defaultdict(list)
    for assembly_id, details in connection.execute(
            sa.select(event.c.assembly_id, event.c.details)
            .where(event.c.action == 'selection.started')
            .order_by(event.c.assembly_id, event.c.seq)):
        run_id = details.get('run') if isinstance(details, dict) else None
        started[assembly_id].append(run_id if isinstance(run_id, int) else None)
    runs: dict[int, list[int]] = defaultdict(list)
    for run_id, assembly_id in connection.execute(
            sa.select(run.c.id, run.c.assembly_id).order_by(run.c.id)):
        runs[assembly_id].append(run_id)
    for assembly_id in set(started) | set(runs):
        order = started.get(assembly_id, [])
        numbers = {run_id: n for n, run_id in enumerate(order, start=1) if run_id is not None}
        last = len(order)
        for run_id in runs.get(assembly_id, []):
            if run_id not in numbers:
                last += 1
                numbers[run_id] = last
        for run_id in runs.get(assembly_id, []):
            connection.execute(run.update().where(run.c.id == run_id)
                               .values(number=numbers[run_id]))
        connection.execute(assembly.update().where(assembly.c.id == assembly_id)
                           .values(runs_started=last))


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runs_started', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vacated_reason', sa.String(length=1000), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('selection_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    _backfill()
    with op.batch_alter_table('selection_run', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_selection_run_number', ['assembly_id', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('selection_run', schema=None) as batch_op:
        batch_op.drop_constraint('uq_selection_run_number', type_='unique')
        batch_op.drop_column('number')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('vacated_reason')
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_column('runs_started')
