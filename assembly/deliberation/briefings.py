"""The evidence library of a learn round: briefings, their earlier versions, their attachments,
and which members have read them.

Officers add and edit briefings at any time (a late correction matters more than a tidy log);
every save keeps the text as it was (`BriefingVersion`), and members see "updated on ...".
Members mark a briefing as read; officers only ever see how many members read it, never who.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db, forms
from assembly.deliberation import files
from assembly.deliberation.models import (
    Attachment,
    Briefing,
    BriefingRead,
    BriefingVersion,
    Round,
    RoundKind,
    RoundVisit,
)
from assembly.errors import ActionableError
from assembly.tables import row_id, utcnow

FIELDS = ("title", "summary", "body", "easy_read", "speaker_name", "speaker_organisation",
          "speaker_role", "interests", "video_url", "transcript")
MULTILINE = frozenset({"summary", "body", "easy_read", "interests", "transcript"})
LIMITS = {"title": 200, "summary": 2000, "body": 50000, "easy_read": 20000,
          "speaker_name": 200, "speaker_organisation": 200, "speaker_role": 200,
          "interests": 2000, "video_url": 1000, "transcript": 50000}
LABELS = {"title": "The title", "summary": "The summary", "body": "The briefing",
          "easy_read": "The easy-read version", "speaker_name": "The speaker's name",
          "speaker_organisation": "The organisation", "speaker_role": "The role",
          "interests": "The declared interests", "video_url": "The video link",
          "transcript": "The transcript"}
ALT_LIMIT = 1000


class BriefingError(ActionableError):
    """A briefing or attachment cannot be saved as given; `field` names the field at fault."""


@dataclass(frozen=True)
class Details:
    title: str
    summary: str
    body: str
    easy_read: str
    speaker_name: str
    speaker_organisation: str
    speaker_role: str
    interests: str
    video_url: str
    transcript: str


def check(values: Mapping[str, str]) -> tuple[dict[str, str], Details | None]:
    """Every problem with a briefing's fields as typed (keyed by field), or the details."""
    errors: dict[str, str] = {}
    if not values.get("title"):
        errors["title"] = "Enter a title, for example “How the council uses data in adult " \
                          "social care”."
    if not values.get("summary"):
        errors["summary"] = "Write a short summary in plain words: what the briefing says, " \
                            "in two or three sentences."
    if not values.get("body") and not values.get("video_url"):
        errors["body"] = "Write the briefing, or give a video link with its transcript."
    if not values.get("speaker_name"):
        errors["speaker_name"] = "Enter who gave this briefing, for example “Dr Amina Shah”."
    if not values.get("interests"):
        errors["interests"] = "Enter the speaker's declared interests (who funds their work, " \
                              "whom they advise), or “None declared”."
    link = values.get("video_url", "")
    if link:
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.netloc:
            errors["video_url"] = "Enter the video's full address starting with https://, " \
                                  "for example https://www.youtube.com/watch?v=..."
        elif not values.get("transcript"):
            errors["transcript"] = "Add the video's transcript, so members who cannot watch " \
                                   "or hear it can read it."
    for name, limit in LIMITS.items():
        problem = forms.too_long(values.get(name, ""), limit, LABELS[name])
        if problem and name not in errors:
            errors[name] = problem
    if errors:
        return errors, None
    return {}, Details(**{name: values.get(name, "") for name in FIELDS})


def _require_learn(item: Round) -> None:
    if RoundKind(item.kind) is not RoundKind.learn:
        raise BriefingError("Briefings belong to learn rounds; this round is a "
                            f"{item.kind} round.")


def _event(item: Briefing, round_item: Round) -> dict[str, object]:
    return {"round": round_item.public_id, "briefing": item.public_id, "title": item.title,
            "version": item.version}


def of_round(session: Session, round_id: int) -> list[Briefing]:
    return list(session.exec(select(Briefing).where(Briefing.round_id == round_id)
                             .order_by(col(Briefing.position), col(Briefing.id))).all())


def create(session: Session, round_item: Round, details: Details, *, actor: str,
           now: datetime | None = None) -> Briefing:
    _require_learn(round_item)
    now = now or utcnow()
    last = session.exec(select(sa.func.max(Briefing.position))
                        .where(Briefing.round_id == round_item.id)).one()
    item = Briefing(round_id=row_id(round_item.id), position=(last or 0) + 1, created_at=now,
                    **asdict(details))
    session.add(item)
    session.flush()
    session.add(BriefingVersion(briefing_id=row_id(item.id), version=1, content=asdict(details),
                                saved_by=actor, saved_at=now))
    audit.record(session, round_item.assembly_id, actor, "briefing.added",
                 _event(item, round_item))
    return item


def update(session: Session, round_item: Round, item: Briefing, details: Details, *,
           actor: str, now: datetime | None = None) -> bool:
    """Save a new version; False (and nothing written) if nothing changed."""
    before = {name: getattr(item, name) for name in FIELDS}
    after = asdict(details)
    if before == after:
        return False
    now = now or utcnow()
    for name, value in after.items():
        setattr(item, name, value)
    item.version += 1
    item.updated_at = now
    session.add(item)
    session.add(BriefingVersion(briefing_id=row_id(item.id), version=item.version,
                                content=after, saved_by=actor, saved_at=now))
    audit.record(session, round_item.assembly_id, actor, "briefing.edited", {
        **_event(item, round_item), "changed": sorted(k for k in FIELDS if before[k] != after[k])})
    return True


