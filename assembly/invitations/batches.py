"""Letters that are all or nothing: either the earlier letters still work, or the new ones can
be downloaded.

Creating letters used to issue the credentials (revoking the earlier ones and writing the audit
event) and then render the PDF inside the same request. A server killed during the rendering
left new credentials nobody had, the earlier ones revoked and an audit entry saying letters were
issued. Now creating letters takes three steps:

1. **Prepare** (`prepare_panel`, `prepare_member`; one write transaction). New links and codes are
   made; a `LetterBatch` row keeps their sha256, exactly what `Invitation` keeps, but nothing
   else changes: the new credentials do not work yet, the earlier ones still do, no member
   changes status and nothing is audited. If the members hold letters that still work, the
   officer first confirms (the view shows how many).
2. **Render** (`render`, a background thread in the server process that prepared the batch,
   because the raw secrets exist only in its memory). The letters are laid out a few at a time,
   with the progress and a heartbeat written to the batch row, so any worker process can show
   the progress page. The finished ZIP is encrypted (AES-256-GCM) with a key derived from the
   officer's session cookie, `HMAC-SHA256(cookie, batch id)`, and stored in the row. The database
   holds only the cookie's sha256, so a copy of the database (or a backup) reveals no letter; the
   key exists in the officer's browser and, during a request of that browser, in server memory.
3. **Download** (`activate`; ONE write transaction, then the response). The archive is decrypted
   with the requesting browser's cookie; then, together: the batch is claimed
   (`UPDATE ... WHERE status = 'ready'`), the new credentials are installed, the members' earlier
   ones revoked, members marked invited, and the audit event `invitations.issued` (or
   `invitation.reissued` for one member) written. The ZIP goes out in the same response. The
   encrypted archive is kept for `KEEP_AFTER_DOWNLOAD` so a download that did not arrive can be
   repeated (nothing changes the second time), then erased.

So if the server dies before the download, the batch is abandoned and the earlier letters still
work (the batch page says so); if it dies after the download transaction, the new letters are in
the officer's hands or still downloadable from the same browser. A batch prepared before newer
letters were downloaded for any of its members cannot be activated (it would revoke letters
that are newer than its own); members who joined or left the panel while their letters were
being made are left out at the download (their letters in the file do not work, and the batch
page shows who they are).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assembly import audit, db, journey
from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.assemblies.status import advance
from assembly.invitations import credentials, letters
from assembly.invitations.credentials import InvitationError, Issued
from assembly.invitations.models import BatchStatus, Invitation, LetterBatch
from assembly.selection import panel
from assembly.selection.models import SEATED, Member, MemberRole, MemberStatus
from assembly.tables import utcnow

log = logging.getLogger("minipublic.letters")

HEARTBEAT_SECONDS = 2.0
STALE_AFTER = timedelta(seconds=30)       # a rendering batch without a heartbeat this long died
READY_FOR = timedelta(hours=2)            # a prepared batch must be downloaded within this
KEEP_AFTER_DOWNLOAD = timedelta(minutes=30)  # the encrypted archive stays for a second download
# WeasyPrint holds a CPU core per rendering; two at a time keeps the server answering.
RENDERERS = threading.BoundedSemaphore(2)
KEY_LABEL = b"minipublic letter batch v1:"
INVITABLE = (MemberStatus.selected.value, MemberStatus.invited.value)


class Kind(str, enum.Enum):
    panel = "panel"    # everyone on the panel who has not joined yet
    member = "member"  # one member's new letter (lost letter, new phone)


# --- the key and the archive ------------------------------------------------------------------


def batch_key(session_token: str, public_id: str) -> bytes:
    """The archive's key: only a browser holding the officer's session cookie can derive it."""
    return hmac.new(session_token.encode(), KEY_LABEL + public_id.encode(), hashlib.sha256).digest()


def seal(key: bytes, public_id: str, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, public_id.encode())


def unseal(key: bytes, public_id: str, blob: bytes) -> bytes | None:
    """The archive, or None when the key is not this batch's (another sign-in)."""
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], public_id.encode())
    except (InvalidTag, ValueError):
        return None


# --- what the pages show ----------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """A member's newest letter that still works."""

    issued_at: datetime
    expires_at: datetime


def live_letters(session: Session, member_ids: Sequence[int], *,
                 now: datetime | None = None) -> dict[int, Live]:
    """Which of these members hold a letter that still works (unused, not replaced, not expired)."""
    if not member_ids:
        return {}
    now = now or utcnow()
    found = session.execute(
        sa.select(col(Invitation.member_id), sa.func.max(Invitation.created_at),
                  sa.func.max(Invitation.expires_at))
        .where(col(Invitation.member_id).in_(member_ids), col(Invitation.consumed_at).is_(None),
               col(Invitation.revoked_at).is_(None), col(Invitation.expires_at) > now)
        .group_by(col(Invitation.member_id))
    ).all()
    return {member_id: Live(issued, expires) for member_id, issued, expires in found}


