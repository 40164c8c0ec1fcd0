"""A sample vote for the demo: the draft round's eleven principles on a five-point ballot, voted
on by the panel's joined members while the round was open, a few ballots given on paper or by
phone and keyed in by an officer, then sealed at the close and the results released.

How members vote follows their answers to the recruitment questions (fictional people: the
demo's pool is synthetic), so the results show what results really look like: most principles
adopted with agreement holding across every group; "Joined-up care" adopted overall but
contested by age (the over-65s agree least); "Automated where it saves money" not adopted,
most of those worried about AI voting against it. Each
principle's ballots are drawn with a fixed seed and checked with the tallies sealing uses
(`charter.tallies`) before anything is cast, redrawn with the next seed if they would not tell
that story, so it holds whichever panel the selection drew (its solver has a time budget). The
first member who joined (the one the demo prints a sign-in code for) and two others did not
vote, so the turnout is not 100 %.

Everything goes through the ballots room's services (`papers.configure`, `ballots.cast`,
`sealing.seal`) and `rounds.release_results`, at moments around the round, with a fixed seed.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from assembly.ballots import ballots, papers, results, sealing
from assembly.ballots.models import Reasons, VoteRound
from assembly.deliberation import rounds, schedule
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.discussion.models import Channel
from assembly.drafting.models import Principle
from assembly.recruitment.models import Profile
from assembly.selection.models import Member, MemberStatus
from assembly.tables import row_id
from charter import tallies
from charter.tallies import Rule, RuleKind, Scale

SEED = 2027
CONTESTED = "Joined-up care"            # adopted, but not among the oldest members
CONTESTED_BY = "Age"                    # the oldest band with enough voters to be shown
DIVIDED = "Automated where it saves money"  # not adopted
ASSISTED = (Channel.paper, Channel.paper, Channel.phone)   # keyed in by an officer
NOT_VOTING = 2                          # besides the demo's own member
ATTEMPTS = 200                          # draws tried per principle (the first nearly always does)

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


def _kind(principle: Principle, age: str, oldest: str) -> str:
    if principle.title == CONTESTED:
        return "care_old" if age == oldest else "care_young"
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


Profiles = list[dict[str, str]]
Features = list[tuple[str, list[str]]]


def _as_designed(principle: Principle, options: list[str], profiles: Profiles,
                 features: Features, eligible: int, rule: Rule, oldest: str) -> bool:
    """Whether these ballots tell the principle's story, computed as sealing will
    (`charter.tallies`, every cell for officers and small cells withheld for members):
    "Joined-up care" adopted but contested by age alone, the oldest members agreeing least;
    "Automated where it saves money" not adopted; every other one adopted, agreement holding
    across every feature. The panel comes from a selection whose solver has a time budget, so
    it can differ from one machine to the next; checking keeps the story the same."""
    strata: dict[str, dict[str, dict[str, int]]] = {}
    for feature, values in features:
        known = set(values)
        for option, profile in zip(options, profiles, strict=True):
            value = profile.get(feature)
            if value in known:
                cell = strata.setdefault(feature, {}).setdefault(str(value), {})
                cell[option] = cell.get(option, 0) + 1
    result = tallies.tally(Scale.five, Counter(options), eligible, rule)
    for suppress in (False, True):
        found = tallies.strata(Scale.five, strata, k=results.SMALL_CELL, suppress=suppress)
        contested = [f for f in found if f.contested]
        if principle.title == CONTESTED:
            if not result.decision.adopted or [f.feature for f in contested] != \
                    [CONTESTED_BY] or contested[0].lowest is None \
                    or contested[0].lowest.value != oldest:
                return False
        elif principle.title == DIVIDED:
            if result.decision.adopted:
                return False
        elif not result.decision.adopted or contested:
            return False
    return True


def _plan(principle: Principle, leans: list[str], profiles: Profiles, features: Features,
          eligible: int, rule: Rule, oldest: str) -> list[str]:
    """Each voter's last choice on the principle: drawn from their lean (and, for "Joined-up
    care", their age), with a fixed seed per principle and attempt, the first draw that tells
    the principle's story (`_as_designed`)."""
    options: list[str] = []
    for attempt in range(ATTEMPTS):
        chooser = random.Random(f"{SEED}:{principle.position}:{attempt}")
        options = [_choice(chooser, CHANCES[_kind(principle, profile.get(CONTESTED_BY, ""),
                                                  oldest)][lean])
                   for lean, profile in zip(leans, profiles, strict=True)]
        if _as_designed(principle, options, profiles, features, eligible, rule, oldest):
            break
    return options


def oldest_shown(profiles: Profiles, features: Features) -> str:
    """The oldest age band with more voters than the smallest group members are shown (so the
    contest is visible to them too): "65+" on most panels the demo draws."""
    bands = next((values for feature, values in features if feature == CONTESTED_BY), [])
    counts = Counter(p.get(CONTESTED_BY, "") for p in profiles)
    ordered = sorted(bands)   # "16-24" ... "55-64", "65+"
    return next((band for band in reversed(ordered) if counts[band] > results.SMALL_CELL),
                ordered[-1] if ordered else "")


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
    profiles: Profiles = [dict(values or {}) for _, values in voters]
    leans = [LEAN_BY_ATTITUDE.get(p.get("Attitude to AI", ""), UNSURE) for p in profiles]
    paper = papers.paper(session, item)
    features = sealing.features(session, item.assembly_id)
    eligible = len(ballots.eligible_ids(session, item.assembly_id))
    rule = results.rule_of(papers.of(session, item))
    oldest = oldest_shown(profiles, features)
    plans = {row_id(each.principle.id): _plan(each.principle, leans, profiles, features,
                                              eligible, rule, oldest) for each in paper}
    span = item.closes_at - item.opens_at
    for index, (member_id, _) in enumerate(voters):
        form: dict[str, str] = {}
        for each in paper:
            principle_id = row_id(each.principle.id)
            option = plans[principle_id][index]
            form[ballots.choice_field(principle_id)] = option
            if option in papers.AGAINST and each.principle.title in REASONS \
                    and chooser.random() < 0.4:
                form[ballots.reason_field(principle_id)] = REASONS[each.principle.title]
        at = item.opens_at + span * (0.05 + 0.85 * index / len(voters))
        channel = assisted.get(index, Channel.online)
        if channel is not Channel.online:
            ballots.cast(session, item, row_id(member_id), form, at, channel=channel,
                         entered_by=actor, actor=actor)
            continue
        if chooser.random() < 0.2:   # some first chose otherwise, and changed before the close
            first = ballots.choice_field(row_id(paper[0].principle.id))
            earlier = dict(form)
            earlier[first] = chooser.choice([o for o in OPTIONS if o != form[first]])
            ballots.cast(session, item, row_id(member_id), earlier, at)
            at += span * 0.05
        ballots.cast(session, item, row_id(member_id), form, at)
    # The clock records the close (which seals the vote, through the hook the ballots room
    # registers); sealing again is a no-op then, and seals it where no hook is registered.
    closed = item.closes_at + timedelta(minutes=1)
    schedule.record_due(session, item.assembly_id, closed)
    sealing.seal(session, item, closed)
    rounds.release_results(session, item, item.closes_at + timedelta(hours=20), actor=actor)
    return True
