"""The charter as it stands: what stops it being published, and its snapshot from every room.

`problems` says, in sentences an officer can act on, why the charter cannot be published yet: a
vote whose results are not released, a round still open, no principle adopted, no panel drawn.
`build` reads the rooms (assemblies, recruitment, selection, deliberation, discussion, drafting,
ballots) and fills `charter.publication.Snapshot`, the one structure the web page, the PDFs and
the open data are made from, so nothing is typed twice.

What the public sees is counts only: no member's name, e-mail, reference or demographic answers.
The votes are the stored tallies themselves (`assembly.ballots.models.Tally`: inputs, digest,
method version), so anyone can recount them; per-stratum cells under the tally's k are withheld
by `charter.publication` when written. Opinion groups smaller than `k` are not shown: no size,
no statements, and their participants carry no group in the Pol.is files. A statement an officer
rejected was shown to nobody but its author, so its text is not published either (it keeps its
number and its votes, moderated out, as Pol.is does).

Which vote decides: the principles are those on the ballot papers of the vote rounds whose
results are released, in programme order and ballot order; a principle voted on twice is
decided by the last released round, and is shown in the version that round voted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly.assemblies.models import Assembly
from assembly.ballots import ballots, papers, sealing
from assembly.ballots.models import BallotItem, Tally
from assembly.deliberation import briefings, report, rounds, schedule, times
from assembly.deliberation.models import (
    Briefing,
    BriefingRead,
    Question,
    Round,
    RoundKind,
    RoundState,
    RoundVisit,
    Transition,
)
from assembly.discussion import opinions
from assembly.drafting import dissent
from assembly.drafting import principles as drafting
from assembly.drafting.models import (
    Amendment,
    Comment,
    DissentSignature,
    Principle,
    PrincipleView,
    Theme,
)
from assembly.drafting.models import DissentNote as NoteRow
from assembly.drafting.models import PrincipleVersion as DraftVersion
from assembly.publishing import models
from assembly.recruitment.models import PoolCount, Profile, Quota
from assembly.selection import publication as selection_publication
from assembly.selection.draws import draw_of
from assembly.selection.models import Draw, Member, MemberStatus, SelectionRun, on_panel
from assembly.tables import row_id, utcnow
from charter import polis, publication, tallies
from sortition.model import normalise

# What made a version, in words: never who (a member's name, or an officer's address).
CHANGE_WORDS = {"written": "first draft", "edited": "edited by the assembly team",
                "amendment": "amendment from a member, accepted"}
CHANGED_AMENDMENT = "amendment from a member, accepted with changes by the assembly team"
METHOD_WORDS = {
    "leximin": "LEXIMIN: the fairest chances the quotas allow (Flanigan et al., Nature 2021)",
    "maximin": "MAXIMIN: the highest lowest chance the quotas allow",
    "nash": "Nash welfare: chances spread evenly by maximising their product",
    "legacy": "the greedy method, filling the quotas one person at a time",
}
CONSENSUS_SHOWN = 5          # consensus statements per discuss round, best first
REPRESENTATIVE_SHOWN = 3     # representative statements per opinion group
MODERATED_OUT = "(moderated out: not published)"


# --- what stops publishing ----------------------------------------------------------------------


def _zone(assembly: Assembly) -> str:
    return assembly.time_zone or times.DEFAULT_ZONE


def _vote_rounds(programme: Iterable[Round]) -> list[Round]:
    return [r for r in programme if RoundKind(r.kind) is RoundKind.vote]


def _released(programme: Iterable[Round]) -> list[Round]:
    return [r for r in _vote_rounds(programme) if r.results_released_at is not None]


def problems(session: Session, assembly: Assembly, *, now: datetime | None = None) -> list[str]:
    """Everything that stops the charter being published now, each saying what to do; an empty
    list when it is ready."""
    now = now or utcnow()
    zone = _zone(assembly)
    programme = rounds.programme(session, row_id(assembly.id))
    found: list[str] = []
    for item in programme:
        if rounds.state_of(item, now) is RoundState.open:
            found.append(f"“{item.title}” is still open: close it or wait until it closes "
                         f"{times.in_words(item.closes_at, zone, now)}, then publish.")
    votes = _vote_rounds(programme)
    waiting = [r for r in votes if rounds.state_of(r, now) is RoundState.closed]
    for item in waiting:
        found.append(f"The results of “{item.title}” are not released: release them on the "
                     "round's page first, so the charter shows what the members decided.")
    released = _released(programme)
    if not released:
        if not votes:
            found.append("There is no vote round: add one to the programme, let the members "
                         "vote on the principles and release the results first.")
        elif not waiting:
            titles = ", ".join(f"“{r.title}”" for r in votes)
            found.append(f"No vote's results are released yet: release the results of {titles} "
                         "once it has closed, then publish.")
    else:
        found += _unpublishable(session, released)
    if draw_of(session, row_id(assembly.id)) is None:
        found.append("No panel has been drawn: the charter says how its members were chosen, "
                     "so hold the public draw on the Selection page first.")
    return found


def _unpublishable(session: Session, released: list[Round]) -> list[str]:
    """What is wrong with the released votes themselves: ballots never sealed, a tally that
    cannot be published as stored (another method version, a digest that no longer matches),
    or nothing adopted."""
    found = [f"The ballots of “{r.title}” have not been sealed: open the round's page once "
             "(the first look after the close seals them), then publish."
             for r in released if not sealing.sealed(session, row_id(r.id))]
    decided = _decisive(session, released)
    for number, vote in enumerate(decided.values(), start=1):
        try:
            vote.published(number)
        except publication.PublicationError as error:
            found.append(f"In “{vote.round.title}”: {error}")
    if decided and not found and not any(vote.adopted for vote in decided.values()):
        found.append("No principle was adopted in the released vote"
                     f"{'s' if len(released) > 1 else ''}: a charter needs at least one adopted "
                     "principle. Hold another vote round on revised principles and release "
                     "its results first.")
    elif not decided and not found:
        found.append("The released vote has no tallies: nothing on its ballot paper was "
                     "counted. Hold a vote round on the principles and release its results "
                     "first.")
    return found


@dataclass(frozen=True)
class _Decided:
    """A principle's deciding vote: the round, the ballot item and the stored tally."""

    round: Round
    item: BallotItem
    tally: Tally

    @property
    def adopted(self) -> bool:
        result, _ = tallies.recompute({**self.tally.inputs, "suppress": True})
        return result.decision.adopted

    def published(self, number: int, notes: Iterable[NoteRow] = ()
                  ) -> publication.PrincipleVote:
        """The stored tally as the charter publishes it (checked: method version, digest)."""
        return publication.PrincipleVote(
            principle=number, round=self.round.title, inputs=self.tally.inputs,
            digest=self.tally.digest, method_version=self.tally.method_version,
            parameters=self.tally.parameters,
            dissent=tuple(publication.DissentNote(n.text, n.signatures) for n in notes))


