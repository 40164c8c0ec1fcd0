"""A realistic 20-principle charter for `bench_publish.py`: the size issue 12's targets speak of.

Pure: `charter.publication` dataclasses only, filled the way the app fills them. Sixty panel
members, each with six selection features (age, gender, ethnicity, disability, area,
education), vote on every principle of one five-point round under a two-thirds rule; each
principle's counts and strata are tallied from those individual ballots with
`PrincipleVote.of`, as sealing does, so the strata add up and small cells are withheld where a
real panel of sixty would have them. Two principles fall short of two-thirds; five carry dissent
notes; the council has answered three. The discuss round is a real Pol.is conversation
(tests/data/polis/brexit-consensus, CC BY 4.0) with its opinion groups and consensus statements
computed by `charter.opinions`; the selection files are those of the unit tests' sample charter
(a real lottery commitment of another, smaller pool: only their bytes matter here).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from charter import opinions
from charter.polis import read_polis
from charter.publication import (
    AssemblyInfo,
    CouncilResponse,
    DiscussRound,
    DissentNote,
    Evidence,
    GroupBrief,
    Principle,
    PrincipleVersion,
    PrincipleVote,
    PublicationInfo,
    QuotaRow,
    ResponseStatus,
    RoundTurnout,
    SelectionSummary,
    Snapshot,
)
from charter.tallies import OPTIONS, Rule, RuleKind, Scale

ROOT = Path(__file__).resolve().parents[1]
POLIS = ROOT / "tests" / "data" / "polis" / "brexit-consensus"
SEED = 12
MEMBERS = 60
POOL = 1_800
ROUND = "Final vote"
OPENED = datetime(2026, 5, 2, 9, tzinfo=UTC)
CLOSED = datetime(2026, 5, 9, 17, tzinfo=UTC)

# feature -> (value, share of the population (the quota's target), share of the pool)
FEATURES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "Age": (("16-24", 0.14, 0.08), ("25-34", 0.18, 0.14), ("35-44", 0.16, 0.16),
            ("45-54", 0.17, 0.19), ("55-64", 0.16, 0.21), ("65+", 0.19, 0.22)),
    "Gender": (("Woman", 0.51, 0.53), ("Man", 0.48, 0.46), ("Another way", 0.01, 0.01)),
    "Ethnicity": (("White", 0.78, 0.84), ("Asian", 0.08, 0.06), ("Black", 0.06, 0.04),
                  ("Mixed", 0.05, 0.04), ("Other", 0.03, 0.02)),
    "Disability": (("Disabled", 0.21, 0.17), ("Not disabled", 0.79, 0.83)),
    "Area": (("North", 0.22, 0.2), ("South", 0.2, 0.22), ("East", 0.19, 0.17),
             ("West", 0.21, 0.23), ("Centre", 0.18, 0.18)),
    "Education": (("No qualifications", 0.18, 0.09), ("GCSE or equivalent", 0.3, 0.24),
                  ("A level or equivalent", 0.2, 0.22), ("Degree or above", 0.32, 0.45)),
}

# (title, text, rationale, theme, how far members agree: 0..1, dissent note or "")
PRINCIPLES: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("Tell people when a computer helps decide",
     ("Whenever an algorithm or AI tool helps make a decision about a person, the council tells "
      "them so in plain words, says what the tool did, and names a person they can ask."),
     "Members felt people cannot question a decision they do not know a machine shaped.",
     "Transparency", 0.92, ""),
    ("A public register of the council's algorithms",
     ("The council keeps a public register of every algorithm and AI tool it uses, what it is "
      "for, what data it uses, who supplies it and how it was checked."),
     "A register lets residents, journalists and councillors see the whole picture.",
     "Transparency", 0.88, ""),
    ("A person can always ask for a human decision",
     ("Anyone affected by a decision made with an automated tool can ask for it to be looked at "
      "again by a member of staff who has the power to change it."),
     "Members heard that tools get things wrong and wanted a way back to a person.",
     "Accountability", 0.9, ""),
    ("Keep residents' data in the UK",
     ("Personal data the council holds is stored and processed in the UK, unless residents have "
      "been told otherwise and the reasons have been published."),
     "Members wanted UK law and UK courts to protect their data.",
     "Data protection", 0.71, ("We think this will cost more than it is worth, and UK law "
      "already protects data held abroad.")),
    ("Test tools for unfair treatment before and after use",
     ("Before a tool is used, and every year after, the council checks whether it treats some "
      "groups of people worse than others, and publishes what it found."),
     "Members were worried about bias against people who are already disadvantaged.",
     "Fairness", 0.86, ""),
    ("Ask residents before big new uses of data",
     ("Before the council starts a new use of residents' data that affects many people, it "
      "asks residents, including those least likely to answer a survey."),
     "Members felt a decision this big should not be made for people without asking them.",
     "Participation", 0.79, ""),
    ("No facial recognition in public spaces",
     ("The council does not use live facial recognition in streets, parks or its buildings, "
      "and does not let others do so on land it controls."),
     "Most members felt the risk to privacy outweighed the benefit to safety.",
     "Privacy", 0.64, ("We think facial recognition could help find missing people and should "
      "be allowed with strict rules.")),
    ("Share data between services only with a clear reason",
     ("Data collected for one service is shared with another only when there is a clear, "
      "published reason, and people are told."),
     "Members saw the benefit of joined-up services but wanted limits.",
     "Data protection", 0.76, ""),
    ("Plain-language explanations for every tool",
     ("For each tool in the register, the council publishes a short explanation a 12-year-old "
      "could follow: what goes in, what comes out, and how it is used."),
     "Members struggled with technical documents and wanted everyone to understand.",
     "Transparency", 0.83, ""),
    ("Members of the public on the oversight board",
     ("An oversight board that includes residents chosen by lot reviews the council's use of "
      "algorithms and AI at least twice a year and publishes its reports."),
     "Members wanted people like them to keep watching after the assembly ends.",
     "Accountability", 0.8, ""),
    ("Do not sell residents' data",
     ("The council never sells residents' personal data, or lets a company use it to make "
      "money, whoever asks and whatever they offer."),
     "Members felt the data was given in trust for public services only.",
     "Data protection", 0.95, ""),
    ("Suppliers must open their tools to inspection",
     ("Contracts with suppliers of algorithms and AI give the council and independent auditors "
      "the right to inspect how the tool works and test it."),
     "Members heard that councils often cannot see inside the tools they buy.",
     "Accountability", 0.82, ("Small local firms may not be able to agree to this, and we do "
      "not want only the biggest companies to win contracts.")),
    ("Train staff who use automated tools",
     ("Every member of staff who uses an algorithm or AI tool in their work is trained in what "
      "it can and cannot do, and when to overrule it."),
     "Members heard that staff often trust a score more than their own judgement.",
     "Skills", 0.87, ""),
    ("Use AI to free staff time for people",
     ("Where the council uses AI to save time, the time saved goes to services that need people, "
      "such as care and support, not only to cutting costs."),
     "Members wanted the benefits of AI to go back to residents.",
     "Public benefit", 0.58, ("Saving money is also a benefit to residents when budgets are "
      "this tight.")),
    ("Delete data the council no longer needs",
     ("The council sets how long it keeps each kind of personal data, publishes it, and deletes "
      "data on time."),
     "Members were surprised how long some data is kept.",
     "Data protection", 0.9, ""),
    ("Offer a way to do things without going online",
     ("Every council service that can be used online can also be used by phone or in person, "
      "and no one is worse off for not using the online way."),
     "Members were concerned about people who are not online or not confident online.",
     "Inclusion", 0.85, ""),
    ("Children's data gets extra protection",
     ("Data about children is used by automated tools only when the benefit to the child is "
      "clear, and never to predict a child's behaviour."),
     "Members felt children cannot speak up for themselves about their data.",
     "Privacy", 0.78, ""),
    ("Publish what went wrong",
     ("When an algorithm or AI tool causes harm or makes serious mistakes, the council publishes "
      "what happened, who was affected and what it changed."),
     "Members wanted the council to learn in public from its mistakes.",
     "Accountability", 0.84, ""),
    ("Pilot new tools before using them widely",
     ("A new tool is first tried on a small scale, with its results checked by people, before "
      "it is used across a service."),
     "Members wanted to catch problems while they are small.",
     "Fairness", 0.6, "Pilots delay help that people need now; some tools are already proven."),
    ("Review this charter every three years",
     ("The council reviews this charter every three years with a new citizens' assembly, and "
      "reports each year on how it has kept to it."),
     "Members knew technology changes quickly and wanted the charter to keep up.",
     "Participation", 0.81, ""),
)

SPEAKERS = (
    ("How the council uses data today", "Priya Shah", "Example City Council",
     "Head of data and insight", "Employed by the council.",
     "What data the council holds, where it comes from and the tools already in use."),
    ("What the law says", "Dr Ada Example", "Example University", "Lecturer in information law",
     "None declared.", "UK GDPR, the Equality Act and what they require of councils."),
    ("AI in social care", "Sam Vendor", "CareTech Ltd", "Product lead",
     "Employed by a company that sells software to councils.",
     "How an AI tool schedules home-care visits, and what it has saved."),
    ("When algorithms go wrong", "Jo Rivera", "Public Law Project", "Senior researcher",
     "None declared.", "Cases where automated decisions harmed people, and what followed."),
    ("Living without the internet", "Tom Okafor", "Example Age Concern", "Advice worker",
     "The charity receives a council grant.",
     "What it is like to use council services without being online."),
    ("Facial recognition and policing", "Chief Inspector Lee", "Example Police",
     "Head of operational technology", "Employed by the police.",
     "How live facial recognition has been trialled, and its error rates."),
)


def _members(rng: random.Random, features: dict[str, tuple[tuple[str, float, float], ...]]
             ) -> list[dict[str, str]]:
    """Sixty members whose features follow roughly the target shares (as a quota panel does)."""
    people: list[dict[str, str]] = [{} for _ in range(MEMBERS)]
    for feature, values in features.items():
        column: list[str] = []
        for value, target, _ in values:
            column += [value] * max(1 if target >= 0.01 else 0, round(target * MEMBERS))
        while len(column) < MEMBERS:
            column.append(values[0][0])
        column = column[:MEMBERS]
        rng.shuffle(column)
        for person, value in zip(people, column, strict=True):
            person[feature] = value
    return people


def _ballot(rng: random.Random, support: float, leaning: float) -> str:
    """One member's choice: `support` is how far the principle carries the room, `leaning` the
    member's own tilt (some are keener on everything, some warier)."""
    agree = min(0.97, max(0.05, support + leaning))
    roll = rng.random()
    if roll < agree:
        return "strongly_agree" if rng.random() < 0.45 else "agree"
    roll = rng.random()
    return "unsure" if roll < 0.35 else "disagree" if roll < 0.8 else "strongly_disagree"


