"""Reminder letters: for members without e-mail (or who stopped e-mail reminders), one PDF with
a letter each saying which round is open, what to do and when it closes, to print and post.

Built like the invitation letters (`assembly.invitations.letters`): the same letter head and page
layout (templates/layouts/letters.html), A4 pages for window envelopes, a tagged PDF/UA-1 so
screen readers can read them. A letter carries the member's name and postal address and the
assembly's contact details, nothing else about them (no answers to the recruitment questions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from assembly.assemblies.models import Assembly
from assembly.deliberation import reminders, times
from assembly.deliberation.models import Round
from assembly.errors import ActionableError
from assembly.invitations import letters
from assembly.recruitment.models import Contact, Respondent
from assembly.tables import row_id
from assembly.templating import TEMPLATES


class NobodyToWriteTo(ActionableError):
    """Every member who holds a seat gets reminders by e-mail."""

    status_code = 409


@dataclass(frozen=True)
class ReminderLetter:
    member_ref: str
    name: str
    address: tuple[str, ...]
    postcode: str


@dataclass(frozen=True)
class Page:
    """What every letter of one batch says about the round."""

    title: str
    what: str
    opens: str
    closes: str
    is_open: bool
    home: str


def recipients(session: Session, assembly_id: int, *, email_works: bool = True
               ) -> list[ReminderLetter]:
    """Members who hold their seat and get no e-mail reminders (all of them when no e-mail
    server is set up), with their postal address."""
    by_email, members = reminders.audience(session, assembly_id)
    if not email_works:
        members = sorted([r.member for r in by_email] + members, key=lambda m: row_id(m.id))
    if not members:
        return []
    respondent_ids = [m.respondent_id for m in members]
    contacts = {c.respondent_id: c for c in session.exec(
        select(Contact).where(col(Contact.respondent_id).in_(respondent_ids))).all()}
    references = dict(session.exec(select(Respondent.id, Respondent.external_id)
                                   .where(col(Respondent.id).in_(respondent_ids))).all())
    found = []
    for member in members:
        contact = contacts.get(member.respondent_id) or Contact()
        address = tuple(line for line in (contact.address_line_1, contact.address_line_2,
                                          contact.address_line_3, contact.town) if line)
        found.append(ReminderLetter(references.get(member.respondent_id, ""),
                                    contact.name or "Member", address, contact.postcode))
    return found


def page_of(assembly: Assembly, item: Round, now: datetime, home: str) -> Page:
    zone = assembly.time_zone
    return Page(item.title, item.instructions.strip() or item.purpose.strip(),
                times.in_words(item.opens_at, zone, now), times.in_words(item.closes_at, zone, now),
                item.opens_at <= now, home)


def letters_pdf(head: letters.LetterHead, page: Page, people: Sequence[ReminderLetter], *,
                today: date) -> bytes:
    if not people:
        raise NobodyToWriteTo(
            "Every member who holds a seat gets reminders by e-mail, so there are no letters to "
            "print. Members who stop e-mail reminders, or have no e-mail address, appear here.")
    HTML = letters.renderer()
    html = letters.render_letters("deliberation/reminder_letters.html", head, people,
                                  today=today, page=page)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)


def filename(item: Round) -> str:
    return f"reminder-letters-round-{row_id(item.id)}.pdf"
