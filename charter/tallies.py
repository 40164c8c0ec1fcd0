"""The count of a vote round, per principle: what a sceptical councillor, a statistician and a
resident must all be able to check (issue 11, item 5; DESIGN.md, "Tallies").

Per principle, on the round's scale: the ballots per option, turnout against the eligible members,
% agree = the agreeing options / every valid ballot, "unsure" (and, on the consent scale,
"concerns") included in the denominator, % strongly agree, net agreement, the Wilson 95 % interval
of % agree, and the decision under the round's rule. The rule's threshold is applied to % agree or,
if the round says so, to the lower end of its interval; a quorum on turnout comes first.

Thresholds, exactly (compared as fractions, so 40 of 60 is two-thirds and not a rounding error):
majority > 1/2 (30 of 60 is not adopted), two-thirds >= 2/3, three-quarters >= 3/4, four-fifths
>= 4/5, consent: no block and % agree >= the round's consent threshold. The quorum is met when
turnout >= quorum.

Across strata, per selection feature: % agree per value with its n, the lowest of them, the
geometric mean of the smoothed agree rates (A+1)/(S+2) (a product would shrink as values are
added), and an exact test of whether agreement differs between the values (Freeman-Halton, which
for two values is Fisher's exact test), Holm-corrected across the features of the principle, so a
result can say honestly "adopted, but contested among 16-29". Cells of fewer than k members are
withheld from members and the public, with a second cell when one alone could be worked out from
the public totals.

`digest` fingerprints a tally's inputs with METHOD_VERSION, so anyone holding the stored inputs can
recompute the tally (`recompute`) and check it. Pure: numpy and scipy only, no web or database.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from fractions import Fraction
from typing import Any

import numpy as np

METHOD_VERSION = "1"

Z95 = 1.96  # the 97.5th percentile of the standard normal, as DESIGN.md and every textbook round it
SMALL_CELL = 5           # members; the k of every table members or the public see (DESIGN.md)
CONTESTED = 0.05         # Holm-adjusted p below this: agreement differs between a feature's values
TIES = 1e-7              # relative tolerance for "as probable as the observed table" (as R and scipy)
EXACT_LIMIT = 2_000_000  # tables per half of the exact enumeration; beyond it, Monte Carlo
PERMUTATIONS = 100_000   # draws of the Monte Carlo test, when the exact one is out of reach
SEED = 20261204          # its fixed seed: the same counts always give the same p-value


class TallyError(ValueError):
    """Counts or a rule that cannot be tallied; the message says what is wrong and how to fix it."""


class Scale(str, enum.Enum):
    five = "five"          # strongly_agree, agree, unsure, disagree, strongly_disagree
    three = "three"        # agree, unsure, disagree
    consent = "consent"    # agree, concerns, block


OPTIONS: dict[Scale, tuple[str, ...]] = {
    Scale.five: ("strongly_agree", "agree", "unsure", "disagree", "strongly_disagree"),
    Scale.three: ("agree", "unsure", "disagree"),
    Scale.consent: ("agree", "concerns", "block"),
}
_OPTION_SETS = {scale: frozenset(options) for scale, options in OPTIONS.items()}
AGREE: dict[Scale, frozenset[str]] = {
    Scale.five: frozenset({"strongly_agree", "agree"}),
    Scale.three: frozenset({"agree"}),
    Scale.consent: frozenset({"agree"}),
}
# The other side of net agreement. "unsure" and "concerns" are on neither side: they count as
# valid ballots (they lower % agree) but move net agreement neither way.
DISAGREE: dict[Scale, frozenset[str]] = {
    Scale.five: frozenset({"disagree", "strongly_disagree"}),
    Scale.three: frozenset({"disagree"}),
    Scale.consent: frozenset({"block"}),
}
LABELS: dict[str, str] = {
    "strongly_agree": "Strongly agree",
    "agree": "Agree",
    "unsure": "Unsure",
    "disagree": "Disagree",
    "strongly_disagree": "Strongly disagree",
    "concerns": "Agree with concerns",
    "block": "Block",
}


class RuleKind(str, enum.Enum):
    majority = "majority"              # > 50 %
    two_thirds = "two_thirds"          # >= 2/3
    three_quarters = "three_quarters"  # >= 75 %
    four_fifths = "four_fifths"        # >= 80 %
    consent = "consent"                # no block, and agree share >= threshold


THRESHOLDS: dict[RuleKind, Fraction] = {
    RuleKind.majority: Fraction(1, 2),
    RuleKind.two_thirds: Fraction(2, 3),
    RuleKind.three_quarters: Fraction(3, 4),
    RuleKind.four_fifths: Fraction(4, 5),
}
RULE_WORDS: dict[RuleKind, str] = {
    RuleKind.majority: "more than half",
    RuleKind.two_thirds: "two-thirds",
    RuleKind.three_quarters: "three-quarters",
    RuleKind.four_fifths: "four-fifths",
    RuleKind.consent: "consent",
}


def _fraction(value: float) -> Fraction:
    """A setting as people typed it: 0.7 is 7/10, not the binary float just above it."""
    return Fraction(repr(float(value)))


@dataclass(frozen=True)
class Rule:
    kind: RuleKind = RuleKind.majority
    on_lower_bound: bool = False    # apply the threshold to the Wilson interval's lower bound
    quorum: float = 0.0             # minimum turnout (valid ballots / eligible), 0..1
    consent_threshold: float = 0.5  # for consent: agree share needed besides no block

    def __post_init__(self) -> None:
        if not isinstance(self.kind, RuleKind):
            raise TallyError(f"Unknown rule {self.kind!r}: use one of "
                             + ", ".join(k.value for k in RuleKind) + ".")
        for name in ("quorum", "consent_threshold"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) \
                    or not 0.0 <= float(value) <= 1.0:
                raise TallyError(f"The rule's {name.replace('_', ' ')} must be a share between 0 "
                                 f"and 1 (0.5 for half), not {value!r}.")

    @property
    def threshold(self) -> Fraction:
        """The share of agreement needed, exactly."""
        if self.kind is RuleKind.consent:
            return _fraction(self.consent_threshold)
        return THRESHOLDS[self.kind]

    @property
    def strict(self) -> bool:
        """Majority needs more than half; every other threshold is "at least"."""
        return self.kind is RuleKind.majority


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n: unlike p ± z·se it stays inside [0, 1] and
    is honest for small n and shares near 0 or 1. 48 of 59 gives (0.696.., 0.893..). With no
    ballots nothing is known: (0, 1)."""
    if n < 0 or not 0 <= k <= n:
        raise TallyError(f"An interval needs 0 <= k <= n, not k={k}, n={n}.")
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Clamp rounding at the ends (k = 0 or k = n), so the interval always contains k/n.
    return (max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)))


