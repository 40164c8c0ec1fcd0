"""The principle tables on both real databases: one row per version of a principle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assembly import db
from assembly.assemblies.models import Assembly
from assembly.deliberation import rounds
from assembly.deliberation.models import RoundKind
from assembly.drafting.models import Principle, PrincipleVersion
from assembly.selection.models import Member

T0 = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def test_a_principle_has_one_row_per_version(engine: Engine, member: Member) -> None:
    with db.session(engine, write=True) as session:
        assembly = session.get(Assembly, member.assembly_id)
        assert assembly is not None
        item = rounds.create(session, assembly, rounds.Details(
            RoundKind.draft, "Drafting", "To write the principles.", "Comment and amend.",
            T0, T0 + timedelta(days=7)), actor="officer:1")
        principle = Principle(round_id=item.id, title="Open by default",
                              text="Publish what data the council holds.")
        session.add(principle)
        session.flush()
        session.add(PrincipleVersion(principle_id=principle.id, version=1, theme=principle.theme,
                                     title=principle.title, text=principle.text,
                                     saved_by="officer:1"))
        principle_id = principle.id
    with pytest.raises(sa.exc.IntegrityError), db.session(engine, write=True) as session:
        session.add(PrincipleVersion(principle_id=principle_id, version=1, theme="other",
                                     title="Again", text="Twice.", saved_by="officer:1"))
