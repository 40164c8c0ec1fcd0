"""Sample principles for the demo's draft round: eleven principles of a charter on data and AI,
in plain English (like the Liverpool City Region community charter on data and AI), each with a
rationale and linked to the discuss-round statements that inspired it, and the members' work on
them: comments with a stance (and a couple of replies), amendments accepted, accepted with the
team's changes and rejected with a reason, and three dissent notes, two of which reached the
number of signatures that puts a note on the record.

Everything goes through the services officers and members use (`principles.create`,
`link_statements`, `edit`, `comments.post`, `amendments.propose`/`accept`/`reject`,
`dissent.write`/`sign`) at moments inside the round, with a fixed seed, so a demo built twice
holds the same drafts. Members are picked from those who joined, never the first one (the one
the demo prints a sign-in code for), so whoever tries the demo as a member starts fresh.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion.models import Statement, StatementStatus
from assembly.drafting import amendments, comments, dissent, principles
from assembly.drafting.models import Principle, Stance, Theme
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id

SEED = 2027


@dataclass(frozen=True)
class Remark:
    """A member's comment; `replies` are other members' answers to it."""

    stance: Stance
    text: str
    replies: tuple[tuple[Stance, str], ...] = ()


@dataclass(frozen=True)
class Change:
    """A member's amendment and what the team decided: "accepted", "changed" (accepted with the
    team's `final` wording), "rejected" (with `reason`) or "waiting"."""

    text: str
    reason: str
    decision: str
    final: str = ""
    decision_reason: str = ""


@dataclass(frozen=True)
class Draft:
    theme: Theme
    title: str
    text: str
    rationale: str
    statements: tuple[str, ...] = ()   # texts of the discuss-round statements behind it
    remarks: tuple[Remark, ...] = ()
    changes: tuple[Change, ...] = ()
    edit: str | None = None   # the team's own later edit of the rationale
    notes: tuple[tuple[str, int], ...] = field(default=())  # dissent: (text, signatures)