@dataclass(frozen=True)
class Decision:
    adopted: bool
    reason: str        # in words: "Adopted: 81.4 % agree, above the two-thirds needed"
    quorum_met: bool


@dataclass(frozen=True)
class Tally:
    scale: Scale
    counts: dict[str, int]         # every option of the scale, zeros included
    valid: int                     # ballots counted (including unsure)
    eligible: int
    turnout: float                 # valid / eligible (0 when eligible is 0)
    agree: int
    share_agree: float             # agree / valid (0 when valid is 0)
    share_strongly_agree: float | None   # five-point scale only
    net_agreement: float           # (agree side - disagree side) / valid
    interval: tuple[float, float]  # Wilson 95 % of agree / valid
    decision: Decision
    rule: Rule = Rule()
    disagree: int = 0              # ballots on the disagree side (block, on the consent scale)

    def share(self, option: str) -> float:
        """One option's share of the valid ballots (0 when there are none)."""
        return self.counts[option] / self.valid if self.valid else 0.0


def percent(share: float, decimals: int = 1) -> str:
    """A share as the results pages write it: "81.4 %", "40 %" (a whole number loses its .0)."""
    text = f"{share * 100:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


def _percent_against(share: float, threshold: float) -> str:
    """One decimal, or as many more as it takes not to print 66.7 % for a share just below 2/3."""
    for decimals in (1, 2, 3, 4):
        if share == threshold or round(share * 100, decimals) != round(threshold * 100, decimals):
            return percent(share, decimals)
    return percent(share, 4)


def _scale(scale: Scale | str) -> Scale:
    try:
        return Scale(scale)
    except ValueError:
        raise TallyError(f"Unknown scale {scale!r}: use one of "
                         + ", ".join(s.value for s in Scale) + ".") from None