def _decisive(session: Session, released: list[Round]) -> dict[int, _Decided]:
    """Principle id -> its deciding vote, in the order principles first reached a ballot (the
    programme's, then each paper's); the last released round that tallied it decides."""
    decided: dict[int, _Decided] = {}
    for item in released:
        round_id = row_id(item.id)
        stored = {t.principle_id: t for t in session.exec(
            select(Tally).where(Tally.round_id == round_id)).all()}
        for ballot_item in papers.items(session, round_id):
            row = stored.get(ballot_item.principle_id)
            if row is not None:
                decided[ballot_item.principle_id] = _Decided(item, ballot_item, row)
    return decided


# --- the snapshot -------------------------------------------------------------------------------


def build(session: Session, assembly: Assembly, info: publication.PublicationInfo, *,
          k: int) -> publication.Snapshot:
    """The charter of `assembly` as `info` publishes it; `k` is the smallest group of people
    shown (the app's `suppress_below`). Call it once `problems` is empty: it builds whatever
    is there, and refuses (PublicationError) only what cannot be published at all."""
    assembly_id = row_id(assembly.id)
    now = info.published_at
    programme = rounds.programme(session, assembly_id)
    decided = _decisive(session, _released(programme))
    numbers = {principle_id: n for n, principle_id in enumerate(decided, start=1)}
    drawn = draw_of(session, assembly_id)
    run = session.get(SelectionRun, drawn.run_id) if drawn is not None else None
    return publication.Snapshot(
        assembly=publication.AssemblyInfo(
            assembly.title, assembly.question, assembly.remit, assembly.commissioning_body,
            assembly.starts_on, assembly.ends_on),
        publication=info,
        principles=_principles(session, decided, numbers),
        votes=_votes(session, decided, numbers),
        turnout=_turnout(session, programme, now),
        discuss=tuple(_discuss(session, r, k) for r in programme
                      if RoundKind(r.kind) is RoundKind.discuss
                      and r.results_released_at is not None),
        panel=_panel(session, assembly_id, run, k),
        selection_files=_selection_files(session, run, drawn),
        evidence=_evidence(session, programme, now),
        responses=_responses(session, assembly_id, numbers),
        selection=_selection(run, drawn),
    )