DRAFTS: tuple[Draft, ...] = (
    Draft(Theme.community_benefit, "For the public good",
          "The council uses data and AI only where it clearly benefits the people of the city "
          "region. Before it starts, it says who benefits, how, and how it will know.",
          "Members agreed that using data to plan bus routes and bin collections is sensible, "
          "but wanted the benefit to residents to be clear before anything new starts, and to "
          "hear back whether it worked.",
          ("Using data to plan bus routes and bin collections is sensible.",
           "The council should share what it learns from data with residents."),
          (Remark(Stance.support, "Good. Saying how they will know if it worked is the bit "
                  "that usually gets forgotten."),
           Remark(Stance.question, "Who decides what counts as a benefit? Saving money for the "
                  "council is not always a benefit for residents.",
                  ((Stance.support, ("Agreed. The benefit should be to people, not just to the "
                    "budget.")),)))),
    Draft(Theme.human_dignity, "A person decides what matters most",
          "No decision about someone's care, housing, benefits or safety is made by a computer "
          "alone. A person makes the decision, and can explain it.",
          "Members were clear that a computer should never decide on its own whether someone "
          "gets care or a home. Data can help a person decide; it cannot replace them.",
          ("A computer should never decide on its own whether someone gets care.",
           "Decisions about benefits and housing should always be made by a person.",
           "I would rather wait longer for a decision made by a person."),
          (Remark(Stance.support, "This is the most important one for me."),
           Remark(Stance.concern, "What about small things like parking permits? Does a person "
                  "have to look at every one?",
                  ((Stance.concern, ("I think a person should, if it affects someone's "
                    "money.")),
                   (Stance.support, ("It only says care, housing, benefits and safety, so "
                    "parking permits are not covered.")))),
           Remark(Stance.support, "My mum's care assessment was done by a form on a screen. "
                  "Nobody explained it.")),
          (Change("No decision about someone's care, housing, benefits or safety is made by a "
                  "computer alone. A qualified social worker makes the decision, and can "
                  "explain it.",
                  "A person could be anyone. It should be someone qualified.", "rejected",
                  decision_reason="Decisions on housing and benefits are not made by social "
                  "workers, and the principle covers every kind of decision. We have added to "
                  "the rationale that the person must understand the decision they make."),),
          ("Members were clear that a computer should never decide on its own whether someone "
           "gets care or a home. Data can help a person decide; it cannot replace them. The "
           "person must have the training and the time to understand the decision they make."),
          ((("We support the aim, but requiring a person for every decision on benefits will "
            "slow payments down for the people who need them most. Simple, clear-cut "
            "decisions should be automated, with a person checking any refusal."), 3),)),
    Draft(Theme.transparency, "Tell people when AI is used",
          "The council tells people whenever a computer helped make a decision about them, in "
          "plain words, and how to ask a person to look at it again.",
          "Telling people when a computer was involved had the widest agreement of any "
          "statement in our discussion, across every group.",
          (("The council should tell people whenever a computer helped make a decision about "
           "them."),
           "Anyone should be able to ask for a person to check a decision made with AI.",
           "The council should explain its decisions in plain words, however they were made."),
          (Remark(Stance.support, "Yes, and the letter should say it at the top, not in the "
                  "small print."),
           Remark(Stance.question, "How long do you have to ask for a person to look again?")),
          (Change("The council tells people whenever a computer helped make a decision about "
                  "them, in plain words and in their own language, and how to ask a person to "
                  "look at it again.",
                  "Many people in Liverpool do not read English well. Plain words are not "
                  "enough if they are in the wrong language.", "accepted"),),
          ("Telling people when a computer was involved had the widest agreement of any "
           "statement in our discussion, across every group. An amendment added that people "
           "are told in their own language.")),
    Draft(Theme.transparency, "A public register of algorithms",
          "The council publishes a register of every algorithm and AI tool it uses: what it is "
          "for, what data it uses, who is responsible for it and how well it works.",
          "Members wanted to be able to see, in one place, every way the council uses data and "
          "AI, including the tools it buys from companies.",
          ("The council should publish a list of every algorithm it uses and what it is for.",),
          (Remark(Stance.support, "Amsterdam and Helsinki already do this. So can we."),
           Remark(Stance.concern, "A register nobody reads is not much use. It must be easy "
                  "to find and written for residents.")),
          (Change("The council publishes a register of every algorithm and AI tool it uses: "
                  "what it is for, what data it uses, who is responsible for it, which company "
                  "made it, what it cost and how well it works.",
                  "We should know who is making money from this and how much.", "changed",
                  final="The council publishes a register of every algorithm and AI tool it "
                  "uses: what it is for, what data it uses, who is responsible for it, who "
                  "supplies it and at what cost, and how well it works, in words residents "
                  "can follow."),)),
    Draft(Theme.accountability, "Someone is always responsible",
          "Every use of data and AI has a named senior person who is responsible for it. An "
          "independent body checks how the council uses AI and reports in public every year.",
          "\"AI is just a tool; what matters is who is responsible for it.\" Members wanted a "
          "person to answer for each system, and someone outside the council to check.",
          ("Every use of AI should have a named person in charge of it.",
           "An independent body should check how the council uses AI.",
           "AI is just a tool; what matters is who is responsible for it."),
          (Remark(Stance.question, "Independent of whom? It should not be a company that "
                  "sells AI."),
           Remark(Stance.support, "Named means a real name on the register, not a job title.")),
          (Change("The council does not use AI to make any decision about residents.",
                  "After everything we heard, I do not trust it at all.", "rejected",
                  decision_reason="This would change what the principle is about. You can "
                  "write a dissent note on any principle, or put your view to the assembly in "
                  "the vote."),)),
    Draft(Theme.privacy_and_security, "Ask before using data in a new way",
          "Data collected for one service is not used for another without asking residents "
          "first, unless the law requires it, and then the council says so.",
          "Being asked before data is used in a new way was one of the statements nearly "
          "everyone agreed with.",
          ("Residents should be asked before the council uses their data in a new way.",
           "Data collected for one service should not be used for another without asking."),
          (Remark(Stance.support, "Asking should mean really asking, not a box ticked by "
                  "default."),)),
    Draft(Theme.privacy_and_security, "Safe, and kept no longer than needed",
          "The council keeps personal data secure, shares only what is needed and deletes it "
          "when it is no longer needed. It never sells residents' data.",
          "Members worried that once data is collected it is never really safe, and did not "
          "want companies that build the council's systems to use residents' data.",
          ("The council should delete data it no longer needs.",
           "Private companies that build the council's software should never see our data.",
           "Once data is collected, it is never really safe."),
          (Remark(Stance.concern, "What happens when there is a data breach? People should be "
                  "told straight away."),),
          (Change("The council keeps personal data secure, shares only what is needed and "
                  "deletes it when it is no longer needed. It never sells residents' data, and "
                  "companies that build its systems may not use that data for anything else.",
                  "The discussion was clear about companies and it is missing here.",
                  "accepted"),)),
    Draft(Theme.inclusion, "Nobody left behind",
          "Every council service can be used in person, by phone or on paper. People who do not "
          "use the internet are never worse off.",
          "Digital exclusion is social exclusion. Members agreed that nobody should be left "
          "worse off for not being online, and worried that AI on the phones would make the "
          "council harder to reach.",
          ("People who do not use the internet must never be left worse off.",
           "Using AI to answer phone calls would make the council harder to reach."),
          (Remark(Stance.support, "My dad has never used a computer and never will."),
           Remark(Stance.question, "Does this include being able to speak to a real person on "
                  "the phone?", ((Stance.support, ("It should. Maybe the principle should say "
                                  "so.")),))),
          (Change("Every council service can be used in person, by phone with a person to talk "
                  "to, or on paper. People who do not use the internet are never worse off.",
                  "A phone line that only talks to a computer is not the same.", "accepted"),)),
    Draft(Theme.inclusion, "Tested for fairness",
          "Before any system is used, and every year after, the council tests it for bias "
          "against any group of people and publishes what it found.",
          "Members worried that AI will get things wrong for people like them. Testing for "
          "bias, and saying what was found, was agreed across every group.",
          ("The council should test its systems for bias against any group before using them.",
           "I worry that AI will get things wrong for people like me."),
          (Remark(Stance.question, "Who does the testing? It should not be the company that "
                  "sold it."),),
          (Change("Before any system is used, and every year after, an independent tester "
                  "checks it for bias against any group of people and the council publishes "
                  "what they found.",
                  "The council should not mark its own homework.", "waiting"),)),
    Draft(Theme.community_benefit, "Joined-up care",
          "The council and the NHS share the information needed to join up a person's care, "
          "under a published agreement, so that nobody has to tell their story many times or "
          "falls through the gaps.",
          "Members heard that people fall through the gaps between the council and the NHS. "
          "Views differed on health data, so the principle is limited to what care needs.",
          (("Sharing data between the council and the NHS would stop people falling through "
           "the gaps."),
           "Data about my health should never be shared with the council."),
          (Remark(Stance.concern, "I do not want my GP records going to the council. Full "
                  "stop."),
           Remark(Stance.support, "When my husband came out of hospital nobody at the council "
                  "knew. This would have helped.")),
          (Change("The council and the NHS share the information needed to join up a person's "
                  "care, under a published agreement, so that nobody has to tell their story "
                  "many times or falls through the gaps. People can say no.",
                  "It has to be our choice.", "accepted"),),
          None,
          ((("We cannot support sharing health information with the council on the strength of "
            "an agreement between organisations. People should be asked each time, and saying "
            "no must never cost them a service."), 4),)),
    Draft(Theme.governance, "Automated where it saves money",
          "Where a task is routine, such as checking council tax discounts or answering common "
          "questions, the council uses AI by default to save money for front-line services, "
          "with people checking a sample of the results.",
          "Some members argued strongly that the council is too slow and that money saved on "
          "paperwork should go to front-line services. Others disagreed. The assembly asked "
          "for it to be put to the vote.",
          ("If it saves money for front-line services, I am happy for the council to use AI.",
           "The council is too slow; technology could fix that.",
           "If AI frees staff from paperwork, they can spend more time with residents."),
          (Remark(Stance.concern, "By default is the problem. It should be the exception."),
           Remark(Stance.support, "If it means more care workers, I am for it."),
           Remark(Stance.concern, "A sample is not enough. What about the people who are not "
                  "in the sample?")),
          (),
          None,
          ((("Routine is a word that hides a lot. A council tax decision can tip a family into "
            "debt."), 2),)),
)


