"""Draft principles: officers, as facilitators, write them, edit them, put them in order and
link them to the discuss-round statements that inspired them; every saved wording is a version.

A principle's first version is "written"; an officer's edit makes an "edited" version and an
accepted amendment an "amendment" version (`amendments.py`), so the history shows who changed
what and why. Officers may write and edit in any state of the draft round: members act only
while it is open, but the team may still tidy wording or work through the amendments queue
after it closes; every change is a new version and an audit event.

Also here: the draft round's settings (how many members must sign a dissent note), and what
each member last read of each principle ("changed since you last looked").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db, forms
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion.models import Statement, StatementStatus
from assembly.drafting.models import (
    DEFAULT_COSIGNERS,
    RATIONALE_LIMIT,
    TEXT_LIMIT,
    TITLE_LIMIT,
    DissentNote,
    DraftRound,
    Principle,
    PrincipleStatement,
    PrincipleVersion,
    PrincipleView,
    Theme,
)
from assembly.errors import ActionableError
from assembly.tables import row_id, utcnow

THEME_LABELS = {
    Theme.community_benefit: "Community benefit",
    Theme.human_dignity: "Human dignity",
    Theme.transparency: "Transparency",
    Theme.accountability: "Accountability",
    Theme.privacy_and_security: "Privacy and security",
    Theme.inclusion: "Inclusion",
    Theme.governance: "Governance",
    Theme.other: "Other",
}
FIELDS = ("title", "text", "rationale", "theme")
MULTILINE = frozenset({"text", "rationale"})
MAX_COSIGNERS = 100


class PrincipleError(ActionableError):
    """A principle, or a draft round's setting, cannot be saved as given."""


@dataclass(frozen=True)
class Details:
    """A principle's wording as checked from the form."""

    title: str
    text: str
    rationale: str
    theme: Theme


def require_draft(round_item: Round) -> None:
    if RoundKind(round_item.kind) is not RoundKind.draft:
        raise PrincipleError("Principles belong to draft rounds.")


def check(values: dict[str, str]) -> tuple[dict[str, str], Details | None]:
    """Every problem with the form at once, or the details to save."""
    errors: dict[str, str] = {}
    title, text = values.get("title", ""), values.get("text", "")
    rationale, theme = values.get("rationale", ""), values.get("theme", "")
    if not title:
        errors["title"] = "Give the principle a short title, for example “Open by default”."
    elif problem := forms.too_long(title, TITLE_LIMIT, "The title"):
        errors["title"] = problem
    if not text:
        errors["text"] = ("Write the principle itself, for example “The council publishes "
                          "every way it uses data and AI to make decisions about people.”.")
    elif problem := forms.too_long(text, TEXT_LIMIT, "The principle"):
        errors["text"] = problem
    if problem := forms.too_long(rationale, RATIONALE_LIMIT, "The rationale"):
        errors["rationale"] = problem
    if theme not in {t.value for t in Theme}:
        errors["theme"] = "Choose the theme the principle belongs to (or “Other”)."
    if errors:
        return errors, None
    return {}, Details(title, text, rationale, Theme(theme))


def _event(round_item: Round, principle: Principle) -> dict[str, object]:
    return {"round": round_item.public_id, "round_title": round_item.title,
            "principle": principle.public_id, "title": principle.title}


def _save_version(session: Session, principle: Principle, change: str, *, actor: str,
                  now: datetime, amendment_id: int | None = None) -> PrincipleVersion:
    version = PrincipleVersion(principle_id=row_id(principle.id), version=principle.version,
                               theme=principle.theme, title=principle.title, text=principle.text,
                               rationale=principle.rationale, change=change,
                               amendment_id=amendment_id, saved_by=actor, saved_at=now)
    session.add(version)
    return version


def create(session: Session, round_item: Round, details: Details, now: datetime, *,
           actor: str) -> Principle:
    """A new principle at the end of the round's list, as version 1."""
    require_draft(round_item)
    last = session.exec(select(sa.func.max(Principle.position))
                        .where(Principle.round_id == round_item.id)).one()
    principle = Principle(round_id=row_id(round_item.id), position=int(last or 0) + 1,
                          theme=details.theme.value, title=details.title, text=details.text,
                          rationale=details.rationale, version=1, created_at=now,
                          updated_at=now)
    session.add(principle)
    session.flush()
    _save_version(session, principle, "written", actor=actor, now=now)
    audit.record(session, round_item.assembly_id, actor, "principle.written",
                 {**_event(round_item, principle), "theme": principle.theme})
    return principle


