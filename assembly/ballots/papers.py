"""A vote round's settings and its ballot paper: the scale, reasons, decision rule, and which
principles of which draft round are on the ballot, with the exact version members vote on.

Officers set these while the round is scheduled; once it opens they are refused, because members
may already have voted under them. The ballot paper is frozen exactly once, at the first moment
anyone (a member, an officer, the clock) looks at the round after it opened: the principles the
officers chose (or, if they chose none, every principle of the draft round, in its order) with
the version each had then. A later amendment in the draft round changes nothing on this ballot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assembly import audit, db
from assembly.ballots.models import BallotItem, Reasons, VoteRound
from assembly.deliberation import rounds
from assembly.deliberation.models import Round, RoundKind, RoundState
from assembly.drafting.models import Principle, PrincipleVersion
from assembly.errors import ActionableError, Conflict
from assembly.tables import row_id
from charter.tallies import OPTIONS, RuleKind, Scale

SCALE_WORDS = {Scale.five: "Five points: strongly agree to strongly disagree, and unsure",
               Scale.three: "Three options: agree, unsure, disagree",
               Scale.consent: "Consent: agree, concerns, block"}
RULE_WORDS = {RuleKind.majority: "Simple majority (more than 50 % agree)",
              RuleKind.two_thirds: "Two-thirds (at least 66.7 % agree)",
              RuleKind.three_quarters: "Three-quarters (at least 75 % agree)",
              RuleKind.four_fifths: "Four-fifths (at least 80 % agree)",
              RuleKind.consent: "Consent (no block, and enough agree)"}
REASON_WORDS = {Reasons.optional: "Optional for every choice",
                Reasons.required_against: "Required when a member disagrees or blocks"}
OPTION_WORDS = {"strongly_agree": "Strongly agree", "agree": "Agree", "unsure": "Unsure",
                "disagree": "Disagree", "strongly_disagree": "Strongly disagree",
                "concerns": "Agree with concerns", "block": "Block"}
AGAINST = frozenset({"disagree", "strongly_disagree", "block"})


class PaperError(ActionableError):
    """The vote round's settings cannot be saved as given; `field` names the field at fault."""


@dataclass(frozen=True)
class Setup:
    """Settings as an officer chose them, checked."""

    draft_round_id: int | None
    scale: Scale
    reasons: Reasons
    rule: RuleKind
    on_lower_bound: bool
    quorum: float
    consent_threshold: float
    principle_ids: tuple[int, ...]   # empty: every principle of the draft round


@dataclass(frozen=True)
class Item:
    """One principle on the ballot, as members read it."""

    principle: Principle
    version: PrincipleVersion | None   # None until the paper is frozen (the text as it is now)

    @property
    def title(self) -> str:
        return self.version.title if self.version else self.principle.title

    @property
    def text(self) -> str:
        return self.version.text if self.version else self.principle.text

    @property
    def number(self) -> int:
        return self.version.version if self.version else self.principle.version


def options(scale: Scale) -> list[tuple[str, str]]:
    """(key, words) for each option of the scale, in display order."""
    return [(key, OPTION_WORDS[key]) for key in OPTIONS[scale]]


def of(session: Session, round_item: Round) -> VoteRound:
    """The round's settings (the defaults, unsaved, if nobody set any)."""
    found = session.get(VoteRound, round_item.id)
    if found is not None:
        return found
    draft = default_draft_round(session, round_item)
    return VoteRound(round_id=row_id(round_item.id),
                     draft_round_id=draft.id if draft is not None else None)


def ensure(session: Session, round_item: Round) -> VoteRound:
    """The round's settings row, made with the defaults if missing (safe when two make it)."""
    if session.get(VoteRound, round_item.id) is None:
        draft = default_draft_round(session, round_item)
        session.execute(db.insert(session, VoteRound).values(
            round_id=row_id(round_item.id),
            draft_round_id=draft.id if draft is not None else None,
        ).on_conflict_do_nothing(index_elements=["round_id"]))
    found = session.get(VoteRound, round_item.id)
    assert found is not None
    return found