def _counts(scale: Scale, counts: Mapping[str, int], where: str = "") -> dict[str, int]:
    """Every option of the scale with its count (missing ones are 0); refuses anything else."""
    if counts.keys() <= _OPTION_SETS[scale]:
        out = {option: counts.get(option, 0) for option in OPTIONS[scale]}
        if all(type(value) is int and value >= 0 for value in out.values()):
            return out  # the usual case, quickly: plain whole numbers
    unknown = sorted(set(counts) - set(OPTIONS[scale]))
    if unknown:
        raise TallyError(f"{where}{', '.join(map(repr, unknown))} "
                         f"{'is not an option' if len(unknown) == 1 else 'are not options'} of the "
                         f"{scale.value} scale; its options are {', '.join(OPTIONS[scale])}.")
    out = {}
    for option in OPTIONS[scale]:
        value = counts.get(option, 0)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise TallyError(f"{where}the count of {option!r} must be a whole number of ballots, "
                             f"0 or more, not {value!r}.")
        out[option] = int(value)
    return out


def tally(scale: Scale, counts: Mapping[str, int], eligible: int, rule: Rule) -> Tally:
    """The tally of one principle: `counts` per option (missing options are 0), `eligible` the
    members who could vote in the round."""
    scale = _scale(scale)
    full = _counts(scale, counts)
    if isinstance(eligible, bool) or not isinstance(eligible, (int, np.integer)) or eligible < 0:
        raise TallyError(f"Eligible members must be a whole number, 0 or more, not {eligible!r}.")
    if rule.kind is RuleKind.consent and scale is not Scale.consent:
        raise TallyError("The consent rule needs the consent scale (agree, concerns, block): "
                         f"choose another rule for the {scale.value} scale, or the consent scale.")
    valid = sum(full.values())
    eligible = int(eligible)
    if valid > eligible:
        raise TallyError(f"{valid} ballots but only {eligible} eligible members: check the count "
                         "of eligible members for this round.")
    agree = sum(full[o] for o in AGREE[scale])
    disagree = sum(full[o] for o in DISAGREE[scale])
    share_agree = agree / valid if valid else 0.0
    interval = wilson(agree, valid)
    return Tally(
        scale=scale,
        counts=full,
        valid=valid,
        eligible=eligible,
        turnout=valid / eligible if eligible else 0.0,
        agree=agree,
        share_agree=share_agree,
        share_strongly_agree=(full["strongly_agree"] / valid if valid else 0.0)
        if scale is Scale.five else None,
        net_agreement=(agree - disagree) / valid if valid else 0.0,
        interval=interval,
        decision=decide(scale, full, eligible, rule),
        rule=rule,
        disagree=disagree,
    )


def decide(scale: Scale, counts: Mapping[str, int], eligible: int, rule: Rule) -> Decision:
    """The decision under the round's rule, with the reason in words. Quorum first, then (consent)
    blocks, then the threshold on % agree or on the lower end of its 95 % interval."""
    scale = _scale(scale)
    counts = _counts(scale, counts)
    valid = sum(counts.values())
    agree = sum(counts[o] for o in AGREE[scale])
    quorum = _fraction(rule.quorum)
    quorum_met = valid * quorum.denominator >= quorum.numerator * eligible if eligible else \
        quorum == 0
    if not quorum_met:
        turnout = valid / eligible if eligible else 0.0
        return Decision(False, f"No decision: turnout {_percent_against(turnout, float(quorum))} "
                               f"is below the quorum of {percent(float(quorum))}", False)
    if valid == 0:
        return Decision(False, "Not adopted: no ballots were cast", True)
    point = percent(agree / valid)
    prefix = ""
    if rule.kind is RuleKind.consent:
        blocks = counts["block"]
        if blocks:
            return Decision(False, f"Not adopted: {blocks} block{'s' if blocks != 1 else ''}",
                            True)
        prefix = "no block, and "
    threshold = rule.threshold
    needed = (f"the {percent(float(threshold))} needed" if rule.kind is RuleKind.consent
              else "the half needed" if rule.kind is RuleKind.majority
              else f"the {RULE_WORDS[rule.kind]} needed")
    if rule.on_lower_bound:
        low = wilson(agree, valid)[0]
        passed = low > threshold if rule.strict else low >= threshold
        shown = _percent_against(low, float(threshold))
        share = Fraction(agree, valid)
        point_passes = share > threshold if rule.strict else share >= threshold
        conjunction = "but" if point_passes and not passed else "and"
        subject = f"{point} agree, {conjunction} the lower end of its 95 % interval, {shown}, is"
        exact = False
    else:
        share = Fraction(agree, valid)
        passed = share > threshold if rule.strict else share >= threshold
        subject = f"{_percent_against(agree / valid, float(threshold))} agree,"
        exact = share == threshold
    if rule.strict:
        comparison = "more than" if passed else "not more than"
    elif passed:
        comparison = "exactly" if exact else "above"
    else:
        comparison = "below"
    verdict = "Adopted" if passed else "Not adopted"
    return Decision(passed, f"{verdict}: {prefix}{subject} {comparison} {needed}", True)


