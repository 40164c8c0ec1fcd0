"""Agreement per stratum (`charter.strata`): known answers worked by hand, the small-cell rule
(with its second cell against subtraction), and the spread across values."""

from __future__ import annotations

import math

import pytest

from charter.strata import Cell, Suppression, by_strata, spread

# Twelve participants; "age" has three values, "area" two. p12 has no area (purged or not given).
PROFILES = {
    **{f"p{n}": {"age": "16-29", "area": "North"} for n in range(1, 7)},      # p1..p6
    **{f"p{n}": {"age": "30-64", "area": "South"} for n in range(7, 11)},     # p7..p10
    "p11": {"age": "65+", "area": "South"},
    "p12": {"age": "65+"},
}
FEATURES = [("age", ["16-29", "30-64", "65+"]), ("area", ["North", "South"])]


def votes_on_s1() -> list[tuple[str, str, int]]:
    """On s1: the young all agree (p1 first disagreed, then changed to agree), 30-64 split
    2 agree / 1 disagree / 1 pass, 65+ both disagree."""
    return [("p1", "s1", -1),
            *((f"p{n}", "s1", 1) for n in range(1, 7)),
            ("p7", "s1", 1), ("p8", "s1", 1), ("p9", "s1", -1), ("p10", "s1", 0),
            ("p11", "s1", -1), ("p12", "s1", -1)]


def test_officers_see_every_cell_with_hand_worked_figures() -> None:
    result = by_strata(votes_on_s1(), PROFILES, ["s1"], features=FEATURES, suppress=False)
    age, area = result.of("s1").features
    assert [(c.value, c.agrees, c.disagrees, c.passes, c.suppressed) for c in age.cells] == [
        ("16-29", 6, 0, 0, None), ("30-64", 2, 1, 1, None), ("65+", 0, 2, 0, None)]
    assert [c.share for c in age.cells] == [1.0, 0.5, 0.0]
    # smoothed (A+1)/(S+2): 7/8, 3/6, 1/4
    assert [c.smoothed for c in age.cells] == [7 / 8, 3 / 6, 1 / 4]
    assert age.spread.values == 3
    assert age.spread.consensus == pytest.approx(7 / 8 * 3 / 6 * 1 / 4)       # 0.109375
    assert age.spread.geometric_mean == pytest.approx((7 / 64) ** (1 / 3))    # 0.4782...
    assert age.spread.geometric_mean == pytest.approx(0.47823, abs=1e-5)
    assert (age.spread.minimum, age.spread.lowest) == (1 / 4, "65+")
    # area: North = p1..p6 (6 agree) -> 7/8; South = p7..p11 (2 agree, 2 disagree, 1 pass) -> 3/7;
    # p12 has no area and is left out of it.
    assert [(c.value, c.votes) for c in area.cells] == [("North", 6), ("South", 5)]
    assert area.spread.consensus == pytest.approx(7 / 8 * 3 / 7)
    assert area.spread.minimum == pytest.approx(3 / 7)
    assert result.of("s1").minimum == ("age", "65+", 1 / 4)


def test_small_cells_are_withheld_and_marked_not_zeroed_for_members() -> None:
    result = by_strata(votes_on_s1(), PROFILES, ["s1"], features=FEATURES)
    age, area = result.of("s1").features
    # 30-64 (4 voters) and 65+ (2 voters) are under 5: both withheld; 16-29 shown.
    assert [(c.value, c.suppressed) for c in age.cells] == [
        ("16-29", None), ("30-64", Suppression.small), ("65+", Suppression.small)]
    withheld = age.cells[1]
    assert (withheld.agrees, withheld.votes, withheld.share, withheld.smoothed) == (
        None, None, None, None)
    # The spread is over the one value shown, so the withheld 65+ minimum does not leak.
    assert (age.spread.values, age.spread.minimum, age.spread.lowest) == (1, 7 / 8, "16-29")
    assert age.spread.geometric_mean == pytest.approx(7 / 8)
    # area: both cells have at least 5 voters
    assert [c.suppressed for c in area.cells] == [None, None]
    assert result.suppressed and result.k == 5