def new_version(session: Session, principle: Principle, *, title: str, text: str,
                rationale: str, theme: str, change: str, actor: str, now: datetime,
                amendment_id: int | None = None) -> list[str]:
    """Save a new wording as the next version; the fields that changed (none: nothing saved).
    The one way a principle's wording changes, for edits and accepted amendments alike."""
    new = {"title": title, "text": text, "rationale": rationale, "theme": theme}
    changed = [name for name, value in new.items() if getattr(principle, name) != value]
    if not changed:
        return []
    # Bump the version in the database, so two officers saving at once make two versions
    # instead of one overwriting the other (UNIQUE(principle, version) would refuse a clash).
    number = session.execute(
        sa.update(Principle).where(col(Principle.id) == principle.id)
        .values(version=col(Principle.version) + 1, updated_at=now, **new)
        .returning(col(Principle.version))).scalar_one()
    session.refresh(principle)
    principle.version = int(number)
    _save_version(session, principle, change, actor=actor, now=now, amendment_id=amendment_id)
    return changed


def edit(session: Session, round_item: Round, principle: Principle, details: Details,
         now: datetime, *, actor: str) -> bool:
    """An officer's new wording, kept as a new version; False if nothing changed."""
    require_draft(round_item)
    if principle.round_id != round_item.id:
        raise PrincipleError("That principle belongs to another round.")
    changed = new_version(session, principle, title=details.title, text=details.text,
                          rationale=details.rationale, theme=details.theme.value,
                          change="edited", actor=actor, now=now)
    if not changed:
        return False
    audit.record(session, round_item.assembly_id, actor, "principle.edited", {
        **_event(round_item, principle), "version": principle.version, "changed": changed})
    return True


