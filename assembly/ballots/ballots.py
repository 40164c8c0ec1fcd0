"""Members' ballots while a vote round is open, and the turnout officers see.

A member fills in the whole ballot paper at once (or part of it, and the rest later); each
principle's ballot is one row per member, principle and round, written with an upsert on that
UNIQUE key, so a double click, two tabs or sixteen threads leave one ballot. A member can change a
ballot until the round closes. Only panel members who have joined the assembly vote.

Secret: nothing here writes a choice to the audit log or shows it to officers. An officer keying
in a ballot given on paper or by phone is audited (who keyed in whose ballot, from what, when),
never what it said. Officers see turnout, and who has not voted yet so they can offer help:
that is who took part, which the turnout already tells, never how anyone voted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db, forms
from assembly.ballots import papers, receipts
from assembly.ballots.models import (
    REASON_LIMIT,
    Ballot,
    BallotItem,
    CountedReceipt,
    Reasons,
    SealedBallot,
    VoteRound,
)
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind
from assembly.deliberation.progress import Progress
from assembly.discussion.models import Channel
from assembly.errors import ActionableError, Conflict
from assembly.recruitment.models import Contact, Respondent
from assembly.selection.models import Member, MemberRole, MemberStatus
from assembly.tables import row_id
from charter.tallies import OPTIONS, Scale


class BallotError(ActionableError):
    """A ballot cannot be taken as given; `field` names the principle's field at fault."""


@dataclass(frozen=True)
class Choice:
    option: str
    reason: str = ""


def choice_field(principle_id: int) -> str:
    return f"choice-{principle_id}"


def reason_field(principle_id: int) -> str:
    return f"reason-{principle_id}"


def eligible_ids(session: Session, assembly_id: int) -> list[int]:
    """Panel members who have joined: those who may vote, and the turnout's denominator."""
    return [row_id(i) for i in session.exec(select(Member.id).where(
        Member.assembly_id == assembly_id, Member.role == MemberRole.panel.value,
        Member.status == MemberStatus.joined.value).order_by(col(Member.id))).all()]


def require_voter(session: Session, round_item: Round, member_id: int) -> None:
    member = session.get(Member, member_id)
    if member is None or member.assembly_id != round_item.assembly_id:
        raise BallotError("This ballot belongs to another assembly.")
    if member.role != MemberRole.panel.value or member.status != MemberStatus.joined.value:
        raise BallotError("Only members of the panel who have joined the assembly vote. If you "
                          "think you should, call the assembly team.")


def parse(scale: Scale, reasons: Reasons, paper: list[papers.Item],
          form: Mapping[str, str]) -> dict[int, Choice]:
    """The choices on a filled-in ballot paper (blank principles are left out), checked against
    the scale and the reasons rule; a BallotError naming the first field at fault."""
    allowed = set(OPTIONS[scale])
    found: dict[int, Choice] = {}
    for item in paper:
        principle_id = row_id(item.principle.id)
        option = form.get(choice_field(principle_id), "")
        reason = form.get(reason_field(principle_id), "")
        if not option:
            if reason:
                raise BallotError(f"Choose an answer for “{item.title}” as well as the reason.",
                                  field=choice_field(principle_id))
            continue
        if option not in allowed:
            raise BallotError(f"Choose one of the answers for “{item.title}”.",
                              field=choice_field(principle_id))
        if problem := forms.too_long(reason, REASON_LIMIT, f"The reason for “{item.title}”"):
            raise BallotError(problem, field=reason_field(principle_id))
        if reasons is Reasons.required_against and option in papers.AGAINST and not reason:
            raise BallotError(f"Say why you chose “{papers.OPTION_WORDS[option]}” for "
                              f"“{item.title}”: this vote asks for a reason when you disagree "
                              "or block.", field=reason_field(principle_id))
        found[principle_id] = Choice(option, reason)
    return found


def _open_round(session: Session, round_item: Round, now: datetime) -> VoteRound:
    """The round's settings, refusing unless it is open and not sealed. The row is read FOR SHARE
    (PostgreSQL), so the sealing claim waits for ballots in flight and none slips in after."""
    if RoundKind(round_item.kind) is not RoundKind.vote:
        raise BallotError("Ballots belong to vote rounds.")
    rounds.require_open(session, round_item, now)
    papers.freeze(session, round_item, now)
    setup = session.exec(select(VoteRound).where(VoteRound.round_id == round_item.id)
                         .with_for_update(read=True)).one()
    if setup.sealed_at is not None:
        raise Conflict("This vote has closed and its ballots are sealed.")
    return setup


def cast(session: Session, round_item: Round, member_id: int, form: Mapping[str, str],
         now: datetime, *, channel: Channel = Channel.online, entered_by: str = "",
         actor: str = "") -> tuple[int, str | None]:
    """Record the member's ballots from a filled-in paper: how many principles it answered, and
    their new receipt code if this was their first ballot in the round (else None).

    Refused unless the round is open now and the member is on the panel of its assembly."""
    setup = _open_round(session, round_item, now)
    require_voter(session, round_item, member_id)
    if channel is not Channel.online and not entered_by:
        raise BallotError("Say which officer keyed in the ballot.")
    paper = papers.paper(session, round_item)
    choices = parse(Scale(setup.scale), Reasons(setup.reasons), paper, form)
    if not choices:
        raise BallotError("Choose an answer for at least one principle.",
                          field=choice_field(row_id(paper[0].principle.id)) if paper else "form")
    # One statement for the whole paper: a multi-row upsert on UNIQUE(round, principle, member).
    insert = db.insert(session, Ballot).values([
        {"round_id": row_id(round_item.id), "principle_id": principle_id,
         "member_id": member_id, "choice": choice.option, "reason": choice.reason,
         "channel": channel.value, "entered_by": entered_by, "updated_at": now}
        for principle_id, choice in sorted(choices.items())])
    session.execute(insert.on_conflict_do_update(
        index_elements=["round_id", "principle_id", "member_id"],
        set_={"choice": insert.excluded.choice, "reason": insert.excluded.reason,
              "channel": insert.excluded.channel, "entered_by": insert.excluded.entered_by,
              "updated_at": insert.excluded.updated_at}))
    code = receipts.issue(session, round_item, member_id)
    if channel is not Channel.online:
        member = session.get(Member, member_id)
        audit.record(session, round_item.assembly_id, actor or entered_by, "ballots.keyed_in", {
            "round": round_item.public_id, "round_title": round_item.title,
            "member": member.public_id if member is not None else "",
            "channel": channel.value, "principles": len(choices),
            "at": audit.timestamp(now)})
    return len(choices), code