def status_of(batch: LetterBatch, now: datetime | None = None) -> BatchStatus:
    """The batch's status as the officer should see it now: a rendering batch whose heartbeat
    stopped was abandoned by a server that died; a ready one not downloaded in time has lapsed."""
    now = now or utcnow()
    status = BatchStatus(batch.status)
    if status is BatchStatus.rendering and (batch.heartbeat_at or batch.created_at) < now - STALE_AFTER:
        return BatchStatus.abandoned
    if status is BatchStatus.ready and (batch.ready_at or batch.created_at) < now - READY_FOR:
        return BatchStatus.abandoned
    return status


def member_ids(batch: LetterBatch) -> list[int]:
    return [int(item[0]) for item in batch.credentials]


def can_download_again(batch: LetterBatch, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (batch.status == BatchStatus.activated.value and batch.archive is not None
            and batch.activated_at is not None
            and batch.activated_at > now - KEEP_AFTER_DOWNLOAD)


def tidy(session: Session, *, now: datetime | None = None) -> int:
    """Erase archives nobody may download any more and mark lapsed batches abandoned."""
    now = now or utcnow()
    lapsed = sa.or_(
        sa.and_(col(LetterBatch.status) == BatchStatus.rendering.value,
                sa.func.coalesce(col(LetterBatch.heartbeat_at), col(LetterBatch.created_at))
                < now - STALE_AFTER),
        sa.and_(col(LetterBatch.status) == BatchStatus.ready.value,
                sa.func.coalesce(col(LetterBatch.ready_at), col(LetterBatch.created_at))
                < now - READY_FOR),
    )
    count = len(session.execute(
        sa.update(LetterBatch).where(lapsed)
        .values(status=BatchStatus.abandoned.value, archive=None)
        .returning(col(LetterBatch.id))
    ).all())
    count += len(session.execute(
        sa.update(LetterBatch).where(
            col(LetterBatch.archive).is_not(None),
            sa.or_(col(LetterBatch.status).in_((BatchStatus.failed.value,
                                                BatchStatus.abandoned.value)),
                   sa.and_(col(LetterBatch.status) == BatchStatus.activated.value,
                           col(LetterBatch.activated_at) < now - KEEP_AFTER_DOWNLOAD)))
        .values(archive=None)
        .returning(col(LetterBatch.id))
    ).all())
    return count


# --- 1. prepare -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A new batch and its members' raw secrets (for the letters only: never store or log)."""

    batch: LetterBatch
    issued: list[Issued]


def _prepare(session: Session, assembly_id: int, members: Sequence[Member], *, kind: Kind,
             days: int, officer_id: int | None, session_id: int | None) -> Prepared:
    now = utcnow()
    tidy(session, now=now)
    issued = credentials.make(members, days=days, now=now)
    batch = LetterBatch(
        public_id=secrets.token_urlsafe(16), assembly_id=assembly_id, officer_id=officer_id,
        session_id=session_id, kind=kind.value, count=len(issued),
        credentials=[[item.member_id, *item.hashes] for item in issued],
        created_at=now, expires_at=issued[0].expires_at, heartbeat_at=now)
    session.add(batch)
    session.flush()
    return Prepared(batch, issued)


def prepare_panel(session: Session, assembly: Assembly, *, days: int, officer_id: int | None,
                  session_id: int | None) -> Prepared:
    """Letters for everyone on the panel who has not joined yet; nothing works or stops yet."""
    assert assembly.id is not None
    if not journey.is_drawn(session, assembly.id):
        raise InvitationError("Perform the public draw before inviting the panel: there is "
                              "nobody to invite yet.")
    return _prepare(session, assembly.id, panel.invitable_members(session, assembly.id),
                    kind=Kind.panel, days=days, officer_id=officer_id, session_id=session_id)


def _check_reinvitable(member: Member) -> None:
    if member.role != MemberRole.panel.value or member.status not in SEATED:
        raise InvitationError("Only members on the panel who have not left it can be sent a new "
                              "invitation. A reserve is invited once they replace a member.")


def prepare_member(session: Session, member: Member, *, days: int, officer_id: int | None,
                   session_id: int | None) -> Prepared:
    """A new letter for one member; their current one keeps working until it is downloaded."""
    _check_reinvitable(member)
    return _prepare(session, member.assembly_id, [member], kind=Kind.member, days=days,
                    officer_id=officer_id, session_id=session_id)


# --- 2. render (a background thread) ----------------------------------------------------------


def start_rendering(engine: Engine, public_id: str, key: bytes, head: letters.LetterHead,
                    batch_letters: Sequence[letters.Letter], today: date) -> threading.Thread:
    thread = threading.Thread(target=render, args=(engine, public_id, key, head,
                                                   list(batch_letters), today),
                              name=f"letters-{public_id[:6]}", daemon=True)
    thread.start()
    return thread


def _write(engine: Engine, public_id: str, **values: object) -> None:
    with db.session(engine, write=True) as session:
        session.execute(
            sa.update(LetterBatch)
            .where(col(LetterBatch.public_id) == public_id,
                   col(LetterBatch.status) == BatchStatus.rendering.value)
            .values(heartbeat_at=utcnow(), **values))


def _beat(engine: Engine, public_id: str, stop: threading.Event) -> None:
    """Stamp the heartbeat while the renderer works, even through one long step (writing a PDF
    of hundreds of pages), so only a dead server leaves a batch without one."""
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            _write(engine, public_id)
        except Exception:  # a missed beat is not fatal; STALE_AFTER allows many
            log.warning("letters %s: heartbeat not written", public_id[:6])


def render(engine: Engine, public_id: str, key: bytes, head: letters.LetterHead,
           batch_letters: list[letters.Letter], today: date) -> None:
    """Lay out the letters, encrypt the ZIP, store it: the batch becomes ready (or failed)."""
    stop = threading.Event()
    beating = threading.Thread(target=_beat, args=(engine, public_id, stop),
                               name=f"letters-beat-{public_id[:6]}", daemon=True)
    beating.start()
    last = time.monotonic()
    RENDERERS.acquire()  # waiting for a free renderer: the heartbeat says we are still here
    try:
        def progress(done: int) -> None:
            nonlocal last
            if time.monotonic() - last >= HEARTBEAT_SECONDS / 2 or done == len(batch_letters):
                last = time.monotonic()
                _write(engine, public_id, done=done)

        _write(engine, public_id, done=0)
        archive = letters.letters_zip(head, batch_letters, today=today, progress=progress)
        sealed = seal(key, public_id, archive)
        _write(engine, public_id, done=len(batch_letters), archive=sealed,
               status=BatchStatus.ready.value, ready_at=utcnow())
    except Exception as error:
        # The type only, never the text: it could quote a resident's name or address.
        log.error("letters %s failed: %s", public_id[:6], type(error).__name__)
        _write(engine, public_id, status=BatchStatus.failed.value,
               error=("The letters could not be made because of an error in the program "
                      f"({type(error).__name__}). Nothing was changed: the earlier letters still "
                      "work. Try again; if it happens again, report it with the time."))
    finally:
        RENDERERS.release()
        stop.set()


# --- 3. download ------------------------------------------------------------------------------


def activate(session: Session, batch: LetterBatch, *, actor: str,
             officer_id: int | None) -> bool:
    """Make the batch's letters work and the members' earlier ones stop, in the caller's unit of
    work, with the audit event. False if it was already activated (a second download)."""
    now = utcnow()
    status = status_of(batch, now)
    if status is BatchStatus.activated:
        return False
    if status is not BatchStatus.ready:
        raise InvitationError(NOT_READY)
    claimed = session.execute(  # of two downloads at once, one activates
        sa.update(LetterBatch)
        .where(col(LetterBatch.id) == batch.id, col(LetterBatch.status) == BatchStatus.ready.value)
        .values(status=BatchStatus.activated.value, activated_at=now)
        .returning(col(LetterBatch.id))
    ).first()
    if claimed is None:
        return False
    ids = member_ids(batch)
    credentials.lock_members(session, ids)
    members = session.exec(select(Member).where(col(Member.id).in_(ids))
                           .execution_options(populate_existing=True)).all()
    allowed = INVITABLE if batch.kind == Kind.panel.value else SEATED
    # Members who joined or left the panel while the letters were being made get nothing: their
    # letters in the file do not work (the batch page says so), the others' do.
    eligible = {m.id for m in members
                if m.role == MemberRole.panel.value and m.status in allowed}
    if not eligible:
        raise InvitationError(
            "Every member these letters are for has joined or left the panel since the letters "
            "were made, so there is nothing to send. Nothing was changed.")
    newer = session.execute(
        sa.select(sa.func.count(sa.distinct(col(Invitation.member_id))))
        .where(col(Invitation.member_id).in_(ids), col(Invitation.created_at) > batch.created_at)
    ).scalar_one()
    if newer:
        raise InvitationError(
            f"Newer letters were issued for {newer} of these members after these were made, so "
            "these cannot be used: they would stop the newer ones. Nothing was changed. Use the "
            "newer letters, or create the letters again.")
    credentials.install(session, [(int(m), str(link), str(code))
                                  for m, link, code in batch.credentials if m in eligible],
                        expires_at=batch.expires_at, officer_id=officer_id, now=now)
    by_id = {m.id: m.public_id for m in members}
    public_ids = [by_id[member_id] for member_id in ids if member_id in eligible]
    expires = batch.expires_at.isoformat(timespec="seconds")
    if batch.kind == Kind.panel.value:
        assembly = session.get(Assembly, batch.assembly_id)
        assert assembly is not None
        advance(session, assembly, AssemblyStatus.inviting)
        audit.record(session, batch.assembly_id, actor, "invitations.issued",
                     {"members": public_ids, "expires_at": expires})
    else:
        audit.record(session, batch.assembly_id, actor, "invitation.reissued",
                     {"member": public_ids[0], "expires_at": expires})
    session.refresh(batch)
    return True


NOT_READY = ("These letters can no longer be downloaded: they were not finished, or were not "
              "downloaded in time. Nothing was changed: the earlier letters still work. Create the "
              "letters again.")