def draft_rounds(session: Session, round_item: Round) -> list[Round]:
    """The assembly's draft rounds, in programme order."""
    return [r for r in rounds.programme(session, round_item.assembly_id)
            if RoundKind(r.kind) is RoundKind.draft]


def default_draft_round(session: Session, round_item: Round) -> Round | None:
    """The last draft round before this vote round in the programme (else the last one)."""
    programme = rounds.programme(session, round_item.assembly_id)
    before: Round | None = None
    last: Round | None = None
    seen_self = False
    for each in programme:
        if each.id == round_item.id:
            seen_self = True
        elif RoundKind(each.kind) is RoundKind.draft:
            last = each
            if not seen_self:
                before = each
    return before or last


def principles_of(session: Session, draft_round_id: int | None) -> list[Principle]:
    if draft_round_id is None:
        return []
    return list(session.exec(select(Principle).where(Principle.round_id == draft_round_id)
                             .order_by(col(Principle.position), col(Principle.id))).all())


def _percent(text: str, label: str, field: str) -> float:
    try:
        value = float(text.strip().rstrip("%") or "0")
    except ValueError:
        raise PaperError(f"{label} is a percentage from 0 to 100, for example 50.",
                         field=field) from None
    if not 0 <= value <= 100:
        raise PaperError(f"{label} is a percentage from 0 to 100; {value:g} is outside it.",
                         field=field)
    return value / 100


def check(session: Session, round_item: Round, values: Mapping[str, str],
          chosen: list[str]) -> Setup:
    """The officer's form as settings, or a PaperError naming the first field at fault."""
    try:
        scale = Scale(values.get("scale", ""))
    except ValueError:
        raise PaperError("Choose the scale members vote on.", field="scale") from None
    try:
        reasons = Reasons(values.get("reasons", ""))
    except ValueError:
        raise PaperError("Choose whether members must give reasons.", field="reasons") from None
    try:
        rule = RuleKind(values.get("rule", ""))
    except ValueError:
        raise PaperError("Choose the rule that decides whether a principle is adopted.",
                         field="rule") from None
    if (rule is RuleKind.consent) != (scale is Scale.consent):
        raise PaperError("The consent rule goes with the consent scale (agree, concerns, "
                         "block), and only with it: change the scale or the rule.", field="rule")
    quorum = _percent(values.get("quorum", ""), "The quorum", "quorum")
    threshold = _percent(values.get("consent_threshold", "") or "50",
                         "The share who must agree", "consent_threshold")
    drafts = {row_id(r.id): r for r in draft_rounds(session, round_item)}
    draft_text = values.get("draft_round", "")
    if not draft_text.isdigit() or int(draft_text) not in drafts:
        raise PaperError("Choose the draft round whose principles are on the ballot; add a "
                         "draft round to the programme first if there is none.",
                         field="draft_round")
    draft_id = int(draft_text)
    available = {row_id(p.id) for p in principles_of(session, draft_id)}
    picked: list[int] = []
    for text in chosen:
        if not text.isdigit() or int(text) not in available:
            raise PaperError("Choose principles of the draft round you chose (the list may "
                             "have changed: reload the page).", field="principles")
        if int(text) not in picked:
            picked.append(int(text))
    if not available:
        raise PaperError("That draft round has no principles yet, so there is nothing to vote "
                         "on. Write them first.", field="draft_round")
    return Setup(draft_id, scale, reasons, rule, values.get("on_lower_bound") == "yes",
                 quorum, threshold, tuple(picked))


