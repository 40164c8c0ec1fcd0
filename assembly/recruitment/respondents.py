"""Finding respondents by the reference officers know them by: their id in the people file.

Officers type references as they read them off a letter or a spreadsheet, so the match ignores
case. SQL `lower()` folds only ASCII letters on SQLite (all of Unicode on PostgreSQL), so a
reference with other letters is also compared with Python's case folding, over this assembly's
references only.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly.recruitment.models import Respondent

MAX_REFERENCE = 200  # as long as a reference can be (Respondent.external_id)


def find_by_reference(session: Session, assembly_id: int, reference: str) -> list[Respondent]:
    """Every respondent of the assembly whose reference matches `reference` in any case (more
    than one only if the file had references differing in case alone), in file order."""
    wanted = " ".join(reference.split())
    if not wanted or len(wanted) > MAX_REFERENCE:
        return []
    query = select(Respondent).where(Respondent.assembly_id == assembly_id)
    if wanted.isascii():
        found = session.exec(query.where(
            sa.func.lower(col(Respondent.external_id)) == wanted.lower())
            .order_by(col(Respondent.id))).all()
        return list(found)
    folded = wanted.casefold()
    ids = [rid for rid, external in session.exec(
        select(Respondent.id, Respondent.external_id).where(
            Respondent.assembly_id == assembly_id)).all()
        if external.casefold() == folded]
    if not ids:
        return []
    return list(session.exec(query.where(col(Respondent.id).in_(ids))
                             .order_by(col(Respondent.id))).all())