def _times(item: Round) -> tuple[datetime, timedelta]:
    return item.opens_at, item.closes_at - item.opens_at


def _statement_numbers(session: Session, discuss: Round, texts: tuple[str, ...]) -> list[int]:
    found = dict(session.exec(select(Statement.text, Statement.number).where(
        Statement.round_id == discuss.id, Statement.status == StatementStatus.accepted.value,
        col(Statement.text).in_(texts))).all())
    return [found[text] for text in texts if text in found]


def add(session: Session, item: Round, discuss: Round | None, now: datetime, *,
        actor: str) -> bool:
    """The principles and the members' work on them in the demo's draft round; False (and
    nothing added) when the round already has principles, or has not opened and closed by
    `now` (members act only while it is open: the samples are made at moments inside it)."""
    if RoundKind(item.kind) is not RoundKind.draft \
            or rounds.state_of(item, now) is not RoundState.closed \
            or session.exec(select(Principle.id).where(Principle.round_id == item.id)).first():
        return False
    joined = [row_id(m) for m in session.exec(select(Member.id).where(
        Member.assembly_id == item.assembly_id, Member.status == MemberStatus.joined.value)
        .order_by(col(Member.id))).all()][1:]
    if len(joined) < 6:
        return False
    chooser = random.Random(SEED)
    start, span = _times(item)

    def moment(share: float) -> datetime:
        return start + span * share

    made: list[Principle] = []
    for number, draft in enumerate(DRAFTS):
        written = moment(0.005 + 0.001 * number)
        principle = principles.create(session, item, principles.Details(
            draft.title, draft.text, draft.rationale, draft.theme), written, actor=actor)
        if discuss is not None and draft.statements:
            principles.link_statements(session, item, principle, discuss,
                                       _statement_numbers(session, discuss, draft.statements),
                                       actor=actor)
        made.append(principle)
    for number, (draft, principle) in enumerate(zip(DRAFTS, made, strict=True)):
        authors = chooser.sample(joined, k=6)
        for step, remark in enumerate(draft.remarks):
            at = moment(0.05 + 0.3 * step / max(len(draft.remarks), 1) + 0.01 * number)
            comment = comments.post(session, item, principle, authors[step % 6],
                                    remark.stance.value, remark.text, None, at)
            for reply_step, (stance, text) in enumerate(remark.replies):
                comments.post(session, item, principle, authors[(step + reply_step + 1) % 6],
                              stance.value, text, comment, at + timedelta(hours=5 + reply_step))
        for step, change in enumerate(draft.changes):
            proposed = moment(0.25 + 0.1 * step + 0.005 * number)
            amendment = amendments.propose(session, item, principle, authors[-1 - step], "",
                                           change.text, change.reason, principle.version,
                                           proposed)
            decided = proposed + timedelta(days=2)
            if change.decision == "accepted":
                amendments.accept(session, item, principle, amendment, decided, actor=actor)
            elif change.decision == "changed":
                amendments.accept(session, item, principle, amendment, decided, actor=actor,
                                  text=change.final)
            elif change.decision == "rejected":
                amendments.reject(session, item, principle, amendment, change.decision_reason,
                                  decided, actor=actor)
        if draft.edit is not None:
            principles.edit(session, item, principle, principles.Details(
                principle.title, principle.text, draft.edit, Theme(principle.theme)),
                moment(0.55 + 0.005 * number), actor=actor)
        for text, signatures in draft.notes:
            signers = chooser.sample([m for m in joined if m not in authors], k=signatures)
            written = moment(0.6 + 0.01 * number)
            note = dissent.write(session, item, principle, signers[0], text, written)
            for step, member_id in enumerate(signers[1:], start=1):
                dissent.sign(session, item, principle, note, member_id,
                             written + timedelta(hours=6 * step))
    return True