def _theme(value: str) -> str:
    try:
        return drafting.THEME_LABELS[Theme(value)]
    except ValueError:
        return value


def _principles(session: Session, decided: dict[int, _Decided], numbers: dict[int, int]
                ) -> tuple[publication.Principle, ...]:
    """Every version of each principle up to the one its deciding vote was cast on."""
    if not decided:
        return ()
    ids = list(decided)
    versions: dict[int, list[DraftVersion]] = {i: [] for i in ids}
    for version in session.exec(select(DraftVersion).where(
            col(DraftVersion.principle_id).in_(ids))
            .order_by(col(DraftVersion.principle_id), col(DraftVersion.version))).all():
        versions[version.principle_id].append(version)
    changed = {row_id(a.id): a.changed for a in session.exec(select(Amendment).where(
        col(Amendment.principle_id).in_(ids), col(Amendment.made_version).is_not(None))).all()}
    current = {row_id(p.id): p for p in session.exec(
        select(Principle).where(col(Principle.id).in_(ids))).all()}
    made = []
    for principle_id, vote in decided.items():
        voted_on = vote.item.version or current[principle_id].version
        kept = [v for v in versions[principle_id] if v.version <= voted_on]
        if not kept:   # written before versions were kept: the wording as it reads now
            p = current[principle_id]
            kept = [DraftVersion(principle_id=principle_id, version=p.version, theme=p.theme,
                                 title=p.title, text=p.text, rationale=p.rationale,
                                 change="written", saved_by="")]
        made.append(publication.Principle(numbers[principle_id], tuple(
            publication.PrincipleVersion(v.version, v.title, v.text, v.rationale,
                                         _theme(v.theme), _made_by(v, changed))
            for v in kept)))
    return tuple(made)


def _made_by(version: DraftVersion, changed: dict[int, bool]) -> str:
    if version.change == "amendment" and version.amendment_id is not None \
            and changed.get(version.amendment_id):
        return CHANGED_AMENDMENT
    return CHANGE_WORDS.get(version.change, version.change)


def _votes(session: Session, decided: dict[int, _Decided], numbers: dict[int, int]
           ) -> tuple[publication.PrincipleVote, ...]:
    """Straight from the stored tallies, with the dissent notes on the record."""
    notes = dissent.recorded(session, list(decided))
    return tuple(vote.published(numbers[principle_id], notes.get(principle_id, ()))
                 for principle_id, vote in decided.items())


# --- the programme and its turnout --------------------------------------------------------------


def _moments(session: Session, item: Round, now: datetime
             ) -> tuple[datetime | None, datetime | None]:
    """When the round first opened and last closed, as the schedule recorded it; the round's
    own times where the clock passed them before anyone looked (nothing recorded yet)."""
    opened = closed = None
    for transition in schedule.history(session, row_id(item.id)):
        if transition.transition == Transition.opened.value and opened is None:
            opened = transition.at
        elif transition.transition == Transition.closed.value:
            closed = transition.at
    if opened is None and now >= item.opens_at:
        opened = item.opens_at
    if closed is None and now >= item.closes_at:
        closed = item.closes_at
    return opened, closed


def _joined(item: Round) -> sa.Select[Any]:
    return sa.select(col(Member.id)).where(col(Member.assembly_id) == item.assembly_id,
                                           col(Member.status) == MemberStatus.joined.value)


