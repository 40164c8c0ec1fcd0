"""Alembic environment: run against the connection handed over by `assembly.db.migrate`.

Migrations live inside the package so an installed Minipublic can migrate its own database;
there is no alembic.ini to find.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from assembly import schema  # noqa: F401  (registers every room's tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run migrations through assembly.db.migrate(engine), not alembic directly.")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table.
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Offline (SQL script) migrations are not supported; use `minipublic migrate`.")
run_migrations_online()
