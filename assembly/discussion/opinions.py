"""A discuss round's results: its votes as Pol.is sees them, the opinion groups and tallies of
`charter.opinions`, agreement per stratum (`charter.strata`), and the round in Pol.is's
open-data layout (`charter.polis`).

What goes in: accepted statements; rejected ones as moderated out (their column zeroed, as Pol.is
does, so the groups match Pol.is's); statements still waiting for an officer are left out, and
so is every vote on them. The latest vote of each member on each statement counts; participants
are ordered by their first vote, as in Pol.is.

Who is who: participants are numbered 0, 1, 2, ... in order of their first vote in this round
(Pol.is's own numbering), so labels mean nothing outside the round and never carry a member id.
The member id to label map stays in this module (it finds "you" on the member's own map).

Strata: each participant's values of the panel's selection features come from their profile
(the quotas name the features and their values, in the officers' order). The profile is
special-category data: it is read here only to count, never logged or returned per person;
cells under `strata.SMALL_CELL` members are withheld from members (`for_officers=False`), and so
are opinion groups of fewer than that many participants (their size, counts and statements).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlmodel import Session, col, select

from assembly import audit
from assembly.deliberation.models import Round, RoundKind
from assembly.discussion import statements as statements_service
from assembly.discussion import votes as votes_service
from assembly.discussion.models import Statement, StatementStatus
from assembly.errors import ActionableError
from assembly.recruitment.models import Profile, Quota
from assembly.selection.models import Member
from assembly.tables import row_id
from charter import polis
from charter.charts import MapGroup, group_letter, where_on_map
from charter.opinions import Analysis, GroupCounts, StatementResult, analyse
from charter.strata import SMALL_CELL, StatementStrata, Strata, by_strata

SEED_AUTHOR = "officers"   # the author of seed statements, before numbering


class ResultsError(ActionableError):
    """A round's results cannot be made as asked."""


