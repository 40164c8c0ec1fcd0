"""A sample conversation for the demo's discuss round: a prompt, about 40 statements on data and
AI in a council (officers' seed statements and members' own), and votes from the panel's joined
members with a real structure, so the results pages show something worth reading.

The structure: members lean one of two ways, a group wary of any automated decision and a group
keen on efficiency, with a middle that mostly follows one side; everyone agrees on transparency
and on keeping a person responsible; a few statements leave many unsure. A member's lean follows
their answer to the recruitment question on attitudes to AI (fictional people: the demo's pool
is synthetic), so the tables by stratum show a real difference by that feature and little by the
others. Everything is made through the same services members and officers use
(`statements.seed`, `statements.post`, `statements.moderate`, `votes.cast`), at times within the
round, with a fixed seed: a demo built twice holds the same conversation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion import statements, votes
from assembly.discussion.models import Moderation, Statement, VoteValue
from assembly.recruitment.models import Profile
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id

SEED = 2027
PROMPT = "How should the council use data and AI in the services you use?"

# Leans, and how each lean votes on a kind of statement: (agree, disagree) chances; the rest pass.
WARY, KEEN, UNSURE = "wary", "keen", "unsure"
CHANCES: dict[str, dict[str, tuple[float, float]]] = {
    # statement kind -> lean -> (agree, disagree)
    "shared": {WARY: (0.92, 0.04), KEEN: (0.88, 0.06), UNSURE: (0.75, 0.05)},
    "keen": {WARY: (0.12, 0.80), KEEN: (0.85, 0.08), UNSURE: (0.35, 0.25)},
    "wary": {WARY: (0.88, 0.06), KEEN: (0.15, 0.75), UNSURE: (0.45, 0.20)},
    "open": {WARY: (0.25, 0.20), KEEN: (0.30, 0.20), UNSURE: (0.15, 0.10)},
    "mild": {WARY: (0.55, 0.25), KEEN: (0.65, 0.20), UNSURE: (0.45, 0.15)},
}
LEAN_BY_ATTITUDE = {  # chance of (wary, keen); the rest unsure
    "Worried": (0.85, 0.05), "Optimistic": (0.05, 0.85), "Neutral": (0.40, 0.45),
    "Don't know": (0.30, 0.25),
}


@dataclass(frozen=True)
class Sample:
    text: str
    kind: str          # how people vote on it: a key of CHANCES
    seed: bool = False  # an officer's statement to start the conversation


STATEMENTS = (
    Sample("The council should tell people whenever a computer helped make a decision about "
           "them.", "shared", seed=True),
    Sample("Using data to plan bus routes and bin collections is sensible.", "mild", seed=True),
    Sample("A computer should never decide on its own whether someone gets care.", "wary",
           seed=True),
    Sample("If AI frees staff from paperwork, they can spend more time with residents.", "keen",
           seed=True),
    Sample("Residents should be asked before the council uses their data in a new way.",
           "shared", seed=True),
    Sample("The council should publish a list of every algorithm it uses and what it is for.",
           "shared", seed=True),
    Sample("Data about my health should never be shared with the council.", "wary", seed=True),
    Sample("I would rather wait longer for a decision made by a person.", "wary", seed=True),
    Sample("Anyone should be able to ask for a person to check a decision made with AI.",
           "shared"),
    Sample("Spotting fraud in council tax with data is fair to everyone who pays.", "keen"),
    Sample("Predicting which children are at risk is too important to leave to a computer.",
           "wary"),
    Sample("Private companies that build the council's software should never see our data.",
           "shared"),
    Sample("Chatbots on the council website save everyone time.", "keen"),
    Sample("I worry that AI will get things wrong for people like me.", "wary"),
    Sample("The council should test its systems for bias against any group before using them.",
           "shared"),
    Sample("Using AI to answer phone calls would make the council harder to reach.", "wary"),
    Sample("Sharing data between the council and the NHS would stop people falling through the "
           "gaps.", "keen"),
    Sample("Facial recognition cameras have no place in our town centres.", "wary"),
    Sample("If it saves money for front-line services, I am happy for the council to use AI.",
           "keen"),
    Sample("People who do not use the internet must never be left worse off.", "shared"),
    Sample("The council should delete data it no longer needs.", "shared"),
    Sample("AI could help find empty homes and get them lived in again.", "keen"),
    Sample("Decisions about benefits and housing should always be made by a person.", "wary"),
    Sample("An independent body should check how the council uses AI.", "shared"),
    Sample("The council is too slow; technology could fix that.", "keen"),
    Sample("I do not understand enough about AI to have a view.", "open"),
    Sample("Risk scores about families should be shown to the families themselves.", "mild"),
    Sample("The council should use AI to translate letters into people's own languages.",
           "keen"),
    Sample("Data collected for one service should not be used for another without asking.",
           "wary"),
    Sample("Using sensors to see when bins are full is a good idea.", "mild"),
    Sample("Nobody should lose a job at the council because of AI.", "open"),
    Sample("The council should explain its decisions in plain words, however they were made.",
           "shared"),
    Sample("Predicting who will need care in five years helps the council plan.", "keen"),
    Sample("Once data is collected, it is never really safe.", "wary"),
    Sample("AI is just a tool; what matters is who is responsible for it.", "mild"),
    Sample("The council should share what it learns from data with residents.", "mild"),
    Sample("Companies making AI for councils should pay if it goes wrong.", "open"),
    Sample("Young people are more relaxed about data than older people, and that is fine.",
           "open"),
    Sample("Every use of AI should have a named person in charge of it.", "shared"),
    Sample("A computer that is right 95% of the time is good enough for parking fines.", "keen"),
)
# Two members' statements an officer has not looked at yet, and one an officer turned down:
# something on the moderation queue of a strict round.
WAITING = ("Council staff should be trained before they use any AI tool.",
           "The council should ask this assembly again in two years.")
REJECTED = ("Councillor Smith's data scandal proves they cannot be trusted.",
            "It names a person. Say what worries you without naming anyone, and post it again.")


def _lean(chooser: random.Random, attitude: str) -> str:
    wary, keen = LEAN_BY_ATTITUDE.get(attitude, (0.4, 0.4))
    draw = chooser.random()
    return WARY if draw < wary else KEEN if draw < wary + keen else UNSURE


def _vote(chooser: random.Random, kind: str, lean: str) -> VoteValue:
    agree, disagree = CHANCES[kind][lean]
    draw = chooser.random()
    return VoteValue.agree if draw < agree else \
        VoteValue.disagree if draw < agree + disagree else VoteValue.pass_


def add(session: Session, item: Round, now: datetime, *, actor: str) -> bool:
    """The conversation in the demo's discuss round; False (and nothing added) when the round
    already has statements or is not open now (statements and votes need an open round).

    The first member who joined (the one the demo prints a sign-in code for) votes on nothing,
    so whoever tries the demo as a member starts the conversation fresh."""
    if RoundKind(item.kind) is not RoundKind.discuss \
            or rounds.state_of(item, now) is not RoundState.open \
            or session.exec(select(Statement.id).where(Statement.round_id == item.id)).first():
        return False
    joined = list(session.exec(
        select(Member.id, Profile.values)
        .join(Profile, col(Profile.respondent_id) == col(Member.respondent_id), isouter=True)
        .where(Member.assembly_id == item.assembly_id,
               Member.status == MemberStatus.joined.value)
        .order_by(col(Member.id))).all())
    if len(joined) < 2:
        return False
    voters = joined[1:]
    chooser = random.Random(SEED)
    leans = {row_id(member_id): _lean(chooser, (values or {}).get("Attitude to AI", ""))
             for member_id, values in voters}
    start = max(item.opens_at, now - timedelta(days=3))
    span = (now - start) * 0.9

    def moment(share: float) -> datetime:
        return start + span * share

    statements.configure(session, item, PROMPT, Moderation.strict.value, moment(0), actor=actor)
    authors = {lean: [m for m, each in leans.items() if each == lean] for lean in (WARY, KEEN)}
    made: list[tuple[Statement, str]] = []
    for number, sample in enumerate(STATEMENTS):
        at = moment(0.02 + 0.5 * number / len(STATEMENTS))
        if sample.seed:
            statement = statements.seed(session, item, sample.text, at, actor=actor)
        else:
            side = WARY if sample.kind == "wary" else KEEN if sample.kind == "keen" \
                else chooser.choice((WARY, KEEN))
            pool = authors[side] or list(leans)
            statement = statements.post(session, item, chooser.choice(pool), sample.text, at)
            statements.moderate(session, item, statement, "accepted", "",
                                at + timedelta(hours=1), actor=actor)
        made.append((statement, sample.kind))
    everyone = list(leans)
    for text in WAITING:
        statements.post(session, item, chooser.choice(everyone), text, moment(0.8))
    rude = statements.post(session, item, chooser.choice(everyone), REJECTED[0], moment(0.6))
    statements.moderate(session, item, rude, "rejected", REJECTED[1], moment(0.65), actor=actor)
    # Each member votes on most statements (more of them the keener they are on the topic), in
    # their own order, spread over the round so far.
    for member_id, lean in leans.items():
        share = chooser.uniform(0.55, 1.0)
        mine = [pair for pair in made if chooser.random() < share]
        chooser.shuffle(mine)
        first = chooser.uniform(0.05, 0.6)
        for step, (statement, kind) in enumerate(mine):
            if statement.member_id == member_id:
                continue  # their own statement is already their agree vote
            at = max(moment(first + (1 - first) * (step + 1) / (len(mine) + 1)),
                     statement.created_at + timedelta(minutes=10))  # never before it was posted
            votes.cast(session, item, statement, member_id, _vote(chooser, kind, lean), at)
    return True
