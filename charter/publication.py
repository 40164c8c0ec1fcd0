"""The published charter's open data: a snapshot of what is published, and the files anyone can
recount (issue 12, item 4).

The app fills a `Snapshot` from its rows (the stored tallies' inputs and digests, the discuss
rounds as Pol.is conversations, the panel against its quotas, the selection's public files) and
calls `open_data`, which gives every file as bytes under CC BY 4.0: CSV a spreadsheet opens
safely, JSON, a data dictionary, the licence and a Frictionless `datapackage.json` with the
sha256 of every file. `zip_of` packs them byte for byte the same every time. `charter.recount`
reads the files back and checks every figure with the same maths.

Small cells, as on every public page: per-stratum counts of fewer than k members are left blank
and marked suppressed (with the second cell `tallies.strata` withholds so the first cannot be
worked out). The published inputs of each tally are therefore `tallies.inputs(...)` with the
withheld values left out of the strata, and their digest is `tallies.digest` of those public
inputs. The sealed tally's own digest covers every cell, so it is published only when nothing was
withheld (then the two are the same): a digest of counts this small could be reversed by trying
every possible count. Every figure of the decision is recomputed from the public inputs; the
test of agreement across strata pools withheld values with counts nobody can see, so its
p-values can be recounted only for features with nothing withheld.

The app fills a principle's vote straight from its stored tally
(`assembly.ballots.models.Tally`)::

    PrincipleVote(principle=position, round=round.title, inputs=row.inputs, digest=row.digest,
                  method_version=row.method_version, parameters=row.parameters,
                  dissent=tuple(DissentNote(n.text, n.signatures) for n in notes))

and a discuss round with `DiscussRound(title, conversation)`, the conversation as `charter.polis`
builds it, with the app's own ids (they are renumbered 0, 1, ... by
`PolisConversation.numbered()` before writing).

Pure: the standard library and `charter`/`sortition`'s pure modules only.
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from charter import polis, tallies
from charter.polis import PolisConversation
from charter.tallies import OPTIONS, Rule, Scale
from sortition import csvsafe

LICENCE_ID = "CC-BY-4.0"
LICENCE_TITLE = "Creative Commons Attribution 4.0 International"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
DATAPACKAGE = "datapackage.json"
TALLIES = "tallies.json"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)   # the earliest time a ZIP can hold: the same bytes every time


class PublicationError(ValueError):
    """A snapshot that cannot be published as given; the message says what to fix."""


# --- the snapshot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssemblyInfo:
    title: str
    question: str
    remit: str
    commissioned_by: str
    starts: date | None = None
    ends: date | None = None


@dataclass(frozen=True)
class PrincipleVersion:
    """One version of a principle's wording, and what made it (an amendment, a merge, ...)."""

    number: int
    title: str
    text: str
    rationale: str = ""
    theme: str = ""
    made_by: str = ""


