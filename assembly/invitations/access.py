"""Loading what a signed-in member acts on, and checking they may, in one step."""

from __future__ import annotations

from sqlmodel import Session
from starlette.exceptions import HTTPException

from assembly.assemblies.models import Assembly
from assembly.authz import Actor, authorize


def members_assembly(session: Session, actor: Actor, action: str) -> Assembly:
    """The assembly of the signed-in member, if `actor` may do `action` to it."""
    authorize(actor, "member.welcome")
    assert actor.member is not None
    assembly = session.get(Assembly, actor.member.assembly_id)
    if assembly is None:
        raise HTTPException(404, "Your assembly no longer exists.")
    authorize(actor, action, assembly)
    return assembly