def seed_of(round_item: Round) -> int:
    """The analysis seed of a round: fixed by the round, so every reload shows the same map."""
    digest = hashlib.sha256(f"discuss-round:{round_item.public_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Conversation:
    """The round in Pol.is's terms, with opaque labels."""

    polis: polis.PolisConversation
    statements: dict[str, Statement]     # label (the statement's number) -> row
    labels: dict[int, str]               # member id -> participant label


def conversation(session: Session, round_item: Round) -> Conversation:
    """Accepted and rejected statements (rejected as moderated out) and every vote on them, in
    time order, participants numbered by first vote."""
    if RoundKind(round_item.kind) is not RoundKind.discuss:
        raise ResultsError("Only discuss rounds have statements and opinion groups.")
    round_id = row_id(round_item.id)
    settings = statements_service.settings_of(session, round_item)
    kept = [s for s in statements_service.of_round(session, round_id)
            if s.status != StatementStatus.waiting.value]
    by_id = {row_id(s.id): s for s in kept}
    history = [v for v in votes_service.history(session, round_id) if v.statement_id in by_id]
    labels: dict[int, str] = {}
    for record in history:
        labels.setdefault(record.member_id, str(len(labels)))
    for statement in kept:  # authors who never voted (their agree vote is a vote, so rare)
        if statement.member_id is not None:
            labels.setdefault(statement.member_id, str(len(labels)))
    seed_author = str(len(labels))
    made = polis.PolisConversation(
        statements=tuple(polis.Statement(
            str(s.number), labels[s.member_id] if s.member_id is not None else seed_author,
            s.text, polis.MODERATED_OUT if s.status == StatementStatus.rejected.value
            else polis.ACCEPTED, _aware(s.created_at)) for s in kept),
        votes=tuple(polis.Vote(_aware(v.voted_at), labels[v.member_id],
                               str(by_id[v.statement_id].number), v.value) for v in history),
        topic=round_item.title, description=settings.prompt)
    return Conversation(made, {str(s.number): s for s in kept}, labels)


# --- the results pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    """One opinion group as this audience may see it; `shown` False for a group too small to
    show to members (then no size, counts or statements)."""

    index: int
    letter: str
    size: int
    shown: bool
    representative: tuple[str, ...]      # statement labels, best first
    stands_out: tuple[str, ...]          # per representative statement: "agree" or "disagree"
    place: str                            # where it lies on the map, in words


@dataclass(frozen=True)
class StatementView:
    statement: Statement
    label: str
    result: StatementResult
    groups: tuple[GroupCounts | None, ...]   # per group; None where withheld
    strata: StatementStrata
    moderated_out: bool
    consensus: float   # group-informed consensus over the groups this audience sees

    @property
    def votes(self) -> int:
        return self.result.agrees + self.result.disagrees + self.result.passes

    def share(self, counts: GroupCounts | StatementResult | None, which: str = "agrees"
              ) -> float | None:
        if counts is None:
            return None
        seen = counts.agrees + counts.disagrees + counts.passes
        return getattr(counts, which) / seen if seen else None

    @property
    def agreed_by_every_group(self) -> bool:
        """More agree than not in every group shown (smoothed, as Pol.is): a consensus
        statement. With no group shown, in the panel as a whole."""
        seen: list[GroupCounts | StatementResult] = [g for g in self.groups if g is not None]
        return all((g.agrees + 1) / (g.agrees + g.disagrees + g.passes + 2) > 0.5
                   for g in seen or [self.result])


@dataclass(frozen=True)
class Results:
    round: Round
    prompt: str
    for_officers: bool
    analysis: Analysis
    groups: tuple[GroupView, ...]
    statements: tuple[StatementView, ...]   # accepted (and, for officers, rejected), by number
    strata: Strata
    map_groups: tuple[MapGroup, ...]
    you: tuple[float, float] | None          # the member's own place on the map
    participants: int                         # everyone who voted on a statement taking part
    votes: int                                # their latest votes on those statements
    waiting: int                              # statements waiting for an officer
    k: int

    def by_label(self, label: str) -> StatementView:
        return next(s for s in self.statements if s.label == label)

    @property
    def consensus(self) -> list[StatementView]:
        """Statements every group agrees with, highest group-informed consensus first."""
        return sorted((s for s in self.shown if s.agreed_by_every_group),
                      key=lambda s: (-s.consensus, s.statement.number))

    @property
    def majority(self) -> list[StatementView]:
        return sorted((s for s in self.shown if s.result.majority),
                      key=lambda s: (s.result.majority != "agree", -s.consensus,
                                     s.statement.number))

    @property
    def uncertain(self) -> list[StatementView]:
        return sorted((s for s in self.shown if s.result.uncertain),
                      key=lambda s: (-(s.result.passes / max(s.votes, 1)), s.statement.number))

    @property
    def shown(self) -> list[StatementView]:
        """The statements that take part (not moderated out)."""
        return [s for s in self.statements if not s.moderated_out]

    @property
    def ranked(self) -> list[StatementView]:
        """Every statement taking part, highest group-informed consensus first."""
        return sorted(self.shown, key=lambda s: (-s.consensus, s.statement.number))

    @property
    def counted(self) -> int:
        return len(self.analysis.participants)


def _features(session: Session, assembly_id: int) -> list[tuple[str, list[str]]]:
    """The selection features and their values, in the quotas' order."""
    found: dict[str, list[str]] = {}
    for feature, value in session.exec(
            select(Quota.feature, Quota.value).where(Quota.assembly_id == assembly_id)
            .order_by(col(Quota.position), col(Quota.id))).all():
        found.setdefault(feature, []).append(value)
    return list(found.items())


def _profiles(session: Session, labels: dict[int, str]) -> dict[str, dict[str, str]]:
    """Each participant's selection-feature values, by label (never by member)."""
    if not labels:
        return {}
    rows = session.exec(select(Member.id, Profile.values)
                        .join(Profile, col(Profile.respondent_id) == col(Member.respondent_id))
                        .where(col(Member.id).in_(list(labels)))).all()
    return {labels[member_id]: dict(values or {}) for member_id, values in rows
            if member_id in labels}


def _place(points: np.ndarray, everyone: np.ndarray) -> str:
    low, high = everyone.min(axis=0), everyone.max(axis=0)
    centre = ((low[0] + high[0]) / 2, (low[1] + high[1]) / 2)
    span = float(max(high[0] - low[0], high[1] - low[1], 1e-9))
    mean = points.mean(axis=0)
    return where_on_map((float(mean[0]), float(mean[1])), centre, span)


def shown_groups(sizes: Sequence[int], k: int, *, for_officers: bool) -> list[bool]:
    """Which opinion groups this audience may see. Members see no group under `k`; and since
    the overall counts and the other groups' sizes and counts are shown, what is withheld would
    be found by subtraction when it comes to fewer than `k` members in all: then the smallest
    group shown is withheld too (as for strata cells)."""
    if for_officers:
        return [True] * len(sizes)
    shown = [size >= k for size in sizes]
    hidden = sum(size for size, seen in zip(sizes, shown, strict=True) if not seen)
    while 0 < hidden < k and any(shown):
        smallest = min((size, i) for i, size in enumerate(sizes) if shown[i])[1]
        shown[smallest] = False
        hidden += sizes[smallest]
    return shown


def _consensus(result: StatementResult, shown: Sequence[bool]) -> float:
    """Group-informed consensus over the groups shown (over all of them it would give away the
    smoothed agree rate of a withheld group: divide by the others); over the panel as a whole
    when no group is shown."""
    if all(shown):
        return result.consensus
    groups: list[GroupCounts | StatementResult] = [
        g for g, seen in zip(result.groups, shown, strict=True) if seen]
    value = 1.0
    for g in groups or [result]:
        value *= (g.agrees + 1) / (g.agrees + g.disagrees + g.passes + 2)
    return value


def results(session: Session, round_item: Round, *, for_officers: bool,
            member_id: int | None = None, k: int = SMALL_CELL) -> Results:
    """The round's results as officers (everything, live) or members (small cells and small
    groups withheld) see them; `member_id` finds the member's own place on the map."""
    talk = conversation(session, round_item)
    matrix = talk.polis.matrix()
    analysis = analyse(matrix, seed=seed_of(round_item))
    counted = {label: i for i, label in enumerate(analysis.participants)}
    coordinates = np.asarray(analysis.coordinates, dtype=float).reshape(-1, 2)
    group_of = np.asarray(analysis.groups, dtype=int)
    sizes = analysis.group_sizes
    shown_group = shown_groups(sizes, k, for_officers=for_officers)
    groups = []
    map_groups = []
    for index, size in enumerate(sizes):
        members_at = coordinates[group_of == index] if len(group_of) else np.zeros((0, 2))
        place = _place(members_at, coordinates) if len(members_at) else "centre"
        representative = analysis.representative[index] \
            if index < len(analysis.representative) and shown_group[index] else ()
        why = {r.statement: r.repful_for for r in (
            analysis.representative_details[index]
            if index < len(analysis.representative_details) else ())}
        groups.append(GroupView(index, group_letter(index), size, shown_group[index],
                                tuple(representative),
                                tuple(why.get(label, "agree") for label in representative),
                                place))
        map_groups.append(MapGroup(
            group_letter(index),
            tuple((float(x), float(y)) for x, y in members_at) if shown_group[index] else (),
            size if shown_group[index] else None))
    moderated = matrix.moderated_out
    labels = [label for label in matrix.statements if for_officers or label not in moderated]
    strata = by_strata(
        ((v.participant, v.statement, v.value) for v in talk.polis.votes),
        _profiles(session, talk.labels), labels,
        features=_features(session, round_item.assembly_id), k=k, suppress=not for_officers)
    by_label = {r.statement: r for r in analysis.statements}
    views = tuple(StatementView(
        talk.statements[label], label, by_label[label],
        tuple(g if shown_group[i] else None for i, g in enumerate(by_label[label].groups)),
        strata.of(label), label in moderated,
        _consensus(by_label[label], shown_group)) for label in labels)
    you = None
    if member_id is not None and talk.labels.get(member_id) in counted:
        x, y = coordinates[counted[talk.labels[member_id]]]
        you = (float(x), float(y))
    waiting = sum(1 for s in statements_service.of_round(session, row_id(round_item.id),
                                                         status=StatementStatus.waiting))
    latest = {(v.participant, v.statement) for v in talk.polis.votes
              if v.statement not in moderated}   # the votes that count
    return Results(round_item, talk.polis.description, for_officers, analysis, tuple(groups),
                   views, strata, tuple(map_groups), you, len({p for p, _ in latest}),
                   len(latest), waiting, k)


# --- the Pol.is export ------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    data: bytes
    statements: int
    participants: int
    votes: int


def polis_zip(session: Session, round_item: Round, *, actor: str) -> Export:
    """The round in Pol.is's open-data layout (comments.csv, votes.csv, participants-votes.csv
    with our groups, summary.csv) as one zip, and its audit event.

    Audited: the files hold every vote ever cast in the round with its time, under labels that
    name nobody; with the database they could be tied back to members, so who took a copy and
    when belongs in the log (how many statements, participants and votes; never the labels)."""
    talk = conversation(session, round_item)
    analysis = analyse(talk.polis.matrix(), seed=seed_of(round_item))
    files = polis.polis_files(talk.polis, analysis)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in polis.FILES:
            if name in files:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name])
    export = Export(buffer.getvalue(), len(talk.polis.statements),
                    len(talk.polis.participants), len(talk.polis.votes))
    audit.record(session, round_item.assembly_id, actor, "discussion.exported", {
        "round": round_item.public_id, "round_title": round_item.title, "format": "polis",
        "statements": export.statements, "participants": export.participants,
        "votes": export.votes})
    return export