# --- agreement across strata -----------------------------------------------------------------------


@dataclass(frozen=True)
class ValueAgreement:
    value: str
    n: int | None                  # None when suppressed
    agree: int | None
    share_agree: float | None      # None when suppressed, or when nobody with this value voted
    suppressed: bool


@dataclass(frozen=True)
class FeatureAgreement:
    feature: str
    values: tuple[ValueAgreement, ...]
    lowest: ValueAgreement | None   # the value with the lowest share among those shown
    geometric_mean: float           # of smoothed agree rates (A+1)/(S+2) over the values shown
                                    # that have voters (NaN when none has)
    p_value: float                  # exact test (Fisher / Freeman-Halton) that agreement differs
    p_adjusted: float               # Holm-corrected across the features of this principle
    contested: bool                 # p_adjusted < 0.05
    test: str = "exact"             # "exact", or "monte carlo" when the exact test is out of reach


def _smoothed(agree: int, n: int) -> float:
    """Pol.is's smoothed agree rate: a value with few voters is pulled towards one half."""
    return (agree + 1) / (n + 2)


def strata(scale: Scale, counts_by_value: Mapping[str, Mapping[str, Mapping[str, int]]], *,
           k: int = SMALL_CELL, suppress: bool = True) -> tuple[FeatureAgreement, ...]:
    """Agreement per value of each selection feature, in the order given.

    counts_by_value[feature][value][option] -> ballots. With `suppress` (anything members or the
    public see) a value with fewer than k voters is withheld; when that would leave exactly one
    withheld value with voters in a feature, the next smallest is withheld too, since the public
    total minus the values shown would give it away. The test then runs on the values shown plus
    the withheld ones pooled into one row (which the totals already reveal), the lowest value and
    the geometric mean are over the values shown. Officers (suppress=False) see every value, and
    their test runs on every value. Values nobody voted in are left out of the lowest, the
    geometric mean and the test alike (the geometric mean is NaN when no value is left).
    """
    scale = _scale(scale)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise TallyError(f"The smallest cell shown, k, must be a whole number of 1 or more, "
                         f"not {k!r}.")
    agree_options = AGREE[scale]
    tables: list[tuple[str, list[tuple[str, int, int]]]] = []
    for feature, by_value in counts_by_value.items():
        rows = []
        for value, counts in by_value.items():
            full = _counts(scale, counts, where=f"{feature} {value}: ")
            rows.append((str(value), sum(full[o] for o in agree_options), sum(full.values())))
        tables.append((str(feature), rows))

    partial = []
    for feature, rows in tables:
        hidden: set[int] = set()
        if suppress:
            hidden = {i for i, (_, _, n) in enumerate(rows) if n < k}
            with_voters = [i for i in hidden if rows[i][2] > 0]
            shown = [i for i in range(len(rows)) if i not in hidden]
            if len(with_voters) == 1 and shown:
                hidden.add(min(shown, key=lambda i: (rows[i][2], i)))
        values = tuple(
            ValueAgreement(value, None, None, None, True) if i in hidden
            else ValueAgreement(value, n, a, a / n if n else None, False)
            for i, (value, a, n) in enumerate(rows)
        )
        test_rows = [(a, n) for i, (_, a, n) in enumerate(rows) if i not in hidden]
        if hidden:
            test_rows.append((sum(rows[i][1] for i in hidden), sum(rows[i][2] for i in hidden)))
        p_value, method = agreement_test([a for a, _ in test_rows], [n for _, n in test_rows])
        shown_values = [v for v in values if not v.suppressed and v.n]
        lowest = min(shown_values, key=lambda v: v.share_agree or 0.0) if shown_values else None
        smoothed = [_smoothed(v.agree or 0, v.n or 0) for v in shown_values]
        geometric = math.exp(sum(math.log(s) for s in smoothed) / len(smoothed)) if smoothed \
            else math.nan
        partial.append((feature, values, lowest, geometric, p_value, method))

    adjusted = holm([p for *_, p, _ in partial])
    return tuple(
        FeatureAgreement(feature, values, lowest, geometric, p, q, q < CONTESTED, method)
        for (feature, values, lowest, geometric, p, method), q in zip(partial, adjusted,
                                                                       strict=True)
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down correction, in the order given: the i-th smallest p times (m - i + 1),
    made non-decreasing, at most 1. It keeps the chance of calling any feature contested by
    mistake at 5 % however many features the panel was selected on."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


# --- the exact test of an r x 2 table --------------------------------------------------------------


_LOG_FACTORIALS = np.zeros(1)


def _log_factorials(n: int) -> np.ndarray:
    """log k! for k = 0..n (at least), kept and grown as needed: exact sums of logs, and far
    quicker than the gamma function for the many small binomials of an exact test."""
    global _LOG_FACTORIALS
    if len(_LOG_FACTORIALS) <= n:
        size = max(n + 1, 2 * len(_LOG_FACTORIALS))
        _LOG_FACTORIALS = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, size)))))
    return _LOG_FACTORIALS


