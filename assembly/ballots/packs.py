"""Paper ballot packs: one PDF with a pack per member who may vote, to print and post.

Each pack starts on a new page: a covering letter (name and address for a window envelope, what
the vote is, when it closes, how to return it, the reference to quote), then the ballot paper in
large print: every principle's title and text (the version on the ballot), a tick box per
answer, and room for a reason. The member's reference is on every page (the entry screen asks for
it), so a page that comes loose still finds its owner.

Receipts: a paper pack carries no receipt code. A code is made when a ballot is first recorded,
and only its hash is kept, so a code printed in advance would have to be stored until then
(and reprinting a pack would leave two). Instead, the officer keying in the ballot is shown the
new code once, to post on a receipt slip or read out on the phone; the pack says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jinja2
from anyio import to_thread
from sqlmodel import Session, col, select

from assembly.assemblies.models import Assembly
from assembly.ballots import ballots, papers
from assembly.ballots.models import Reasons
from assembly.deliberation import rounds, times
from assembly.deliberation.models import Round, RoundState
from assembly.errors import Conflict
from assembly.invitations import letters
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member
from assembly.settings import Settings
from assembly.tables import row_id
from assembly.templating import TEMPLATES
from charter.tallies import Scale


class NoPacks(Conflict):
    """There is nothing to print: no principles, nobody to vote, or the vote has closed."""


@dataclass(frozen=True)
class Person:
    reference: str
    name: str
    address: tuple[str, ...]
    postcode: str


@dataclass(frozen=True)
class Packs:
    head: letters.LetterHead
    round: Round
    paper: list[papers.Item]
    options: list[tuple[str, str]]
    people: list[Person]
    closes: str
    reasons_required: bool
    home: str
    receipts_page: str
    today: datetime


def gather(session: Session, assembly: Assembly, item: Round, settings: Settings, now: datetime,
           *, home: str, receipts_page: str, privacy_notice: str) -> Packs:
    """Everything the packs say, or NoPacks saying why there is nothing to print.
    `privacy_notice` is the assembly's privacy notice's address as printed: every letter to a
    member says where it is."""
    if rounds.state_of(item, now) not in (RoundState.scheduled, RoundState.open):
        raise NoPacks(f"“{item.title}” has closed, so paper ballots could no longer count.")
    paper = papers.paper(session, item)
    if not paper:
        raise NoPacks("There are no principles on this ballot yet: choose the draft round in "
                      "the ballot settings, and write its principles first.")
    member_ids = ballots.eligible_ids(session, assembly.id or 0)
    if not member_ids:
        raise NoPacks("No panel member has joined the assembly yet, so nobody can vote.")
    rows = session.exec(
        select(Respondent.external_id, Contact)
        .join(Member, col(Member.respondent_id) == col(Respondent.id))
        .outerjoin(Contact, col(Contact.respondent_id) == col(Respondent.id))
        .where(col(Member.id).in_(member_ids)).order_by(col(Respondent.external_id))).all()
    people = []
    for reference, contact in rows:
        contact = contact or Contact()
        address = tuple(line for line in (contact.address_line_1, contact.address_line_2,
                                          contact.address_line_3, contact.town) if line)
        people.append(Person(reference, contact.name or "Member", address, contact.postcode))
    setup = papers.of(session, item)
    head = letters.LetterHead.of(assembly, settings.site_name, privacy_notice)
    return Packs(head, item, paper, papers.options(Scale(setup.scale)), people,
                 times.in_words(item.closes_at, assembly.time_zone, now),
                 setup.reasons == Reasons.required_against.value, home, receipts_page, now)


def html(packs: Packs) -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["long_date"] = letters.long_date
    return environment.get_template("ballots/packs.html").render(p=packs)


def pdf(packs: Packs) -> bytes:
    HTML = letters.renderer()
    written = HTML(string=html(packs), base_url=str(TEMPLATES)).write_pdf(pdf_variant="pdf/ua-1")
    assert written is not None
    return bytes(written)


async def render_pdf(packs: Packs) -> bytes:
    """WeasyPrint blocks for a while: in a worker thread."""
    return await to_thread.run_sync(lambda: pdf(packs))


def filename(item: Round) -> str:
    return f"paper-ballots-round-{row_id(item.id)}.pdf"