def of_member(session: Session, round_id: int, member_id: int) -> dict[int, Choice]:
    """The member's ballots in an open round, by principle id (for their own page only)."""
    rows = session.exec(select(Ballot.principle_id, Ballot.choice, Ballot.reason)
                        .where(Ballot.round_id == round_id, Ballot.member_id == member_id)).all()
    return {principle_id: Choice(choice, reason) for principle_id, choice, reason in rows}


@dataclass(frozen=True)
class Turnout:
    """How many have voted, overall and per principle; never who voted how."""

    eligible: int
    voted: int
    per_principle: dict[int, int]

    @property
    def share(self) -> float:
        return self.voted / self.eligible if self.eligible else 0.0


def turnout(session: Session, round_item: Round) -> Turnout:
    """From the linked ballots while open, from the sealed ones after."""
    round_id = row_id(round_item.id)
    setup = session.get(VoteRound, round_id)
    if setup is not None and setup.sealed_at is not None:
        per = dict(session.exec(select(SealedBallot.principle_id, sa.func.count())
                                .where(SealedBallot.round_id == round_id)
                                .group_by(col(SealedBallot.principle_id))).all())
        voted = int(session.exec(select(sa.func.count()).select_from(CountedReceipt)
                                 .where(CountedReceipt.round_id == round_id)).one())
        return Turnout(setup.eligible, voted, {k: int(v) for k, v in per.items()})
    eligible = eligible_ids(session, round_item.assembly_id)
    per = dict(session.exec(select(Ballot.principle_id, sa.func.count())
                            .where(Ballot.round_id == round_id,
                                   col(Ballot.member_id).in_(eligible))
                            .group_by(col(Ballot.principle_id))).all())
    voted = int(session.exec(select(sa.func.count(sa.distinct(col(Ballot.member_id))))
                             .where(Ballot.round_id == round_id,
                                    col(Ballot.member_id).in_(eligible))).one())
    return Turnout(len(eligible), voted, {k: int(v) for k, v in per.items()})


@dataclass(frozen=True)
class Waiting:
    """A member who has not voted yet, as officers see them to offer help."""

    reference: str
    name: str
    phone: str


def not_voted(session: Session, round_item: Round) -> list[Waiting]:
    """Eligible members with no ballot in the open round, by reference."""
    voted = select(Ballot.member_id).where(Ballot.round_id == round_item.id)
    rows = session.exec(
        select(Respondent.external_id, Contact.name, Contact.phone)
        .join(Member, col(Member.respondent_id) == col(Respondent.id))
        .outerjoin(Contact, col(Contact.respondent_id) == col(Respondent.id))
        .where(col(Member.id).in_(eligible_ids(session, round_item.assembly_id)),
               col(Member.id).not_in(voted))
        .order_by(col(Respondent.external_id))).all()
    return [Waiting(ref, name or "", phone or "") for ref, name, phone in rows]


def member_by_reference(session: Session, round_item: Round, reference: str
                        ) -> tuple[int, str]:
    """The member a paper pack's reference names (the people file's id, any case), for keying
    in: their id and the reference as the pack prints it."""
    if not reference:
        raise BallotError("Type the member's reference from their ballot pack, for example "
                          "R0007.", field="reference")
    found = session.exec(select(Member.id, Respondent.external_id)
                         .join(Respondent, col(Respondent.id) == col(Member.respondent_id))
                         .where(Member.assembly_id == round_item.assembly_id,
                                sa.func.upper(Respondent.external_id) == reference.upper())
                         ).first()
    if found is None:
        raise BallotError(f"No member of this assembly has the reference “{reference}”. Check "
                          "the reference on the pack.", field="reference")
    return row_id(found[0]), found[1]


def count_items(session: Session, round_id: int) -> int:
    return int(session.exec(select(sa.func.count()).select_from(BallotItem)
                            .where(BallotItem.round_id == round_id)).one())


def progress_of(session: Session, round_item: Round, member: Member) -> Progress | None:
    """"3 of 11 principles voted on" on the member's home page while the vote is open (after
    sealing nothing links the member to their ballots, so nothing is shown)."""
    setup = session.get(VoteRound, round_item.id)
    if setup is not None and setup.sealed_at is not None:
        return None
    total = count_items(session, row_id(round_item.id)) or len(papers.paper(session, round_item))
    if not total:
        return None
    done = int(session.exec(select(sa.func.count()).select_from(Ballot).where(
        Ballot.round_id == round_item.id, Ballot.member_id == member.id)).one())
    return Progress(done, total, "principle" if total == 1 else "principles", "voted on")
