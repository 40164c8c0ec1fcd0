"""What both audiences' history pages share: choosing two versions of a principle to compare,
and their word-level difference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assembly.drafting import wording
from assembly.drafting.models import PrincipleVersion

CHANGE_WORDS = {"written": "Written", "edited": "Edited by the assembly team",
                "amendment": "Amendment from a member accepted"}


def pieces(old: str, new: str) -> list[wording.Piece]:
    return wording.difference(old, new)


@dataclass(frozen=True)
class Compared:
    old: PrincipleVersion
    new: PrincipleVersion
    title: list[wording.Piece]
    text: list[wording.Piece]
    rationale: list[wording.Piece]
    problem: str          # why the versions asked for could not be compared, or ""


def _number(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    return int(value)


def compare(versions: list[PrincipleVersion], query: Mapping[str, str]) -> Compared | None:
    """The two versions named by `from` and `to` in the query (by default the one before the
    latest and the latest); None while there is only one version."""
    if len(versions) < 2:
        return None
    by_number = {v.version: v for v in versions}
    wanted_old, wanted_new = _number(query.get("from")), _number(query.get("to"))
    problem = ""
    old = by_number.get(wanted_old) if wanted_old is not None else None
    new = by_number.get(wanted_new) if wanted_new is not None else None
    if (query.get("from") and old is None) or (query.get("to") and new is None):
        problem = (f"Choose versions from 1 to {versions[-1].version}; the latest two are "
                   "compared below.")
        old = new = None
    if new is None:
        new = versions[-1]
    if old is None:
        old = next((v for v in reversed(versions) if v.version < new.version), versions[0])
    return Compared(old, new, wording.difference(old.title, new.title),
                    wording.difference(old.text, new.text),
                    wording.difference(old.rationale, new.rationale), problem)
