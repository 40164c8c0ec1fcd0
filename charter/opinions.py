"""Opinion groups and statement tallies of a conversation, computed the way Pol.is computes them.

Members vote agree (1), disagree (-1) or pass (0) on short statements; this module finds the
opinion groups among them and what each group stands for, so the assembly can see where it
agrees, where it splits and where it is unsure. The method is Pol.is's (compdemocracy/polis,
`math/src/polismath/math/*.clj`), rewritten here for sparse numpy/scipy:

1. The rating matrix has one row per participant (everyone who voted) and one column per
   statement somebody voted on (Pol.is's matrix only has columns once a vote arrives; a
   statement nobody voted on still gets its zero tallies here but takes no part in the maths).
   Moderated-out statements are zeroed: their column is set to 0 for everyone, not dropped.
2. Missing votes are filled with the statement's mean vote and the matrix is centred on the
   statement means. Mean-filling followed by centring leaves 0 in every missing cell, so the
   centred matrix is exactly as sparse as the votes: cell (i, j) holds vote - mean_j where i
   voted on j, 0 elsewhere (and 0 in zeroed columns). The two principal components are the top
   eigenvectors of its Gram matrix, found by ARPACK through products with the sparse matrix
   (never densified), started from a vector drawn from `seed`.
3. Each participant's projection (their centred votes times the components) is scaled by
   sqrt(statements / statements they voted on), so people who voted on few statements are not
   pulled to the centre. Zeroed statements count as voted on for everyone, as in Pol.is.
4. Participants count once they voted on at least min(7, statements) statements (moderated-out
   ones included). Only they are clustered: first into up to 100 base clusters by k-means
   started from the first 100 distinct points in participant order (at most 100 steps), then the
   base-cluster centres into k groups by k-means weighted by base-cluster size (at most 20
   steps, as Pol.is's group k-means runs), for k in 2..min(5, 2 + base clusters // 12).
   K-means stops when no centre moved by 0.01 or more. Two departures from a single Pol.is
   update, both standing in for the history a cold start lacks (see `_best_grouping` and
   `_groups_of_bases`): the group k-means is started from Pol.is's start (the first k distinct
   centres) and from ten seeded k-means++ starts, keeping the lowest weighted sum of squares;
   and k is the smallest whose silhouette is within 0.02 of the best. The silhouette is
   computed on the base centres, each weighing its number of members.
5. Per statement and group: agrees A, disagrees D and votes seen S (passes included). Group-
   informed consensus = prod over groups (A_g+1)/(S_g+2). A majority statement has smoothed
   rate (A+1)/(S+2) > 0.5 and one-sided z = 2*sqrt(S+1)*((A+1)/(S+1) - 1/2) > 1.2816 over
   everyone who voted (the same for disagrees). Representative statements follow Pol.is's
   `repness`: the group's smoothed rate divided by the other groups' (ra, rd), a two-proportion
   z-test of group against rest (rat, rdt), and Pol.is's selection of up to five per group.

Pol.is computes its groups incrementally (each update starts from the last clusters and smooths
changes of k over four updates, and it adds the 15 most active voters when fewer than 15
qualify); this module starts cold from the same data every time, so it is deterministic: the
same votes and seed give the same analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

Z_90 = 1.2816  # one-sided 90 % significance, Pol.is's threshold for every z-test here
MIN_VOTES = 7  # a participant counts once they voted on min(7, statements) statements
BASE_CLUSTERS = 100
BASE_ITERATIONS = 100
GROUP_ITERATIONS = 20
MAX_GROUPS = 5
GROUP_RESTARTS = 10  # k-means++ starts tried besides Pol.is's for the groups
K_MARGIN = 0.02  # a larger k must beat the smaller one's silhouette by more than this
SAME_CENTRE = 0.01  # k-means has converged when no centre moved this far
REPRESENTATIVE_PER_GROUP = 5
UNCERTAIN_PASS_SHARE = 0.3  # areas of uncertainty: at least this share of passes...
UNCERTAIN_MIN_SEEN = 5  # ...among at least this many people who saw the statement


class VoteMatrixError(ValueError):
    """The votes cannot be analysed as given; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class VoteMatrix:
    """A conversation's latest votes, sparse. Values use Pol.is's signs: 1 agree, -1 disagree, 0 pass."""

    participants: tuple[str, ...]  # row labels, in order of first vote (Pol.is's order)
    statements: tuple[str, ...]  # column labels
    rows: np.ndarray  # int32, one entry per latest vote
    cols: np.ndarray  # int32
    values: np.ndarray  # int8 in {-1, 0, 1}
    moderated_out: frozenset[str] = frozenset()  # statement labels zeroed in the maths, not dropped

    @classmethod
    def from_votes(cls, votes: Iterable[tuple[str, str, int]], *,
                   statements: Sequence[str] | None = None,
                   moderated_out: Iterable[str] = ()) -> VoteMatrix:
        """`votes` in time order as (participant, statement, value); a later vote on the same
        cell replaces an earlier one; participants are ordered by first vote; `statements` gives
        the column order and may include statements nobody voted on (default: order of first vote).
        Moderated-out statements that have no column (nobody voted, none given) change nothing and
        are left out."""
        people: dict[str, int] = {}
        columns: dict[str, int] = {}
        if statements is not None:
            for label in statements:
                if label in columns:
                    raise VoteMatrixError(
                        f"statement {label!r} is listed twice in `statements`; list each once")
                columns[label] = len(columns)
        cells: dict[tuple[int, int], int] = {}
        for number, vote in enumerate(votes, start=1):
            try:
                person, statement, value = vote
            except (TypeError, ValueError):
                raise VoteMatrixError(
                    f"vote {number} is {vote!r}; give each vote as (participant, statement, "
                    "value)") from None
            if value not in (-1, 0, 1) or isinstance(value, bool):
                raise VoteMatrixError(
                    f"vote {number} ({person!r} on {statement!r}) has value {value!r}; use 1 "
                    "for agree, -1 for disagree or 0 for pass")
            column = columns.get(statement)
            if column is None:
                if statements is not None:
                    raise VoteMatrixError(
                        f"vote {number} ({person!r}) is on statement {statement!r}, which is not "
                        "in `statements`; add it there or leave `statements` out")
                column = columns[statement] = len(columns)
            row = people.setdefault(person, len(people))
            cells[(row, column)] = int(value)
        count = len(cells)
        rows = np.fromiter((cell[0] for cell in cells), dtype=np.int32, count=count)
        cols = np.fromiter((cell[1] for cell in cells), dtype=np.int32, count=count)
        values = np.fromiter(cells.values(), dtype=np.int8, count=count)
        order = np.lexsort((cols, rows))
        return cls(participants=tuple(people), statements=tuple(columns),
                   rows=rows[order], cols=cols[order], values=values[order],
                   moderated_out=frozenset(set(moderated_out) & columns.keys()))


