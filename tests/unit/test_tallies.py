"""The count of a vote round: every formula against hand-computed answers, the rules at their exact
boundaries, small cells withheld, the exact test against textbook p-values and an independent
count in whole numbers, and properties that hold for any counts (fixed-seed Hypothesis)."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from charter import tallies
from charter.tallies import (
    AGREE,
    DISAGREE,
    OPTIONS,
    Rule,
    RuleKind,
    Scale,
    TallyError,
    agreement_test,
    digest,
    holm,
    inputs,
    method_note,
    recompute,
    strata,
    tally,
    verdict,
    wilson,
)
from tests.unit._examples import examples

FIVE = {"strongly_agree": 20, "agree": 28, "unsure": 3, "disagree": 6, "strongly_disagree": 2}


def three(agree: int, disagree: int, unsure: int = 0) -> dict[str, int]:
    return {"agree": agree, "unsure": unsure, "disagree": disagree}


# --- the Wilson interval ---------------------------------------------------------------------------


def test_wilson_48_of_59_is_69_6_to_89_3_percent() -> None:
    low, high = wilson(48, 59)
    assert (round(low * 100, 1), round(high * 100, 1)) == (69.6, 89.3)
    # By hand from DESIGN.md's formula, z = 1.96: centre 0.794391, half-width 0.098183.
    assert low == pytest.approx(0.696208, abs=1e-6)
    assert high == pytest.approx(0.892574, abs=1e-6)


def test_wilson_known_answers_at_the_ends_and_the_middle() -> None:
    # 0 of 10: centre = half-width = (3.8416/20)/(1 + 0.38416) = 0.138770 (rounding of the
    # difference is clamped: the interval starts at 0 exactly).
    assert wilson(0, 10) == (0.0, pytest.approx(0.277540, abs=1e-6))
    assert wilson(10, 10) == (pytest.approx(0.722460, abs=1e-6), 1.0)
    # 5 of 10: centre 0.5, half-width 1.96/1.38416 * sqrt(0.025 + 0.009604) = 0.263410.
    assert wilson(5, 10) == (pytest.approx(0.236590, abs=1e-6), pytest.approx(0.763410, abs=1e-6))
    assert wilson(0, 0) == (0.0, 1.0)  # no ballots: nothing is known


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(TallyError, match="0 <= k <= n"):
        wilson(5, 4)


# --- one principle's tally -------------------------------------------------------------------------


def test_tally_of_a_five_point_ballot_by_hand() -> None:
    result = tally(Scale.five, FIVE, 64, Rule(RuleKind.two_thirds))
    assert result.counts == FIVE
    assert result.valid == 59
    assert result.agree == 48
    assert result.disagree == 8
    assert result.turnout == pytest.approx(59 / 64)
    assert result.share_agree == pytest.approx(0.813559, abs=1e-6)
    assert result.share_strongly_agree == pytest.approx(20 / 59)
    assert result.net_agreement == pytest.approx((48 - 8) / 59)
    assert result.interval == wilson(48, 59)
    assert result.decision.adopted and result.decision.quorum_met
    assert result.decision.reason == "Adopted: 81.4 % agree, above the two-thirds needed"


def test_unsure_is_a_valid_ballot_that_lowers_percent_agree() -> None:
    result = tally(Scale.three, three(agree=30, disagree=20, unsure=10), 60, Rule())
    assert result.valid == 60
    assert result.share_agree == 0.5  # 30 / 60, not 30 / 50
    assert result.share_strongly_agree is None
    assert result.net_agreement == pytest.approx(10 / 60)
    assert not result.decision.adopted


def test_missing_options_count_as_zero_and_every_option_is_reported() -> None:
    result = tally(Scale.consent, {"agree": 7}, 10, Rule(RuleKind.consent))
    assert result.counts == {"agree": 7, "concerns": 0, "block": 0}


@pytest.mark.parametrize(("agree", "adopted"), [(30, False), (31, True)])
def test_majority_means_more_than_half(agree: int, adopted: bool) -> None:
    decision = tally(Scale.three, three(agree, 60 - agree), 60, Rule(RuleKind.majority)).decision
    assert decision.adopted is adopted
    assert decision.reason == {
        30: "Not adopted: 50 % agree, not more than the half needed",
        31: "Adopted: 51.7 % agree, more than the half needed",
    }[agree]


@pytest.mark.parametrize(("kind", "needed", "words"), [
    (RuleKind.two_thirds, 40, "two-thirds"),
    (RuleKind.three_quarters, 45, "three-quarters"),
    (RuleKind.four_fifths, 48, "four-fifths"),
])
def test_supermajorities_are_at_least_their_share(kind: RuleKind, needed: int, words: str) -> None:
    exactly = tally(Scale.three, three(needed, 60 - needed), 60, Rule(kind)).decision
    assert exactly.adopted
    assert exactly.reason.endswith(f"exactly the {words} needed")
    short = tally(Scale.three, three(needed - 1, 61 - needed), 60, Rule(kind)).decision
    assert not short.adopted
    assert short.reason.endswith(f"below the {words} needed")


def test_two_thirds_of_60_is_40_and_reads_so() -> None:
    decision = tally(Scale.three, three(40, 20), 60, Rule(RuleKind.two_thirds)).decision
    assert decision.reason == "Adopted: 66.7 % agree, exactly the two-thirds needed"


def test_a_share_just_below_the_threshold_is_not_printed_as_the_threshold() -> None:
    # 6666 of 10000 is 66.66 %: one decimal would say 66.7 %, which reads as two-thirds.
    decision = tally(Scale.three, three(6666, 3334), 10000, Rule(RuleKind.two_thirds)).decision
    assert not decision.adopted
    assert decision.reason == "Not adopted: 66.66 % agree, below the two-thirds needed"


@pytest.mark.parametrize(("agree", "adopted"), [(47, False), (48, True)])
def test_lower_bound_mode_at_its_boundary(agree: int, adopted: bool) -> None:
    # Of 60: the interval's lower end is 66.38 % for 47 (below 2/3), 68.22 % for 48 (above).
    decision = tally(Scale.three, three(agree, 60 - agree), 60,
                     Rule(RuleKind.two_thirds, on_lower_bound=True)).decision
    assert decision.adopted is adopted
    assert decision.reason == {
        47: "Not adopted: 78.3 % agree, but the lower end of its 95 % interval, 66.4 %, is below "
            "the two-thirds needed",
        48: "Adopted: 80 % agree, and the lower end of its 95 % interval, 68.2 %, is above the "
            "two-thirds needed",
    }[agree]


def test_lower_bound_mode_is_stricter_than_the_point() -> None:
    # 48 of 59 is 81.4 %, above four-fifths, but its interval starts at 69.6 %.
    assert tally(Scale.five, FIVE, 59, Rule(RuleKind.four_fifths)).decision.adopted
    assert not tally(Scale.five, FIVE, 59,
                     Rule(RuleKind.four_fifths, on_lower_bound=True)).decision.adopted
    assert tally(Scale.five, FIVE, 59, Rule(RuleKind.majority, on_lower_bound=True)).decision.adopted


@pytest.mark.parametrize(("valid", "met"), [(50, True), (49, False)])
def test_quorum_exactly_met(valid: int, met: bool) -> None:
    decision = tally(Scale.three, three(valid, 0), 100, Rule(quorum=0.5)).decision
    assert decision.quorum_met is met
    assert decision.adopted is met
    if not met:
        assert decision.reason == "No decision: turnout 49 % is below the quorum of 50 %"


def test_quorum_is_compared_as_typed_not_as_a_binary_float() -> None:
    # 0.7 * 10 is 7.000000000000001 in floating point; 7 of 10 still meets a 70 % quorum.
    assert tally(Scale.three, three(7, 0), 10, Rule(quorum=0.7)).decision.quorum_met
    assert not tally(Scale.three, three(6, 0), 10, Rule(quorum=0.7)).decision.quorum_met


def test_quorum_comes_before_the_count() -> None:
    decision = tally(Scale.consent, {"agree": 4, "block": 1}, 10,
                     Rule(RuleKind.consent, quorum=0.6)).decision
    assert decision.reason == "No decision: turnout 50 % is below the quorum of 60 %"


def test_consent_one_block_stops_it() -> None:
    decision = tally(Scale.consent, {"agree": 59, "block": 1}, 60, Rule(RuleKind.consent)).decision
    assert not decision.adopted
    assert decision.reason == "Not adopted: 1 block"
    two = tally(Scale.consent, {"agree": 58, "block": 2}, 60, Rule(RuleKind.consent)).decision
    assert two.reason == "Not adopted: 2 blocks"


@pytest.mark.parametrize(("agree", "adopted"), [(30, True), (29, False)])
def test_consent_threshold_is_at_least(agree: int, adopted: bool) -> None:
    counts = {"agree": agree, "concerns": 60 - agree, "block": 0}
    decision = tally(Scale.consent, counts, 60,
                     Rule(RuleKind.consent, consent_threshold=0.5)).decision
    assert decision.adopted is adopted
    assert decision.reason == {
        30: "Adopted: no block, and 50 % agree, exactly the 50 % needed",
        29: "Not adopted: no block, and 48.3 % agree, below the 50 % needed",
    }[agree]


def test_no_ballots_is_not_adopted_and_says_so() -> None:
    result = tally(Scale.five, {}, 40, Rule())
    assert (result.valid, result.share_agree, result.net_agreement) == (0, 0.0, 0.0)
    assert result.interval == (0.0, 1.0)
    assert result.decision.reason == "Not adopted: no ballots were cast"
    nobody = tally(Scale.five, {}, 0, Rule())
    assert nobody.turnout == 0.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: tally(Scale.three, {"yes": 3}, 10, Rule()), "'yes' is not an option of the three"),
    (lambda: tally(Scale.three, {"agree": -1}, 10, Rule()), "0 or more"),
    (lambda: tally(Scale.three, {"agree": True}, 10, Rule()), "whole number"),
    (lambda: tally(Scale.three, {"agree": 11}, 10, Rule()), "11 ballots but only 10 eligible"),
    (lambda: tally(Scale.five, FIVE, 80, Rule(RuleKind.consent)), "consent rule needs"),
    (lambda: tally("seven", {}, 10, Rule()), "Unknown scale 'seven'"),  # type: ignore[arg-type]
    (lambda: Rule(quorum=50), "between 0 and 1"),
    (lambda: Rule(RuleKind.consent, consent_threshold=-0.1), "consent threshold"),
])
def test_bad_input_says_what_is_wrong(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TallyError, match=message):
        call()


# --- the exact test and Holm's correction ----------------------------------------------------------


def test_fisher_lady_tasting_tea() -> None:
    # Fisher's own example: 3 of 4 cups right each way; two-sided p = 34/70.
    p, method = agreement_test([3, 1], [4, 4])
    assert p == pytest.approx(34 / 70, rel=1e-12)
    assert method == "exact"


def test_fisher_all_against_none() -> None:
    # n = (5, 5), 5 agree: tables 1, 25, 100, 100, 25, 1 ways of 252; (0, 5) and (5, 0) are the
    # least probable, so p = 2/252.
    assert agreement_test([0, 5], [5, 5])[0] == pytest.approx(2 / 252, rel=1e-12)
    assert agreement_test([2, 3], [5, 5])[0] == pytest.approx(1.0)


def test_freeman_halton_by_hand() -> None:
    # Three values of 2; 3 agree. Tables: the 6 orders of (2, 1, 0), 2 ways each, and (1, 1, 1),
    # 8 ways, of C(6, 3) = 20. (2, 1, 0) has 2/20; the six tables as improbable sum to 12/20.
    assert agreement_test([2, 1, 0], [2, 2, 2])[0] == pytest.approx(0.6, rel=1e-12)
    assert agreement_test([1, 1, 1], [2, 2, 2])[0] == pytest.approx(1.0)
    # 4 agree: (2, 2, 0) in 3 orders, 1 way each; (2, 1, 1) in 3 orders, 4 ways each; of 15.
    assert agreement_test([2, 2, 0], [2, 2, 2])[0] == pytest.approx(3 / 15, rel=1e-12)


def test_tiny_tables_keep_their_precision() -> None:
    """Found by Hypothesis: 24 of 33 against 33 of 33. The two tables as improbable as the one
    observed are far in the tail; a running sum across every number of agrees lost their last
    digits (p off by 1e-7 relative). Each number of agrees now sums on its own."""
    expected = 2 * math.comb(33, 24) / math.comb(66, 57)
    assert agreement_test([24, 33], [33, 33])[0] == pytest.approx(expected, rel=1e-12)


def test_nothing_to_test_gives_one() -> None:
    assert agreement_test([3], [5]) == (1.0, "exact")
    assert agreement_test([0, 0, 0], [4, 5, 6]) == (1.0, "exact")       # nobody agrees
    assert agreement_test([4, 5, 6], [4, 5, 6]) == (1.0, "exact")       # everybody agrees
    assert agreement_test([3, 0], [5, 0]) == (1.0, "exact")             # one value with voters


def _reference(agree: list[int], n: list[int]) -> Fraction:
    """Freeman-Halton in whole numbers, independently: the number of ways of every table,
    built up value by value, then the tables no more probable than the observed one."""
    ways: Counter[tuple[int, int]] = Counter({(0, 1): 1})   # (agrees so far, ways) -> tables
    for size in n:
        step: Counter[tuple[int, int]] = Counter()
        for (so_far, w), count in ways.items():
            for a in range(size + 1):
                step[(so_far + a, w * math.comb(size, a))] += count
        ways = step
    target = sum(agree)
    observed = math.prod(math.comb(m, a) for a, m in zip(agree, n, strict=True))
    tables = {w: c for (s, w), c in ways.items() if s == target}
    total = sum(w * c for w, c in tables.items())
    as_extreme = sum(w * c for w, c in tables.items() if w <= observed)
    return Fraction(as_extreme, total)


@pytest.mark.parametrize("settle", [False, True])
@settings(max_examples=examples(60))
@given(data=st.data())
def test_exact_test_equals_a_count_in_whole_numbers(settle: bool, data: st.DataObject) -> None:
    values = data.draw(st.integers(2, 5))
    n = data.draw(st.lists(st.integers(1, 14), min_size=values, max_size=values))
    agree = [data.draw(st.integers(0, m)) for m in n]
    with pytest.MonkeyPatch.context() as patch:
        if settle:  # settle decided ways from the first value on, with a tiny sorted half
            patch.setattr(tallies, "PRUNE_FROM", 0)
            patch.setattr(tallies, "SORTED", 1)
        p, method = agreement_test(agree, n)
    assert method == "exact"
    if 0 < sum(agree) < sum(n):
        assert p == pytest.approx(float(_reference(agree, n)), abs=1e-10)


@settings(max_examples=examples(100))
@given(st.integers(1, 40), st.integers(1, 40), st.data())
def test_two_values_is_fishers_exact_test(n1: int, n2: int, data: st.DataObject) -> None:
    a1, a2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    expected = fisher_exact([[a1, n1 - a1], [a2, n2 - a2]]).pvalue
    assert agreement_test([a1, a2], [n1, n2])[0] == pytest.approx(expected, abs=1e-10)


def test_a_realistic_feature_settled_early_and_counted_in_full_agree(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Six age bands of a 150-member panel, the youngest agreeing much less: large enough that
    # decided ways are settled early. (The whole-number count takes minutes at this size; the
    # property test above checks both paths against it on smaller tables.)
    n, agree = [21, 54, 16, 19, 4, 21], [4, 38, 10, 11, 2, 12]
    p, method = agreement_test(agree, n)
    assert method == "exact"
    monkeypatch.setattr(tallies, "PRUNE_FROM", 10**12)
    assert agreement_test(agree, n) == (pytest.approx(p, rel=1e-9), "exact")
    assert 0.001 < p < 0.01


def test_monte_carlo_only_beyond_the_exact_limit_with_a_fixed_seed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    n, agree = [30, 30, 30, 30], [10, 18, 20, 22]
    exact, method = agreement_test(agree, n)
    assert method == "exact"
    monkeypatch.setattr(tallies, "EXACT_LIMIT", 10)
    first, method = agreement_test(agree, n)
    assert method == "monte carlo"
    assert agreement_test(agree, n)[0] == first        # the same counts, the same answer
    assert first == pytest.approx(exact, abs=0.005)     # 100,000 draws: within a few thousandths


def test_holm_by_hand() -> None:
    # Sorted: 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to 0.06 (monotone).
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.6, 0.7]) == [1.0, 1.0]
    assert holm([0.2]) == [0.2]
    assert holm([]) == []


# --- agreement across strata -----------------------------------------------------------------------


def test_strata_by_hand() -> None:
    # Ten members; Age: 0 of 5 young agree, 5 of 5 older (p = 2/252); Area: 2 of 5 and 3 of 5
    # (p = 1). Holm over the two: 2/252 x 2 = 0.0159, contested; 1, not.
    features = strata(Scale.three, {
        "Age": {"16-29": three(0, 5), "30+": three(5, 0)},
        "Area": {"North": three(2, 2, unsure=1), "South": three(3, 2)},
    })
    age, area = features
    assert [(v.value, v.n, v.agree, v.share_agree) for v in age.values] == [
        ("16-29", 5, 0, 0.0), ("30+", 5, 5, 1.0)]
    assert age.lowest is not None and age.lowest.value == "16-29"
    assert age.geometric_mean == pytest.approx(math.sqrt(1 / 7 * 6 / 7))  # (0+1)/7, (5+1)/7
    assert age.p_value == pytest.approx(2 / 252)
    assert age.p_adjusted == pytest.approx(4 / 252)
    assert age.contested
    assert area.lowest is not None and area.lowest.value == "North"
    assert area.values[0].share_agree == pytest.approx(0.4)  # unsure counts in n
    assert area.geometric_mean == pytest.approx(math.sqrt(3 / 7 * 4 / 7))
    assert area.p_value == pytest.approx(1.0)
    assert area.p_adjusted == pytest.approx(1.0) and not area.contested


def test_three_values_by_hand_with_the_geometric_mean() -> None:
    (feature,) = strata(Scale.five, {"Area": {
        "A": {"strongly_agree": 2}, "B": {"agree": 1, "unsure": 1}, "C": {"disagree": 2}}},
        suppress=False)
    assert feature.p_value == pytest.approx(0.6)
    assert feature.geometric_mean == pytest.approx((3 / 4 * 2 / 4 * 1 / 4) ** (1 / 3))
    assert feature.lowest is not None and feature.lowest.value == "C"


AGE = {"16-29": three(3, 9), "30-44": three(2, 1), "45+": three(15, 5)}   # n = 12, 3, 20


def test_small_cells_are_withheld_with_a_second_one() -> None:
    (age,) = strata(Scale.three, {"Age": AGE})
    shown = {v.value: v for v in age.values}
    assert shown["30-44"].suppressed and shown["30-44"].n is None
    # 30-44 alone would be the total minus the others: the next smallest (16-29) goes too.
    assert shown["16-29"].suppressed and shown["16-29"].share_agree is None
    assert not shown["45+"].suppressed and shown["45+"].n == 20
    assert age.lowest == shown["45+"]
    assert age.geometric_mean == pytest.approx(16 / 22)
    # The test runs on 45+ against the two withheld pooled: (15 of 20) and (5 of 15).
    assert age.p_value == pytest.approx(agreement_test([15, 5], [20, 15])[0])


def test_officers_see_every_cell() -> None:
    (age,) = strata(Scale.three, {"Age": AGE}, suppress=False)
    assert [v.n for v in age.values] == [12, 3, 20]
    assert not any(v.suppressed for v in age.values)
    assert age.lowest is not None and age.lowest.value == "16-29"
    assert age.p_value == pytest.approx(agreement_test([3, 2, 15], [12, 3, 20])[0])


@pytest.mark.parametrize(("size", "withheld"), [(5, False), (4, True)])
def test_k_itself_is_shown(size: int, withheld: bool) -> None:
    (feature,) = strata(Scale.three, {"Age": {
        "young": three(size, 0), "middle": three(3, 3), "old": three(4, 4)}}, k=5)
    assert feature.values[0].suppressed is withheld


def test_no_second_cell_when_two_are_small_or_the_small_one_is_empty() -> None:
    (two,) = strata(Scale.three, {"Age": {"a": three(1, 1), "b": three(2, 1), "c": three(9, 9)}})
    assert [v.suppressed for v in two.values] == [True, True, False]
    (empty,) = strata(Scale.three, {"Age": {"a": three(0, 0), "b": three(6, 1), "c": three(9, 9)}})
    assert [v.suppressed for v in empty.values] == [True, False, False]


def test_a_value_nobody_voted_in_counts_for_nothing() -> None:
    (feature,) = strata(Scale.three, {"Area": {
        "North": three(6, 2), "Islands": three(0, 0), "South": three(2, 6)}}, suppress=False)
    islands = feature.values[1]
    assert (islands.n, islands.agree, islands.share_agree) == (0, 0, None)
    assert feature.geometric_mean == pytest.approx(math.sqrt(7 / 10 * 3 / 10))  # not 1/2 for it
    assert feature.lowest is not None and feature.lowest.value == "South"
    assert feature.p_value == pytest.approx(agreement_test([6, 2], [8, 8])[0])
    (nobody,) = strata(Scale.three, {"Area": {"North": three(0, 0)}}, suppress=False)
    assert math.isnan(nobody.geometric_mean) and nobody.lowest is None


def test_strata_refuse_a_stray_option() -> None:
    with pytest.raises(TallyError, match="Age 16-29: 'block' is not an option of the five"):
        strata(Scale.five, {"Age": {"16-29": {"block": 2}}})
    with pytest.raises(TallyError, match="k, must be a whole number"):
        strata(Scale.five, {}, k=0)


def test_verdict_names_the_contested_group() -> None:
    result = tally(Scale.three, three(7, 3), 10, Rule())
    features = strata(Scale.three, {
        "Age": {"16-29": three(0, 5), "30+": three(5, 0)},
        "Area": {"North": three(2, 2, unsure=1), "South": three(3, 2)},
    })
    assert verdict(result, features) == "Adopted, but contested by Age: 16-29 agree least (0 %, 0 of 5)."
    assert verdict(result, features[1:]) == \
        "Adopted, and agreement holds across every selection feature."
    lost = tally(Scale.three, three(5, 5), 10, Rule())
    assert verdict(lost, features).startswith("Not adopted, and divided by Age: 16-29")
    assert verdict(result, ()) == "Adopted."


def test_verdict_when_the_contested_groups_are_withheld() -> None:
    result = tally(Scale.three, three(20, 15), 35, Rule())
    feature = tallies.FeatureAgreement(
        "Age", (tallies.ValueAgreement("16-29", None, None, None, True),
                tallies.ValueAgreement("30+", 30, 20, 2 / 3, False)),
        tallies.ValueAgreement("30+", 30, 20, 2 / 3, False), 0.6, 0.001, 0.001, True)
    assert verdict(result, [feature]) == \
        "Adopted, but contested by Age (its groups are too small to show)."


# --- words, fingerprints, recomputing --------------------------------------------------------------


def test_method_note_says_what_was_computed() -> None:
    note = method_note(Scale.five, Rule(RuleKind.majority, quorum=0.5))
    assert '"unsure" included' in note
    assert "exactly half is not enough" in note
    assert "below 50 % no decision" in note
    assert "Wilson" in note and "Holm" in note and "fewer than 5 voters" in note
    assert f"Method version {tallies.METHOD_VERSION}" in note
    consent = method_note(Scale.consent, Rule(RuleKind.consent, on_lower_bound=True), k=10,
                          suppress=False)
    assert "nobody blocks it and at least 50 % agree" in consent
    assert '"agree with concerns" included' in consent
    assert "lower end of the 95 % interval" in consent
    assert "fewer than" not in consent
    assert "exactly two-thirds is enough" in method_note(Scale.three, Rule(RuleKind.two_thirds))


def test_digest_is_canonical_and_covers_the_method_version(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = inputs(Scale.five, FIVE, 64, Rule(RuleKind.two_thirds), {"Age": {"16-29": FIVE}})
    reordered = json.loads(json.dumps(stored, sort_keys=True))
    reordered["counts"] = dict(reversed(list(reordered["counts"].items())))
    assert digest(stored) == digest(reordered)
    assert len(digest(stored)) == 64 and int(digest(stored), 16) >= 0
    assert digest({"x": 1}) == digest({"x": 1.0})
    changed = json.loads(json.dumps(stored))
    changed["counts"]["agree"] += 1
    assert digest(changed) != digest(stored)
    before = digest(stored)
    monkeypatch.setattr(tallies, "METHOD_VERSION", "2")
    assert digest(stored) != before
    with pytest.raises(TallyError, match="finite"):
        digest({"x": math.nan})


def test_recompute_from_stored_inputs_gives_the_same_tally() -> None:
    rule = Rule(RuleKind.two_thirds, on_lower_bound=True, quorum=0.5)
    by_value = {"Age": AGE, "Area": {"North": three(10, 5), "South": three(10, 10)}}
    counts = three(20, 15)
    stored = json.loads(json.dumps(inputs(Scale.three, counts, 40, rule, by_value)))
    again, features = recompute(stored)
    assert again == tally(Scale.three, counts, 40, rule)
    assert features == strata(Scale.three, by_value)
    with pytest.raises(TallyError, match="incomplete"):
        recompute({"scale": "three"})


# --- properties ------------------------------------------------------------------------------------

SCALES = st.sampled_from(list(Scale))


@st.composite
def ballots(draw: st.DrawFn) -> tuple[Scale, dict[str, int], int, Rule]:
    scale = draw(SCALES)
    counts = {o: draw(st.integers(0, 40)) for o in OPTIONS[scale]}
    eligible = sum(counts.values()) + draw(st.integers(0, 30))
    kinds = list(RuleKind) if scale is Scale.consent else \
        [k for k in RuleKind if k is not RuleKind.consent]
    rule = Rule(draw(st.sampled_from(kinds)), draw(st.booleans()),
                draw(st.sampled_from([0.0, 0.25, 0.5, 2 / 3, 0.9])),
                draw(st.sampled_from([0.5, 0.6, 0.75])))
    return scale, counts, eligible, rule


@settings(max_examples=examples(200))
@given(ballots())
def test_counts_add_up_and_shares_are_shares(case: tuple[Scale, dict[str, int], int, Rule]) -> None:
    scale, counts, eligible, rule = case
    result = tally(scale, counts, eligible, rule)
    assert result.valid == sum(counts.values())
    neutral = result.valid - result.agree - result.disagree
    assert neutral == sum(c for o, c in counts.items()
                          if o not in AGREE[scale] and o not in DISAGREE[scale])
    for share in (result.turnout, result.share_agree, result.share_strongly_agree or 0.0,
                  *result.interval):
        assert 0.0 <= share <= 1.0
    assert -1.0 <= result.net_agreement <= 1.0
    low, high = result.interval
    assert low <= result.share_agree <= high
    if not rule.on_lower_bound and result.decision.quorum_met and result.valid and \
            not (scale is Scale.consent and counts["block"]):
        share = Fraction(result.agree, result.valid)
        expected = share > rule.threshold if rule.strict else share >= rule.threshold
        assert result.decision.adopted is expected
    if rule.on_lower_bound and result.decision.adopted:
        assert low >= float(rule.threshold)


@settings(max_examples=examples(100))
@given(st.integers(0, 2**31), st.integers(1, 3), st.integers(2, 5))
def test_strata_add_up_and_withhold_safely(seed: int, n_features: int, n_values: int) -> None:
    import random
    rng = random.Random(seed)
    by_value = {
        f"F{f}": {f"v{v}": three(rng.randint(0, 9), rng.randint(0, 9), rng.randint(0, 2))
                  for v in range(n_values)}
        for f in range(n_features)
    }
    for suppress in (True, False):
        features = strata(Scale.three, by_value, suppress=suppress)
        for feature, (name, values) in zip(features, by_value.items(), strict=True):
            assert feature.feature == name
            assert 0.0 <= feature.p_value <= feature.p_adjusted <= 1.0
            assert feature.contested is (feature.p_adjusted < 0.05)
            withheld = [v for v in feature.values if v.suppressed]
            if not suppress:
                assert not withheld
            with_voters = [v for v in withheld if sum(values[v.value].values()) > 0]
            shown = [v for v in feature.values if not v.suppressed]
            assert len(with_voters) != 1 or not shown   # never one alone to subtract out
            for value in shown:
                total = sum(values[value.value].values())
                assert value.n == total >= (5 if suppress else 0)
                assert value.agree == values[value.value]["agree"]
                if value.share_agree is not None:
                    assert 0.0 <= value.share_agree <= 1.0
            if feature.lowest is not None:
                assert feature.lowest.share_agree == min(
                    v.share_agree for v in shown if v.share_agree is not None)
            if any(v.n for v in shown):
                assert 0.0 < feature.geometric_mean < 1.0
            else:
                assert math.isnan(feature.geometric_mean)


def test_the_ways_of_a_small_table_add_up() -> None:
    """The hypergeometric weights the test sums are a distribution: all tables sum to C(N, A)."""
    n, target = [3, 4, 2], 4
    total = sum(math.prod(math.comb(m, a) for m, a in zip(n, xs, strict=True))
                for xs in itertools.product(*(range(m + 1) for m in n)) if sum(xs) == target)
    assert total == math.comb(9, 4)
    # The least probable table is as extreme as every table: its p-value is its own weight share.
    least = min((xs for xs in itertools.product(*(range(m + 1) for m in n)) if sum(xs) == target),
                key=lambda xs: math.prod(math.comb(m, a) for m, a in zip(n, xs, strict=True)))
    assert agreement_test(list(least), n)[0] == pytest.approx(float(_reference(list(least), n)))
