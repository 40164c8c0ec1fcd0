"""A word-level difference between two wordings of a principle.

Words (and the spaces between them) are compared with difflib, so a changed word shows as that
word deleted and its replacement inserted, never as changed letters. The result is a list of
pieces, each kept, inserted or deleted; templates show insertions as <ins> and deletions as
<del> with visually hidden "inserted:" / "deleted:" words, so the change is announced by screen
readers and seen without relying on colour.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["same", "inserted", "deleted"]
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    kind: Kind
    text: str


def tokens(text: str) -> list[str]:
    """Words, punctuation marks and the runs of space between them (joining them gives the text
    back), so a comma added after a word does not count as the word changed."""
    return _TOKENS.findall(text)


def _merged(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if out and out[-1].kind == piece.kind:
            out[-1] = Piece(piece.kind, out[-1].text + piece.text)
        else:
            out.append(piece)
    return out


def difference(old: str, new: str) -> list[Piece]:
    """`old` turned into `new`, word by word: joining the kept and deleted pieces gives `old`,
    joining the kept and inserted ones gives `new`."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(Piece("deleted", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(Piece("inserted", "".join(b[j1:j2])))
    return _merged(pieces)


def changed(pieces: list[Piece]) -> bool:
    return any(piece.kind != "same" for piece in pieces)