def _votes(rng: random.Random, people: list[dict[str, str]],
           features: dict[str, tuple[tuple[str, float, float], ...]]
           ) -> tuple[PrincipleVote, ...]:
    rule = Rule(RuleKind.two_thirds, quorum=0.5)
    parameters = {"scale": "five", "rule": "two_thirds", "on_lower_bound": False,
                  "quorum": 0.5, "consent_threshold": 0.5, "strata_k": 5}
    leanings = [rng.gauss(0, 0.08) for _ in people]
    made = []
    for number, (*_, support, dissent) in enumerate(PRINCIPLES, start=1):
        voters = [i for i in range(len(people)) if rng.random() > 0.04]   # a few abstain
        ballots = {i: _ballot(rng, support, leanings[i]) for i in voters}
        counts = Counter(ballots.values())
        strata = {feature: {value: {o: 0 for o in OPTIONS[Scale.five]}
                            for value, _, _ in values}
                  for feature, values in features.items()}
        for i, choice in ballots.items():
            for feature in features:
                strata[feature][people[i][feature]][choice] += 1
        notes = (DissentNote(dissent, rng.randint(5, 9)),) if dissent else ()
        made.append(PrincipleVote.of(number, ROUND, Scale.five,
                                     {o: counts[o] for o in OPTIONS[Scale.five]},
                                     len(people), rule, strata, dissent=notes,
                                     parameters=parameters))
    return tuple(made)


