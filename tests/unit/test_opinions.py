"""Pol.is's opinion maths (charter.opinions): each formula against hand-worked values, the
projection against a plain dense computation of the documented method, and the groups against
Pol.is's own on two real conversations."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from charter.opinions import (
    GroupCounts,
    VoteMatrix,
    VoteMatrixError,
    adjusted_rand_index,
    analyse,
    group_consensus,
    is_uncertain,
    participation_threshold,
    proportion_z,
    smoothed_rate,
    two_proportion_z,
)

POLIS = Path(__file__).resolve().parents[1] / "data" / "polis"


# --- formulas, by hand ---------------------------------------------------------------------------


def test_smoothed_rate_adds_one_imagined_vote_each_way() -> None:
    assert smoothed_rate(3, 4) == pytest.approx(4 / 6)
    assert smoothed_rate(0, 0) == pytest.approx(0.5)


def test_proportion_z_is_pol_is_one_sided_test() -> None:
    # 2 * sqrt(4+1) * ((3+1)/(4+1) - 1/2) = 2 * 2.2360680 * 0.3
    assert proportion_z(3, 4) == pytest.approx(1.3416408, abs=1e-7)
    # 2 * sqrt(3+1) * ((2+1)/(3+1) - 1/2) = 4 * 0.25
    assert proportion_z(2, 3) == pytest.approx(1.0)


def test_two_proportion_z_adds_one_to_every_count() -> None:
    # in: 6/11, out: 2/9, pooled 8/20; (6/11 - 2/9) / sqrt(0.4 * 0.6 * (1/11 + 1/9))
    expected = (6 / 11 - 2 / 9) / math.sqrt(0.4 * 0.6 * (1 / 11 + 1 / 9))
    assert two_proportion_z(5, 1, 10, 8) == pytest.approx(expected)
    assert expected == pytest.approx(1.46795, abs=1e-5)
    # pooled share of 1 (everyone succeeded): Pol.is answers 0
    assert two_proportion_z(3, 4, 3, 4) == 0.0


def test_group_informed_consensus_multiplies_each_groups_smoothed_rate() -> None:
    # group 1: 3 agrees of 4 seen -> 4/6; group 2: 0 of 2 -> 1/4; product 1/6
    assert group_consensus([3, 0], [4, 2]) == pytest.approx(1 / 6)


def test_participation_threshold_is_seven_or_every_statement() -> None:
    assert participation_threshold(50) == 7
    assert participation_threshold(7) == 7
    assert participation_threshold(3) == 3


def test_uncertain_means_at_least_three_in_ten_passed_among_five_or_more() -> None:
    assert is_uncertain(3, 10)
    assert not is_uncertain(2, 10)
    assert not is_uncertain(3, 4)  # too few saw it to say


def test_adjusted_rand_index_known_answer() -> None:
    # contingency [[2,1,0],[0,1,2]]: pairs together 2, rows 6, columns 3, all 15;
    # expected 6*3/15 = 1.2, best 4.5: (2 - 1.2) / (4.5 - 1.2) = 0.242424...
    assert adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(8 / 33)
    assert adjusted_rand_index(["a", "a", "b", "b"], [7, 7, 3, 3]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="same items"):
        adjusted_rand_index([0, 1], [0])


# --- building the matrix -------------------------------------------------------------------------


def test_from_votes_keeps_the_latest_vote_and_orders_people_by_first_vote() -> None:
    matrix = VoteMatrix.from_votes(
        [("bea", "s2", 1), ("ali", "s1", -1), ("bea", "s2", -1), ("bea", "s1", 0)],
        statements=["s1", "s2", "s3"], moderated_out=["s3", "never-a-column"])
    assert matrix.participants == ("bea", "ali")
    assert matrix.statements == ("s1", "s2", "s3")
    cells = {(matrix.participants[r], matrix.statements[c]): int(v)
             for r, c, v in zip(matrix.rows, matrix.cols, matrix.values)}
    assert cells == {("bea", "s2"): -1, ("ali", "s1"): -1, ("bea", "s1"): 0}
    assert matrix.moderated_out == frozenset({"s3"})
    assert matrix.values.dtype == np.int8 and matrix.rows.dtype == np.int32


@pytest.mark.parametrize(("votes", "statements", "message"), [
    ([("ali", "s1", 2)], None, "use 1 for agree, -1 for disagree or 0 for pass"),
    ([("ali", "s9", 1)], ["s1"], "not in `statements`"),
    ([("ali", "s1")], None, "give each vote as"),
    ([], ["s1", "s1"], "listed twice"),
])
def test_from_votes_says_what_is_wrong(votes: list, statements: list[str] | None,
                                       message: str) -> None:
    with pytest.raises(VoteMatrixError, match=message):
        VoteMatrix.from_votes(votes, statements=statements)


@pytest.mark.parametrize(("rows", "cols", "values", "moderated", "message"), [
    ([0, 0], [0, 0], [1, -1], (), "keep only the latest"),
    ([0, 2], [0, 0], [1, -1], (), "outside the 2 participants x 1 statements"),
    ([0, 1], [0, 0], [1, 5], (), "1 \\(agree\\), -1 \\(disagree\\) or 0 \\(pass\\)"),
    ([0, 1], [0, 0], [1, 1], ("t",), "not among the matrix's statements"),
])
def test_analyse_refuses_a_matrix_built_wrongly(rows: list[int], cols: list[int], values: list[int],
                                                moderated: tuple[str, ...], message: str) -> None:
    matrix = VoteMatrix(participants=("a", "b"), statements=("s",), rows=np.array(rows, np.int32),
                        cols=np.array(cols, np.int32), values=np.array(values, np.int8),
                        moderated_out=frozenset(moderated))
    with pytest.raises(VoteMatrixError, match=message):
        analyse(matrix)


def test_an_empty_conversation_has_one_empty_group() -> None:
    result = analyse(VoteMatrix.from_votes([], statements=["s1", "s2"]))
    assert result.participants == () and result.group_sizes == (0,)
    assert result.coordinates.shape == (0, 2)
    assert [s.consensus for s in result.statements] == [0.5, 0.5]


# --- the projection ------------------------------------------------------------------------------


def test_one_statement_projection_is_the_vote_minus_its_mean() -> None:
    # mean (1 + 1 - 1 + 0) / 4 = 1/4; each person voted on the only statement: scale 1
    matrix = VoteMatrix.from_votes([("a", "s", 1), ("b", "s", 1), ("c", "s", -1), ("d", "s", 0)])
    result = analyse(matrix)
    first = result.coordinates[:, 0] * np.sign(result.coordinates[0, 0])
    assert first == pytest.approx([0.75, 0.75, -1.25, -0.25])
    assert result.coordinates[:, 1] == pytest.approx([0, 0, 0, 0])


def clear_groups(sizes: tuple[int, ...], statements: int, seed: int,
                 missing: float = 0.0) -> tuple[list[tuple[str, str, int]], list[int]]:
    """People in groups that each agree with their own half of the statements (a different
    pattern per group), 90 % of votes following the group, some cells left unvoted."""
    rng = np.random.default_rng(seed)
    patterns = rng.choice([-1, 1], size=(len(sizes), statements))
    votes, truth = [], []
    person = 0
    for group, size in enumerate(sizes):
        for _ in range(size):
            for j in range(statements):
                if j >= 7 and rng.random() < missing:
                    continue
                value = patterns[group, j] if rng.random() < 0.9 else int(rng.choice([-1, 0, 1]))
                votes.append((f"p{person}", f"s{j}", int(value)))
            truth.append(group)
            person += 1
    return votes, truth


def dense_projection(matrix: VoteMatrix) -> np.ndarray:
    """The documented method written plainly: a dense matrix with NaN where nobody voted,
    moderated-out columns set to 0 for everyone, NaN filled with the column mean, centred, the
    top two right singular vectors, projection scaled by sqrt(statements / voted on)."""
    n, m = len(matrix.participants), len(matrix.statements)
    dense = np.full((n, m), np.nan)
    dense[matrix.rows, matrix.cols] = matrix.values
    for j, label in enumerate(matrix.statements):
        if label in matrix.moderated_out:
            dense[:, j] = 0.0
    voted = (~np.isnan(dense)).sum(axis=1)
    filled = np.where(np.isnan(dense), np.nanmean(dense, axis=0), dense)
    centred = filled - filled.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projection: np.ndarray = centred @ vt[:2].T * np.sqrt(m / voted)[:, None]
    return projection


@pytest.mark.parametrize("moderated", [(), ("s3", "s11")])
def test_projection_equals_the_dense_mean_filled_pca_scaled_by_votes(moderated: tuple[str, ...]) -> None:
    votes, _ = clear_groups((30, 25, 20), 60, seed=3, missing=0.5)
    matrix = VoteMatrix.from_votes(votes, moderated_out=moderated)
    result = analyse(matrix)
    expected = dense_projection(matrix)
    assert len(result.participants) == len(matrix.participants)  # everyone voted on >= 7
    for axis in (0, 1):
        sign = np.sign(result.coordinates[:, axis] @ expected[:, axis])
        assert result.coordinates[:, axis] == pytest.approx(sign * expected[:, axis], abs=1e-8)


def test_moderated_out_statements_are_zeroed_not_dropped() -> None:
    votes, _ = clear_groups((20, 20), 12, seed=5, missing=0.4)
    flipped = [(p, s, -v if s == "s10" else v) for p, s, v in votes]
    first = analyse(VoteMatrix.from_votes(votes, moderated_out=["s10"]))
    second = analyse(VoteMatrix.from_votes(flipped, moderated_out=["s10"]))
    # the zeroed statement's votes do not move anyone...
    assert first.coordinates == pytest.approx(second.coordinates)
    assert first.groups == second.groups
    # ...but still count as a statement everyone voted on (the sqrt scale) and keep their tallies
    dropped = analyse(VoteMatrix.from_votes([v for v in votes if v[1] != "s10"]))
    assert not np.allclose(np.abs(first.coordinates), np.abs(dropped.coordinates))
    s10 = next(s for s in first.statements if s.statement == "s10")
    assert s10.statement == "s10" and s10.agrees + s10.disagrees + s10.passes > 0
    assert s10.majority is None and s10.representative_of is None and not s10.uncertain
    assert all("s10" not in group for group in first.representative)


def test_only_people_with_enough_votes_count() -> None:
    # ten statements: seven votes count, six do not
    votes = [(p, f"s{j}", 1 if p.startswith("x") else -1)
             for p in ("x1", "x2", "x3", "y1", "y2", "y3") for j in range(10)]
    votes += [("seven", f"s{j}", 1) for j in range(7)] + [("six", f"s{j}", 1) for j in range(6)]
    result = analyse(VoteMatrix.from_votes(votes))
    assert "seven" in result.participants and "six" not in result.participants
    # three statements: every one of them is needed
    few = [(p, f"s{j}", 1) for p in ("a", "b") for j in range(3)] + [("c", "s0", 1), ("c", "s1", -1)]
    assert analyse(VoteMatrix.from_votes(few)).participants == ("a", "b")


# --- groups --------------------------------------------------------------------------------------


def test_three_clear_groups_are_found_by_silhouette() -> None:
    votes, truth = clear_groups((40, 35, 30), 16, seed=11, missing=0.3)
    matrix = VoteMatrix.from_votes(votes)
    result = analyse(matrix)
    assert len(result.group_sizes) == 3
    assert max(result.silhouettes, key=lambda k: result.silhouettes[k]) == 3
    assert sorted(result.silhouettes) == [2, 3, 4, 5]  # 100 base clusters: k up to min(5, 2 + 8)
    assert adjusted_rand_index(result.groups, truth) == 1.0
    assert sorted(result.group_sizes) == [30, 35, 40]


def test_same_seed_same_analysis_and_clear_groups_do_not_depend_on_it() -> None:
    votes, truth = clear_groups((30, 30), 20, seed=2, missing=0.4)
    matrix = VoteMatrix.from_votes(votes)
    first, again, other = analyse(matrix, seed=7), analyse(matrix, seed=7), analyse(matrix, seed=8)
    assert np.array_equal(first.coordinates, again.coordinates)
    assert (first.groups, first.statements, first.representative) == (
        again.groups, again.statements, again.representative)
    assert adjusted_rand_index(first.groups, truth) == adjusted_rand_index(other.groups, truth) == 1.0
    assert first.seed == 7 and other.seed == 8


def test_the_order_of_statements_changes_nothing_but_the_order_of_results() -> None:
    votes, _ = clear_groups((25, 20, 15), 50, seed=4, missing=0.5)
    labels = [f"s{j}" for j in range(50)]
    shuffled = list(np.random.default_rng(1).permutation(labels))
    first = analyse(VoteMatrix.from_votes(votes, statements=labels))
    second = analyse(VoteMatrix.from_votes(votes, statements=shuffled))
    assert first.groups == second.groups
    assert first.representative == second.representative
    assert {s.statement: s for s in first.statements} == {s.statement: s for s in second.statements}
    assert [s.statement for s in second.statements] == shuffled


def test_one_group_when_no_split_is_possible() -> None:
    votes = [(p, f"s{j}", 1) for p in ("a", "b", "c") for j in range(8)]
    result = analyse(VoteMatrix.from_votes(votes, statements=[f"s{j}" for j in range(9)]))
    assert result.groups == (0, 0, 0) and result.group_sizes == (3,)
    # consensus over the single group: (3+1)/(3+2)
    assert result.statements[0].consensus == pytest.approx(4 / 5)
    unvoted = result.statements[8]
    assert (unvoted.agrees, unvoted.disagrees, unvoted.passes) == (0, 0, 0)
    assert unvoted.consensus == pytest.approx(1 / 2) and unvoted.majority is None


# --- statements ----------------------------------------------------------------------------------


def two_opposed_groups() -> VoteMatrix:
    """Ten people agree with s0-s7 and ten disagree; s8 splits the same way; s9 is passed by
    four of ten in each group; s10 gets 6 agrees, 1 disagree and 1 pass from the first group."""
    votes = []
    for person in range(20):
        side = 1 if person < 10 else -1
        votes += [(f"p{person}", f"s{j}", side) for j in range(9)]
        votes.append((f"p{person}", "s9", 0 if person % 10 < 4 else 1))
    votes += [(f"p{person}", "s10", 1) for person in range(6)]
    votes += [("p6", "s10", -1), ("p7", "s10", 0)]
    return VoteMatrix.from_votes(votes)


def test_counts_consensus_majority_and_uncertainty_by_hand() -> None:
    result = analyse(two_opposed_groups())
    assert len(result.group_sizes) == 2 and result.group_sizes == (10, 10)
    first = result.groups[0]  # the group of the people who agree with s0
    s0, s9, s10 = result.statements[0], result.statements[9], result.statements[10]
    assert (s0.agrees, s0.disagrees, s0.passes) == (10, 10, 0)
    # (10+1)/(10+2) in one group, (0+1)/(10+2) in the other
    assert s0.consensus == pytest.approx(11 / 12 * 1 / 12)
    assert s0.groups[first] == GroupCounts(10, 0, 0)
    assert s0.groups[1 - first] == GroupCounts(0, 10, 0)
    assert s0.majority is None  # (10+1)/(20+2) = 0.5 is not above one half
    # s9: 12 agrees, 8 passes of 20: rate 13/22, z = 2*sqrt(21)*(13/21 - 1/2) = 1.091: not a majority
    assert (s9.agrees, s9.passes) == (12, 8) and s9.majority is None
    assert s9.uncertain  # 8 passes of 20 seen
    assert s9.consensus == pytest.approx((7 / 12) ** 2)
    # s10: 6 agrees of 8 seen: rate 7/10, z = 2*3*(7/9 - 1/2) = 1.667 > 1.2816
    assert s10.majority == "agree" and not s10.uncertain
    assert result.statements[10].consensus == pytest.approx(7 / 10 * 1 / 2)


def test_representative_statements_follow_pol_is_repness() -> None:
    result = analyse(two_opposed_groups())
    first = result.groups[0]
    details = result.representative_details[first]
    assert result.representative[first] == tuple(d.statement for d in details)
    assert 1 <= len(details) <= 5
    top = details[0]
    # the group's best agreed statement leads: all ten agree, the other group all disagree
    assert top.statement in {f"s{j}" for j in range(9)} and top.repful_for == "agree"
    assert (top.votes_for, top.seen) == (10, 10)
    assert top.rate == pytest.approx(11 / 12)
    assert top.rate_z == pytest.approx(math.sqrt(11))  # 2*sqrt(11)*(11/11 - 1/2)
    assert top.ratio == pytest.approx((11 / 12) / (1 / 12))
    # two-proportion z: 11/11 against 1/11, pooled 12/22
    assert top.ratio_z == pytest.approx(
        (1 - 1 / 11) / math.sqrt(12 / 22 * 10 / 22 * (2 / 11)))
    by_label = {s.statement: s for s in result.statements}
    # s0-s8 represent both groups alike (one agrees, the other disagrees): the first group wins
    listed = [g for g, group in enumerate(result.representative) if top.statement in group]
    assert by_label[top.statement].representative_of == min(listed)
    assert by_label["s9"].representative_of is None  # both groups pass on it alike


# --- two real conversations ----------------------------------------------------------------------


def polis_votes(name: str) -> tuple[VoteMatrix, dict[str, str]]:
    """The export's votes in time order, moderated-out statements (moderated = -1) and Pol.is's
    group of each participant it grouped."""
    folder = POLIS / name
    with (folder / "votes.csv").open(newline="") as file:
        rows = sorted(csv.DictReader(file), key=lambda row: int(row["timestamp"]))
    with (folder / "comments.csv").open(newline="") as file:
        moderated = [row["comment-id"] for row in csv.DictReader(file) if row["moderated"] == "-1"]
    with (folder / "participants-votes.csv").open(newline="") as file:
        groups = {row["participant"]: row["group-id"] for row in csv.DictReader(file)
                  if row["group-id"]}
    matrix = VoteMatrix.from_votes(
        [(row["voter-id"], row["comment-id"], int(row["vote"])) for row in rows],
        moderated_out=moderated)
    return matrix, groups


@pytest.mark.parametrize("name", ["brexit-consensus", "15-per-hour-seattle"])
def test_groups_match_pol_is_on_real_conversations(name: str) -> None:
    matrix, polis = polis_votes(name)
    result = analyse(matrix, seed=0)
    ours = dict(zip(result.participants, result.groups))
    both = [p for p in ours if p in polis]
    assert len(both) >= 0.9 * len(polis)
    assert len(result.group_sizes) == len(set(polis.values())) == 2
    assert adjusted_rand_index([ours[p] for p in both], [polis[p] for p in both]) >= 0.85
