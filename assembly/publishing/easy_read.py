"""The easy-read summary of the charter: the second PDF (issue 12, item 3).

Written to the UK easy-read conventions (Mencap; Department of Health, "Making written
information easier to understand"): large type, short sentences, one idea per line, plain words,
a picture beside each result, numbers as "45 out of 60", never a bare percentage. Every result
comes from the same stored tally as the full charter (`PrincipleVote.public()`), so the two can
never disagree; only the words differ.

The sentences are made here, one per line, so they can be tested; the template only lays them
out (`templates/publishing/easy_read.html`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

import jinja2

from assembly.templating import TEMPLATES
from charter.publication import Principle, PrincipleVote, ResponseStatus, Snapshot
from charter.tallies import Rule, RuleKind, Scale, Tally

TEMPLATE = "publishing/easy_read.html"
SIMPLE = (2, 3, 4, 5)    # "3 out of 4" reads more easily than "75 %" or "7 out of 10"
CLOSE = 0.02             # how near a simple fraction a share must be to be "about" it


class Result(str, enum.Enum):
    """What happened to a principle, as the picture beside it shows."""

    agreed = "agreed"            # a tick
    not_agreed = "not_agreed"    # a cross
    no_decision = "no_decision"  # a question mark: too few voted, or no vote at all


PICTURE_TITLES = {Result.agreed: "Tick: the members agreed",
                  Result.not_agreed: "Cross: not enough members agreed",
                  Result.no_decision: "Question mark: no decision"}


def counted(n: int, thing: str, things: str | None = None) -> str:
    """'1 member', '3 members'."""
    return f"{n} {thing if n == 1 else (things or thing + 's')}"


def out_of(share: Fraction) -> str:
    """A share people read at a glance: 'half', '2 out of 3', '7 out of 10'."""
    if share == Fraction(1, 2):
        return "half"
    if share.denominator <= 10:
        return f"{share.numerator} out of {share.denominator}"
    if 100 % share.denominator == 0:
        return f"{share.numerator * 100 // share.denominator} out of 100"
    return f"about {round(share * 10)} out of 10"


def share_in_words(part: int, whole: int) -> str:
    """The second line under a count: 45 of 60 is 'That is 3 out of 4.'; 50 of 59 is 'That is
    about 8 out of 10.' A share near everyone or nobody says so rather than rounding to 10 or 0."""
    if whole <= 0 or not 0 <= part <= whole:
        raise ValueError(f"A share needs 0 <= part <= whole and whole > 0, not {part} of {whole}.")
    exact = Fraction(part, whole)
    if part == whole:
        return "That is everyone."
    if part == 0:
        return "That is nobody."
    if exact.denominator in SIMPLE:
        return f"That is {out_of(exact)}."
    for denominator in SIMPLE:
        near = Fraction(round(exact * denominator), denominator)
        if 0 < near < 1 and abs(exact - near) <= CLOSE:
            return f"That is about {out_of(near)}."
    tenths = round(exact * 10)
    if tenths >= 10:
        return "That is almost everyone."
    if tenths <= 0:
        return "That is fewer than 1 out of 10."
    return f"That is about {tenths} out of 10."


def needed(rule: Rule) -> list[str]:
    """What the round's rule asked for, in words."""
    threshold = rule.threshold
    if rule.kind is RuleKind.consent:
        lines = ["It needed nobody to block it.",
                 (f"And it needed at least {out_of(threshold)} of the members who voted "
                  "to agree.")]
    elif rule.kind is RuleKind.majority:
        lines = ["It needed more than half of the members who voted to agree."]
    else:
        lines = [f"It needed at least {out_of(threshold)} of the members who voted to agree."]
    if rule.on_lower_bound:
        lines.append("The rule also asked for a safety margin, to be sure of the result.")
    return lines


def result_of(tally: Tally) -> Result:
    if not tally.decision.quorum_met:
        return Result.no_decision
    return Result.agreed if tally.decision.adopted else Result.not_agreed


def vote_lines(tally: Tally) -> tuple[str, list[str]]:
    """The result in words (the line in bold), then the figures behind it, one per line."""
    if not tally.decision.quorum_met:
        quorum = Fraction(repr(float(tally.rule.quorum)))
        return ("Not enough members voted on this, so there was no decision.", [
            "It is not in the charter.",
            f"{tally.valid} out of {tally.eligible} members voted.",
            f"At least {out_of(quorum)} of the members needed to vote.",
        ])
    if tally.decision.adopted:
        head, lines = "The members agreed with this.", ["It is in the charter."]
    elif tally.scale is Scale.consent and tally.counts["block"]:
        head = (f"{counted(tally.counts['block'], 'member')} blocked this, so it is not in the "
                "charter.")
        lines = []
    else:
        head, lines = "Not enough members agreed with this, so it is not in the charter.", []
    if tally.valid == 0:
        return head, [*lines, "Nobody voted on it."]
    agreed = f"{tally.agree} out of {tally.valid} members who voted agreed."
    if tally.agree == 0:
        agreed = f"None of the {tally.valid} members who voted agreed."
    lines += [agreed]
    if tally.agree:
        lines.append(share_in_words(tally.agree, tally.valid))
    if tally.scale is Scale.consent:
        concerns = tally.counts["concerns"]
        if concerns:
            lines.append(f"{counted(concerns, 'member')} said yes, but with worries.")
        if not tally.counts["block"]:
            lines.append("Nobody blocked it.")
    lines += needed(tally.rule)
    return head, lines