def configure(session: Session, round_item: Round, setup: Setup, now: datetime, *,
              actor: str) -> list[str]:
    """Save the settings while the round is scheduled; the names of the fields that changed."""
    if RoundKind(round_item.kind) is not RoundKind.vote:
        raise Conflict("Ballot settings belong to vote rounds.")
    if rounds.state_of(round_item, now) is not RoundState.scheduled:
        raise Conflict("This vote has opened, so its ballot and rules can no longer change: "
                       "members may already have voted under them.")
    item = ensure(session, round_item)
    everything = [row_id(p.id) for p in principles_of(session, setup.draft_round_id)]
    picked = list(setup.principle_ids) or everything
    chosen = bool(setup.principle_ids) and picked != everything
    before = [r.principle_id for r in items(session, row_id(round_item.id))]
    new: dict[str, object] = {
        "draft_round_id": setup.draft_round_id, "scale": setup.scale.value,
        "reasons": setup.reasons.value, "rule": setup.rule.value,
        "on_lower_bound": setup.on_lower_bound, "quorum": setup.quorum,
        "consent_threshold": setup.consent_threshold, "chosen": chosen}
    changed = sorted(k for k, v in new.items() if getattr(item, k) != v)
    if chosen and before != picked or not chosen and before:
        changed.append("principles")
    for key, value in new.items():
        setattr(item, key, value)
    item.updated_at = now
    session.add(item)
    session.execute(sa.delete(BallotItem).where(col(BallotItem.round_id) == round_item.id))
    if chosen:
        session.add_all([BallotItem(round_id=row_id(round_item.id), principle_id=p, position=i)
                         for i, p in enumerate(picked)])
    if changed:
        audit.record(session, round_item.assembly_id, actor, "ballots.configured", {
            "round": round_item.public_id, "round_title": round_item.title,
            "fields": changed, "scale": setup.scale.value, "rule": setup.rule.value,
            "principles": len(picked)})
    return changed


def items(session: Session, round_id: int) -> list[BallotItem]:
    return list(session.exec(select(BallotItem).where(BallotItem.round_id == round_id)
                             .order_by(col(BallotItem.position), col(BallotItem.id))).all())


def freeze(session: Session, round_item: Round, now: datetime) -> bool:
    """Fix the ballot paper once the round has opened: True if this call did it.

    Exactly once with any number of workers: an UPDATE ... WHERE frozen_at IS NULL claims it,
    and only the claimant writes the items and their versions, in the same transaction."""
    if RoundKind(round_item.kind) is not RoundKind.vote \
            or rounds.state_of(round_item, now) is RoundState.scheduled:
        return False
    item = ensure(session, round_item)
    if item.frozen_at is not None:
        return False
    claimed = session.execute(
        sa.update(VoteRound).where(col(VoteRound.round_id) == round_item.id,
                                   col(VoteRound.frozen_at).is_(None))
        .values(frozen_at=now).returning(col(VoteRound.round_id))).first()
    if claimed is None:
        return False
    session.refresh(item)
    round_id = row_id(round_item.id)
    if not item.chosen:
        session.execute(sa.delete(BallotItem).where(col(BallotItem.round_id) == round_id))
        session.add_all([BallotItem(round_id=round_id, principle_id=row_id(p.id), position=i)
                         for i, p in enumerate(principles_of(session, item.draft_round_id))])
        session.flush()
    versions = dict(session.exec(select(Principle.id, Principle.version)
                                 .join(BallotItem, col(BallotItem.principle_id) == Principle.id)
                                 .where(BallotItem.round_id == round_id)).all())
    for each in items(session, round_id):
        each.version = versions[each.principle_id]
        session.add(each)
    session.flush()
    return True


def paper(session: Session, round_item: Round) -> list[Item]:
    """The principles on the ballot, in order, with the version voted on once frozen (before
    that, what the paper would hold if it froze now)."""
    setup = of(session, round_item)
    found = items(session, row_id(round_item.id))
    if not found:
        return [Item(p, None) for p in principles_of(session, setup.draft_round_id)]
    principles = {row_id(p.id): p for p in session.exec(
        select(Principle).where(col(Principle.id).in_([i.principle_id for i in found]))).all()}
    versions = {(v.principle_id, v.version): v for v in session.exec(
        select(PrincipleVersion).where(
            col(PrincipleVersion.principle_id).in_([i.principle_id for i in found]))).all()}
    return [Item(principles[i.principle_id],
                 versions.get((i.principle_id, i.version)) if i.version is not None else None)
            for i in found]
