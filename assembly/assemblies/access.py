"""Loading an assembly for someone who acts on it: 404 if it does not exist."""

from __future__ import annotations

from sqlmodel import Session
from starlette.exceptions import HTTPException

from assembly.assemblies.models import Assembly


def assembly_or_404(session: Session, assembly_id: int) -> Assembly:
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise HTTPException(404, "There is no such assembly.")
    return assembly
