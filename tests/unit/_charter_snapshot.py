"""A published charter's snapshot built from real tallies, a real Pol.is conversation and a real
lottery commitment, for the open-data and recount tests."""

from __future__ import annotations

import functools
import json
import random
from datetime import UTC, date, datetime
from pathlib import Path

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
from charter.tallies import Rule, RuleKind, Scale
from sortition.commitment import commit
from sortition.lottery import round_distribution
from tests.unit._lottery_instances import make_instance, random_distribution

POLIS = Path(__file__).resolve().parents[1] / "data" / "polis" / "brexit-consensus"
OPENED = datetime(2026, 5, 1, 9, tzinfo=UTC)
CLOSED = datetime(2026, 5, 8, 17, tzinfo=UTC)


@functools.cache
def selection_files() -> dict[str, bytes]:
    """A real commitment's public files (pool.csv, quotas.csv, lottery.csv, pool-summary.csv and
    commitment.json), as the app publishes them."""
    instance = make_instance(3)
    lottery = round_distribution(instance, random_distribution(instance, 3), 20)
    made = commit(instance, lottery.panels, "leximin", suppress_below=5, rng=random.Random(3))
    return {**made.files, "commitment.json": (json.dumps(made.record(), indent=2) + "\n").encode()}


def _age_area(a: tuple[int, int, int, int, int], b: tuple[int, int, int, int, int],
              c: tuple[int, int, int, int, int]) -> dict[str, dict[str, dict[str, int]]]:
    """Five-point counts by age (three values); area has one tiny value (withheld) and more."""
    options = ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree")
    by_age = {value: dict(zip(options, counts, strict=True))
              for value, counts in (("16-29", a), ("30-59", b), ("60+", c))}
    total = {o: a[i] + b[i] + c[i] for i, o in enumerate(options)}
    # area: "Rural" 3 voters (under k), everyone else "Urban" (so "Rural" alone would be
    # given away by the totals: tallies.strata withholds "Urban" too... unless another shown)
    rural = {"strongly_agree": 1, "agree": 1, "unsure": 0, "disagree": 1, "strongly_disagree": 0}
    town = {"strongly_agree": 2, "agree": 3, "unsure": 1, "disagree": 0, "strongly_disagree": 0}
    urban = {o: total[o] - rural[o] - town[o] for o in options}
    return {"age": by_age, "area": {"Rural": rural, "Town": town, "Urban": urban}}


def votes() -> tuple[PrincipleVote, ...]:
    """Three principles of one five-point round (two-thirds rule) with strata, one of them not
    adopted; a fourth on a consent scale in another round with no strata."""
    two_thirds = Rule(RuleKind.two_thirds, quorum=0.5)
    strata_1 = _age_area((10, 8, 1, 1, 0), (12, 10, 2, 1, 0), (6, 4, 2, 1, 1))
    strata_2 = _age_area((2, 3, 4, 8, 3), (5, 6, 5, 6, 3), (4, 4, 2, 2, 2))
    strata_3 = _age_area((9, 9, 1, 1, 0), (10, 10, 3, 1, 1), (3, 3, 3, 2, 1))
    made = []
    for number, strata in ((1, strata_1), (2, strata_2), (3, strata_3)):
        counts = {o: sum(v[o] for v in strata["age"].values())
                  for o in ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree")}
        made.append(PrincipleVote.of(
            number, "Final vote", Scale.five, counts, 72, two_thirds, strata,
            parameters={"scale": "five", "rule": "two_thirds", "on_lower_bound": False,
                        "quorum": 0.5, "consent_threshold": 0.5, "strata_k": 5},
            dissent=(DissentNote("We think the timescale is too short.", 6),)
            if number == 1 else ()))
    made.append(PrincipleVote.of(4, "Consent round", Scale.consent,
                                 {"agree": 50, "concerns": 9, "block": 0}, 70,
                                 Rule(RuleKind.consent, consent_threshold=0.75)))
    return tuple(made)


def snapshot() -> Snapshot:
    conversation = read_polis(POLIS)
    principles = tuple(
        Principle(n, (PrincipleVersion(1, f"Principle {n}", f"First text of {n}.",
                                       "Because.", "Data", "first draft"),
                      PrincipleVersion(2, f"Principle {n}, amended", f"Text of {n}, amended.",
                                       "Because, members said.", "Data",
                                       "amendment by table 3")))
        for n in (1, 2, 3, 4))
    return Snapshot(
        assembly=AssemblyInfo("Example Assembly on Data and AI", "How should the council use "
                              "data and AI?", "Principles for the council's use of data.",
                              "Example City Council", date(2026, 3, 1), date(2026, 5, 8)),
        publication=PublicationInfo(1, datetime(2026, 6, 1, 12, tzinfo=UTC),
                                    "Example City Council and the members of the Example "
                                    "Assembly", "https://example.org/charters/1/v1"),
        principles=principles,
        votes=votes(),
        turnout=(RoundTurnout("Opening", "discuss", OPENED, CLOSED, 72, 68),
                 RoundTurnout("Final vote", "vote", OPENED, CLOSED, 72, 70),
                 RoundTurnout("Empty", "vote", None, None, 0, 0)),
        discuss=(DiscussRound(
            "What matters to you?", conversation, prompt="What matters to you about data?",
            participants=68,
            consensus=("Tell people when a computer helped make a decision about them.",
                       "Keep personal data in the UK."),
            groups=(GroupBrief("A", 40, (("Share data between services to save time.",
                                          "agree"),)),
                    GroupBrief("B", 24, (("Share data between services to save time.",
                                          "disagree"),)),
                    GroupBrief("C", None))),),
        panel=(QuotaRow("age", "16-29", 10, 14, 12, 400, 0.2),
               QuotaRow("age", "30-59", 30, 40, 35, 900, 0.5),
               QuotaRow("age", "60+", 15, 25, 25, 700, None)),
        selection_files=selection_files(),
        evidence=(Evidence("Learning about data", "How the council uses data today",
                           "Dr Ada Example", "Example University", "Lecturer in data ethics",
                           "None declared.", "What data the council holds and why."),
                  Evidence("Learning about data", "AI in social care", "Sam Vendor",
                           "CareTech Ltd", "Product lead",
                           "Employed by a company that sells software to councils.",
                           "How an AI tool schedules home-care visits.")),
        responses=(CouncilResponse(1, ResponseStatus.accepted, "We will publish a register "
                                   "of the algorithms we use by March.", date(2026, 7, 1)),
                   CouncilResponse(3, ResponseStatus.accepted_in_part, "We agree, but cannot "
                                   "end existing contracts early.", date(2026, 7, 1))),
        selection=SelectionSummary(
            "LEXIMIN (Flanigan et al., Nature 2021), as a lottery of 20 panels", 2000, 72,
            0.021, 0.064, 0.036, 20, "9f" * 32, "2026-02-01 FTSE 100 close 8123.4", 7,
            datetime(2026, 2, 2, 10, tzinfo=UTC)),
    )


def write(files: dict[str, bytes], folder: Path) -> Path:
    """The open-data files into `folder`, as a reader unzips them."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder
