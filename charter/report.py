"""The published charter as a reader meets it: every figure, sentence and chart of the public
page (and of its print version) computed once from a `charter.publication.Snapshot`.

The page's template only lays out what is here, so the web page, the PDF and the open data
show the same numbers: each principle's tally is `PrincipleVote.public()`, the very figures
`tallies.json` publishes and `minipublic recount` recomputes, with small strata cells withheld
before anything reaches a template. Charts are `charter.charts`' SVG, each with its table.

Pure: the standard library and `charter`'s pure modules only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from charter import charts, publication, tallies
from charter.charts import ChartTable
from charter.publication import (
    AssemblyInfo,
    CouncilResponse,
    DiscussRound,
    DissentNote,
    EarlierVersion,
    Evidence,
    PrincipleVote,
    PublicationInfo,
    ResponseStatus,
    SelectionSummary,
    Snapshot,
)
from charter.tallies import FeatureAgreement, Rule, RuleKind, Scale, Tally

OPEN_DATA = "open-data"
PDF = "charter.pdf"
EASY_READ = "easy-read.pdf"
ZIP = "open-data.zip"
WITHHELD = "Not shown, to protect a small group"
VERIFY = "minipublic verify open-data/selection"
RECOUNT = "minipublic recount open-data"


def pct(share: float | None, decimals: int = 1) -> str:
    """A share as the results pages write it ("81.4 %"); "–" when there is none."""
    return "–" if share is None else tallies.percent(share, decimals)


def day(value: date | datetime | None) -> str:
    """'1 June 2026': a published date as people read it (UTC for times)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


# --- the principles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumRow:
    value: str
    shown: bool
    voted: str       # "" when withheld
    agree: str       # "12 of 20 (60 %)"; "" when withheld


@dataclass(frozen=True)
class StrataTable:
    """Agreement among the members with each value of one selection feature."""

    feature: str
    caption: str
    rows: tuple[StratumRow, ...]
    contested: bool
    note: str        # the test in words


@dataclass(frozen=True)
class PrincipleResult:
    """One principle of the charter with its vote, as the page shows it."""

    number: int
    title: str
    text: str
    rationale: str
    theme: str
    version: int
    versions: int
    round: str                      # "" when it was not voted on
    tally: Tally | None             # None: not voted on
    strata: tuple[FeatureAgreement, ...]
    strata_tables: tuple[StrataTable, ...]
    verdict: str
    rule: str                       # the rule in words, e.g. "at least two-thirds must agree"
    chart: str                      # the diverging bar (SVG), "" when not voted on
    table: ChartTable | None
    dissent: tuple[DissentNote, ...]
    response: CouncilResponse | None
    digest: str                     # tallies.digest of the published inputs (tallies.json)

    @property
    def anchor(self) -> str:
        return f"principle-{self.number}"

    @property
    def adopted(self) -> bool:
        return self.tally is not None and self.tally.decision.adopted

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


def rule_words(rule: Rule) -> str:
    """The round's rule in a phrase: "at least two-thirds must agree; quorum 50 % turnout"."""
    threshold = pct(float(rule.threshold))
    if rule.kind is RuleKind.consent:
        words = f"nobody may block, and at least {threshold} must agree"
    elif rule.kind is RuleKind.majority:
        words = "more than half must agree"
    else:
        words = f"at least {tallies.RULE_WORDS[rule.kind]} ({threshold}) must agree"
    if rule.on_lower_bound:
        words += ", judged on the lower end of the 95 % interval"
    if rule.quorum > 0:
        words += f"; no decision with turnout below {pct(rule.quorum)}"
    return words


def _strata_table(feature: FeatureAgreement) -> StrataTable:
    rows = tuple(
        StratumRow(v.value, False, "", "") if v.suppressed
        else StratumRow(v.value, True, str(v.n),
                        f"{v.agree} of {v.n} ({pct(v.share_agree)})" if v.n else "–")
        for v in feature.values)
    if feature.contested:
        note = (f"Contested: agreement differs between these groups by more than chance would "
                f"explain (p = {feature.p_adjusted:.3f} after correction).")
    else:
        note = "Agreement does not differ between these groups by more than chance."
    return StrataTable(feature.feature, f"Agreement by {feature.feature}", rows,
                       feature.contested, note)


def _principle(principle: publication.Principle, vote: PrincipleVote | None,
               response: CouncilResponse | None) -> PrincipleResult:
    now = principle.current
    if vote is None:
        return PrincipleResult(principle.number, now.title, now.text, now.rationale, now.theme,
                               now.number, len(principle.versions), "", None, (), (),
                               "Not put to a vote.", "", "", None, (), response, "")
    result, features = vote.public()
    title = f"How members voted on “{now.title}”"
    return PrincipleResult(
        principle.number, now.title, now.text, now.rationale, now.theme, now.number,
        len(principle.versions), vote.round, result, features,
        tuple(_strata_table(f) for f in features), tallies.verdict(result, features),
        rule_words(result.rule),
        charts.ballot_chart(result, title=title, rule=result.rule,
                            id_prefix=f"ballot-{principle.number}"),
        charts.ballot_table(result, caption=title), vote.dissent, response,
        tallies.digest(vote.public_inputs()))


# --- vote rounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteRound:
    """A vote round's principles together: how they were counted, and the overview chart of
    every principle by agreement (one per round, as a chart needs one scale and one rule)."""

    title: str
    scale: Scale
    rule: str
    method_note: str
    principles: tuple[int, ...]     # numbers, in the charter's order
    adopted: int
    chart: str
    table: ChartTable

    @property
    def anchor(self) -> str:
        return f"round-{self.principles[0]}"


def _rounds(results: Sequence[PrincipleResult], votes: Sequence[PrincipleVote]
            ) -> tuple[VoteRound, ...]:
    k = {v.principle: v.k for v in votes}
    # A round is its principles sharing a title, scale and rule (two rounds may share a title).
    keys: list[tuple[str, Scale, Rule]] = []
    for r in results:
        if r.tally is not None and (r.round, r.tally.scale, r.tally.rule) not in keys:
            keys.append((r.round, r.tally.scale, r.tally.rule))
    many = len(keys) > 1
    made = []
    for index, key in enumerate(keys, start=1):
        title = key[0]
        members = [r for r in results
                   if r.tally is not None and (r.round, r.tally.scale, r.tally.rule) == key]
        first = members[0].tally
        assert first is not None
        labelled = [(r.label, r.tally) for r in members if r.tally is not None]
        heading = f"All principles of “{title}”, in order of agreement" if many \
            else "All principles, in order of agreement"
        made.append(VoteRound(
            title, first.scale, rule_words(first.rule),
            tallies.method_note(first.scale, first.rule, k=k[members[0].number]),
            tuple(r.number for r in members), sum(1 for r in members if r.adopted),
            charts.agreement_overview_chart(labelled, title=heading, rule=first.rule,
                                            id_prefix=f"overview-{index}"),
            charts.overview_table(labelled, caption=heading)))
    return tuple(made)


# --- the programme, discussion and evidence ------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeRow:
    round: str
    kind: str
    dates: str
    took_part: str      # "68 of 72"
    turnout: str        # "94.4 %", "–" when nobody was eligible


def _programme(snapshot: Snapshot) -> tuple[ProgrammeRow, ...]:
    rows = []
    for r in snapshot.turnout:
        if r.opened and r.closed:
            dates = f"{day(r.opened)} to {day(r.closed)}" if day(r.opened) != day(r.closed) \
                else day(r.opened)
        else:
            dates = day(r.opened or r.closed) or "–"
        rows.append(ProgrammeRow(r.round, r.kind.replace("_", " ").capitalize(), dates,
                                 f"{r.took_part} of {r.eligible}" if r.eligible else "–",
                                 pct(r.took_part / r.eligible) if r.eligible else "–"))
    return tuple(rows)


@dataclass(frozen=True)
class Group:
    letter: str
    size: str                                   # "40 participants", or why not shown
    representative: tuple[tuple[str, str], ...]  # (statement, "agreed"/"disagreed")


@dataclass(frozen=True)
class Discussion:
    title: str
    prompt: str
    participants: int
    statements: int
    consensus: tuple[str, ...]
    groups: tuple[Group, ...]
    folder: str                                 # its open-data folder, Pol.is's layout


def _discussion(position: int, discuss: DiscussRound) -> Discussion:
    groups = tuple(
        Group(g.letter,
              f"{g.size} participant{'s' if g.size != 1 else ''}" if g.size is not None
              else "too few to show",
              tuple((text, "agreed" if lean == "agree" else "disagreed")
                    for text, lean in g.representative))
        for g in discuss.groups)
    return Discussion(discuss.title, discuss.prompt, discuss.participants,
                      len(discuss.conversation.statements), discuss.consensus, groups,
                      f"{OPEN_DATA}/{publication.statements_folder(position)}/")