def _log_choose(n: np.ndarray | int, a: np.ndarray | int) -> np.ndarray:
    """log C(n, a), elementwise, for whole numbers 0 <= a <= n."""
    n_ = np.asarray(n, dtype=np.int64)
    a_ = np.asarray(a, dtype=np.int64)
    table = _log_factorials(int(n_.max()) if n_.size else 0)
    return np.asarray(table[n_] - table[a_] - table[n_ - a_])


def agreement_test(agree: Sequence[int], n: Sequence[int]) -> tuple[float, str]:
    """Does agreement differ between the values of a feature? The p-value of the Freeman-Halton
    exact test on the r x 2 table (agree, not agree) x value, and "exact" or "monte carlo".

    Given every value's number of voters and the total agreeing, each way of sharing the agrees
    out has the multivariate hypergeometric probability prod C(n_i, a_i) / C(N, A); the p-value
    is the total probability of the tables no more probable than the one observed (relative
    tolerance 1e-7 for ties). For two values this is Fisher's exact test, two-sided, exactly as
    scipy.stats.fisher_exact computes it (the tests check both agree; this is some ten times
    quicker, which the 240 tests of a round's results need). Values nobody voted in are left
    out; fewer than two values left, or nobody or everybody agreeing, gives p = 1.

    Every table is accounted for exactly (a network algorithm meeting in the middle). The values
    are split in two halves. Ways of sharing agrees within the first half are built one value at
    a time; a partial way whose every completion is decided, because even the most probable
    completion is no more probable than the observed table (all count: their probabilities add
    up to C(M, A - s)/C(N, A), Vandermonde) or even the least probable one is more probable
    (none count), is settled at once and dropped. The second half's ways are sorted once, and
    each first-half way still open finds by binary search how many of them complete a table no
    more probable than the observed one. Only when a half would hold more than EXACT_LIMIT ways
    at once (many values with many voters: 8 values of some 40 voters each, beyond an assembly of
    150 to 300 with its usual features) does it fall back to a Monte Carlo permutation test: PERMUTATIONS random tables with the same margins, from a FIXED
    seed, p = (1 + as extreme) / (1 + PERMUTATIONS), so the same counts always give the same
    answer.
    """
    rows = [(int(a), int(m)) for a, m in zip(agree, n, strict=True) if int(m) > 0]
    for a, m in rows:
        if not 0 <= a <= m:
            raise TallyError(f"A value with {m} voters cannot have {a} agreeing.")
    total_agree = sum(a for a, _ in rows)
    total = sum(m for _, m in rows)
    if len(rows) < 2 or total_agree == 0 or total_agree == total:
        return 1.0, "exact"
    rows.sort(key=lambda row: -row[1])
    sizes = [m for _, m in rows]
    observed = float(_log_choose(np.array(sizes), np.array([a for a, _ in rows])).sum())
    threshold = observed + math.log1p(TIES)
    p = _exact(sizes, total_agree, threshold)
    if p is None:
        return _monte_carlo(np.array(sizes), total_agree, threshold), "monte carlo"
    return p, "exact"


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False  # cached and shared between calls: nobody may change it
    return array


@functools.lru_cache(maxsize=1024)
def _ways_of_one(size: int) -> tuple[np.ndarray, np.ndarray]:
    """0..size agrees within one value, and log C(size, a) for each."""
    logs = _log_factorials(size)
    a = np.arange(size + 1, dtype=np.int64)
    return _frozen(a), _frozen(logs[size] - logs[a] - logs[size - a])


