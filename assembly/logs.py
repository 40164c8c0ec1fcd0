"""Logging errors without the personal data they may carry.

A database error's text can quote what was being written: SQLAlchemy adds the statement's
parameters (disabled by `hide_parameters=True` on every engine, see `db.make_engine`), and
PostgreSQL's own message adds a DETAIL line such as `Key (email)=(someone@example.org) already
exists`. Other exceptions quote values too (`invalid literal for int(): 'Jane Doe'`). So errors
are logged as their kind, the traceback's frames and, for database errors, the error code and
the database's one-line summary, which names the constraint or type but never a value.
"""

from __future__ import annotations

import logging
import traceback

import sqlalchemy as sa


# PostgreSQL error classes whose one-line message names only constraints, tables, columns and
# types ("value too long for type character varying(320)", "duplicate key value violates unique
# constraint ..."; the values are in DETAIL, never logged). Others can quote a value: "invalid
# input syntax for type integer: \"jane@example.org\"" (class 22P02), so for them only the code
# and the names of the table, column and constraint are logged.
_PLAIN_MESSAGES = ("23", "22001", "22003", "40", "42", "53", "55", "57", "08")


def describe(error: BaseException) -> str:
    """What went wrong, without any value from the data: safe to log."""
    kind = type(error).__name__
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        original = error.orig
        diag = getattr(original, "diag", None)
        code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
        primary: str | None = None
        if diag is not None:
            if code and code.startswith(_PLAIN_MESSAGES):
                primary = diag.message_primary
            else:
                names = [f"{label} {value}" for label, value in (
                    ("table", diag.table_name), ("column", diag.column_name),
                    ("constraint", diag.constraint_name), ("type", diag.datatype_name))
                    if value]
                primary = "; ".join(names) or None
        elif str(original):
            # SQLite's messages name tables and columns, never values ("UNIQUE constraint
            # failed: contact.email", "CHECK constraint failed: range").
            primary = str(original).splitlines()[0]
        statement = (error.statement or "").split("\n")[0][:200]
        parts = [f"{kind} from the database ({type(original).__name__}"
                 + (f", code {code}" if code else "") + ")"]
        if primary:
            parts.append(primary)
        if statement:
            parts.append(f"while running: {statement}")
        return ": ".join(parts)
    return kind


def frames(error: BaseException) -> str:
    """The traceback's frames (file, line, function, source line), without the message."""
    return "".join(traceback.format_tb(error.__traceback__))


def log_error(logger: logging.Logger, message: str, error: BaseException, *args: object) -> None:
    """Log `message % args`, then what went wrong (see `describe`) and where, never the text of
    the exception itself, nor of the exceptions it was raised from."""
    logger.error(message + ": %s\n%s", *args, describe(error), frames(error))


class LoggedError(RuntimeError):
    """Raised in place of an error that was already logged by `log_error`, for the server to
    see that the request failed; it carries the same safe description, not the original text."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{describe(error)} (logged without its text)\n{frames(error)}")
