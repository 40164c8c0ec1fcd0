"""A sample vote for the demo: the draft round's eleven principles on a five-point ballot, voted
on by the panel's joined members while the round was open, a few ballots given on paper or by
phone and keyed in by an officer, then sealed at the close and the results released.

How members vote follows their answers to the recruitment questions (fictional people: the
demo's pool is synthetic), so the results show what results really look like: most principles
adopted with agreement holding across every group; "Joined-up care" adopted overall but
contested by age (the over-65s agree least, as they did in the discussion about health data);
"Automated where it saves money" not adopted, dividing members by their attitude to AI. The
first member who joined (the one the demo prints a sign-in code for) and two others did not
vote, so the turnout is not 100 %.

Everything goes through the ballots room's services (`papers.configure`, `ballots.cast`,
`sealing.seal`) and `rounds.release_results`, at moments around the round, with a fixed seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assembly.ballots import ballots, papers, sealing
from assembly.ballots.models import Reasons, VoteRound
from assembly.deliberation import rounds, schedule
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion.models import Channel
from assembly.drafting.models import Principle
from assembly.recruitment.models import Profile
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id
from charter.tallies import RuleKind, Scale

SEED = 2027
CONTESTED = "Joined-up care"            # adopted, but not among the oldest members
CONTESTED_AMONG = ("Age", "65+")
DIVIDED = "Automated where it saves money"  # not adopted
ASSISTED = (Channel.paper, Channel.paper, Channel.phone)   # keyed in by an officer
NOT_VOTING = 2                          # besides the demo's own member

# How a member leaning one way votes on a principle: chances of (strongly agree, agree,
# unsure, disagree); the rest strongly disagree.
WARY, KEEN, UNSURE = "wary", "keen", "unsure"
LEAN_BY_ATTITUDE = {"Worried": WARY, "Optimistic": KEEN}
BROAD = (0.45, 0.40, 0.08, 0.05)
CHANCES: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "broad": {WARY: BROAD, KEEN: BROAD, UNSURE: BROAD},
    "person": {WARY: (0.70, 0.25, 0.03, 0.02), KEEN: (0.20, 0.45, 0.15, 0.15),
               UNSURE: (0.40, 0.40, 0.10, 0.08)},
    "keen": {WARY: (0.00, 0.05, 0.10, 0.35), KEEN: (0.35, 0.45, 0.10, 0.08),
             UNSURE: (0.05, 0.30, 0.25, 0.25)},
    "care_young": {WARY: (0.35, 0.50, 0.07, 0.06), KEEN: (0.45, 0.45, 0.05, 0.05),
                   UNSURE: (0.40, 0.45, 0.08, 0.05)},
    "care_old": {WARY: (0.00, 0.05, 0.10, 0.35), KEEN: (0.05, 0.15, 0.15, 0.35),
                 UNSURE: (0.00, 0.10, 0.15, 0.35)},
}
OPTIONS = ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree")
REASONS = {  # a few reasons members gave, by principle title, when they disagreed
    CONTESTED: "My health is between me and my doctor.",
    DIVIDED: "Saving money is not a good enough reason to take people out of decisions.",
}


def _kind(principle: Principle, age: str) -> str:
    if principle.title == CONTESTED:
        return "care_old" if age == CONTESTED_AMONG[1] else "care_young"
    if principle.title == DIVIDED:
        return "keen"
    if principle.title == "A person decides what matters most":
        return "person"
    return "broad"


def _choice(chooser: random.Random, chances: tuple[float, float, float, float]) -> str:
    draw, total = chooser.random(), 0.0
    for option, chance in zip(OPTIONS, chances, strict=False):
        total += chance
        if draw < total:
            return option
    return OPTIONS[-1]


def add(session: Session, item: Round, now: datetime, *, actor: str) -> bool:
    """The vote in the demo's vote round, sealed and released; False (and nothing added) when
    the round has not closed by `now`, was already sealed, or its draft round has no
    principles."""
    if RoundKind(item.kind) is not RoundKind.vote \
            or rounds.state_of(item, now) is not RoundState.closed:
        return False
    existing = session.get(VoteRound, item.id)
    if existing is not None and (existing.sealed_at is not None or existing.frozen_at):
        return False
    draft = papers.default_draft_round(session, item)
    if draft is None or not papers.principles_of(session, row_id(draft.id)):
        return False
    before = item.opens_at - timedelta(days=1)
    papers.configure(session, item, papers.Setup(
        row_id(draft.id), Scale.five, Reasons.optional, RuleKind.majority, False, 0.5, 0.5,
        ()), before, actor=actor)
    voters = list(session.exec(
        select(Member.id, Profile.values)
        .join(Profile, col(Profile.respondent_id) == col(Member.respondent_id), isouter=True)
        .where(Member.assembly_id == item.assembly_id,
               Member.status == MemberStatus.joined.value)
        .order_by(col(Member.id))).all())[1:]
    chooser = random.Random(SEED)
    absent = set(chooser.sample(range(len(voters)), k=NOT_VOTING))
    voters = [v for index, v in enumerate(voters) if index not in absent]
    assisted = dict(zip(chooser.sample(range(len(voters)), k=len(ASSISTED)), ASSISTED,
                        strict=True))
    paper = papers.paper(session, item)
    span = item.closes_at - item.opens_at
    for index, (member_id, values) in enumerate(voters):
        profile = values or {}
        lean = LEAN_BY_ATTITUDE.get(profile.get("Attitude to AI", ""), UNSURE)
        form: dict[str, str] = {}
        for each in paper:
            principle_id = row_id(each.principle.id)
            option = _choice(chooser, CHANCES[_kind(each.principle, profile.get("Age", ""))][lean])
            form[ballots.choice_field(principle_id)] = option
            if option in papers.AGAINST and each.principle.title in REASONS \
                    and chooser.random() < 0.4:
                form[ballots.reason_field(principle_id)] = REASONS[each.principle.title]
        at = item.opens_at + span * (0.05 + 0.85 * index / len(voters))
        channel = assisted.get(index, Channel.online)
        if channel is Channel.online:
            ballots.cast(session, item, row_id(member_id), form, at)
            if chooser.random() < 0.2:   # some change their mind before the close
                changed = dict(form)
                first = ballots.choice_field(row_id(paper[0].principle.id))
                changed[first] = _choice(chooser, BROAD)
                ballots.cast(session, item, row_id(member_id), changed, at + timedelta(hours=20))
        else:
            ballots.cast(session, item, row_id(member_id), form, at, channel=channel,
                         entered_by=actor, actor=actor)
    # The clock records the close (which seals the vote, through the hook the ballots room
    # registers); sealing again is a no-op then, and seals it where no hook is registered.
    closed = item.closes_at + timedelta(minutes=1)
    schedule.record_due(session, item.assembly_id, closed)
    sealing.seal(session, item, closed)
    rounds.release_results(session, item, item.closes_at + timedelta(hours=20), actor=actor)
    return True