@dataclass(frozen=True)
class GroupCounts:
    agrees: int
    disagrees: int
    passes: int


@dataclass(frozen=True)
class Representative:
    """Why a statement represents a group (Pol.is's finalised repness statistics).

    `repful_for` says whether the group stands out by agreeing or by disagreeing; `votes_for` of
    `seen` group members voted that way; `rate` is the smoothed rate (votes_for+1)/(seen+2) and
    `rate_z` its one-sided z; `ratio` is the rate divided by the other groups' smoothed rate and
    `ratio_z` the two-proportion z of group against the other groups."""

    statement: str
    repful_for: str  # "agree" or "disagree"
    votes_for: int
    seen: int
    rate: float
    rate_z: float
    ratio: float
    ratio_z: float

    @property
    def metric(self) -> float:
        """Pol.is's ranking of representative statements: ratio * ratio_z * rate * rate_z."""
        return self.ratio * self.ratio_z * self.rate * self.rate_z


@dataclass(frozen=True)
class StatementResult:
    """One statement's tallies and standing. `majority` flags every statement that passes
    Pol.is's majority test (Pol.is's report shows the five with the highest rate * z each way).
    `representative_of` is the group whose representative list holds it with the highest
    ratio * ratio_z * rate * rate_z (the lowest group index on a tie), None when in no list.
    `uncertain`: see `is_uncertain`. Moderated-out statements keep their tallies and consensus
    but are never a majority, representative or uncertain."""

    statement: str
    agrees: int  # over everyone who voted on it (grouped or not)
    disagrees: int
    passes: int
    consensus: float  # group-informed consensus: prod over groups (A_g+1)/(S_g+2)
    majority: str | None  # "agree", "disagree" or None (Pol.is majority statements)
    representative_of: int | None  # the group (index) it best represents, if any
    uncertain: bool  # an area of uncertainty (many passes)
    groups: tuple[GroupCounts, ...]  # per group, in group order


