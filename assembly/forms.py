"""Reading what people type into forms: text, dates, whole numbers, and file problems as table
rows; and how large an uploaded file may be.

Every text field a view reads goes through `text()`, which removes control characters (they can
rewrite a terminal's screen when the value is later printed, or hide in a title), keeping line
breaks only in fields that are several lines long. `too_long()` checks a value against its
column, with a message naming the field and the limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from sortition.model import Problem, clean_text

MIB = 1024 * 1024
# The largest file one upload field takes, in MiB: what Windows and macOS call "20 MB" when they
# show a file's size, so an officer's "19.5 MB" file is under it.
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * MIB
# Room in a request for what is not a file: multipart boundaries and part headers, the form's
# text fields. An upload form with two full-size files fits in 2 * 20 MiB + this.
FORM_ALLOWANCE = 1 * MIB
# The largest number an officer can type where a count is asked (quota ranges): more than any
# panel, and far inside the database's whole numbers (PostgreSQL's integer stops at 2^31 - 1).
MAX_COUNT = 1_000_000


async def read(request: Request, *, max_fields: int = 50, max_files: int = 0) -> FormData:
    """The submitted form, refusing files where the form takes none (nothing is spooled to
    disk for them) and more fields than it has: a 400 that says so, never a server error."""
    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except HTTPException as error:
        if error.status_code != 400:
            raise
        raise HTTPException(400, f"The form could not be read ({error.detail}). Go back, reload "
                                 "the page and use its form.") from None


def text(form: Mapping[str, Any], name: str, *, multiline: bool = False, strip: bool = True
         ) -> str:
    """The text typed into field `name` ("" if absent or a file), without control characters;
    line breaks are kept only when the field is `multiline` (and made `\\n`)."""
    value = form.get(name, "")
    value = clean_text(value if isinstance(value, str) else "", multiline=multiline)
    return value.strip() if strip else value


def too_long(value: str, limit: int, label: str) -> str | None:
    """A message when `value` is longer than `limit` characters, naming the field, else None."""
    if len(value) <= limit:
        return None
    return (f"{label} can be at most {limit:,} characters; this has {len(value):,}. "
            "Shorten it.")


def megabytes(size: int) -> str:
    """A size in MiB as file managers show it ("19.5 MB")."""
    return f"{size / MIB:.1f}".removesuffix(".0") + " MB"


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, object]]:
    """Problems as table rows for the error summary (file, row, column, message)."""
    return [{"file": p.file, "row": p.row, "column": p.column, "message": p.message}
            for p in problems]


def parse_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends); ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    if len(text) > 10:
        raise ValueError("too long for a date")
    return date.fromisoformat(text)


def whole_number(text: str, low: int, high: int) -> int:
    """A whole number in [low, high] (plain digits, an optional sign); ValueError otherwise."""
    text = text.strip()
    digits = text.removeprefix("-").removeprefix("+")
    # int() accepts "1_000" and other scripts' digits, and takes quadratic time on huge input.
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise ValueError(f"{text[:20]!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}-{high}")
    return value