@dataclass(frozen=True)
class EvidenceRound:
    round: str
    items: tuple[Evidence, ...]


def _evidence(items: Sequence[Evidence]) -> tuple[EvidenceRound, ...]:
    rounds: dict[str, list[Evidence]] = {}
    for item in items:
        rounds.setdefault(item.round, []).append(item)
    return tuple(EvidenceRound(name, tuple(found)) for name, found in rounds.items())


# --- the selection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaLine:
    feature: str
    value: str
    panel: str          # "12 (16.7 %)"
    quota: str          # "10 to 14"
    pool: str           # "400 (20 %)"
    target: str         # "20 %", "–" when none was set
    within: bool


@dataclass(frozen=True)
class Selection:
    summary: SelectionSummary | None
    pool_size: int
    panel_size: int
    quotas: tuple[QuotaLine, ...]
    outside: int                    # categories outside their quota
    chart: str                      # composition chart, "" without quotas
    lowest: str
    highest: str
    equal: str
    spread: str                     # the lowest and highest chance in words
    files: tuple[str, ...]          # open-data/selection/... links


def _selection(snapshot: Snapshot) -> Selection | None:
    summary = snapshot.selection
    if summary is None and not snapshot.panel:
        return None
    by_feature: dict[str, int] = {}
    panel_by_feature: dict[str, int] = {}
    for q in snapshot.panel:
        by_feature[q.feature] = by_feature.get(q.feature, 0) + (q.pool or 0)
        panel_by_feature[q.feature] = panel_by_feature.get(q.feature, 0) + q.panel
    pool_size = summary.pool_size if summary else max(by_feature.values(), default=0)
    panel_size = summary.panel_size if summary else max(panel_by_feature.values(), default=0)
    lines = tuple(QuotaLine(
        q.feature, q.value,
        f"{q.panel} ({pct(q.panel / panel_size)})" if panel_size else str(q.panel),
        f"{q.min}" if q.min == q.max else f"{q.min} to {q.max}",
        ("Fewer than 5: not shown" if q.pool is None
         else f"{q.pool:,} ({pct(q.pool / pool_size)})" if pool_size else f"{q.pool:,}"),
        pct(q.target_share) if q.target_share is not None else "–",
        q.min <= q.panel <= q.max) for q in snapshot.panel)
    chart = ""
    if snapshot.panel and panel_size > 0 and pool_size > 0:
        chart = charts.composition_chart(
            [charts.CompositionRow(q.feature, q.value, q.panel, q.min, q.max, q.pool)
             for q in snapshot.panel], panel_size=panel_size, pool_size=pool_size,
            title="The panel against its quotas and the pool", id_prefix="composition")
    lowest = highest = equal = spread = ""
    if summary is not None:
        lowest, highest = pct(summary.lowest_chance, 2), pct(summary.highest_chance, 2)
        equal = pct(summary.equal_chance, 2)
        spread = (f"Everyone in the pool had a chance of between {lowest} and {highest} of "
                  f"being selected. If everyone had had the same chance, it would have been "
                  f"{equal} ({summary.panel_size} seats for {summary.pool_size:,} people): the "
                  "quotas make some groups likelier to be chosen than others, so that the "
                  "panel looks like the population.")
    files = tuple(f"{OPEN_DATA}/selection/{name}" for name in sorted(snapshot.selection_files))
    return Selection(summary, pool_size, panel_size, lines,
                     sum(1 for line in lines if not line.within), chart, lowest, highest,
                     equal, spread, files)


# --- responses, versions and downloads -----------------------------------------------------------


@dataclass(frozen=True)
class Responses:
    accepted: int
    in_part: int
    not_accepted: int
    awaiting: int          # adopted principles with no response yet

    @property
    def any(self) -> bool:
        return bool(self.accepted or self.in_part or self.not_accepted)


@dataclass(frozen=True)
class Version:
    number: int
    published: str
    changes: str
    address: str
    current: bool


@dataclass(frozen=True)
class Download:
    href: str            # relative to the version's folder
    label: str
    about: str


DATA_FILES = (
    ("principles.csv", "the principles and each decision"),
    ("votes.csv", "ballots per option for each principle"),
    ("strata.csv", "ballots by group (small groups left blank)"),
    ("turnout.csv", "turnout in each round"),
    ("panel.csv", "the panel against its quotas"),
    (publication.TALLIES, "the inputs and figures of every tally, to recount"),
)