@dataclass(frozen=True)
class Principle:
    """A principle in the charter's order; its last version is the one voted on."""

    number: int
    versions: tuple[PrincipleVersion, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", tuple(self.versions))
        if not self.versions:
            raise PublicationError(f"Principle {self.number} has no version: give at least the "
                                   "wording that was voted on.")
        numbers = [v.number for v in self.versions]
        if numbers != sorted(set(numbers)):
            raise PublicationError(f"Principle {self.number}'s versions must be numbered in "
                                   f"increasing order without repeats, not {numbers}.")

    @property
    def current(self) -> PrincipleVersion:
        return self.versions[-1]


@dataclass(frozen=True)
class DissentNote:
    text: str
    signatures: int


@dataclass(frozen=True)
class PrincipleVote:
    """A principle's sealed tally as stored (`assembly.ballots.models.Tally`): its inputs exactly
    as `tallies.inputs` gave them (every stratum cell), parameters, digest and method version."""

    principle: int
    round: str
    inputs: Mapping[str, Any]
    digest: str
    method_version: str = tallies.METHOD_VERSION
    parameters: Mapping[str, Any] = field(default_factory=dict)
    dissent: tuple[DissentNote, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dissent", tuple(self.dissent))
        if self.method_version != tallies.METHOD_VERSION:
            raise PublicationError(
                f"Principle {self.principle} was tallied with method version "
                f"{self.method_version}, and this Minipublic publishes (and recounts) with "
                f"version {tallies.METHOD_VERSION}: recompute the round's tallies first.")
        if tallies.digest(self.inputs) != self.digest:
            raise PublicationError(
                f"Principle {self.principle}'s stored digest does not match its stored inputs: "
                "the tally was changed after sealing, or the inputs of another tally were given.")
        try:
            tallies.recompute(self.inputs)
        except tallies.TallyError as error:
            raise PublicationError(f"Principle {self.principle}'s inputs cannot be tallied: "
                                   f"{error}") from None

    @classmethod
    def of(cls, principle: int, round: str, scale: Scale, counts: Mapping[str, int],
           eligible: int, rule: Rule,
           counts_by_value: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None, *,
           k: int = tallies.SMALL_CELL, dissent: Iterable[DissentNote] = (),
           parameters: Mapping[str, Any] | None = None) -> PrincipleVote:
        """Tallied here, as sealing does (every cell kept, `suppress=False`)."""
        stored = tallies.inputs(scale, counts, eligible, rule, counts_by_value, k=k,
                                suppress=False)
        return cls(principle, round, stored, tallies.digest(stored), tallies.METHOD_VERSION,
                   dict(parameters or {}), tuple(dissent))

    @property
    def scale(self) -> Scale:
        return Scale(self.inputs["scale"])

    @property
    def k(self) -> int:
        return int(self.inputs["k"])

    def public(self) -> tuple[tallies.Tally, tuple[tallies.FeatureAgreement, ...]]:
        """The tally and strata as the public sees them (small cells withheld)."""
        return tallies.recompute({**self.inputs, "suppress": True})

    def public_inputs(self) -> dict[str, Any]:
        """The inputs with every withheld stratum value left out (see the module docstring)."""
        _, features = self.public()
        shown = {(f.feature, v.value) for f in features for v in f.values if not v.suppressed}
        strata = {feature: {value: counts for value, counts in by_value.items()
                            if (feature, value) in shown}
                  for feature, by_value in self.inputs["strata"].items()}
        return {**self.inputs, "strata": strata}

    @property
    def withheld(self) -> bool:
        return self.public_inputs() != dict(self.inputs)


@dataclass(frozen=True)
class RoundTurnout:
    round: str
    kind: str              # "discuss", "vote", "evidence", ... as the app names round kinds
    opened: datetime | None
    closed: datetime | None
    eligible: int
    took_part: int


@dataclass(frozen=True)
class GroupBrief:
    """An opinion group in brief, as members saw it: `size` None when the group was too small to
    show; its representative statements with the way the group leaned ("agree"/"disagree")."""

    letter: str
    size: int | None
    representative: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "representative", tuple(tuple(r) for r in self.representative))


@dataclass(frozen=True)
class DiscussRound:
    """A discuss round's statements, votes and opinion groups (Pol.is's `group-id`), and the
    brief the charter page shows: its prompt, the statements every group agreed with (best
    first) and the groups."""

    title: str
    conversation: PolisConversation
    prompt: str = ""
    participants: int = 0
    consensus: tuple[str, ...] = ()
    groups: tuple[GroupBrief, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "consensus", tuple(self.consensus))
        object.__setattr__(self, "groups", tuple(self.groups))


@dataclass(frozen=True)
class Evidence:
    """A piece of evidence the members heard, with its speaker's declared interests."""

    round: str
    title: str
    speaker: str
    organisation: str = ""
    role: str = ""
    interests: str = ""
    summary: str = ""


class ResponseStatus(str, enum.Enum):
    """The council's answer to one principle."""

    accepted = "accepted"
    accepted_in_part = "accepted_in_part"
    not_accepted = "not_accepted"

    @property
    def words(self) -> str:
        return RESPONSE_WORDS[self]


RESPONSE_WORDS = {ResponseStatus.accepted: "Accepted",
                  ResponseStatus.accepted_in_part: "Accepted in part",
                  ResponseStatus.not_accepted: "Not accepted"}


@dataclass(frozen=True)
class CouncilResponse:
    """What the commissioning body answered to one principle, and when."""

    principle: int
    status: ResponseStatus
    reasons: str
    responded_on: date


@dataclass(frozen=True)
class SelectionSummary:
    """How the panel was chosen, in the figures the public page explains: the method, the
    pool, the lowest and highest chance anyone in the pool had, the lottery's commitment and,
    once drawn, the public seed and the ticket it picked."""

    method: str                 # in words, e.g. "LEXIMIN (Flanigan et al., Nature 2021)"
    pool_size: int
    panel_size: int
    lowest_chance: float
    highest_chance: float
    equal_chance: float         # panel_size / pool_size
    lottery_size: int
    commitment: str             # the sha256 published before the draw
    seed: str | None = None
    ticket: int | None = None
    drawn_at: datetime | None = None
    one_per_household: bool = False


@dataclass(frozen=True)
class QuotaRow:
    """One category of the panel against its quota and the pool."""

    feature: str
    value: str
    min: int
    max: int
    panel: int
    pool: int | None          # None: fewer than k respondents, not shown
    target_share: float | None = None   # the census-like share aimed at, when there is one


@dataclass(frozen=True)
class EarlierVersion:
    version: int
    published_at: datetime
    changes: str = ""
    address: str = ""


@dataclass(frozen=True)
class PublicationInfo:
    version: int
    published_at: datetime
    attribution: str       # who to credit, e.g. "Example City Council and the members of ..."
    address: str = ""      # the charter's stable address, when known
    changes: str = ""      # what changed since the previous version (blank for the first)
    earlier: tuple[EarlierVersion, ...] = ()   # the versions before this one, oldest first

    def __post_init__(self) -> None:
        object.__setattr__(self, "earlier", tuple(self.earlier))
        if self.published_at.tzinfo is None:
            raise PublicationError("published_at must be a timezone-aware time (UTC).")
        if self.version < 1:
            raise PublicationError(f"Versions are numbered from 1, not {self.version}.")


@dataclass(frozen=True)
class Snapshot:
    assembly: AssemblyInfo
    publication: PublicationInfo
    principles: tuple[Principle, ...]
    votes: tuple[PrincipleVote, ...]
    turnout: tuple[RoundTurnout, ...] = ()
    discuss: tuple[DiscussRound, ...] = ()
    panel: tuple[QuotaRow, ...] = ()
    selection_files: Mapping[str, bytes] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    responses: tuple[CouncilResponse, ...] = ()
    selection: SelectionSummary | None = None

    def __post_init__(self) -> None:
        for name in ("principles", "votes", "turnout", "discuss", "panel", "evidence",
                     "responses"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "selection_files", dict(self.selection_files))
        numbers = [p.number for p in self.principles]
        if len(set(numbers)) != len(numbers):
            raise PublicationError("Two principles have the same number: number them 1, 2, ...")
        voted = [v.principle for v in self.votes]
        if len(set(voted)) != len(voted):
            raise PublicationError("A principle has two votes: give each principle its final "
                                   "vote only.")
        unknown = sorted(set(voted) - set(numbers))
        if unknown:
            raise PublicationError(f"Votes on principles {unknown} that are not in the "
                                   "charter: add them to `principles`.")
        answered = [r.principle for r in self.responses]
        if len(set(answered)) != len(answered):
            raise PublicationError("A principle has two council responses: give each principle "
                                   "the latest response only.")
        unknown = sorted(set(answered) - set(numbers))
        if unknown:
            raise PublicationError(f"Council responses to principles {unknown} that are not in "
                                   "the charter.")
        for name in self.selection_files:
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise PublicationError(f"Selection file name {name!r} must be a plain file "
                                       "name such as commitment.json.")


# --- the files ---------------------------------------------------------------------------------

# (name, type, description): every column of every file we write; the data dictionary and the
# datapackage's schemas both come from here.
Column = tuple[str, str, str]

COLUMNS: dict[str, tuple[Column, ...]] = {
    "principles.csv": (
        ("principle", "integer", "the principle's number, in the charter's order"),
        ("version", "integer", "the version voted on (see principle_versions.csv)"),
        ("title", "string", "its title"),
        ("text", "string", "its text"),
        ("rationale", "string", "the members' reasons for it"),
        ("theme", "string", "the theme it belongs to"),
        ("round", "string", "the vote round it was decided in (blank: not voted on)"),
        ("adopted", "boolean", "true if adopted under the round's rule"),
        ("decision", "string", "the decision in words, with the figure and the rule"),
    ),
    "principle_versions.csv": (
        ("principle", "integer", "the principle's number"),
        ("version", "integer", "the version's number (1 is the first draft)"),
        ("title", "string", "the title in this version"),
        ("text", "string", "the text in this version"),
        ("rationale", "string", "the rationale in this version"),
        ("theme", "string", "the theme in this version"),
        ("made_by", "string", "what made this version (first draft, an amendment, a merge, ...)"),
    ),
    "votes.csv": (
        ("principle", "integer", "the principle's number"),
        ("round", "string", "the vote round"),
        ("scale", "string", "the ballot's scale: five, three or consent"),
        ("option", "string", "one option of the scale"),
        ("label", "string", "the option as the ballot paper showed it"),
        ("ballots", "integer", "ballots cast for this option"),
        ("eligible", "integer", "members who could vote in the round"),
    ),
    "strata.csv": (
        ("principle", "integer", "the principle's number"),
        ("round", "string", "the vote round"),
        ("feature", "string", "a feature the panel was selected on (such as age)"),
        ("value", "string", "one value of the feature (such as 16-29)"),
        ("option", "string", "one option of the scale"),
        ("ballots", "integer",
         "ballots for this option by members with this value; blank when suppressed"),
        ("suppressed", "boolean",
         ("true when the value's cells are withheld: fewer than k voters, or a second value "
         "withheld so the first cannot be worked out from the totals")),
    ),
    "dissent.csv": (
        ("principle", "integer", "the principle's number"),
        ("note", "integer", "the note's number under the principle"),
        ("text", "string", "the dissent note as the members wrote it"),
        ("signatures", "integer", "members who signed it"),
    ),
    "turnout.csv": (
        ("round", "string", "the round"),
        ("kind", "string", "what kind of round it was"),
        ("opened", "datetime", "when it opened (UTC)"),
        ("closed", "datetime", "when it closed (UTC)"),
        ("eligible", "integer", "members who could take part"),
        ("took_part", "integer", "members who took part"),
        ("turnout", "number", "took_part / eligible (blank when nobody was eligible)"),
    ),
    "panel.csv": (
        ("feature", "string", "a feature the panel was selected on"),
        ("value", "string", "one value of it"),
        ("min", "integer", "the quota's least number of members"),
        ("max", "integer", "the quota's largest number of members"),
        ("panel", "integer", "members of the panel with this value"),
        ("pool", "integer", "respondents in the pool with this value (blank: fewer than k)"),
        ("target_share", "number", "the share of the population aimed at (blank: none)"),
    ),
    "evidence.csv": (
        ("round", "string", "the learn round in which the members heard it"),
        ("title", "string", "the briefing's title"),
        ("speaker", "string", "who gave it"),
        ("organisation", "string", "the speaker's organisation (blank: none given)"),
        ("role", "string", "the speaker's role (blank: none given)"),
        ("interests", "string", "the interests the speaker declared"),
        ("summary", "string", "the briefing in brief, as the members read it"),
    ),
    "responses.csv": (
        ("principle", "integer", "the principle's number"),
        ("status", "string", "accepted, accepted_in_part or not_accepted"),
        ("status_words", "string", "the status in words"),
        ("reasons", "string", "the commissioning body's reasons"),
        ("responded_on", "date", "the day it responded"),
    ),
}

POLIS_COLUMNS: dict[str, tuple[Column, ...]] = {
    polis.COMMENTS: (
        ("timestamp", "integer", "when the statement was written, ms since 1970 UTC"),
        ("datetime", "string", "the same time as text"),
        ("comment-id", "integer", "the statement's number in this round"),
        ("author-id", "integer", "its author's number in this round (no member id)"),
        ("agrees", "integer", "agree votes cast on it"),
        ("disagrees", "integer", "disagree votes cast on it"),
        ("moderated", "integer", "-1 moderated out, 0 not yet moderated, 1 accepted"),
        ("comment-body", "string", "the statement"),
    ),
    polis.VOTES: (
        ("timestamp", "integer", "when the vote was cast, ms since 1970 UTC"),
        ("datetime", "string", "the same time as text"),
        ("comment-id", "integer", "the statement voted on"),
        ("voter-id", "integer", "the voter's number in this round (no member id)"),
        ("vote", "integer", "1 agree, -1 disagree, 0 pass"),
    ),
}

TALLY_FIGURES = ("valid", "eligible", "turnout", "agree", "share_agree", "share_strongly_agree",
                 "net_agreement", "interval", "adopted", "quorum_met", "decision")
STRATA_FIGURES = ("lowest", "lowest_share", "geometric_mean", "p_value", "p_adjusted",
                  "contested", "test")


def _iso(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def _number(value: float | None) -> float | None:
    """JSON has no NaN: a figure that does not exist (no voters) is null."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def tally_figures(result: tallies.Tally) -> dict[str, Any]:
    """The published figures of one tally, as tallies.json holds them."""
    return {
        "valid": result.valid, "eligible": result.eligible, "turnout": result.turnout,
        "agree": result.agree, "share_agree": result.share_agree,
        "percent_agree": tallies.percent(result.share_agree),
        "share_strongly_agree": result.share_strongly_agree,
        "net_agreement": result.net_agreement, "interval": list(result.interval),
        "adopted": result.decision.adopted, "quorum_met": result.decision.quorum_met,
        "decision": result.decision.reason,
    }


def strata_figures(features: Iterable[tallies.FeatureAgreement]) -> list[dict[str, Any]]:
    return [{
        "feature": f.feature,
        "withheld": [v.value for v in f.values if v.suppressed],
        "lowest": f.lowest.value if f.lowest is not None else None,
        "lowest_share": f.lowest.share_agree if f.lowest is not None else None,
        "geometric_mean": _number(f.geometric_mean),
        "p_value": f.p_value, "p_adjusted": f.p_adjusted, "contested": f.contested,
        "test": f.test,
    } for f in features]


def _tallies_json(snapshot: Snapshot) -> bytes:
    titles = {p.number: p.current.title for p in snapshot.principles}
    entries = []
    for vote in sorted(snapshot.votes, key=lambda v: v.principle):
        result, features = vote.public()
        public = vote.public_inputs()
        entries.append({
            "principle": vote.principle, "title": titles[vote.principle], "round": vote.round,
            "method_version": vote.method_version, "parameters": dict(vote.parameters),
            "inputs": public, "digest": tallies.digest(public),
            "sealed_digest": None if vote.withheld else vote.digest,
            "figures": {**tally_figures(result), "verdict": tallies.verdict(result, features),
                        "strata": strata_figures(features)},
        })
    return _json({"method_version": tallies.METHOD_VERSION, "licence": LICENCE_ID,
                  "principles": entries})


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _csv(name: str, rows: Iterable[Iterable[object]]) -> bytes:
    return csvsafe.encode([[c[0] for c in COLUMNS[name]], *rows])


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _principles(snapshot: Snapshot) -> dict[str, bytes]:
    decided = {v.principle: v for v in snapshot.votes}
    current, versions = [], []
    for principle in snapshot.principles:
        now = principle.current
        vote = decided.get(principle.number)
        result = vote.public()[0] if vote is not None else None
        current.append([principle.number, now.number, now.title, now.text, now.rationale,
                        now.theme, vote.round if vote else "",
                        _bool(result.decision.adopted) if result else "",
                        result.decision.reason if result else ""])
        versions += [[principle.number, v.number, v.title, v.text, v.rationale, v.theme,
                      v.made_by] for v in principle.versions]
    return {"principles.csv": _csv("principles.csv", current),
            "principle_versions.csv": _csv("principle_versions.csv", versions)}


def _votes(snapshot: Snapshot) -> dict[str, bytes]:
    votes, strata, dissent = [], [], []
    for vote in sorted(snapshot.votes, key=lambda v: v.principle):
        scale, inputs = vote.scale, vote.inputs
        votes += [[vote.principle, vote.round, scale.value, option, tallies.LABELS[option],
                   inputs["counts"][option], inputs["eligible"]] for option in OPTIONS[scale]]
        _, features = vote.public()
        hidden = {(f.feature, v.value) for f in features for v in f.values if v.suppressed}
        for feature, by_value in inputs["strata"].items():
            for value, counts in by_value.items():
                withheld = (feature, value) in hidden
                strata += [[vote.principle, vote.round, feature, value, option,
                            "" if withheld else counts.get(option, 0), _bool(withheld)]
                           for option in OPTIONS[scale]]
        dissent += [[vote.principle, n, note.text, note.signatures]
                    for n, note in enumerate(vote.dissent, start=1)]
    return {"votes.csv": _csv("votes.csv", votes), "strata.csv": _csv("strata.csv", strata),
            "dissent.csv": _csv("dissent.csv", dissent)}


def _turnout(snapshot: Snapshot) -> bytes:
    return _csv("turnout.csv", ([r.round, r.kind, _iso(r.opened), _iso(r.closed), r.eligible,
                                 r.took_part, repr(r.took_part / r.eligible) if r.eligible else ""]
                                for r in snapshot.turnout))


def _panel(snapshot: Snapshot) -> bytes:
    return _csv("panel.csv", ([q.feature, q.value, q.min, q.max, q.panel,
                               "" if q.pool is None else q.pool,
                               "" if q.target_share is None else repr(q.target_share)]
                              for q in snapshot.panel))


def _evidence(snapshot: Snapshot) -> bytes:
    return _csv("evidence.csv", ([e.round, e.title, e.speaker, e.organisation, e.role,
                                  e.interests, e.summary] for e in snapshot.evidence))


def _responses(snapshot: Snapshot) -> bytes:
    """In the charter's order, whatever order the snapshot gives them in."""
    return _csv("responses.csv", ([r.principle, r.status.value, r.status.words, r.reasons,
                                   _iso(r.responded_on)]
                                  for r in sorted(snapshot.responses, key=lambda r: r.principle)))


def statements_folder(position: int) -> str:
    """The folder of the n-th discuss round's statements (from 1), in Pol.is's layout."""
    return f"statements/round-{position}"


def _statements(snapshot: Snapshot) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for position, discuss in enumerate(snapshot.discuss, start=1):
        # Always renumbered, even when the ids are already whole numbers: they may be the app's
        # own member or statement ids, which never leave it.
        conversation = discuss.conversation.numbered()
        if not conversation.topic:
            conversation = PolisConversation(conversation.statements, conversation.votes,
                                             topic=discuss.title,
                                             description=conversation.description,
                                             url=conversation.url, views=conversation.views,
                                             groups=conversation.groups)
        for name, data in polis.polis_files(conversation).items():
            files[f"{statements_folder(position)}/{name}"] = data
    return files


LICENSE_TEXT = """\
{title}
Open data of the published charter, version {version} ({published}).

Licensed under the {licence_title} licence ({licence}).
{url}

You are free to share (copy and redistribute in any medium or format) and adapt (remix,
transform and build upon) this material for any purpose, even commercially, provided you give
appropriate credit, provide a link to the licence, and indicate if changes were made. You may
do so in any reasonable manner, but not in any way that suggests the licensor endorses you or
your use. The full legal code is at {url}legalcode

Attribution: {attribution}
{statements}"""

POLIS_NOTE = """
The statements folders follow the layout of the Computational Democracy Project's Pol.is open
data; participants are numbered within each round, and no member can be identified from them.
"""


def _license(snapshot: Snapshot) -> bytes:
    info = snapshot.publication
    return LICENSE_TEXT.format(
        title=snapshot.assembly.title, version=info.version, published=_iso(info.published_at),
        licence_title=LICENCE_TITLE, licence=LICENCE_ID, url=LICENCE_URL,
        attribution=info.attribution, statements=POLIS_NOTE if snapshot.discuss else "",
    ).encode()


README_HEAD = """\
# {title}: open data of the charter, version {version}

Published {published} under {licence} ({url}). Attribution: {attribution}.

Question: {question}

Commissioned by {commissioned_by}{dates}.

Every figure of the charter can be recounted from these files with Minipublic:

    minipublic recount FOLDER

It recomputes each principle's tally from `tallies.json`'s inputs with the project's own maths,
checks those inputs against `votes.csv` and `strata.csv`, compares every figure and digest with
what was published, and checks each file's sha256 against `datapackage.json`. It exits 0 when
everything matches, 1 when anything differs (naming the file and the principle).

Per-stratum counts of fewer than {k} members are left blank and marked `suppressed`, so nobody
can be picked out; the inputs in `tallies.json` leave those values out too, so the p-values of the
test across strata can be recounted only for features where nothing was withheld.

## Data dictionary
"""

FILE_WORDS: dict[str, str] = {
    "principles.csv": "the charter's principles as voted on, with each decision",
    "principle_versions.csv": "every version of every principle, and what made it",
    "votes.csv": "per principle, the ballots for each option of the scale",
    "strata.csv": "per principle, the ballots for each option by value of each selection "
                  "feature (small cells blank and suppressed)",
    "dissent.csv": "the dissent notes recorded under the principles",
    "turnout.csv": "each round of the programme with its turnout",
    "panel.csv": "the panel's composition against its quotas and the pool",
    "evidence.csv": "the evidence the members heard, with each speaker's declared interests",
    "responses.csv": "the commissioning body's response to each principle it has answered",
    TALLIES: "per principle: the method version, parameters, the inputs of the tally, their "
             "sha256 digest and the published figures",
    "LICENSE.txt": "the licence (CC BY 4.0) and who to credit",
    "README.md": "this file",
}

TALLIES_WORDS = """
### tallies.json
`principles`: one entry per principle voted on, with
- `method_version`: the version of Minipublic's tally method (`charter.tallies.METHOD_VERSION`)
- `parameters`: the round's scale and decision rule as the app stored them
- `inputs`: what `charter.tallies.recompute` takes: `scale`, `counts` per option, `eligible`,
  `rule` (kind, on_lower_bound, quorum, consent_threshold), `strata` (feature -> value ->
  option -> ballots, withheld values left out), `k`, `suppress`
- `digest`: sha256 of the canonical JSON of `inputs` with the method version
  (`charter.tallies.digest`)
- `sealed_digest`: the digest stored when the round was sealed, when it covers exactly these
  inputs (null when small cells were withheld)
- `figures`: valid ballots, eligible, turnout, agree, share_agree, percent_agree,
  share_strongly_agree (five-point scale), net_agreement, interval (Wilson 95 %), adopted,
  quorum_met, decision (in words), verdict, and `strata`: per feature the values withheld, the
  lowest value shown and its share, the geometric mean of smoothed agree rates, the exact test's
  p-value, its Holm-adjusted p-value, contested, and the test used
"""

SELECTION_WORDS = """
### selection/
The selection's public files, as published before and after the draw: the lottery commitment
(commitment.json), salted hashes of every respondent's answers (pool.csv) and of every ticket
(lottery.csv), the quotas (quotas.csv), pool counts with small cells left empty
(pool-summary.csv) and, after the draw, draw.json. Check them with `minipublic verify selection`.
"""


def _readme(snapshot: Snapshot, names: Iterable[str]) -> bytes:
    assembly, info = snapshot.assembly, snapshot.publication
    dates = ""
    if assembly.starts or assembly.ends:
        dates = f", held {_iso(assembly.starts)} to {_iso(assembly.ends)}"
    k = min((v.k for v in snapshot.votes), default=tallies.SMALL_CELL)
    lines = [README_HEAD.format(
        title=assembly.title, version=info.version, published=_iso(info.published_at),
        licence=LICENCE_ID, url=LICENCE_URL, attribution=info.attribution,
        question=assembly.question, commissioned_by=assembly.commissioned_by, dates=dates, k=k)]
    lines.append("| file | what it holds |\n|---|---|")
    for name in names:
        lines.append(f"| {name} | {_file_words(name)} |")
    sections = [*COLUMNS.items()]
    if snapshot.discuss:   # Pol.is's votes.csv is not ours: each under its own heading
        sections += [(f"statements/round-N/{name}", columns)
                     for name, columns in POLIS_COLUMNS.items()]
    for name, columns in sections:
        lines.append(f"\n### {name}\n\n| column | type | meaning |\n|---|---|---|")
        lines += [f"| {column} | {kind} | {words} |" for column, kind, words in columns]
    lines.append(TALLIES_WORDS)
    if snapshot.discuss:
        lines.append("\n### statements/round-N/ (Pol.is's layout)\n")
        lines += [f"- {statements_folder(n)}: {d.title}"
                  for n, d in enumerate(snapshot.discuss, start=1)]
        lines.append("\nparticipants-votes.csv: participant, group-id (the opinion group, blank "
                     "when not grouped), n-comments, n-votes, n-agree, n-disagree, then the "
                     "participant's latest vote on each statement (1, -1, 0; blank: none). "
                     "summary.csv: key,value rows (topic, voters, comments, groups, ...).")
    if snapshot.selection_files:
        lines.append(SELECTION_WORDS)
    return ("\n".join(lines) + "\n").encode()


def _file_words(name: str) -> str:
    if name in FILE_WORDS:
        return FILE_WORDS[name]
    if name.startswith("statements/"):
        return "a discuss round's statements, votes and opinion groups in Pol.is's layout"
    if name.startswith("selection/"):
        return "a public file of the selection by lot (see below)"
    return name


# --- the datapackage ---------------------------------------------------------------------------

_FRICTIONLESS_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean",
                       "string": "string", "datetime": "datetime", "date": "date"}


def _schema(name: str, data: bytes) -> dict[str, Any] | None:
    """The table schema of a CSV file: ours and Pol.is's have typed columns, any other CSV
    (the selection's files, participants-votes.csv) gets its header with fitting types."""
    base = name.rsplit("/", 1)[-1]
    if name in COLUMNS:
        columns: Iterable[Column] = COLUMNS[name]
    elif name.startswith("statements/") and base in POLIS_COLUMNS:
        columns = POLIS_COLUMNS[base]
    elif name.startswith("statements/") and base == polis.PARTICIPANTS_VOTES:
        header = csvsafe.read_rows(data.decode().splitlines()[0] + "\n")[0]
        columns = [(c, "integer", "") for c in header]
    elif name.startswith("statements/") and base == polis.SUMMARY:
        return None
    else:
        header = csvsafe.read_rows(data.decode().splitlines()[0] + "\n")[0] if data else []
        columns = [(c, "string", "") for c in header]
    return {"fields": [{"name": c, "type": _FRICTIONLESS_TYPES[kind],
                        **({"description": words} if words else {})}
                       for c, kind, words in columns],
            "missingValues": [""]}


def _resource_name(path: str) -> str:
    """Frictionless names: lower case letters, digits, '-', '_' and '.'."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in path.lower())


def _resource(path: str, data: bytes) -> dict[str, Any]:
    base = path.rsplit("/", 1)[-1]
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else "txt"
    resource: dict[str, Any] = {
        "name": _resource_name(path), "path": path, "title": _file_words(path),
        "bytes": len(data), "hash": f"sha256:{sha256(data)}",
    }
    if extension == "csv":
        resource.update(profile="tabular-data-resource", format="csv", mediatype="text/csv",
                        encoding="utf-8")
        schema = _schema(path, data)
        if schema is None:   # Pol.is's summary.csv: key,value rows without a header
            resource["dialect"] = {"header": False}
            schema = {"fields": [{"name": "key", "type": "string"},
                                 {"name": "value", "type": "string"}], "missingValues": [""]}
        resource["schema"] = schema
    else:
        kinds = {"json": ("json", "application/json"), "md": ("md", "text/markdown"),
                 "txt": ("txt", "text/plain")}
        fmt, media = kinds.get(extension, (extension, "application/octet-stream"))
        resource.update(format=fmt, mediatype=media, encoding="utf-8")
    return resource


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def datapackage(snapshot: Snapshot, files: Mapping[str, bytes]) -> bytes:
    """The Frictionless Data Package describing every file, with its sha256."""
    assembly, info = snapshot.assembly, snapshot.publication
    package = {
        "profile": "data-package",
        "name": _resource_name(f"charter-{assembly.title}-v{info.version}")[:100].strip("-"),
        "title": f"{assembly.title}: open data of the charter, version {info.version}",
        "description": assembly.question,
        "version": str(info.version),
        "created": _iso(info.published_at),
        "homepage": info.address or None,
        "licenses": [{"name": LICENCE_ID, "path": LICENCE_URL, "title": LICENCE_TITLE}],
        "contributors": [{"title": info.attribution, "role": "author"}],
        "sources": [{"title": assembly.commissioned_by}] if assembly.commissioned_by else [],
        "resources": [_resource(path, files[path]) for path in files],
    }
    if package["homepage"] is None:
        del package["homepage"]
    return _json(package)


def open_data(snapshot: Snapshot) -> dict[str, bytes]:
    """Every open-data file, path -> bytes, in a fixed order, `datapackage.json` last."""
    files: dict[str, bytes] = {}
    files.update(_principles(snapshot))
    files.update(_votes(snapshot))
    files["turnout.csv"] = _turnout(snapshot)
    files["panel.csv"] = _panel(snapshot)
    files["evidence.csv"] = _evidence(snapshot)       # header only when there is none
    files["responses.csv"] = _responses(snapshot)     # header only until the council answers
    files[TALLIES] = _tallies_json(snapshot)
    files.update(_statements(snapshot))
    for name in sorted(snapshot.selection_files):
        files[f"selection/{name}"] = bytes(snapshot.selection_files[name])
    files["LICENSE.txt"] = _license(snapshot)
    files["README.md"] = _readme(snapshot, [*files, "README.md", DATAPACKAGE])
    files[DATAPACKAGE] = datapackage(snapshot, files)
    return files


def zip_of(files: Mapping[str, bytes]) -> bytes:
    """The files in one ZIP, names sorted and times fixed, so the same files give the same bytes
    (and the same sha256) on every run and machine."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3               # Unix, wherever it is made
            entry.external_attr = 0o100644 << 16  # a plain file, rw-r--r--
            archive.writestr(entry, files[name], compresslevel=9)
    return buffer.getvalue()