def versions(session: Session, briefing_id: int) -> list[BriefingVersion]:
    return list(session.exec(select(BriefingVersion)
                             .where(BriefingVersion.briefing_id == briefing_id)
                             .order_by(col(BriefingVersion.version).desc())).all())


# --- attachments --------------------------------------------------------------------------------


def attach(session: Session, round_item: Round, item: Briefing, filename: str, data: bytes,
           alt_text: str, *, limit: int, actor: str) -> Attachment:
    """Check the file (kind by its bytes, its extension, its size) and keep it; an image needs
    its alt text. Refused files leave nothing behind."""
    try:
        kind = files.check(filename, data, limit)
    except files.FileRefused as refused:
        raise BriefingError(str(refused), field="file") from None
    alt_text = alt_text.strip()
    if kind.image and not alt_text:
        raise BriefingError("Describe the image for members who cannot see it, for example "
                            "“Bar chart: referrals rose from 200 in 2020 to 340 in 2024”.",
                            field="alt_text")
    problem = forms.too_long(alt_text, ALT_LIMIT, "The description")
    if problem:
        raise BriefingError(problem, field="alt_text")
    attachment = Attachment(briefing_id=row_id(item.id), filename=files.safe_name(filename),
                            content_type=kind.content_type, size=len(data), alt_text=alt_text,
                            data=data)
    session.add(attachment)
    session.flush()
    audit.record(session, round_item.assembly_id, actor, "briefing.file_added", {
        **_event(item, round_item), "file": attachment.filename, "type": kind.content_type,
        "bytes": len(data)})
    return attachment


def detach(session: Session, round_item: Round, item: Briefing, attachment: Attachment, *,
           actor: str) -> None:
    session.delete(attachment)
    audit.record(session, round_item.assembly_id, actor, "briefing.file_removed", {
        **_event(item, round_item), "file": attachment.filename})


def attachments_of(session: Session, briefing_ids: list[int]) -> dict[int, list[Attachment]]:
    """The attachments of these briefings without their bytes (those load only to be sent)."""
    found: dict[int, list[Attachment]] = {i: [] for i in briefing_ids}
    if not briefing_ids:
        return found
    rows = session.exec(select(Attachment).where(col(Attachment.briefing_id).in_(briefing_ids))
                        .options(sa.orm.defer(db.attribute(Attachment.data)))
                        .order_by(col(Attachment.id))).all()
    for row in rows:
        found[row.briefing_id].append(row)
    return found


# --- members reading ----------------------------------------------------------------------------


def mark_read(session: Session, item: Briefing, member_id: int, *,
              now: datetime | None = None) -> bool:
    """Record that the member has read the briefing; False if they had already (told by
    RETURNING: SQLAlchemy 2.1 on psycopg reports -1 rows for any INSERT)."""
    statement = db.insert(session, BriefingRead).values(
        briefing_id=row_id(item.id), member_id=member_id, read_at=now or utcnow()
    ).on_conflict_do_nothing(index_elements=["briefing_id", "member_id"]
                             ).returning(col(BriefingRead.member_id))
    return session.exec(statement).first() is not None


def visited(session: Session, round_item: Round, member_id: int, *,
            now: datetime | None = None) -> None:
    """Note the first time a member opens a round's page."""
    session.exec(db.insert(session, RoundVisit).values(
        round_id=row_id(round_item.id), member_id=member_id, first_at=now or utcnow()
    ).on_conflict_do_nothing(index_elements=["round_id", "member_id"]))


def has_visited(session: Session, round_id: int, member_id: int) -> bool:
    return session.get(RoundVisit, (round_id, member_id)) is not None


def read_by(session: Session, member_id: int, briefing_ids: list[int]) -> set[int]:
    if not briefing_ids:
        return set()
    return set(session.exec(select(BriefingRead.briefing_id).where(
        BriefingRead.member_id == member_id,
        col(BriefingRead.briefing_id).in_(briefing_ids))).all())


def read_counts(session: Session, round_id: int) -> dict[int, int]:
    """How many members read each briefing of the round (never who)."""
    rows = session.exec(select(BriefingRead.briefing_id, sa.func.count())
                        .join(Briefing, col(Briefing.id) == col(BriefingRead.briefing_id))
                        .where(Briefing.round_id == round_id)
                        .group_by(col(BriefingRead.briefing_id))).all()
    return {briefing_id: int(n) for briefing_id, n in rows}


def forget_member(session: Session, member_id: int) -> None:
    """A member's details are erased: what they read and opened goes with them."""
    session.exec(sa.delete(BriefingRead).where(col(BriefingRead.member_id) == member_id))
    session.exec(sa.delete(RoundVisit).where(col(RoundVisit.member_id) == member_id))