@functools.lru_cache(maxsize=1024)
def _most_probable(sizes: tuple[int, ...]) -> np.ndarray:
    """For t = 0..sum(sizes) agrees shared out among these values: the largest
    log prod C(n_i, a_i). log C(n, a) is concave in a, its gains log((n - a)/(a + 1)) fall as a
    grows, so taking the t largest gains over all the values at once (a prefix of each value's)
    is the best way: their running sum is the bound for every t."""
    gains = np.concatenate([np.log((m - np.arange(m)) / (np.arange(m) + 1.0)) for m in sizes])
    return _frozen(np.concatenate(([0.0], np.cumsum(np.sort(gains)[::-1]))))


@functools.lru_cache(maxsize=256)
def _sorted_half(sizes: tuple[int, ...]) -> tuple[np.ndarray, float, np.ndarray, np.ndarray,
                                                   np.ndarray]:
    """Every way of sharing agrees out within these values, sorted by (agrees, log ways) as one
    key agrees * spread + log ways, with the start of each number of agrees in it, each one's most
    probable way, and running sums of ways within each, least probable first. Each row of the
    grid starts from 0 (a running sum across all of them would lose the smallest terms to
    rounding) and is scaled by its most probable way. It does not depend on the number agreeing,
    so the principles of a round with the same voters per value share it."""
    s2 = np.zeros(1, dtype=np.int64)
    l2 = np.zeros(1)
    for size in sizes:
        a, log_c = _ways_of_one(size)
        s2 = (s2[:, None] + a).ravel()
        l2 = (l2[:, None] + log_c).ravel()
    # Log ways lie in [0, spread - 2]; both parts come back from the key (the +1 keeps the floor
    # clear of rounding at whole multiples of spread).
    spread = float(l2.max()) + 2.0
    key = np.sort(s2 * spread + l2)
    s2 = np.floor((key + 1.0) / spread).astype(np.int64)
    l2 = key - s2 * spread
    segments = int(s2[-1]) + 1
    starts = np.searchsorted(s2, np.arange(segments + 1), side="left")
    tops = l2[starts[1:] - 1]  # every number of agrees has ways; its most probable comes last
    grid = np.zeros((segments, int(np.diff(starts).max()) + 1))
    grid[s2, np.arange(len(s2)) - starts[s2] + 1] = np.exp(l2 - tops[s2])
    return (_frozen(key), spread, _frozen(starts), _frozen(tops),
            _frozen(np.cumsum(grid, axis=1)))


def clear_caches() -> None:
    """Forget the ways kept between tests (benchmarks start each run cold with this)."""
    _ways_of_one.cache_clear()
    _most_probable.cache_clear()
    _sorted_half.cache_clear()


SORTED = 4_096       # ways in the second half, which is sorted in full
PRUNE_FROM = 20_000  # ways in the first half from which settling decided ones pays for itself


def _exact(sizes: list[int], target: int, threshold: float) -> float | None:
    """The exact p-value (see agreement_test), or None when it would take more than EXACT_LIMIT
    ways in memory. `sizes` are sorted, largest first."""
    # The second half is enumerated in full and sorted once, so it takes the smallest values,
    # as many as fit in SORTED ways (at least one); the first half, at least one value, is built
    # value by value, settling what is decided as it goes when it is large.
    cut = len(sizes) - 1
    while cut > 1 and math.prod(m + 1 for m in sizes[cut - 1:]) <= SORTED:
        cut -= 1
    first, second = sizes[:cut], tuple(sizes[cut:])
    if math.prod(m + 1 for m in second) > EXACT_LIMIT:
        return None
    total = sum(sizes)
    logs = _log_factorials(total)
    log_all = float(logs[total] - logs[target] - logs[total - target])
    prune = math.prod(m + 1 for m in first) > PRUNE_FROM
    p = 0.0

    agrees = np.zeros(1, dtype=np.int64)
    log_ways = np.zeros(1)
    remaining = total
    for j, size in enumerate(first):
        remaining -= size
        if len(agrees) * (size + 1) > EXACT_LIMIT:
            return None
        a, log_c = _ways_of_one(size)
        agrees = (agrees[:, None] + a).ravel()
        log_ways = (log_ways[:, None] + log_c).ravel()
        keep = (agrees <= target) & (agrees + remaining >= target)
        agrees, log_ways = agrees[keep], log_ways[keep]
        if prune:
            # Even the most probable completion is no more probable than the observed table (with
            # a margin for rounding; what is left open is counted exactly below): all count, and
            # their ways add up to C(remaining, left) (Vandermonde).
            left = target - agrees
            best = _most_probable(tuple(sizes[j + 1:]))[left]
            every = log_ways + best + 1e-9 <= threshold
            if every.any():
                settled = left[every]
                p += float(np.exp(log_ways[every] + logs[remaining] - logs[settled]
                                  - logs[remaining - settled] - log_all).sum())
                agrees, log_ways = agrees[~every], log_ways[~every]
                if not len(agrees):
                    return min(1.0, max(0.0, p))

    # Each open way of the first half, completed by the second: binary search for how many of
    # its completions are no more probable than the observed table, and add up their ways.
    key, spread, starts, tops, grid = _sorted_half(second)
    need = target - agrees  # 0..sum(second), as the first half kept only ways that can finish
    limit = np.clip(threshold - log_ways, -1.0, spread - 1.0)
    upto = np.searchsorted(key, need * spread + limit, side="right")
    counted = grid[need, upto - starts[need]]
    p += float((np.exp(log_ways + tops[need] - log_all) * counted).sum())
    return min(1.0, max(0.0, p))


