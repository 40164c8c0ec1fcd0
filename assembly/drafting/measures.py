"""How far a member has got in a draft round, for their home page: principles read (in their
current version) of those in the round."""

from __future__ import annotations

from sqlmodel import Session

from assembly.deliberation.models import Round
from assembly.deliberation.progress import Progress
from assembly.drafting import principles
from assembly.selection.models import Member
from assembly.tables import row_id


def progress(session: Session, item: Round, member: Member) -> Progress | None:
    """"3 of 11 principles read": read means read as it reads now, so a principle changed by an
    amendment since counts again as unread (nothing while the round has no principles)."""
    found = principles.of_round(session, row_id(item.id))
    if not found:
        return None
    seen = principles.seen_versions(session, row_id(member.id), [row_id(p.id) for p in found])
    done = sum(1 for p in found if seen.get(row_id(p.id), 0) >= p.version)
    return Progress(done, len(found), "principle" if len(found) == 1 else "principles", "read")