def _drafted(session: Session, item: Round) -> int:
    """Joined members who opened the draft round, or read, commented on, amended or signed a
    dissent note on one of its principles."""
    of_round = sa.select(col(Principle.id)).where(col(Principle.round_id) == item.id)
    active = sa.union(
        sa.select(col(RoundVisit.member_id).label("member")).where(
            col(RoundVisit.round_id) == item.id),
        sa.select(col(PrincipleView.member_id)).where(
            col(PrincipleView.principle_id).in_(of_round)),
        sa.select(col(Comment.member_id)).where(col(Comment.principle_id).in_(of_round)),
        sa.select(col(Amendment.member_id)).where(col(Amendment.principle_id).in_(of_round)),
        sa.select(col(DissentSignature.member_id))
        .join(NoteRow, col(NoteRow.id) == col(DissentSignature.note_id))
        .where(col(NoteRow.principle_id).in_(of_round))).subquery()
    return int(session.execute(sa.select(sa.func.count()).select_from(active).where(
        active.c.member.in_(_joined(item)))).scalar_one())


def _learned(session: Session, item: Round) -> int:
    """Joined members who opened the learn round, read one of its briefings or asked a
    question in it (the round report's "done something")."""
    active = sa.union(
        sa.select(col(RoundVisit.member_id).label("member")).where(
            col(RoundVisit.round_id) == item.id),
        sa.select(col(BriefingRead.member_id)).join(
            Briefing, col(Briefing.id) == col(BriefingRead.briefing_id))
        .where(col(Briefing.round_id) == item.id),
        sa.select(col(Question.member_id)).where(col(Question.round_id) == item.id,
                                                 col(Question.member_id).is_not(None))
    ).subquery()
    return int(session.execute(sa.select(sa.func.count()).select_from(active).where(
        active.c.member.in_(_joined(item)))).scalar_one())


def _took_part(session: Session, item: Round) -> tuple[int, int]:
    """(eligible, took part) as each room counts it: a vote's sealed turnout; members who
    voted on a statement in a discussion; who opened a learn round; who acted in a draft."""
    kind = RoundKind(item.kind)
    if kind is RoundKind.vote:
        counted = ballots.turnout(session, item)
        return counted.eligible, counted.voted
    seen = report.load(session, item, with_idle=False)
    if kind is RoundKind.discuss:
        talk = opinions.conversation(session, item).polis
        latest = {p for (p, s) in talk.latest() if s not in talk.moderated_out}
        return seen.members, len(latest)
    if kind is RoundKind.draft:
        return seen.members, _drafted(session, item)
    return seen.members, _learned(session, item)


def _turnout(session: Session, programme: list[Round], now: datetime
             ) -> tuple[publication.RoundTurnout, ...]:
    """Every round that had opened by publication, in programme order."""
    made = []
    for item in programme:
        opened, closed = _moments(session, item, now)
        if opened is None:
            continue
        eligible, took_part = _took_part(session, item)
        made.append(publication.RoundTurnout(item.title, item.kind, opened, closed, eligible,
                                             took_part))
    return tuple(made)


# --- the discuss rounds -------------------------------------------------------------------------


def _discuss(session: Session, item: Round, k: int) -> publication.DiscussRound:
    """The round in Pol.is's layout with the groups members saw, and its brief."""
    found = opinions.results(session, item, for_officers=False, k=k)
    talk = opinions.conversation(session, item).polis
    shown = {g.index for g in found.groups if g.shown}
    groups = {participant: group for participant, group in
              zip(found.analysis.participants, found.analysis.groups, strict=True)
              if group in shown}
    statements = tuple(s if s.moderated != polis.MODERATED_OUT else
                       polis.Statement(s.id, s.author, MODERATED_OUT, s.moderated, s.created)
                       for s in talk.statements)
    conversation = polis.PolisConversation(statements, talk.votes, topic=item.title,
                                           description=found.prompt, groups=groups)
    consensus = tuple(s.statement.text for s in found.consensus[:CONSENSUS_SHOWN])
    briefs = tuple(publication.GroupBrief(
        g.letter, g.size if g.shown else None,
        tuple((found.by_label(label).statement.text, lean) for label, lean in
              list(zip(g.representative, g.stands_out, strict=True))[:REPRESENTATIVE_SHOWN])
        if g.shown else ()) for g in found.groups)
    return publication.DiscussRound(item.title, conversation, found.prompt, found.participants,
                                    consensus, briefs)


# --- the panel and how it was chosen ------------------------------------------------------------