def _downloads(snapshot: Snapshot) -> tuple[Download, ...]:
    found = [Download(PDF, "The charter (PDF)", "this page for printing, accessible PDF"),
             Download(EASY_READ, "Easy-read summary (PDF)", "short sentences, large type"),
             Download(ZIP, "All the open data (ZIP)", "CSV and JSON files, CC BY 4.0"),
             Download(f"{OPEN_DATA}/README.md", "What the data files hold (README)",
                      "the data dictionary")]
    found += [Download(f"{OPEN_DATA}/{name}", name, about) for name, about in DATA_FILES]
    if snapshot.selection_files:
        found.append(Download(f"{OPEN_DATA}/selection/commitment.json", "commitment.json",
                              "the lottery's commitment, published before the draw"))
    return tuple(found)


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything the charter page shows, computed once."""

    assembly: AssemblyInfo
    publication: PublicationInfo
    adopted: tuple[PrincipleResult, ...]        # in the charter's order
    not_adopted: tuple[PrincipleResult, ...]    # in the charter's order (and those not voted)
    rounds: tuple[VoteRound, ...]
    discussions: tuple[Discussion, ...]
    evidence: tuple[EvidenceRound, ...]
    programme: tuple[ProgrammeRow, ...]
    selection: Selection | None
    responses: Responses
    versions: tuple[Version, ...]               # newest (this one) first
    downloads: tuple[Download, ...]
    licence: str
    licence_url: str
    dates: str                                  # "1 March 2026 to 8 May 2026", or ""
    published: str
    small_cell: int                             # k: smaller strata cells are withheld

    @classmethod
    def of(cls, snapshot: Snapshot) -> Report:
        votes = {v.principle: v for v in snapshot.votes}
        answers = {r.principle: r for r in snapshot.responses}
        results = [_principle(p, votes.get(p.number), answers.get(p.number))
                   for p in snapshot.principles]
        adopted = tuple(r for r in results if r.adopted)
        statuses = [r.status for r in snapshot.responses]
        responses = Responses(statuses.count(ResponseStatus.accepted),
                              statuses.count(ResponseStatus.accepted_in_part),
                              statuses.count(ResponseStatus.not_accepted),
                              sum(1 for r in adopted if r.response is None))
        info = snapshot.publication
        assembly = snapshot.assembly
        dates = ""
        if assembly.starts and assembly.ends:
            # Published before its last day (a charter can come before the final meeting):
            # the assembly meets until then, it has not met.
            ongoing = assembly.ends > info.published_at.date()
            dates = (f"The assembly meets from {day(assembly.starts)} until "
                     f"{day(assembly.ends)}." if ongoing else
                     f"The assembly met from {day(assembly.starts)} to {day(assembly.ends)}.")
        return cls(
            assembly=assembly, publication=info, adopted=adopted,
            not_adopted=tuple(r for r in results if not r.adopted),
            rounds=_rounds(results, snapshot.votes),
            discussions=tuple(_discussion(n, d) for n, d in enumerate(snapshot.discuss, 1)),
            evidence=_evidence(snapshot.evidence), programme=_programme(snapshot),
            selection=_selection(snapshot), responses=responses,
            versions=_versions(info), downloads=_downloads(snapshot),
            licence=publication.LICENCE_TITLE, licence_url=publication.LICENCE_URL,
            dates=dates, published=day(info.published_at),
            small_cell=min((v.k for v in snapshot.votes), default=tallies.SMALL_CELL))

    @property
    def principles(self) -> tuple[PrincipleResult, ...]:
        """Every principle in the charter's order."""
        return tuple(sorted(self.adopted + self.not_adopted, key=lambda r: r.number))

    def vote_round(self, number: int) -> VoteRound:
        """The vote round principle `number` was decided in (every voted principle has one)."""
        return next(v for v in self.rounds if number in v.principles)

    @property
    def responded(self) -> tuple[PrincipleResult, ...]:
        return tuple(r for r in self.principles if r.response is not None)


def _versions(info: PublicationInfo) -> tuple[Version, ...]:
    earlier: Sequence[EarlierVersion] = info.earlier
    return (Version(info.version, day(info.published_at), info.changes, info.address, True),
            *(Version(e.version, day(e.published_at), e.changes, e.address, False)
              for e in reversed(earlier)))