def long_date(value: date | datetime) -> str:
    """'1 June 2026': the day first, no weekday, no abbreviations."""
    return f"{value.day} {value:%B %Y}"


COUNCIL_SAID = {ResponseStatus.accepted: "The council said yes to this.",
                ResponseStatus.accepted_in_part: "The council said yes to part of this.",
                ResponseStatus.not_accepted: "The council said no to this."}


@dataclass(frozen=True)
class Dissent:
    signatures: int
    text: str


@dataclass(frozen=True)
class EasyPrinciple:
    number: int
    title: str
    text: str
    result: Result
    head: str                      # the result in words
    lines: tuple[str, ...]         # the figures behind it, one per line
    council: tuple[str, ...]       # the council's answer, one per line (none: no answer yet)
    council_reasons: str
    dissent: tuple[Dissent, ...]

    @property
    def picture_title(self) -> str:
        return PICTURE_TITLES[self.result]


def _principle(principle: Principle, vote: PrincipleVote | None,
               snapshot: Snapshot) -> EasyPrinciple:
    if vote is None:
        result, head, lines = (Result.no_decision, "The members did not vote on this.",
                               ["It is not in the charter."])
    else:
        tally, _ = vote.public()
        result = result_of(tally)
        head, lines = vote_lines(tally)
    response = next((r for r in snapshot.responses if r.principle == principle.number), None)
    council: tuple[str, ...] = ()
    reasons = ""
    if response is not None:
        council = (COUNCIL_SAID[response.status],
                   f"The council answered on {long_date(response.responded_on)}.")
        reasons = response.reasons
    elif result is Result.agreed:
        council = ("The council has not answered this yet.",)
    dissent = tuple(Dissent(n.signatures, n.text) for n in vote.dissent) if vote else ()
    return EasyPrinciple(principle.number, principle.current.title, principle.current.text,
                         result, head, tuple(lines), council, reasons, dissent)


def and_list(words: Sequence[str]) -> str:
    """'age', 'age and area', 'age, area and gender'."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class EasyRead:
    snapshot: Snapshot
    principles: tuple[EasyPrinciple, ...]

    @property
    def in_charter(self) -> tuple[EasyPrinciple, ...]:
        return tuple(p for p in self.principles if p.result is Result.agreed)

    @property
    def not_in_charter(self) -> tuple[EasyPrinciple, ...]:
        return tuple(p for p in self.principles if p.result is not Result.agreed)

    @property
    def voted(self) -> int:
        return len(self.snapshot.votes)

    @property
    def answered(self) -> int:
        """Principles in the charter the council has answered."""
        numbers = {p.number for p in self.in_charter}
        return sum(1 for r in self.snapshot.responses if r.principle in numbers)

    @property
    def speakers(self) -> int:
        return len({e.speaker for e in self.snapshot.evidence})

    @property
    def features(self) -> str:
        seen = list(dict.fromkeys(row.feature.lower() for row in self.snapshot.panel))
        return and_list(seen) if seen else ""

    def href(self, name: str) -> str:
        """A link to a file of this version. The PDF travels alone, with no folder around it, so
        at the charter's address when known (as the charter's print version links), else
        relative, as the files sit side by side (`minipublic publish --out`)."""
        address = self.snapshot.publication.address
        return address.rstrip("/") + "/" + name if address else name

    @property
    def discussed(self) -> int:
        return max((d.participants for d in self.snapshot.discuss), default=0)


def easy_read(snapshot: Snapshot) -> EasyRead:
    votes = {v.principle: v for v in snapshot.votes}
    return EasyRead(snapshot, tuple(_principle(p, votes.get(p.number), snapshot)
                                    for p in snapshot.principles))


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["long_date"] = long_date
    environment.filters["counted"] = counted
    return environment


def easy_read_html(snapshot: Snapshot) -> str:
    """The easy-read summary as one self-contained HTML document, for WeasyPrint (A4, print)."""
    return _environment().get_template(TEMPLATE).render(e=easy_read(snapshot),
                                                        s=snapshot, Result=Result)