def test_a_single_small_cell_takes_the_next_smallest_with_it() -> None:
    """With the public total, one withheld cell could be found by subtraction: the smallest of
    the others goes too."""
    profiles = {f"p{n}": {"area": "North" if n <= 6 else "South" if n <= 13 else "Wirral"}
                for n in range(1, 17)}
    votes = [(p, "s1", 1) for p in profiles]
    area = by_strata(votes, profiles, ["s1"]).of("s1").features[0]
    # North 6, South 7, Wirral 3: Wirral small, North (6 < 7) secondary, South shown.
    assert [(c.value, c.votes, c.suppressed) for c in area.cells] == [
        ("North", None, Suppression.secondary), ("South", 7, None),
        ("Wirral", None, Suppression.small)]


def test_k_is_a_parameter_and_five_voters_are_enough() -> None:
    profiles = {f"p{n}": {"area": "North" if n <= 5 else "South"} for n in range(1, 11)}
    votes = [(p, "s1", 1) for p in profiles]
    shown = by_strata(votes, profiles, ["s1"]).of("s1").features[0]
    assert [c.suppressed for c in shown.cells] == [None, None]
    stricter = by_strata(votes, profiles, ["s1"], k=6).of("s1").features[0]
    assert [c.suppressed for c in stricter.cells] == [Suppression.small, Suppression.small]
    with pytest.raises(ValueError, match="k must be at least 1"):
        by_strata(votes, profiles, ["s1"], k=0)


def test_values_nobody_voted_from_stay_listed_and_do_not_count_in_the_spread() -> None:
    profiles = {f"p{n}": {"age": "16-29"} for n in range(1, 6)}
    votes = [(p, "s1", 1) for p in profiles] + [("p1", "s2", -1)]
    result = by_strata(votes, profiles, ["s1", "s2"], features=[("age", ["16-29", "65+"])],
                       suppress=False)
    s1 = result.of("s1").features[0]
    assert [(c.value, c.votes) for c in s1.cells] == [("16-29", 5), ("65+", 0)]
    assert s1.cells[1].share is None
    assert (s1.spread.values, s1.spread.minimum) == (1, 6 / 7)
    s2 = result.of("s2").features[0]
    assert s2.cells[0].smoothed == 1 / 3
    assert result.features == (("age", ("16-29", "65+")),)


def test_value_order_follows_the_quotas_then_the_rest_sorted() -> None:
    profiles = {"a": {"age": "65+"}, "b": {"age": "16-29"}, "c": {"age": "45-64"},
                "d": {"tenure": "Owner"}}
    result = by_strata([], profiles, ["s1"], features=[("age", ["65+"])])
    assert result.features == (("age", ("65+", "16-29", "45-64")),)   # tenure not asked for
    everything = by_strata([], profiles, ["s1"])
    assert everything.features == (("age", ("16-29", "45-64", "65+")), ("tenure", ("Owner",)))


def test_a_vote_outside_pol_is_signs_is_refused() -> None:
    with pytest.raises(ValueError, match="not 1, 0 or -1"):
        by_strata([("p1", "s1", 2)], {"p1": {"age": "65+"}}, ["s1"])


def test_spread_of_known_rates() -> None:
    cells = [Cell("a", 3, 1, 0), Cell("b", 0, 0, 0), Cell("c", 1, 2, 1),
             Cell("d", None, None, None, Suppression.small)]
    found = spread(cells)
    # a: 4/6, c: 2/6; b has no votes, d is withheld
    assert found.values == 2
    assert found.consensus == pytest.approx(4 / 6 * 2 / 6)
    assert found.geometric_mean == pytest.approx(math.sqrt(4 / 6 * 2 / 6))
    assert (found.minimum, found.lowest) == (2 / 6, "c")
    assert spread([]).geometric_mean is None