def _principles() -> tuple[Principle, ...]:
    made = []
    for number, (title, text, rationale, theme, *_) in enumerate(PRINCIPLES, start=1):
        versions = [PrincipleVersion(1, title, text, rationale, theme, "first draft")]
        if number % 3 == 0:   # every third was amended at the last session
            versions = [PrincipleVersion(1, title, text.split(",")[0] + ".", rationale, theme,
                                         "first draft"),
                        PrincipleVersion(2, title, text, rationale, theme,
                                         f"amendment by table {number % 7 + 1}")]
        made.append(Principle(number, tuple(versions)))
    return tuple(made)


def _discuss() -> DiscussRound:
    """The Pol.is conversation with its groups and consensus, as the discuss round shows them."""
    conversation = read_polis(POLIS)
    analysis = opinions.analyse(conversation.matrix())
    text = {s.id: s.body for s in conversation.statements}
    ranked = sorted(analysis.statements, key=lambda s: s.consensus, reverse=True)
    consensus = tuple(text[s.statement] for s in ranked[:5] if s.majority == "agree")
    groups = []
    for index, size in enumerate(analysis.group_sizes):
        details = analysis.representative_details[index] if analysis.representative_details \
            else ()
        groups.append(GroupBrief(chr(ord("A") + index), size if size >= 5 else None,
                                 tuple((text[r.statement], r.repful_for) for r in details[:3])))
    return DiscussRound("What matters to you about data and AI?", conversation,
                        prompt="What should the council keep in mind when it uses data and AI?",
                        participants=len(analysis.participants), consensus=consensus,
                        groups=tuple(groups))