def _panel(session: Session, assembly_id: int, run: SelectionRun | None, k: int
           ) -> tuple[publication.QuotaRow, ...]:
    """Each quota against the members holding a seat now (as the panel page counts them) and
    the pool the run drew from (the pool counts kept at upload when there is no run). Pool
    counts under k are left blank, as in the selection's own pool-summary.csv: the panel is
    public, but who answered the letter is not."""
    quotas = list(session.exec(select(Quota).where(Quota.assembly_id == assembly_id)
                               .order_by(col(Quota.position), col(Quota.id))).all())
    if not quotas:
        return ()
    report_ = (run.report or {}) if run is not None else {}
    if report_.get("quotas") and report_.get("pool_counts"):
        pool = {(normalise(q["feature"]), normalise(q["value"])): int(n)
                for q, n in zip(report_["quotas"], report_["pool_counts"], strict=True)}
    else:
        pool = {(normalise(f), normalise(v)): int(n) for f, v, n in session.exec(
            select(PoolCount.feature, PoolCount.value, PoolCount.count)
            .where(PoolCount.assembly_id == assembly_id)).all()}
    profiles = [dict(values or {}) for values in session.exec(
        select(Profile.values).join(Member, col(Member.respondent_id) == col(Profile.respondent_id))
        .where(Member.assembly_id == assembly_id, on_panel())).all()]
    return tuple(publication.QuotaRow(
        q.feature, q.value, q.min_count, q.max_count,
        sum(1 for p in profiles if normalise(p.get(q.feature, "")) == normalise(q.value)),
        _shown(pool.get((normalise(q.feature), normalise(q.value)), 0), k), q.target_share)
        for q in quotas)


def _shown(count: int, k: int) -> int | None:
    return None if 0 < count < k else count


def _selection_files(session: Session, run: SelectionRun | None, drawn: Draw | None
                     ) -> dict[str, bytes]:
    if run is None:
        return {}
    files = {}
    for name in selection_publication.public_files(run, drawn):
        text = selection_publication.public_file(session, run, name)
        if text is not None:
            files[name] = text.encode("utf-8")
    return files


def _selection(run: SelectionRun | None, drawn: Draw | None
               ) -> publication.SelectionSummary | None:
    """The run's report in the figures the public page explains; None before any run has a
    report (a panel recorded without one)."""
    found = (run.report or {}) if run is not None else {}
    if run is None or "pool_size" not in found or "minimum" not in found:
        return None
    algorithm = str(found.get("algorithm", run.algorithm))
    size = int(found.get("lottery_size", (run.lottery or {}).get("size", 0)))
    method = METHOD_WORDS.get(algorithm, algorithm)
    if size:
        method += f", as a lottery of {size:,} panels"
    return publication.SelectionSummary(
        method, int(found["pool_size"]), int(found["panel_size"]), float(found["minimum"]),
        float(found["maximum"]), float(found["equal_chance"]), size,
        str(found.get("commitment") or run.commitment or ""),
        drawn.seed if drawn is not None else None, drawn.ticket if drawn is not None else None,
        drawn.drawn_at if drawn is not None else None, bool(found.get("one_per_household")))


# --- the evidence and the council's response ------------------------------------------------------


def _evidence(session: Session, programme: list[Round], now: datetime
              ) -> tuple[publication.Evidence, ...]:
    """Every briefing of the learn rounds that had opened, in programme order."""
    return tuple(
        publication.Evidence(item.title, b.title, b.speaker_name, b.speaker_organisation,
                             b.speaker_role, b.interests, b.summary)
        for item in programme
        if RoundKind(item.kind) is RoundKind.learn and now >= item.opens_at
        for b in briefings.of_round(session, row_id(item.id)))


def _responses(session: Session, assembly_id: int, numbers: dict[int, int]
               ) -> tuple[publication.CouncilResponse, ...]:
    """The council's latest answer to each principle in the charter."""
    rows = session.exec(select(models.CouncilResponse)
                        .where(models.CouncilResponse.assembly_id == assembly_id)).all()
    return tuple(sorted((publication.CouncilResponse(
        numbers[r.principle_id], publication.ResponseStatus(r.status), r.reasons,
        r.responded_on) for r in rows if r.principle_id in numbers),
        key=lambda r: r.principle))

