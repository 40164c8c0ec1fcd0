"""A sealed vote round's tallies: computed once at sealing and stored with what anyone needs to
recompute them, then shown (after an officer releases them) per principle and in an overview.

Each `Tally` row keeps the method's version (`charter.tallies.METHOD_VERSION`), its parameters
(scale and decision rule), the inputs themselves (counts per option, eligible members, counts by
stratum) and the sha256 of those inputs (`charter.tallies.digest`). The page recomputes the tally
from the stored inputs with the same pure functions, so what is shown is what anyone recomputing
it gets. Strata cells under k members (5) are withheld for members; officers see every cell.

Results are hidden from everyone, officers included, until an officer releases them: whoever
releases cannot have been tempted to hold back a result they did not like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlmodel import Session, col, select

from assembly.ballots import papers
from assembly.ballots.models import SealedBallot, StratumCount, Tally, VoteRound
from assembly.deliberation.models import Round
from assembly.tables import row_id
from charter import charts, tallies
from charter.tallies import OPTIONS, Rule, RuleKind, Scale

SMALL_CELL = 5
Counts = dict[str, int]   # option -> ballots


def rule_of(setup: VoteRound) -> Rule:
    return Rule(kind=RuleKind(setup.rule), on_lower_bound=setup.on_lower_bound,
                quorum=setup.quorum, consent_threshold=setup.consent_threshold)


def parameters_of(setup: VoteRound) -> dict[str, Any]:
    rule = rule_of(setup)
    return {"scale": setup.scale, "rule": rule.kind.value, "on_lower_bound": rule.on_lower_bound,
            "quorum": rule.quorum, "consent_threshold": rule.consent_threshold,
            "strata_k": SMALL_CELL}


def _counts(session: Session, round_id: int) -> dict[int, Counts]:
    found: dict[int, Counts] = {}
    for principle_id, choice, number in session.exec(
            select(SealedBallot.principle_id, SealedBallot.choice, sa.func.count())
            .where(SealedBallot.round_id == round_id)
            .group_by(col(SealedBallot.principle_id), col(SealedBallot.choice))).all():
        found.setdefault(principle_id, {})[choice] = int(number)
    return found


def _strata(session: Session, round_id: int) -> dict[int, dict[str, dict[str, Counts]]]:
    found: dict[int, dict[str, dict[str, Counts]]] = {}
    for row in session.exec(select(StratumCount).where(StratumCount.round_id == round_id)
                            .order_by(col(StratumCount.id))).all():
        (found.setdefault(row.principle_id, {}).setdefault(row.feature, {})
         .setdefault(row.value, {}))[row.option] = row.count
    return found


def compute(session: Session, round_item: Round, setup: VoteRound, now: datetime) -> int:
    """Tally every principle on the sealed ballot and store it; how many were tallied."""
    round_id = row_id(round_item.id)
    scale = Scale(setup.scale)
    counts = _counts(session, round_id)
    strata = _strata(session, round_id)
    session.execute(sa.delete(Tally).where(col(Tally.round_id) == round_id))
    done = 0
    for item in papers.items(session, round_id):
        given = counts.get(item.principle_id, {})
        per_option = {option: given.get(option, 0) for option in OPTIONS[scale]}
        # Every cell kept (suppress=False): members' pages withhold small cells when shown.
        inputs = tallies.inputs(scale, per_option, setup.eligible, rule_of(setup),
                                strata.get(item.principle_id, {}), k=SMALL_CELL,
                                suppress=False)
        result = tallies.tally(scale, per_option, setup.eligible, rule_of(setup))
        session.add(Tally(round_id=round_id, principle_id=item.principle_id,
                          method_version=tallies.METHOD_VERSION,
                          parameters=parameters_of(setup), inputs=inputs,
                          digest=tallies.digest(inputs), result=_plain(asdict(result)),
                          computed_at=now))
        done += 1
    session.flush()
    return done


def _plain(value: Any) -> Any:
    """Enums and tuples as JSON keeps them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, (int, float, str, bool)):
        return value.value
    return value


@dataclass(frozen=True)
class PrincipleResult:
    item: papers.Item
    position: int
    tally: tallies.Tally
    strata: tuple[tallies.FeatureAgreement, ...]
    digest: str
    method_version: str

    @property
    def chart(self) -> Markup:
        """The diverging stacked bar (SVG, with a title and a description)."""
        return Markup(charts.ballot_chart(self.tally, title=f"How members voted on "
                                          f"“{self.item.title}”", rule=self.tally.rule,
                                          id_prefix=f"ballot-{self.position + 1}"))

    @property
    def table(self) -> charts.ChartTable:
        """What the chart shows, as a table."""
        return charts.ballot_table(self.tally, caption=f"How members voted on "
                                   f"“{self.item.title}”")

    @property
    def verdict(self) -> str:
        """The decision and whether agreement holds across the strata, in one sentence."""
        return tallies.verdict(self.tally, self.strata)


@dataclass(frozen=True)
class RoundResults:
    setup: VoteRound
    principles: list[PrincipleResult]       # in ballot order
    for_officers: bool

    def _labelled(self) -> list[tuple[str, tallies.Tally]]:
        return [(f"{r.position + 1}. {r.item.title}", r.tally) for r in self.principles]

    @property
    def overview_chart(self) -> Markup:
        if not self.principles:
            return Markup("")
        return Markup(charts.agreement_overview_chart(self._labelled(),
                                                      rule=self.principles[0].tally.rule))

    @property
    def overview_table(self) -> charts.ChartTable | None:
        return charts.overview_table(self._labelled()) if self.principles else None

    @property
    def method_note(self) -> str:
        return tallies.method_note(Scale(self.setup.scale), rule_of(self.setup), k=SMALL_CELL,
                                   suppress=not self.for_officers)

    @property
    def by_agreement(self) -> list[PrincipleResult]:
        return sorted(self.principles, key=lambda r: (-r.tally.share_agree, r.position))

    @property
    def adopted(self) -> int:
        return sum(1 for r in self.principles if r.tally.decision.adopted)


def load(session: Session, round_item: Round, *, for_officers: bool) -> RoundResults | None:
    """The round's results recomputed from the stored inputs; None before sealing."""
    round_id = row_id(round_item.id)
    setup = session.get(VoteRound, round_id)
    if setup is None or setup.sealed_at is None:
        return None
    stored = {t.principle_id: t for t in session.exec(
        select(Tally).where(Tally.round_id == round_id)).all()}
    found = []
    for position, item in enumerate(papers.paper(session, round_item)):
        row = stored.get(row_id(item.principle.id))
        if row is None:
            continue
        found.append(_result(item, position, row, for_officers=for_officers))
    return RoundResults(setup, found, for_officers)


def _result(item: papers.Item, position: int, row: Tally, *, for_officers: bool
            ) -> PrincipleResult:
    """Recomputed from the stored inputs, as an auditor would (`tallies.recompute`); members
    get small cells withheld."""
    tally, strata = tallies.recompute({**row.inputs, "suppress": not for_officers})
    return PrincipleResult(item, position, tally, strata, row.digest, row.method_version)