def move(session: Session, round_item: Round, principle: Principle, direction: str, *,
         actor: str) -> bool:
    """Swap the principle with its neighbour above or below; False at the top or bottom."""
    if direction not in ("up", "down"):
        raise PrincipleError("Choose to move the principle up or down.", field="direction")
    ordered = of_round(session, row_id(round_item.id))
    index = next(i for i, p in enumerate(ordered) if p.id == principle.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(ordered):
        return False
    # Renumber the whole list: positions stay 1..n even if rows were removed in between.
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            session.add(item)
    audit.record(session, round_item.assembly_id, actor, "principle.moved", {
        **_event(round_item, principle), "direction": direction,
        "position": other_index + 1})
    return True


def discuss_rounds(session: Session, assembly_id: int) -> list[Round]:
    """The assembly's discuss rounds, whose statements a principle can be linked to."""
    return list(session.exec(select(Round).where(Round.assembly_id == assembly_id,
                                                 Round.kind == RoundKind.discuss.value)
                             .order_by(col(Round.opens_at), col(Round.id))).all())


def parse_numbers(text: str) -> list[int]:
    """Statement numbers as typed: "4, 7 12" -> [4, 7, 12]; ValueError naming what is wrong."""
    numbers: list[int] = []
    for part in text.replace(",", " ").replace(";", " ").split():
        if not part.isascii() or not part.isdigit() or len(part) > 9:
            raise ValueError(f"“{part[:20]}” is not a statement number")
        if int(part) not in numbers:
            numbers.append(int(part))
    return numbers


def link_statements(session: Session, round_item: Round, principle: Principle,
                    discuss_round: Round, numbers: list[int], *, actor: str) -> list[Statement]:
    """Link the principle to these statements of `discuss_round` (replacing its earlier links
    to that round's statements; none removes them). Only statements members could see
    (accepted ones) can be linked."""
    require_draft(round_item)
    if RoundKind(discuss_round.kind) is not RoundKind.discuss \
            or discuss_round.assembly_id != round_item.assembly_id:
        raise PrincipleError("Choose a discuss round of this assembly.", field="discuss_round")
    found = list(session.exec(select(Statement).where(
        Statement.round_id == discuss_round.id, col(Statement.number).in_(numbers))
        .order_by(col(Statement.number))).all()) if numbers else []
    missing = sorted(set(numbers) - {s.number for s in found})
    if missing:
        raise PrincipleError(
            f"“{discuss_round.title}” has no statement numbered "
            f"{', '.join(str(n) for n in missing)}. Check the numbers on its page.",
            field="numbers")
    hidden = [s.number for s in found if s.status != StatementStatus.accepted.value]
    if hidden:
        raise PrincipleError(
            f"Statement {', '.join(str(n) for n in hidden)} has not been accepted, so members "
            "cannot see it; link only accepted statements.", field="numbers")
    round_statements = select(Statement.id).where(Statement.round_id == discuss_round.id)
    session.execute(sa.delete(PrincipleStatement).where(
        col(PrincipleStatement.principle_id) == principle.id,
        col(PrincipleStatement.statement_id).in_(round_statements)))
    for statement in found:
        session.add(PrincipleStatement(principle_id=row_id(principle.id),
                                       statement_id=row_id(statement.id)))
    audit.record(session, round_item.assembly_id, actor, "principle.statements_linked", {
        **_event(round_item, principle), "discuss_round": discuss_round.public_id,
        "discuss_round_title": discuss_round.title, "statements": [s.number for s in found]})
    return found


# --- reading ---------------------------------------------------------------------------------


def of_round(session: Session, round_id: int) -> list[Principle]:
    return list(session.exec(select(Principle).where(Principle.round_id == round_id)
                             .order_by(col(Principle.position), col(Principle.id))).all())


def versions(session: Session, principle_id: int) -> list[PrincipleVersion]:
    """Every version, the first first."""
    return list(session.exec(select(PrincipleVersion)
                             .where(PrincipleVersion.principle_id == principle_id)
                             .order_by(col(PrincipleVersion.version))).all())


def version(session: Session, principle_id: int, number: int) -> PrincipleVersion | None:
    return session.exec(select(PrincipleVersion).where(
        PrincipleVersion.principle_id == principle_id,
        PrincipleVersion.version == number)).first()


@dataclass(frozen=True)
class Linked:
    round: Round
    statement: Statement


def linked(session: Session, principle_ids: list[int]) -> dict[int, list[Linked]]:
    """The statements each principle is linked to, in round and number order. A statement an
    officer has since rejected is left out (members no longer see it)."""
    found: dict[int, list[Linked]] = {pid: [] for pid in principle_ids}
    if not principle_ids:
        return found
    rows = session.exec(
        select(PrincipleStatement.principle_id, Statement, Round)
        .join(Statement, col(Statement.id) == col(PrincipleStatement.statement_id))
        .join(Round, col(Round.id) == col(Statement.round_id))
        .where(col(PrincipleStatement.principle_id).in_(principle_ids),
               Statement.status == StatementStatus.accepted.value)
        .order_by(col(Round.opens_at), col(Round.id), col(Statement.number))).all()
    for principle_id, statement, discuss_round in rows:
        found[principle_id].append(Linked(discuss_round, statement))
    return found


# --- the round's settings --------------------------------------------------------------------


def settings_of(session: Session, round_item: Round) -> DraftRound:
    """The draft round's settings: its row, or the defaults (not stored: reading a page never
    writes; `configure` stores the row when an officer first changes a setting)."""
    found = session.get(DraftRound, round_item.id)
    if found is not None:
        return found
    return DraftRound(round_id=row_id(round_item.id), cosigners=DEFAULT_COSIGNERS)


def _stored_settings(session: Session, round_item: Round) -> DraftRound:
    """The settings row, made with the defaults if missing (insert-or-nothing, so two officers
    saving at once make one row)."""
    session.execute(db.insert(session, DraftRound).values(
        round_id=round_item.id, cosigners=DEFAULT_COSIGNERS, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["round_id"]))
    found = session.get(DraftRound, round_item.id)
    assert found is not None
    return found


def configure(session: Session, round_item: Round, cosigners: str, now: datetime, *,
              actor: str) -> bool:
    """How many members (the author first) must sign a dissent note before it goes on the
    record. Lowering it records the notes that now have enough signatures; raising it never
    takes a note off the record. False if nothing changed."""
    require_draft(round_item)
    try:
        value = forms.whole_number(cosigners, 1, MAX_COSIGNERS)
    except ValueError:
        raise PrincipleError(f"Enter a whole number of members from 1 to {MAX_COSIGNERS}, for "
                             f"example {DEFAULT_COSIGNERS}.", field="cosigners") from None
    settings = _stored_settings(session, round_item)
    if settings.cosigners == value:
        return False
    before = settings.cosigners
    settings.cosigners = value
    settings.updated_at = now
    session.add(settings)
    principle_ids = select(Principle.id).where(Principle.round_id == round_item.id)
    session.execute(sa.update(DissentNote).where(
        col(DissentNote.principle_id).in_(principle_ids), col(DissentNote.recorded_at).is_(None),
        col(DissentNote.signatures) >= value).values(recorded_at=now))
    audit.record(session, round_item.assembly_id, actor, "draft.configured", {
        "round": round_item.public_id, "round_title": round_item.title,
        "cosigners": {"from": before, "to": value}})
    return True


# --- what each member has read ---------------------------------------------------------------


def mark_seen(session: Session, principle: Principle, member_id: int, now: datetime) -> None:
    """The member has read the principle as it reads now (an upsert: one row per member and
    principle, however many tabs are open). Not audited: it is no one's business but theirs."""
    insert = db.insert(session, PrincipleView).values(
        principle_id=principle.id, member_id=member_id, version=principle.version,
        viewed_at=now)
    session.execute(insert.on_conflict_do_update(
        index_elements=["principle_id", "member_id"],
        set_={"version": insert.excluded.version, "viewed_at": insert.excluded.viewed_at}))


def seen_versions(session: Session, member_id: int, principle_ids: list[int]) -> dict[int, int]:
    """The version of each principle the member last read (absent: never read)."""
    if not principle_ids:
        return {}
    rows = session.exec(select(PrincipleView.principle_id, PrincipleView.version).where(
        PrincipleView.member_id == member_id,
        col(PrincipleView.principle_id).in_(principle_ids))).all()
    return {principle_id: number for principle_id, number in rows}
