"""Where an assembly is in its journey. Every status change goes through `advance`."""

from __future__ import annotations

from sqlmodel import Session

from assembly.assemblies.models import Assembly, AssemblyStatus

ORDER = tuple(AssemblyStatus)


def advance(session: Session, assembly: Assembly, to: AssemblyStatus) -> bool:
    """Move the assembly forward to `to`; never back (a second selection run does not undo a
    draw). Returns whether the status changed. The step that causes the change writes the
    audit event (a selection started, the draw, the invitations)."""
    current = AssemblyStatus(assembly.status)
    if ORDER.index(to) <= ORDER.index(current):
        return False
    assembly.status = to.value
    session.add(assembly)
    return True
