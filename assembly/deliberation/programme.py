"""Settings of the programme as a whole: the time zone its times are typed and shown in."""

from __future__ import annotations

from sqlmodel import Session

from assembly import audit
from assembly.assemblies.models import Assembly
from assembly.deliberation import times
from assembly.errors import ActionableError
from assembly.tables import row_id


class ZoneError(ActionableError):
    """Not a time zone this server knows."""


def set_time_zone(session: Session, assembly: Assembly, name: str, *, actor: str) -> bool:
    """Show and read the programme's times in zone `name` from now on. Stored times are UTC, so
    a round keeps its moment; only how it is written changes. Returns whether it changed."""
    problem = times.zone_problem(name)
    if problem:
        raise ZoneError(problem, field="time_zone")
    if assembly.time_zone == name:
        return False
    was = assembly.time_zone
    assembly.time_zone = name
    session.add(assembly)
    audit.record(session, row_id(assembly.id), actor, "assembly.time_zone_changed",
                 {"from": was, "to": name})
    return True