def _monte_carlo(sizes: np.ndarray, target: int, threshold: float) -> float:
    rng = np.random.default_rng(SEED)
    draws = rng.multivariate_hypergeometric(sizes, target, size=PERMUTATIONS)
    log_p = _log_choose(sizes[None, :], draws).sum(axis=1)
    extreme = int((log_p <= threshold).sum())
    return (1 + extreme) / (1 + PERMUTATIONS)


# --- words -----------------------------------------------------------------------------------------


def verdict(result: Tally, features: Sequence[FeatureAgreement]) -> str:
    """One sentence for the results and the charter: the decision, and whether agreement holds
    across the strata: "Adopted, but contested by age: 16-29 agree least (35 %, 7 of 20)."."""
    head = ("Adopted" if result.decision.adopted
            else "No decision" if not result.decision.quorum_met else "Not adopted")
    contested = [f for f in features if f.contested]
    if not contested:
        if not features:
            return f"{head}."
        return f"{head}, and agreement holds across every selection feature."
    parts = []
    for feature in contested:
        low = feature.lowest
        shown = [v for v in feature.values if not v.suppressed and v.n]
        if low is None or low.share_agree is None or len(shown) < 2:
            parts.append(f"{feature.feature} (its groups are too small to show)")
        else:
            among = " of the groups shown" if any(v.suppressed for v in feature.values) else ""
            parts.append(f"{feature.feature}: {low.value} agree least{among} "
                         f"({percent(low.share_agree)}, {low.agree} of {low.n})")
    joined = parts[0] if len(parts) == 1 else "; ".join(parts[:-1]) + "; and " + parts[-1]
    link = "but contested by" if result.decision.adopted else "and divided by"
    return f"{head}, {link} {joined}."


