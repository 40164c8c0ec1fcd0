"""CSV that spreadsheets open as data, never as formulas: the one writer for every CSV we make.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return) as a formula, so a name such as
``=HYPERLINK("http://evil","x")`` in an uploaded file could become a link or a command in the
officer's spreadsheet. Following OWASP's advice on CSV injection, every cell that starts with
one of those characters, or with its full-width form (``＝ ＋ － ＠``, which some programs fold
to the ASCII one), is written with a leading apostrophe, which spreadsheets show as text.

Two choices, so that nothing legitimate is corrupted:

- A cell that is wholly a decimal number (``-3``, ``-0.0125``, ``+4``, ``1e-05``) is left as it
  is, in any column: a spreadsheet reads it as that number, it cannot run anything, and
  probabilities and changes in chance stay numbers.
- A cell that already starts with an apostrophe gets one more, so the escape can always be
  undone: `read_rows` (and `unescape`) give back exactly the text that was written. The files
  Minipublic reads back (the commitment's files, the audit log export, respondents.csv) use it.

This module is pure (standard library only) so that both the selection engine and the web app
use it; a test checks that no other module calls `csv.writer`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

# OWASP: = + - @ tab carriage return; and their full-width forms (U+FF1D, U+FF0B, U+FF0D,
# U+FF20). A line feed is added: some programs treat it as the start of a new cell's formula.
FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
ESCAPE = "'"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def escape(value: object) -> str:
    """The text of one cell, made safe to open in a spreadsheet (see the module docstring)."""
    text = "" if value is None else str(value)
    if not text:
        return text
    if text[0] == ESCAPE:
        return ESCAPE + text
    if text[0] in FORMULA_START and not _NUMBER.match(text):
        return ESCAPE + text
    return text


def unescape(text: str) -> str:
    """The cell as it was before `escape`."""
    return text[1:] if text.startswith(ESCAPE) else text


def is_safe(text: str) -> bool:
    """True when a cell as written cannot start a formula (used by tests and checks)."""
    return not text or text[0] not in FORMULA_START or bool(_NUMBER.match(text))


def write_rows(stream: Any, rows: Iterable[Iterable[object]], *, lineterminator: str = "\n",
               **options: Any) -> None:
    """Write `rows` to a text stream, every cell escaped."""
    writer = csv.writer(stream, lineterminator=lineterminator, **options)
    # The csv module quotes a field with a line break only if the break is in the line
    # terminator, so with "\n" a lone "\r" would split the row: quote such rows in full.
    quoted = csv.writer(stream, lineterminator=lineterminator,
                        **{**options, "quoting": csv.QUOTE_ALL})
    for row in rows:
        cells = [escape(cell) for cell in row]
        if any("\r" in cell or "\n" in cell for cell in cells):
            quoted.writerow(cells)
        else:
            writer.writerow(cells)


def text(rows: Iterable[Iterable[object]], *, lineterminator: str = "\n", **options: Any) -> str:
    """The rows as CSV text (RFC 4180 with minimal quoting), every cell escaped."""
    buffer = io.StringIO()
    write_rows(buffer, rows, lineterminator=lineterminator, **options)
    return buffer.getvalue()


def encode(rows: Iterable[Iterable[object]], *, lineterminator: str = "\n") -> bytes:
    """The rows as UTF-8 CSV bytes, every cell escaped."""
    return text(rows, lineterminator=lineterminator).encode("utf-8")


def line(row: Iterable[object]) -> str:
    """One row as its CSV line, ending in a line feed (the text the commitment hashes)."""
    return text([row])


def read_rows(data: str) -> list[list[str]]:
    """Rows of CSV text written by this module, each cell as it was before escaping."""
    return [[unescape(cell) for cell in row] for row in csv.reader(io.StringIO(data, newline=""))]