def _panel(people: list[dict[str, str]],
           features: dict[str, tuple[tuple[str, float, float], ...]]) -> tuple[QuotaRow, ...]:
    rows = []
    for feature, values in features.items():
        for value, target, pool_share in values:
            seats = sum(1 for p in people if p[feature] == value)
            low = max(0, round(target * MEMBERS) - 2)
            high = round(target * MEMBERS) + 2
            pool = round(pool_share * POOL)
            rows.append(QuotaRow(feature, value, low, high, seats, pool if pool >= 5 else None,
                                 target))
    return tuple(rows)


def snapshot(address: str = "https://charters.example.org/charters/1/v1/", *,
             features: int = len(FEATURES)) -> Snapshot:
    """The benchmark's charter: the same every time (fixed seeds). `features`: how many of the
    six selection features the panel was chosen by (each adds a strata table per principle)."""
    from tests.unit._charter_snapshot import selection_files

    if not 1 <= features <= len(FEATURES):
        raise ValueError(f"features is 1 to {len(FEATURES)}, not {features}")
    chosen = dict(list(FEATURES.items())[:features])
    rng = random.Random(SEED)
    people = _members(rng, chosen)
    votes = _votes(rng, people, chosen)
    published = CLOSED + timedelta(days=40)
    return Snapshot(
        assembly=AssemblyInfo(
            "Example Citizens' Assembly on Data and AI",
            "How should Example City Council use data, algorithms and AI in its services?",
            "Recommend principles the council will follow when it collects, shares or uses "
            "residents' data, and when it buys or builds algorithms and AI tools. The council "
            "has committed to respond to every principle within three months.",
            "Example City Council", date(2026, 3, 7), date(2026, 5, 9)),
        publication=PublicationInfo(1, published, "Example City Council and the members of the "
                                    "Example Citizens' Assembly on Data and AI", address),
        principles=_principles(),
        votes=votes,
        turnout=(RoundTurnout("What matters to you?", "discuss", datetime(2026, 3, 7, 9, tzinfo=UTC),
                              datetime(2026, 3, 14, 17, tzinfo=UTC), MEMBERS, 57),
                 RoundTurnout("Learning about data", "evidence",
                              datetime(2026, 3, 21, 9, tzinfo=UTC),
                              datetime(2026, 4, 4, 17, tzinfo=UTC), MEMBERS, 58),
                 RoundTurnout("Drafting the principles", "draft",
                              datetime(2026, 4, 11, 9, tzinfo=UTC),
                              datetime(2026, 4, 25, 17, tzinfo=UTC), MEMBERS, 55),
                 RoundTurnout(ROUND, "vote", OPENED, CLOSED, MEMBERS,
                              max(sum(v.inputs["counts"].values()) for v in votes))),
        discuss=(_discuss(),),
        panel=_panel(people, chosen),
        selection_files=selection_files(),
        evidence=tuple(Evidence("Learning about data", *speaker) for speaker in SPEAKERS),
        responses=(
            CouncilResponse(1, ResponseStatus.accepted, "Every letter about a decision made "
                            "with an automated tool will say so from January.", date(2026, 8, 3)),
            CouncilResponse(7, ResponseStatus.accepted_in_part, "We will not use live facial "
                            "recognition; we cannot bind the police on land we lease to them.",
                            date(2026, 8, 3)),
            CouncilResponse(12, ResponseStatus.not_accepted, "National frameworks we buy "
                            "through do not allow it; we will press for the change.",
                            date(2026, 8, 3))),
        selection=SelectionSummary(
            "LEXIMIN (Flanigan et al., Nature 2021), as a lottery of 1,000 panels", POOL,
            MEMBERS, 0.0187, 0.0712, MEMBERS / POOL, 1_000, "3b" * 32,
            "2026-02-02 FTSE 100 close 8123.4", 417, datetime(2026, 2, 3, 10, tzinfo=UTC)),
    )