def method_note(scale: Scale, rule: Rule, *, k: int = SMALL_CELL, suppress: bool = True) -> str:
    """What was computed, in plain English, for the results pages and the published charter."""
    scale = _scale(scale)
    options = ", ".join(LABELS[o].lower() for o in OPTIONS[scale])
    agreeing = " or ".join(f'"{LABELS[o].lower()}"' for o in OPTIONS[scale]
                           if o in AGREE[scale])
    neutral = [f'"{LABELS[o].lower()}"' for o in OPTIONS[scale]
               if o not in AGREE[scale] and o not in DISAGREE[scale]]
    threshold = rule.threshold
    if rule.kind is RuleKind.consent:
        needed = (f"it is adopted when nobody blocks it and at least {percent(float(threshold))} "
                  "agree")
    elif rule.kind is RuleKind.majority:
        needed = "it is adopted when more than half agree (exactly half is not enough)"
    else:
        needed = (f"it is adopted when at least {RULE_WORDS[rule.kind]} agree "
                  f"({percent(float(threshold))} or more; exactly {RULE_WORDS[rule.kind]} is enough)")
    if rule.on_lower_bound:
        needed += (", judged on the lower end of the 95 % interval rather than on the share itself, "
                   "so a principle is adopted only if the support is clear beyond chance")
    sentences = [
        (f"Members voted on each principle on this scale: {options}. "
         "Each member had one ballot per principle and could change it until the round closed."),
        f"% agree is the number who chose {agreeing} divided by every ballot cast on that "
        "principle" + (f", {' and '.join(neutral)} included" if neutral else "") + ".",
    ]
    if scale is Scale.five:
        sentences.append('% strongly agree is "strongly agree" divided by the same total.')
    sentences.append(
        "Net agreement is the share on the agreeing side minus the share on the "
        + ("blocking" if scale is Scale.consent else "disagreeing") + " side.")
    sentences.append(
        "The 95 % interval is the Wilson score interval of % agree: the range of support that "
        "these ballots are consistent with.")
    if rule.quorum > 0:
        sentences.append(
            f"Turnout is ballots cast divided by the members eligible to vote. There was a "
            f"quorum: with turnout below {percent(float(_fraction(rule.quorum)))} no decision is "
            "taken.")
    else:
        sentences.append("Turnout is ballots cast divided by the members eligible to vote; "
                         "there was no quorum.")
    sentences.append(f"The round's rule: {needed}.")
    sentences.append(
        "For each feature the panel was selected on (such as age or area), the results show % "
        "agree among the members with each value, the lowest of them, and the geometric mean of "
        "the smoothed agree rates (agree + 1) / (ballots + 2). An exact test (Fisher's for two "
        "values, Freeman-Halton's for more) asks whether agreement differs between the values by "
        "more than chance would explain; its p-values are corrected for the number of features "
        "by Holm's method, and a feature with a corrected p-value below 0.05 is reported as "
        "contested.")
    if suppress:
        sentences.append(
            f"Groups of fewer than {k} voters are not shown, so that nobody can be picked out; "
            "sometimes a second group is held back too, so the first cannot be worked out from "
            "the totals. The test then treats the groups held back as one.")
    sentences.append(
        f"Method version {METHOD_VERSION}; every count and setting behind these figures is "
        "published with its SHA-256 fingerprint, so anyone can recompute them.")
    return " ".join(sentences)


# --- fingerprints and recomputing ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Plain JSON data: the common types first (a round's inputs are thousands of counts)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value
    if kind is dict:
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (bool, str)):
        return bool(value) if isinstance(value, bool) else str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise TallyError(f"Cannot fingerprint {value!r}: inputs must be finite numbers.")
        number = float(value)
        return int(number) if number.is_integer() else number
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    raise TallyError(f"Cannot fingerprint a {type(value).__name__}: pass numbers, text, lists "
                     "and mappings.")


def canonical(inputs: Any) -> str:
    """The inputs as canonical JSON: keys sorted, no spaces, enums as their values, whole floats
    as integers (so 1.0 and 1 fingerprint alike), together with METHOD_VERSION."""
    return json.dumps({"method": METHOD_VERSION, "inputs": _plain(inputs)}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(inputs: Any) -> str:
    """sha256 hex of the canonical JSON of a tally's inputs and the method's version."""
    return hashlib.sha256(canonical(inputs).encode("utf-8")).hexdigest()


def inputs(scale: Scale, counts: Mapping[str, int], eligible: int, rule: Rule,
           counts_by_value: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None, *,
           k: int = SMALL_CELL, suppress: bool = True) -> dict[str, Any]:
    """Everything a principle's tally is computed from, as plain data to store next to it and
    to `digest`; `recompute` gives the same tally back from it."""
    plain: dict[str, Any] = _plain({
        "scale": _scale(scale),
        "counts": _counts(_scale(scale), counts),
        "eligible": eligible,
        "rule": rule,
        "strata": counts_by_value or {},
        "k": k,
        "suppress": suppress,
    })
    return plain


def recompute(stored: Mapping[str, Any]) -> tuple[Tally, tuple[FeatureAgreement, ...]]:
    """The tally and strata again from stored `inputs(...)`: what an auditor runs."""
    try:
        scale = _scale(stored["scale"])
        raw_rule = dict(stored["rule"])
        rule = Rule(kind=RuleKind(raw_rule.pop("kind")), **raw_rule)
        result = tally(scale, stored["counts"], stored["eligible"], rule)
        features = strata(scale, stored["strata"], k=stored["k"], suppress=stored["suppress"])
    except (KeyError, TypeError) as error:
        raise TallyError(f"These stored inputs are incomplete ({error}); they should be what "
                         "inputs(...) returned.") from None
    return result, features