@dataclass(frozen=True)
class Analysis:
    """The result of `analyse`; with fewer than two groups possible every counted participant
    is in group 0 and consensus is over that single group (of size 0 when nobody counted)."""

    participants: tuple[str, ...]  # those who counted (>= min(7, statements) votes), matrix order
    groups: tuple[int, ...]  # group index (0-based, as Pol.is's group-id) per counted participant
    coordinates: np.ndarray  # float (len(participants), 2): the participant's PCA projection
    group_sizes: tuple[int, ...]
    statements: tuple[StatementResult, ...]  # one per matrix column, in column order
    representative: tuple[tuple[str, ...], ...]  # per group: its representative statements, best first
    seed: int
    # Added beyond the contract: the statistics behind `representative`, in the same order.
    representative_details: tuple[tuple[Representative, ...], ...] = ()
    # The silhouette of each k tried for the groups (empty when fewer than 2 groups were possible).
    silhouettes: dict[int, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Formulas (Pol.is's stats.clj and repness.clj)


def smoothed_rate(successes: int | np.ndarray, seen: int | np.ndarray) -> np.ndarray:
    """(A+1)/(S+2): a rate with one imagined vote each way, so small counts are not extreme."""
    return (np.asarray(successes, dtype=float) + 1.0) / (np.asarray(seen, dtype=float) + 2.0)


def proportion_z(successes: int | np.ndarray, seen: int | np.ndarray) -> np.ndarray:
    """One-sided z that the share of successes exceeds one half: 2*sqrt(S+1)*((A+1)/(S+1) - 1/2)."""
    n = np.asarray(seen, dtype=float) + 1.0
    return 2.0 * np.sqrt(n) * ((np.asarray(successes, dtype=float) + 1.0) / n - 0.5)


def two_proportion_z(successes_in: int | np.ndarray, successes_out: int | np.ndarray,
                     seen_in: int | np.ndarray, seen_out: int | np.ndarray) -> np.ndarray:
    """z that a group's share exceeds the rest's, every count plus one (0 where the pooled
    share is 1, as Pol.is does)."""
    a_in = np.asarray(successes_in, dtype=float) + 1.0
    a_out = np.asarray(successes_out, dtype=float) + 1.0
    n_in = np.asarray(seen_in, dtype=float) + 1.0
    n_out = np.asarray(seen_out, dtype=float) + 1.0
    pooled = (a_in + a_out) / (n_in + n_out)
    spread = pooled * (1.0 - pooled) * (1.0 / n_in + 1.0 / n_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (a_in / n_in - a_out / n_out) / np.sqrt(spread)
    return np.where(pooled == 1.0, 0.0, z)


def group_consensus(agrees: Sequence[int], seen: Sequence[int]) -> float:
    """Group-informed consensus: prod over groups (A_g+1)/(S_g+2); high only if every group agrees."""
    return float(np.prod(smoothed_rate(np.asarray(agrees), np.asarray(seen))))


def participation_threshold(statements: int) -> int:
    """How many statements a participant must have voted on to count: min(7, statements)."""
    return min(MIN_VOTES, statements)


def is_uncertain(passes: int, seen: int) -> bool:
    """An area of uncertainty: at least UNCERTAIN_MIN_SEEN people saw the statement and at least
    UNCERTAIN_PASS_SHARE of them passed."""
    return seen >= UNCERTAIN_MIN_SEEN and passes >= UNCERTAIN_PASS_SHARE * seen


def adjusted_rand_index(a: Sequence[object] | np.ndarray, b: Sequence[object] | np.ndarray) -> float:
    """Agreement of two clusterings of the same items, corrected for chance (Hubert and Arabie):
    1 for the same partition whatever the labels, about 0 for unrelated ones. Two partitions
    that are both one cluster, or both all singletons, agree fully (1.0)."""
    if len(a) != len(b):
        raise ValueError(f"the clusterings label {len(a)} and {len(b)} items; give both the same items")
    n = len(a)
    if n < 2:
        return 1.0
    _, left = np.unique(np.asarray(a), return_inverse=True)
    _, right = np.unique(np.asarray(b), return_inverse=True)
    table = sparse.coo_matrix((np.ones(n), (left.ravel(), right.ravel()))).tocsr()
    table.sum_duplicates()

    def pairs(counts: np.ndarray) -> float:
        counts = np.asarray(counts, dtype=float)
        return float((counts * (counts - 1.0) / 2.0).sum())

    together = pairs(table.data)
    left_pairs = pairs(np.asarray(table.sum(axis=1)).ravel())
    right_pairs = pairs(np.asarray(table.sum(axis=0)).ravel())
    expected = left_pairs * right_pairs / (n * (n - 1) / 2.0)
    best = (left_pairs + right_pairs) / 2.0
    if best == expected:
        return 1.0
    return (together - expected) / (best - expected)


# ---------------------------------------------------------------------------------------------
# Checking the input


def _checked_arrays(matrix: VoteMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vote arrays as int64/int8, after checking they describe one latest vote per cell."""
    n, m = len(matrix.participants), len(matrix.statements)
    rows = np.asarray(matrix.rows)
    cols = np.asarray(matrix.cols)
    values = np.asarray(matrix.values)
    if not (rows.ndim == cols.ndim == values.ndim == 1) or not (len(rows) == len(cols) == len(values)):
        raise VoteMatrixError(
            f"rows, cols and values must be flat arrays of one length (got {rows.shape}, "
            f"{cols.shape}, {values.shape}); build the matrix with VoteMatrix.from_votes")
    if len(set(matrix.participants)) != n or len(set(matrix.statements)) != m:
        raise VoteMatrixError("a participant or statement label appears twice; labels must be unique")
    if len(rows):
        if rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= m:
            raise VoteMatrixError(
                f"a vote points outside the {n} participants x {m} statements; rows and cols "
                "must index `participants` and `statements`")
        if not np.isin(values, (-1, 0, 1)).all():
            raise VoteMatrixError("votes must be 1 (agree), -1 (disagree) or 0 (pass)")
        cells = rows.astype(np.int64) * m + cols
        if not (np.diff(cells) > 0).all():  # from_votes gives them sorted; check others by sorting
            cells = np.sort(cells)
        if (np.diff(cells) == 0).any():
            raise VoteMatrixError(
                "a participant has two votes on one statement; keep only the latest "
                "(VoteMatrix.from_votes does)")
    unknown = sorted(matrix.moderated_out - set(matrix.statements))
    if unknown:
        raise VoteMatrixError(
            f"moderated-out statements {unknown} are not among the matrix's statements")
    return rows.astype(np.int64), cols.astype(np.int64), values.astype(np.int8)


# ---------------------------------------------------------------------------------------------
# Projection


def _principal_components(centred: sparse.csr_matrix, seed: int) -> np.ndarray:
    """The top two principal directions (2, m) of the centred matrix: eigenvectors of its Gram
    matrix, by ARPACK on products with the sparse matrix, started from a seeded vector; dense
    only when there are few statements. A direction's sign is fixed so its largest loading is
    positive. Fewer than two directions exist when there are fewer than two rows or columns."""
    n, m = centred.shape
    wanted = min(2, n, m)
    components = np.zeros((2, m))
    if wanted == 0:
        return components
    vectors: np.ndarray | None = None
    if m > 40:
        transposed = centred.T.tocsr()
        gram = LinearOperator((m, m), matvec=lambda v: transposed @ (centred @ v), dtype=float)
        start = np.random.default_rng(seed).standard_normal(m)
        try:
            values, found = eigsh(gram, k=wanted, which="LA", v0=start)
            vectors = found[:, np.argsort(-values, kind="stable")].T
        except ArpackNoConvergence:
            vectors = None
    if vectors is None:
        gram_dense = (centred.T @ centred).toarray()
        values, found = np.linalg.eigh(gram_dense)
        vectors = found[:, np.argsort(-values, kind="stable")[:wanted]].T
    for index, vector in enumerate(vectors):
        if vector[int(np.argmax(np.abs(vector)))] < 0:
            vector = -vector
        components[index] = vector
    return components


# ---------------------------------------------------------------------------------------------
# Clustering


def _first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    """The first k distinct points in the given order: Pol.is's k-means start."""
    if len(points) == 0:
        return points[:0]
    _, first = np.unique(points, axis=0, return_index=True)
    return points[np.sort(first)[:k]]


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (lowest index on a tie). The squared
    distance less the point's own squared length (the same for every centre) is compared."""
    scores = points @ (-2.0 * centres.T)
    scores += (centres * centres).sum(axis=1)[None, :]
    nearest: np.ndarray = np.argmin(scores, axis=1)
    return nearest


def _kmeans(points: np.ndarray, centres: np.ndarray, weights: np.ndarray,
            max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Pol.is's k-means: assign each point to its nearest centre, drop clusters left empty,
    move each centre to its members' weighted mean; stop when no centre moved SAME_CENTRE or
    more, or after max_iterations + 1 steps. Returns (labels into the final centres, centres)."""
    labels = np.zeros(len(points), dtype=np.int64)
    for step in range(max_iterations + 1):
        labels = _nearest(points, centres)
        k = len(centres)
        total = np.bincount(labels, weights=weights, minlength=k)
        alive = total > 0
        moved = np.column_stack([
            np.bincount(labels, weights=weights * points[:, 0], minlength=k),
            np.bincount(labels, weights=weights * points[:, 1], minlength=k),
        ])[alive] / total[alive, None]
        same = bool(alive.all()) and bool(
            (np.sqrt(((moved - centres) ** 2).sum(axis=1)) < SAME_CENTRE).all())
        renumber = np.cumsum(alive) - 1
        labels = renumber[labels]
        centres = moved
        if same or step == max_iterations:
            break
    return labels, centres


def _silhouette(distances: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """Silhouette of a grouping of base clusters, each weighing as many members as it has, all
    placed at its centre: for a base cluster, a = the mean distance to the other members of its
    group (its own other members at distance 0), b = the smallest mean distance to another
    group's members, s = (b - a) / max(a, b) (0 when it is alone in its group); the mean of s
    over members. This is the participants' silhouette with each one at their base centre,
    which is what Pol.is's base-centre silhouette approximates. One group only: -1."""
    groups = np.unique(labels)
    if len(groups) < 2:
        return -1.0
    # members[g] per base cluster: weighted distance sums to each group's members
    one_hot = (labels[:, None] == groups[None, :]).astype(float) * weights[:, None]
    to_group = distances @ one_hot  # (bases, groups): sum of distances to every member
    size = one_hot.sum(axis=0)
    own = np.searchsorted(groups, labels)
    scores = np.zeros(len(labels))
    for i in range(len(labels)):
        others = size[own[i]] - 1.0
        if others <= 0:
            continue
        a = to_group[i, own[i]] / others
        b = min(to_group[i, g] / size[g] for g in range(len(groups)) if g != own[i])
        scores[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float((scores * weights).sum() / weights.sum())


def _spread_start(points: np.ndarray, weights: np.ndarray, k: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A k-means++ start: each next centre drawn with chance proportional to weight times the
    squared distance to the nearest centre chosen so far."""
    chosen = [int(rng.choice(len(points), p=weights / weights.sum()))]
    nearest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        chance = weights * nearest
        if chance.sum() <= 0:
            break
        chosen.append(int(rng.choice(len(points), p=chance / chance.sum())))
        nearest = np.minimum(nearest, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    return points[chosen]


def _inertia(points: np.ndarray, labels: np.ndarray, centres: np.ndarray,
             weights: np.ndarray) -> float:
    return float((weights * ((points - centres[labels]) ** 2).sum(axis=1)).sum())


def _best_grouping(centres: np.ndarray, weights: np.ndarray, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Weighted k-means of the base centres into k groups: Pol.is's start (the first k distinct
    centres) and GROUP_RESTARTS k-means++ starts, keeping the lowest weighted sum of squares
    (the earliest on a tie). Pol.is refines its groups from the last ones at every vote; a cold
    single start lands in a worse local optimum (on the Seattle conversation Pol.is's own
    groups have a lower sum of squares than the single-start answer), so the restarts stand in
    for that history."""
    starts = [_first_distinct(centres, k)]
    starts += [_spread_start(centres, weights, k, rng) for _ in range(GROUP_RESTARTS)]
    best: tuple[float, np.ndarray] | None = None
    for start in starts:
        labels, found = _kmeans(centres, start, weights, GROUP_ITERATIONS)
        inertia = _inertia(centres, labels, found, weights)
        if best is None or inertia < best[0] * (1.0 - 1e-12):
            best = (inertia, labels)
    assert best is not None
    return best[1]


def _groups_of_bases(centres: np.ndarray, sizes: np.ndarray,
                     seed: int) -> tuple[np.ndarray, dict[int, float]]:
    """Cluster the base centres into opinion groups for k in 2..min(5, 2 + bases // 12) and keep
    the smallest k whose silhouette is within K_MARGIN of the best. Pol.is only moves to a new
    k after it has been the best four updates running, so it holds on to fewer groups when two
    k are close; the margin is that preference for a cold start. Returns the group of each base
    cluster (0-based) and the silhouette of each k tried."""
    count = len(centres)
    if count < 2:
        return np.zeros(count, dtype=np.int64), {}
    distances = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    weights = sizes.astype(float)
    rng = np.random.default_rng([seed, 1])
    labelled: dict[int, np.ndarray] = {}
    silhouettes: dict[int, float] = {}
    for k in range(2, min(MAX_GROUPS, 2 + count // 12) + 1):
        labelled[k] = _best_grouping(centres, weights, k, rng)
        silhouettes[k] = _silhouette(distances, labelled[k], weights)
    top = max(silhouettes.values())
    chosen = min(k for k, value in silhouettes.items() if value >= top - K_MARGIN)
    return labelled[chosen], silhouettes


# ---------------------------------------------------------------------------------------------
# Representative statements (Pol.is's repness)


@dataclass(frozen=True)
class _Stats:
    """One statement in one group: n = counts, p = smoothed rates, r = ratio to the rest,
    t = z-tests; a = agree, d = disagree, s = seen."""

    column: int
    na: int
    nd: int
    ns: int
    pa: float
    pd: float
    pat: float
    pdt: float
    ra: float
    rd: float
    rat: float
    rdt: float

    def passes_by_test(self) -> bool:
        return (self.rat > Z_90 and self.pat > Z_90) or (self.rdt > Z_90 and self.pdt > Z_90)

    def final(self, label: str) -> Representative:
        """Pol.is's finalised record: for agree when rat > rdt, otherwise for disagree."""
        if self.rat > self.rdt:
            return Representative(label, "agree", self.na, self.ns, self.pa, self.pat, self.ra, self.rat)
        return Representative(label, "disagree", self.nd, self.ns, self.pd, self.pdt, self.rd, self.rdt)


def _beats_best_agree(stats: _Stats, best: _Stats | None) -> bool:
    """Pol.is's running choice of the statement a group most agrees on (ahead of the list)."""
    if stats.na == 0 and stats.nd == 0:
        return False
    if best is not None and best.ra > 1.0:
        return stats.ra * stats.rat * stats.pa * stats.pat > best.ra * best.rat * best.pa * best.pat
    if best is not None:
        return stats.pa * stats.pat > best.pa * best.pat
    return stats.pat > Z_90 or (stats.ra > 1.0 and stats.pa > 0.5)


def _representatives(labels: tuple[str, ...], agrees: np.ndarray, disagrees: np.ndarray,
                     seen: np.ndarray, considered: np.ndarray) -> list[list[Representative]]:
    """Per group, Pol.is's representative statements: those whose ratio and rate are both
    significant (for agree or for disagree), ranked by ratio*ratio_z*rate*rate_z, the group's
    best agreed statement first, at most five, agrees before disagrees. When none is
    significant: the best agreed statement, else the one with the highest ratio z. `agrees`
    etc. are (statements, groups) counts over grouped participants; only `considered` statements
    (not moderated out) take part."""
    rest_a = agrees.sum(axis=1, keepdims=True) - agrees
    rest_d = disagrees.sum(axis=1, keepdims=True) - disagrees
    rest_s = seen.sum(axis=1, keepdims=True) - seen
    pa, pd = smoothed_rate(agrees, seen), smoothed_rate(disagrees, seen)
    pat, pdt = proportion_z(agrees, seen), proportion_z(disagrees, seen)
    ra = pa / smoothed_rate(rest_a, rest_s)
    rd = pd / smoothed_rate(rest_d, rest_s)
    rat = two_proportion_z(agrees, rest_a, seen, rest_s)
    rdt = two_proportion_z(disagrees, rest_d, seen, rest_s)
    chosen: list[list[Representative]] = []
    for g in range(agrees.shape[1]):
        sufficient: list[Representative] = []
        best: Representative | None = None
        best_agree: _Stats | None = None
        # plain Python numbers, one list per quantity, in the order _Stats takes them
        columns = [a[:, g].tolist() for a in (agrees, disagrees, seen, pa, pd, pat, pdt, ra, rd, rat, rdt)]
        for j in np.flatnonzero(considered).tolist():
            stats = _Stats(j, *(column[j] for column in columns))
            if stats.passes_by_test():
                sufficient.append(stats.final(labels[j]))
            if not sufficient and (best is None or max(stats.rat, stats.rdt) > best.ratio_z):
                best = stats.final(labels[j])
            if _beats_best_agree(stats, best_agree):
                best_agree = stats
        head = best_agree.final(labels[best_agree.column]) if best_agree is not None else None
        if not sufficient:
            chosen.append([head] if head is not None else [best] if best is not None else [])
            continue
        ranked = sorted((r for r in sufficient if head is None or r.statement != head.statement),
                        key=lambda r: -r.metric)
        top = ([head] if head is not None else []) + ranked
        top = top[:REPRESENTATIVE_PER_GROUP]
        chosen.append([r for r in top if r.repful_for == "agree"]
                      + [r for r in top if r.repful_for == "disagree"])
    return chosen


# ---------------------------------------------------------------------------------------------
# The analysis


def _counts(columns: np.ndarray, values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agrees, disagrees and passes per bin."""
    return (np.bincount(columns[values == 1], minlength=bins),
            np.bincount(columns[values == -1], minlength=bins),
            np.bincount(columns[values == 0], minlength=bins))


def analyse(matrix: VoteMatrix, *, seed: int = 0) -> Analysis:
    """Opinion groups, consensus, majority, representative and uncertain statements of a
    conversation (the module docstring gives the method). Deterministic for a given seed."""
    rows, cols, values = _checked_arrays(matrix)
    n, m = len(matrix.participants), len(matrix.statements)
    column_of = {label: j for j, label in enumerate(matrix.statements)}
    zeroed = np.zeros(m, dtype=bool)
    for label in matrix.moderated_out:
        zeroed[column_of[label]] = True

    # The rating matrix: columns somebody voted on; zeroed columns are 0 for everyone.
    voted_on = np.bincount(cols, minlength=m) > 0
    statements_in_play = int(voted_on.sum())
    kept = ~zeroed[cols]
    seen_votes = np.bincount(cols[kept], minlength=m)
    vote_sums = np.bincount(cols[kept], weights=values[kept].astype(float), minlength=m)
    means = np.divide(vote_sums, seen_votes, out=np.zeros(m), where=seen_votes > 0)
    centred = sparse.csr_matrix(
        (values[kept] - means[cols[kept]], (rows[kept], cols[kept])), shape=(n, m))
    components = _principal_components(centred, seed)
    projection = centred @ components.T
    voted = np.bincount(rows[kept], minlength=n) + int((zeroed & voted_on).sum())
    projection *= np.sqrt(statements_in_play / np.maximum(voted, 1))[:, None]

    # Who counts, and their groups.
    votes_cast = np.bincount(rows, minlength=n)
    counted = np.flatnonzero(votes_cast >= max(participation_threshold(statements_in_play), 1))
    points = projection[counted]
    if len(points):
        base_labels, base_centres = _kmeans(points, _first_distinct(points, BASE_CLUSTERS),
                                            np.ones(len(points)), BASE_ITERATIONS)
        base_sizes = np.bincount(base_labels, minlength=len(base_centres))
        group_of_base, silhouettes = _groups_of_bases(base_centres, base_sizes, seed)
        group_labels = group_of_base[base_labels]
    else:
        group_labels, silhouettes = np.zeros(0, dtype=np.int64), {}
    group_count = max(int(group_labels.max()) + 1 if len(group_labels) else 1, 1)
    group_sizes = np.bincount(group_labels, minlength=group_count)

    # Tallies: everyone, and per group over grouped participants (raw votes).
    agrees, disagrees, passes = _counts(cols, values, m)
    group_of_row = np.full(n, -1, dtype=np.int64)
    group_of_row[counted] = group_labels
    grouped = group_of_row[rows] >= 0
    cell = cols[grouped] * group_count + group_of_row[rows][grouped]
    g_agrees, g_disagrees, g_passes = (c.reshape(m, group_count)
                                       for c in _counts(cell, values[grouped], m * group_count))
    g_seen = g_agrees + g_disagrees + g_passes
    consensus = np.prod(smoothed_rate(g_agrees, g_seen), axis=1)

    # Majority over everyone, on the rating matrix (moderated-out statements never qualify).
    seen = agrees + disagrees + passes
    agree_majority = (smoothed_rate(agrees, seen) > 0.5) & (proportion_z(agrees, seen) > Z_90)
    disagree_majority = (smoothed_rate(disagrees, seen) > 0.5) & (proportion_z(disagrees, seen) > Z_90)

    considered = voted_on & ~zeroed
    chosen = _representatives(matrix.statements, g_agrees, g_disagrees, g_seen, considered)
    best_group: dict[str, tuple[float, int]] = {}
    for g, representatives in enumerate(chosen):
        for r in representatives:
            if r.statement not in best_group or r.metric > best_group[r.statement][0]:
                best_group[r.statement] = (r.metric, g)

    results = []
    per_group = np.stack([g_agrees, g_disagrees, g_passes], axis=2).tolist()  # (m, groups, 3)
    totals = zip(agrees.tolist(), disagrees.tolist(), passes.tolist(), seen.tolist(),
                 consensus.tolist(), considered.tolist(), agree_majority.tolist(),
                 disagree_majority.tolist(), per_group)
    for label, (a, d, p, s, c, used, agreed, disagreed, groups) in zip(matrix.statements, totals):
        results.append(StatementResult(
            statement=label, agrees=a, disagrees=d, passes=p, consensus=c,
            majority="agree" if used and agreed else "disagree" if used and disagreed else None,
            representative_of=best_group[label][1] if label in best_group else None,
            uncertain=used and is_uncertain(p, s),
            groups=tuple(GroupCounts(*counts) for counts in groups),
        ))
    return Analysis(
        participants=tuple(matrix.participants[i] for i in counted),
        groups=tuple(int(g) for g in group_labels),
        coordinates=points.copy(),
        group_sizes=tuple(int(s) for s in group_sizes),
        statements=tuple(results),
        representative=tuple(tuple(r.statement for r in group) for group in chosen),
        seed=seed,
        representative_details=tuple(tuple(group) for group in chosen),
        silhouettes=silhouettes,
    )
