"""Getting back in: a member who has joined signs in again on any device.

The invitation was single-use, sessions end, phones change. Two ways back, both single-use and
stored only as hashes (as invitations are):

- a **sign-in link** the member asks for with their e-mail address, sent through the outbox to
  the address in their contact details. The page that asks never says whether an address is
  known, the number of links per member is limited, and a link expires after an hour;
- a **sign-in code** an officer makes for a member (who rang, or has no e-mail) to read out on
  the phone or post; it is typed where invitation codes are typed, and lasts a week.

Both open a new session beside the member's others (several devices at once); "sign out
everywhere" ends them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from markupsafe import escape
from sqlmodel import Session, col, select

from assembly import audit, mail, outbox, sessions
from assembly.accounts.models import UserSession
from assembly.assemblies.models import Assembly
from assembly.errors import Conflict
from assembly.invitations import credentials
from assembly.invitations.credentials import State
from assembly.invitations.models import SignInCredential, SignInKind
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member, MemberStatus
from assembly.settings import Settings
from assembly.tables import row_id, utcnow

LINK_LIFETIME = timedelta(hours=1)
CODE_LIFETIME = timedelta(days=7)
# Links one member can be sent per hour: enough for a typo'd attempt or two, too few for anyone
# to fill a member's inbox by typing their address again and again.
LINKS_PER_HOUR = 3


class NoWayBackIn(Conflict):
    """This member cannot be given a sign-in code; the message says why."""


def can_return(member: Member) -> bool:
    """Only members who joined, and still hold their place, can sign in again."""
    return member.joined_at is not None and member.status == MemberStatus.joined.value


def _members_with_address(session: Session, email: str) -> Sequence[Member]:
    address = email.strip().lower()
    if "@" not in address:
        return []
    return session.exec(
        select(Member)
        .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
        .join(Contact, col(Contact.respondent_id) == col(Respondent.id))
        .where(sa.func.lower(col(Contact.email)) == address,
               col(Member.status) == MemberStatus.joined.value,
               col(Member.joined_at).is_not(None),
               col(Respondent.erased).is_(False))
        .order_by(col(Member.id))
    ).all()


def _recent_links(session: Session, member_id: int, now: datetime) -> int:
    return int(session.execute(
        select(sa.func.count()).select_from(SignInCredential)
        .where(col(SignInCredential.member_id) == member_id,
               col(SignInCredential.kind) == SignInKind.link.value,
               col(SignInCredential.created_at) > now - timedelta(hours=1))
    ).scalar_one())


def link_letter(settings: Settings, assembly: Assembly, to: str, link: str) -> mail.Letter:
    """The e-mail that carries a sign-in link: short, plain, and nothing about the member."""
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    text = (
        f"Hello,\n\n"
        f"Someone (we hope you) asked for a link to sign in to {assembly.title}.\n\n"
        f"Open this link and press Continue to sign in:\n{link}\n\n"
        f"The link works once, within {minutes} minutes. If you did not ask for it, you can "
        f"ignore this e-mail: nobody can use it without this message.\n\n"
        f"{settings.site_name}\n"
    )
    html = (
        "<p>Hello,</p>"
        f"<p>Someone (we hope you) asked for a link to sign in to "
        f"<strong>{_escape(assembly.title)}</strong>.</p>"
        f'<p><a href="{_escape(link)}">Open this link and press Continue to sign in</a>.</p>'
        f"<p>The link works once, within {minutes} minutes. If you did not ask for it, you can "
        "ignore this e-mail: nobody can use it without this message.</p>"
        f"<p>{_escape(settings.site_name)}</p>"
    )
    return mail.Letter(to=to, subject=f"Your link to sign in to {assembly.title}", text=text,
                       html=html)


def _escape(text: str) -> str:
    return str(escape(text))


def send_links(session: Session, settings: Settings, email: str, link_for: Callable[[str], str], *,
               now: datetime | None = None) -> int:
    """Queue a sign-in link to every member whose contact address is `email`; how many went.

    The caller shows the same page whatever this returns, so the answer never tells a stranger
    whether an address belongs to a member."""
    now = now or utcnow()
    sent = 0
    for member in _members_with_address(session, email):
        member_id = row_id(member.id)
        if _recent_links(session, member_id, now) >= LINKS_PER_HOUR:
            continue
        assembly = session.get(Assembly, member.assembly_id)
        contact = session.exec(select(Contact).where(
            Contact.respondent_id == member.respondent_id)).first()
        if assembly is None or contact is None:
            continue
        token = credentials.new_token()
        credential = SignInCredential(member_id=member_id, kind=SignInKind.link.value,
                                      secret_hash=credentials.link_hash(token), created_at=now,
                                      expires_at=now + LINK_LIFETIME)
        session.add(credential)
        session.flush()
        outbox.enqueue(session, key=f"sign-in-link:{row_id(credential.id)}",
                       assembly_id=member.assembly_id, member_id=member_id, kind="sign_in_link",
                       letter=link_letter(settings, assembly, contact.email, link_for(token)),
                       now=now)
        audit.record(session, member.assembly_id, "anonymous", "member.sign_in_link_sent",
                     {"member": member.public_id})
        sent += 1
    return sent


@dataclass(frozen=True)
class Code:
    """A sign-in code made for a member, shown once to the officer."""

    member: Member
    code: str
    expires_at: datetime


def make_code(session: Session, member: Member, officer_id: int | None, *,
              now: datetime | None = None) -> Code:
    """A new sign-in code for `member`; any earlier unused code of theirs stops working."""
    now = now or utcnow()
    if not can_return(member):
        raise NoWayBackIn(
            "Only a member who has joined can be given a sign-in code. Someone who has not "
            "joined yet needs their invitation (or a new letter from the invitations page).")
    member_id = row_id(member.id)
    session.exec(
        sa.update(SignInCredential)
        .where(col(SignInCredential.member_id) == member_id,
               col(SignInCredential.kind) == SignInKind.code.value,
               col(SignInCredential.used_at).is_(None),
               col(SignInCredential.revoked_at).is_(None))
        .values(revoked_at=now))
    code = credentials.new_code()
    session.add(SignInCredential(member_id=member_id, kind=SignInKind.code.value,
                                 secret_hash=credentials.code_hash(code), created_at=now,
                                 created_by=officer_id, expires_at=now + CODE_LIFETIME))
    actor = f"officer:{officer_id}" if officer_id is not None else "command-line"
    audit.record(session, member.assembly_id, actor, "member.sign_in_code_made",
                 {"member": member.public_id})
    return Code(member, credentials.format_code(code), now + CODE_LIFETIME)


def revoke_all(session: Session, member_id: int, *, now: datetime | None = None) -> None:
    """Stop every unused sign-in link and code of a member (they left, or were erased)."""
    session.exec(
        sa.update(SignInCredential)
        .where(col(SignInCredential.member_id) == member_id,
               col(SignInCredential.used_at).is_(None),
               col(SignInCredential.revoked_at).is_(None))
        .values(revoked_at=now or utcnow()))


def inspect(session: Session, secret_hash: str, *, now: datetime | None = None) -> State:
    """Whether a sign-in link or code would work now, without using it."""
    now = now or utcnow()
    credential = session.exec(select(SignInCredential).where(
        SignInCredential.secret_hash == secret_hash)).first()
    if credential is None:
        return State.unknown
    if credential.used_at is not None:
        return State.used
    if credential.revoked_at is not None:
        return State.replaced
    if credential.expires_at <= now:
        return State.expired
    return State.valid


def admit(session: Session, settings: Settings, secret_hash: str, *, via: str,
          replacing: str | None = None, now: datetime | None = None
          ) -> tuple[State, str | None]:
    """Use a sign-in link or code and open a session: the state, and the new session's cookie
    value (None unless it worked). Of two requests with the same secret only one gets a row."""
    now = now or utcnow()
    returning_members = select(Member.id).where(col(Member.status) == MemberStatus.joined.value,
                                                col(Member.joined_at).is_not(None))
    used = session.execute(
        sa.update(SignInCredential)
        .where(col(SignInCredential.secret_hash) == secret_hash,
               col(SignInCredential.used_at).is_(None),
               col(SignInCredential.revoked_at).is_(None),
               col(SignInCredential.expires_at) > now,
               col(SignInCredential.member_id).in_(returning_members.scalar_subquery()))
        .values(used_at=now)
        .returning(col(SignInCredential.member_id))
    ).first()
    if used is None:
        state = inspect(session, secret_hash, now=now)
        # Valid but unused means the member no longer holds their place (left, or erased).
        return (State.replaced if state is State.valid else state), None
    member = session.get(Member, used[0])
    assert member is not None
    if replacing:
        sessions.end(session, replacing, reason="replaced by a sign-in " + via)
    token = sessions.start(session, settings, member=member, now=now)
    audit.record(session, member.assembly_id, f"member:{member.public_id}", "member.signed_in",
                 {"member": member.public_id, "via": via})
    return State.valid, token


def devices(session: Session, member_id: int, *, now: datetime | None = None) -> int:
    """How many sessions (devices) the member is signed in on now."""
    now = now or utcnow()
    return int(session.execute(
        select(sa.func.count()).select_from(UserSession)
        .where(col(UserSession.member_id) == member_id, col(UserSession.revoked_at).is_(None),
               col(UserSession.expires_at) > now)
    ).scalar_one())


def sign_out_everywhere(session: Session, member: Member) -> int:
    """End every session of the member, this device's included; how many ended."""
    ended = sessions.revoke(session, member_id=row_id(member.id),
                            reason="signed out everywhere")
    audit.record(session, member.assembly_id, f"member:{member.public_id}",
                 "member.signed_out_everywhere", {"member": member.public_id, "sessions": ended})
    return int(ended)
