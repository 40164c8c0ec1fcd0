"""Turning a distribution over panels into a lottery of m numbered tickets.

A distribution found by an optimiser gives each panel an arbitrary real weight, and a draw from
it can only be done by a computer. A *uniform lottery* gives each of m tickets one panel, so the
final draw is "pick ticket t of m" and anyone can follow it. Each panel's weight must become a
whole number of tickets, and that moves people's selection probabilities a little.

We round as in Flanigan, Kehne and Procaccia, "Fair Sortition Made Transparent" (NeurIPS 2021):

1. Every panel P first gets floor(m * w_P) tickets; the fractional parts x_P in [0, 1) are
   rounded to 0 or 1 by Beck-Fiala iterated rounding. While a person sits on more than k of the
   panels still being rounded, their expected ticket count is held fixed exactly (as is the total
   number of tickets, always); once they sit on k or fewer, those at most k fractions each move by
   less than one ticket. So every person's probability moves by **less than k/m** — the paper's
   Beck-Fiala bound — and the total is exactly m tickets.
2. Inside the space the fixed counts allow, each step moves along a direction picked from a
   seeded random generator, forwards or backwards with the probabilities that keep every
   fraction's expectation unchanged (a martingale, as in randomised pipage rounding), so nobody
   is systematically favoured by the rounding.
   Each step needs directions that keep the held people fixed, found by factorising a dense
   block of (held people) x (a few more panels): cubic in the number held. Large supports hold
   thousands (19,135 panels of 150 on a pool of 20,000: about 6,300 people), where it did not
   finish within 40 minutes, so when more than 1,500 people would be held, the fractions are
   instead rounded by dependent (pipage) rounding, which keeps only the total fixed, with the
   same martingale property, in one pass. It has no k/m guarantee of its own, so the result
   (after step 3) is checked: if anyone moved by k tickets or more, the Beck-Fiala walk is run
   after all. On large panels that never happens in practice (movements are a few tickets, k is
   100 or more), and the check makes the k/m bound hold in every case.
3. Finally a deterministic local search moves one ticket at a time from a panel rounded up to
   one rounded down: first while that lowers the sum of squared movements, then while it brings
   the person who moved most one ticket closer without taking anyone else as far. The result is
   kept only if its largest movement is no larger than step 2's, so the k/m guarantee holds;
   it gives up step 2's exact unbiasedness for movements typically 20-30 times below the bound.
   Last, while someone has lost a whole ticket (1/m) or more, it gives the worst off one back
   from a rounded-up panel whose members can spare it, then moves tickets so that fewer whole
   tickets are lost in all; both count overlaps exactly on the sparse incidence and stop after
   _SPARE_ATTEMPTS tries, so they scale to supports of tens of thousands of panels.
4. If someone still loses a whole ticket and the support is small (up to 600 panels), an
   integer program looks for ticket counts (any whole numbers, not only floor or floor + 1)
   with which nobody does, everyone's change stays below k tickets and each count stays as
   close as it can to its exact share; they replace step 3's when found. On large supports
   nobody-loses-a-whole-ticket is an aim, not a promise: with about as many panels as people
   the exact counts m * w are typically the only ones that keep every chance, and whole
   numbers near them leave some people one to three tickets short (see bench/README.md).

`choose_lottery` picks m: the fewest of LOTTERY_SIZES that keeps the lowest chance within 5 %
of its exact value (see `first_size` for where it starts), unless the officer gives m.

Every ticket holds a panel from the distribution's support, so every ticket is a feasible panel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse
from threadpoolctl import threadpool_limits

from sortition.arrays import Bools, Floats, Ints
from sortition.model import Distribution, Instance, Progress, ProgressCallback, no_progress

DEFAULT_LOTTERY_SIZE = 1000
# Every ticket is written out and checked by verify; beyond this the files stop being readable.
MAX_LOTTERY_SIZE = 100_000
# The number of tickets is chosen so that rounding lowers the lowest chance by at most this
# share of it (5 %: 2.50 % may become 2.38 %, never 2.3 %), trying these sizes in turn.
KEEP_LOWEST = 0.05
LOTTERY_SIZES = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
_EPS = 1e-9
_LOCAL_SEARCH_MAX_SWAPS = 20_000
# Up to this many movable panels the local search keeps every pair's overlap in memory (as
# 16-bit counts: 72 MB at the limit); beyond it overlaps are computed for each comparison.
_DENSE_OVERLAP_PANELS = 6000
# Each local-search step compares this many of the most promising panels on each side.
_CANDIDATES = 1024
# "Loses a whole ticket" allows for floating-point noise in the exact chances.
_WHOLE_TICKET_MARGIN = 1e-9
# When the local search leaves someone a whole ticket short, an integer program looks for
# counts that do not, on supports up to this many panels and for at most this many seconds.
_EXACT_PANELS = 600
_EXACT_SECONDS = 5.0
# The random walk factorises a dense block of (people held fixed) x (a few more panels), which
# grows with the cube of the number held: beyond this many, dependent rounding is used instead.
_WALK_HELD = 1500
# Sparing people a whole ticket: at most this many passes over them and tries in all.
_SPARE_PASSES = 3
_SPARE_ATTEMPTS = 300


@dataclass(frozen=True)
class Lottery:
    """m tickets, numbered 1..m; ticket t holds panel `panels[t - 1]` (sorted person indices).

    `original[i]` is person i's probability under the distribution that was rounded and
    `marginals[i]` their probability in the lottery (their number of tickets / m).
    """

    panels: Ints
    original: Floats
    marginals: Floats
    panel_size: int

    @property
    def size(self) -> int:
        return int(self.panels.shape[0])

    @property
    def change(self) -> Floats:
        return self.marginals - self.original

    @property
    def max_change(self) -> float:
        return float(np.abs(self.change).max()) if len(self.change) else 0.0

    @property
    def lowest_exact(self) -> float:
        """The lowest chance before rounding (under the distribution)."""
        return float(self.original.min()) if len(self.original) else 0.0

    @property
    def lowest(self) -> float:
        """The lowest chance in the lottery, after rounding."""
        return float(self.marginals.min()) if len(self.marginals) else 0.0

    @property
    def lowest_loss_share(self) -> float:
        """How much of the lowest exact chance rounding took away, as a share of it."""
        if self.lowest_exact <= 0:
            return 0.0
        return max(0.0, (self.lowest_exact - self.lowest) / self.lowest_exact)

    @property
    def largest_loss_share(self) -> float:
        """The largest share of anyone's own chance that rounding took away."""
        chance = self.original > 1e-12
        if not chance.any():
            return 0.0
        lost = (self.original[chance] - self.marginals[chance]) / self.original[chance]
        return max(0.0, float(lost.max()))

    @property
    def most_tickets_lost(self) -> float:
        """The most anyone lost, in tickets (1 ticket is a chance of 1/m)."""
        if not len(self.original):
            return 0.0
        return max(0.0, float((self.original - self.marginals).max()) * self.size)

    def keeps_lowest(self, share: float = KEEP_LOWEST) -> bool:
        """Is the lowest chance after rounding within `share` of the exact lowest chance?"""
        return self.lowest >= (1 - share) * self.lowest_exact - 1e-12

    @property
    def bound(self) -> float:
        """The guaranteed ceiling on any person's change (strictly below this)."""
        return self.panel_size / self.size

    def panel(self, ticket: int) -> Ints:
        """The panel on ticket number `ticket` (1-based, as printed on the ticket)."""
        if not 1 <= ticket <= self.size:
            raise ValueError(f"ticket {ticket} is not between 1 and {self.size}")
        panel: Ints = self.panels[ticket - 1]
        return panel


def support(distribution: Distribution) -> tuple[Ints, Floats]:
    """The distinct panels with positive weight, in a canonical order, and their weights.

    Rows are sorted person indices and the panels are sorted lexicographically, so the same
    distribution always yields the same numbering of tickets.
    """
    panels = np.sort(np.asarray(distribution.panels, dtype=np.int64), axis=1)
    weights = np.asarray(distribution.weights, dtype=float)
    if panels.ndim != 2 or len(panels) != len(weights):
        raise ValueError("a distribution needs one weight per panel")
    keep = weights > 0
    panels, weights = panels[keep], weights[keep]
    if len(panels) == 0:
        raise ValueError("the distribution gives no panel a positive weight")
    unique, inverse = np.unique(panels, axis=0, return_inverse=True)
    merged = np.zeros(len(unique))
    np.add.at(merged, inverse.ravel(), weights)
    return unique, merged / merged.sum()


def round_distribution(
    instance: Instance,
    distribution: Distribution,
    size: int = DEFAULT_LOTTERY_SIZE,
    *,
    seed: int = 0,
    progress: ProgressCallback = no_progress,
) -> Lottery:
    """Round `distribution` into a uniform lottery of `size` tickets (see the module docstring).

    Deterministic for a given `seed`. Raises ValueError when a panel of the support does not
    meet the instance's rules, since a lottery must never hold an infeasible panel.
    """
    if size < 1:
        raise ValueError("the lottery needs at least one ticket")
    panels, weights = support(distribution)
    n, k = len(instance.pool), instance.panel_size
    if panels.shape[1] != k:
        raise ValueError(f"the distribution's panels have {panels.shape[1]} members, not {k}")
    for row in panels:
        if not instance.is_feasible_panel(row):
            raise ValueError("the distribution holds a panel that breaks the quotas")
    incidence = _incidence(panels, n)
    original = incidence @ weights
    progress(Progress("lottery", 0.0, f"Rounding {len(panels):,} panels into {size:,} tickets"))

    scaled = weights * size
    floors = np.floor(scaled + _EPS)
    fractions = np.clip(scaled - floors, 0.0, 1.0)
    fractions[fractions < _EPS] = 0.0
    rng = np.random.default_rng(seed)
    target = size * original
    # Many small factorisations: BLAS threads only fight each other (and the web app's other
    # work) here; one thread was 10-30 times faster on a busy two-core machine.
    with threadpool_limits(limits=1, user_api="blas"):
        held = np.bincount(panels[fractions > 0].ravel(), minlength=n) > k
        if held.sum() <= _WALK_HELD:
            rounded = _beck_fiala(panels, incidence, fractions, rng, progress)
        else:
            rounded = _pipage(fractions, rng)
        counts = floors + rounded
        counts = _improve(panels, incidence, counts, floors, fractions, target, progress)
        if float(np.abs(incidence @ counts - target).max()) >= k - _EPS:
            # Only after dependent rounding, which carries no k/m guarantee: use the walk.
            rounded = _beck_fiala(panels, incidence, fractions, rng, progress)
            counts = _improve(panels, incidence, floors + rounded, floors, fractions, target,
                              progress)
        if float(((target - incidence @ counts)).max()) >= 1 - _WHOLE_TICKET_MARGIN:
            exact = _exact_counts(incidence, scaled, target, size, k)
            if exact is not None:
                counts = exact
    whole = counts.astype(np.int64)
    if whole.sum() != size:
        raise ArithmeticError("rounding lost or gained tickets")  # the algorithm's invariant
    tickets = np.repeat(panels, whole, axis=0)
    marginals = (incidence @ whole) / size
    progress(Progress("lottery", 1.0, f"{size:,} tickets hold {int((whole > 0).sum()):,} panels"))
    return Lottery(panels=tickets, original=original, marginals=marginals, panel_size=k)


def first_size(lowest: float, cap: int = MAX_LOTTERY_SIZE) -> int:
    """The smallest size worth trying: with fewer than 1 / (5 % of the lowest chance) tickets,
    one ticket is worth more than 5 % of the lowest chance, and rounding usually moves someone
    by a ticket or so."""
    wanted = DEFAULT_LOTTERY_SIZE if lowest <= 0 else max(
        DEFAULT_LOTTERY_SIZE, int(np.ceil(1 / (KEEP_LOWEST * lowest) - 1e-9)))
    return min(cap, next((s for s in LOTTERY_SIZES if s >= wanted), cap))


def choose_lottery(
    instance: Instance,
    distribution: Distribution,
    size: int | None = None,
    *,
    cap: int = MAX_LOTTERY_SIZE,
    seed: int = 0,
    progress: ProgressCallback = no_progress,
) -> Lottery:
    """The lottery with `size` tickets, or, when `size` is None, with the fewest tickets (from
    LOTTERY_SIZES, up to `cap`) that keep the lowest chance within 5 % of the exact one.

    If even `cap` tickets cannot, the lottery with `cap` tickets is returned; its
    `keeps_lowest()` then says so, and the caller tells the officer.
    """
    if size is not None:
        return round_distribution(instance, distribution, size, seed=seed, progress=progress)
    lowest = float(np.min(distribution.marginals)) if len(distribution.marginals) else 0.0
    start = first_size(lowest, cap)
    sizes = [s for s in LOTTERY_SIZES if start <= s < cap] + [cap]
    lottery = None
    for tickets in sizes:
        lottery = round_distribution(instance, distribution, tickets, seed=seed,
                                     progress=progress)
        if lottery.keeps_lowest():
            break
    assert lottery is not None
    return lottery


def lottery_marginals(panels: Ints, population: int) -> Floats:
    """Each person's share of the tickets: their selection probability in a uniform lottery."""
    counts = np.bincount(np.asarray(panels).ravel(), minlength=population)
    return counts / len(panels)


def _incidence(panels: Ints, n: int) -> scipy.sparse.csr_array:
    """Sparse person x panel matrix: 1 where the person sits on the panel."""
    count, k = panels.shape
    columns = np.repeat(np.arange(count), k)
    data = np.ones(count * k)
    return scipy.sparse.csr_array((data, (panels.ravel(), columns)), shape=(n, count))


def _beck_fiala(
    panels: Ints,
    incidence: scipy.sparse.csr_array,
    fractions: Floats,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> Floats:
    """Round fractions to 0/1 keeping their total and the tight people's sums (see docstring).

    Why a direction always exists: with F fractions still floating, a person is held fixed only
    while they sit on more than k of them, and each floating panel seats exactly k people, so
    fewer than F people are held; with the total as well, either fewer than F rows remain or
    every held row covers all F panels and equals the total's row. The total of the fractions is
    a whole number, so a single fraction can never be left floating alone.

    For speed we work on a random block of the floating panels a little larger than the number
    of held rows, keep an orthonormal basis of the directions that hold those rows fixed, and
    shrink it as panels settle; people who stop being held are released when the next block is
    drawn (holding someone longer than needed only keeps their probability closer).
    """
    k = panels.shape[1]
    x = fractions.copy()
    is_floating = (x > _EPS) & (x < 1 - _EPS)
    x[~is_floating] = np.round(x[~is_floating])
    start = max(int(is_floating.sum()), 1)
    on_floating = np.bincount(panels[is_floating].ravel(), minlength=incidence.shape[0])
    steps = 0
    while is_floating.any():
        floating = np.flatnonzero(is_floating)
        if len(floating) == 1:
            # In exact arithmetic impossible (the total is whole); what is left is rounding
            # noise from earlier steps, so the value is within noise of 0 or 1.
            x[floating] = np.round(x[floating])
            break
        held = np.flatnonzero(on_floating > k)
        block = _block(floating, 1 + len(held), rng)
        matrix = np.vstack([np.ones(len(block)), incidence[held][:, block].toarray()])
        basis = _directions(matrix)
        alive = np.ones(len(block), dtype=bool)
        while basis.shape[1] > 0 and alive.any():
            direction = basis @ rng.standard_normal(basis.shape[1])
            direction[~alive] = 0.0
            direction /= np.abs(direction).max()
            values = x[block]
            forward = _step_limit(values, direction)
            backward = _step_limit(values, -direction)
            if rng.random() < backward / (forward + backward):
                values = values + forward * direction
            else:
                values = values - backward * direction
            values[values < _EPS] = 0.0
            values[values > 1 - _EPS] = 1.0
            x[block] = values
            settled = np.flatnonzero(alive & ((values == 0.0) | (values == 1.0)))
            if len(settled) == 0:
                # Floating-point noise kept every value a hair inside; settle the closest.
                distance = np.where(alive, np.minimum(values, 1 - values), np.inf)
                closest = int(np.argmin(distance))
                x[block[closest]] = np.round(values[closest])
                settled = np.array([closest])
            for position in settled.tolist():
                basis = _without(basis, position)
            alive[settled] = False
            is_floating[block[settled]] = False
            np.subtract.at(on_floating, panels[block[settled]].ravel(), 1)
            steps += 1
            if steps % 50 == 0:
                done = 1 - is_floating.sum() / start
                progress(Progress("lottery", 0.5 * done, "Rounding"))
    result = np.round(x)
    # The total of the fractions is kept exactly in exact arithmetic; absorb float drift.
    _fix_total(result, fractions, int(round(fractions.sum())))
    return result


def _pipage(fractions: Floats, rng: np.random.Generator) -> Floats:
    """Round fractions to 0/1 keeping their total, by dependent (pipage) rounding.

    One fraction is carried along the panels in their canonical order; at each panel, mass
    moves between the two until one of them reaches 0 or 1, up or down with the probabilities
    that keep both expectations unchanged (Srinivasan's dependent rounding). Linear time and
    memory, whatever the size of the support.
    """
    x = fractions.copy()
    carried = -1
    for j in np.flatnonzero((x > _EPS) & (x < 1 - _EPS)).tolist():
        if carried < 0:
            carried = j
            continue
        a, b = float(x[carried]), float(x[j])
        up, down = min(1 - a, b), min(a, 1 - b)
        if rng.random() * (up + down) < down:
            a, b = a + up, b - up
        else:
            a, b = a - down, b + down
        x[carried], x[j] = a, b
        a_floats, b_floats = _EPS < a < 1 - _EPS, _EPS < b < 1 - _EPS
        carried = carried if a_floats else (j if b_floats else -1)
    result = np.round(x)
    _fix_total(result, fractions, round(float(fractions.sum())))
    return result


def _exact_counts(incidence: scipy.sparse.csr_array, scaled: Floats, target: Floats, size: int,
                  k: int) -> Floats | None:
    """Whole ticket counts for a small support with which nobody loses a whole ticket, if
    there are any: an integer program (HiGHS) that stays as close as it can to each panel's
    exact share, keeps everyone's change below k tickets and sums to `size`. None if there
    are none, or the support is too large to be sure within a few seconds.
    """
    count = incidence.shape[1]
    if count > _EXACT_PANELS:
        return None
    import highspy

    from sortition.solver.panels import new_highs

    highs = new_highs()
    infinity = highspy.kHighsInf
    # Columns: the counts x (whole numbers), then t >= |x - scaled| (continuous).
    highs.addVars(count, np.zeros(count), np.full(count, float(size)))
    highs.changeColsIntegrality(count, np.arange(count, dtype=np.int32),
                                np.full(count, highspy.HighsVarType.kInteger))
    highs.addVars(count, np.zeros(count), np.full(count, infinity))
    highs.changeColsCost(count, np.arange(count, 2 * count, dtype=np.int32), np.ones(count))
    eye = scipy.sparse.identity(count, format="csr")
    people = scipy.sparse.csr_matrix(incidence)
    matrix = scipy.sparse.vstack([
        scipy.sparse.hstack([scipy.sparse.csr_matrix(np.ones((1, count))),
                             scipy.sparse.csr_matrix((1, count))]),
        scipy.sparse.hstack([people, scipy.sparse.csr_matrix(people.shape)]),
        scipy.sparse.hstack([eye, -eye]),   # x - t <= scaled
        scipy.sparse.hstack([eye, eye]),    # x + t >= scaled
    ]).tocsr()
    lower = np.concatenate([[size], np.floor(target + 1e-7), np.full(count, -infinity), scaled])
    upper = np.concatenate([[size], np.ceil(target + k - 1e-7) - 1, scaled,
                            np.full(count, infinity)])
    highs.addRows(matrix.shape[0], lower, upper, matrix.nnz,
                  matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32),
                  matrix.data.astype(float))
    highs.setOptionValue("time_limit", _EXACT_SECONDS)
    highs.setOptionValue("mip_rel_gap", 0.05)
    highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible solution found
        return None
    counts = np.round(np.asarray(highs.getSolution().col_value)[:count])
    seats = incidence @ counts
    if counts.sum() != size or float((target - seats).max()) >= 1 - _WHOLE_TICKET_MARGIN:
        return None
    return counts


def _block(floating: Ints, rows: int, rng: np.random.Generator) -> Ints:
    """A random set of floating panels small enough to be cheap, certain to carry a direction.

    More columns than rows leave that many directions to walk before the next factorisation.
    """
    size = rows + max(32, rows // 2)
    if size >= len(floating):
        return floating
    return np.sort(rng.choice(floating, size=size, replace=False))


def _directions(matrix: Floats) -> Floats:
    """An orthonormal basis of directions the rows of `matrix` do not see.

    The last columns of a full QR factorisation of the transpose are orthogonal to every row,
    whatever the rank; when the rows are dependent a rank-revealing SVD finds the extra
    directions, which matters only when the block is no wider than the rows.
    """
    rows, columns = matrix.shape
    if columns > rows:
        q, _ = scipy.linalg.qr(matrix.T, mode="full")
        directions: Floats = q[:, rows:]
        return directions
    basis: Floats = scipy.linalg.null_space(matrix, rcond=1e-10)
    if basis.shape[1] == 0:
        # Impossible by the counting argument in _beck_fiala; fail loudly rather than
        # silently break the guarantee.
        raise ArithmeticError("no direction keeps the held probabilities fixed")
    return basis


def _without(basis: Floats, position: int) -> Floats:
    """The orthonormal basis of those directions in `basis` that leave `position` unchanged."""
    row = basis[position].copy()
    norm = float(np.linalg.norm(row))
    if norm > 1e-12:
        # A Householder reflection turns `row` into (±norm, 0, ..., 0); the other columns of
        # the reflected basis are then zero at `position`.
        row[0] += norm if row[0] >= 0 else -norm
        basis = basis - np.outer(basis @ row, row * (2.0 / float(row @ row)))
        basis = basis[:, 1:]
    basis[position] = 0.0
    return basis


def _step_limit(values: Floats, direction: Floats) -> float:
    """How far we may move along `direction` before some value reaches 0 or 1."""
    up = direction > _EPS
    down = direction < -_EPS
    limits = np.concatenate([(1 - values[up]) / direction[up], values[down] / -direction[down]])
    return float(limits.min())


def _fix_total(result: Floats, fractions: Floats, wanted: int) -> None:
    surplus = int(result.sum()) - wanted
    if surplus > 0:
        for j in np.argsort(fractions)[::1]:
            if surplus == 0:
                break
            if result[j] == 1 and fractions[j] > 0:
                result[j], surplus = 0, surplus - 1
    elif surplus < 0:
        for j in np.argsort(-fractions):
            if surplus == 0:
                break
            if result[j] == 0 and fractions[j] > 0:
                result[j], surplus = 1, surplus + 1


def _improve(
    panels: Ints,
    incidence: scipy.sparse.csr_array,
    counts: Floats,
    floors: Floats,
    fractions: Floats,
    target: Floats,
    progress: ProgressCallback,
) -> Floats:
    """Move single tickets from rounded-up to rounded-down panels while that helps.

    First while it lowers the sum of squared movements: moving a ticket from panel P to panel Q
    changes it by 2 (s_Q - s_P) + 2k - 2 |P ∩ Q|, where s_P sums the current movement over P's
    members. Then, while possible, by moves that bring the person who moved most one ticket
    closer without taking anyone else that far. Last, the two searches that aim to leave
    nobody a whole ticket short. Only panels with a fraction take part, so every count stays
    floor or floor + 1.
    """
    movable = np.flatnonzero(fractions > 0)
    if len(movable) < 2:
        return counts
    sub = incidence[:, movable].tocsc()
    members = panels[movable]
    dense = _overlaps(sub)
    k = panels.shape[1]
    current = counts.copy()
    deviation = incidence @ current - target
    sums = sub.T @ deviation
    up = current[movable] > floors[movable]
    best_max = np.abs(deviation).max()

    def best(givers: Ints, takers: Ints, limit: int) -> tuple[float, int, int]:
        """The best move among the `limit` most promising givers and takers (by s_P, s_Q)."""
        if len(givers) > limit:
            givers = givers[np.argpartition(-sums[givers], limit)[:limit]]
        if len(takers) > limit:
            takers = takers[np.argpartition(sums[takers], limit)[:limit]]
        if dense is not None:
            overlap = dense[np.ix_(givers, takers)].astype(np.float64)
        else:
            overlap = (sub[:, givers].T @ sub[:, takers]).toarray()
        gains = 2 * (sums[takers][None, :] - sums[givers][:, None]) + 2 * k - 2 * overlap
        flat = int(np.argmin(gains))
        return (float(gains.flat[flat]), int(givers[flat // len(takers)]),
                int(takers[flat % len(takers)]))

    def move(p: int, q: int) -> None:
        nonlocal sums
        current[movable[p]] -= 1
        current[movable[q]] += 1
        up[p] = current[movable[p]] > floors[movable[p]]
        up[q] = current[movable[q]] > floors[movable[q]]
        np.subtract.at(deviation, members[p], 1)
        np.add.at(deviation, members[q], 1)
        sums = sub.T @ deviation

    for swap in range(_LOCAL_SEARCH_MAX_SWAPS):
        givers, takers = np.flatnonzero(up), np.flatnonzero(~up)
        if len(givers) == 0 or len(takers) == 0:
            break
        change, giver, taker = best(givers, takers, _CANDIDATES)
        if change >= -1e-9:
            break
        move(giver, taker)
        if swap % 200 == 0:
            progress(Progress("lottery", 0.75, "Evening out the tickets"))

    for _ in range(_LOCAL_SEARCH_MAX_SWAPS):
        magnitude = np.abs(deviation)
        worst = int(np.argmax(magnitude))
        most = float(magnitude[worst])
        if most <= 0.5:
            break
        on_it = (members == worst).any(axis=1)
        lowest = deviation[members].min(axis=1)
        highest = deviation[members].max(axis=1)
        # Conservative (ignores people on both panels): nobody may reach the current worst.
        safe_give = up & (lowest - 1 > -most + 1e-9)
        safe_take = ~up & (highest + 1 < most - 1e-9)
        lost = deviation[worst] < 0
        givers = np.flatnonzero(safe_give & (on_it != lost))
        takers = np.flatnonzero(safe_take & (on_it == lost))
        if len(givers) == 0 or len(takers) == 0:
            break
        # Few panels hold the worst-off person, so every giver can be compared.
        _, giver, taker = best(givers, takers, max(_CANDIDATES, len(givers)))
        move(giver, taker)
    _lift_the_worst_off(deviation, sub, k, up, lambda: sums, move, progress)
    _spare_the_worst_off(deviation, sub, k, up, lambda: sums, move, progress)
    if np.abs(deviation).max() <= best_max + 1e-9:
        return current
    return counts


def _lift_the_worst_off(
    deviation: Floats,
    sub: scipy.sparse.csc_array,
    k: int,
    up: Bools,
    sums: Callable[[], Floats],
    move: Callable[[int, int], None],
    progress: ProgressCallback,
) -> None:
    """While someone loses a whole ticket or more, give the worst off one back.

    The ticket comes from a panel rounded up without them and goes to a panel rounded down
    with them. Those on the first panel only lose one and must stay better off than the
    worst off were; those on the second only gain one and must stay below k/2 tickets (or the
    largest movement, if larger), so the k/m guarantee is kept. Overlaps are counted exactly
    on the sparse incidence.
    """
    ceiling = max(float(np.abs(deviation).max()), k / 2)
    by_person = sub.tocsr()
    for swap in range(_SPARE_ATTEMPTS):
        worst = int(np.argmin(deviation))
        loss = -float(deviation[worst])
        if loss < 1 - _WHOLE_TICKET_MARGIN:
            break
        on_it = np.zeros(sub.shape[1], dtype=bool)
        on_it[by_person.indices[by_person.indptr[worst]:by_person.indptr[worst + 1]]] = True
        givers, takers = np.flatnonzero(up & ~on_it), np.flatnonzero(~up & on_it)
        if len(givers) == 0 or len(takers) == 0:
            break
        no_loss = (deviation - 1 <= -loss + 1e-9).astype(float)
        no_gain = (deviation + 1 > ceiling + 1e-9).astype(float)
        choice = _best_allowed_move(sub, k, givers, takers, sums(), no_loss, no_gain)
        if choice is None:
            break
        move(*choice)
        if swap % 50 == 0:
            progress(Progress("lottery", 0.85, "Making sure nobody loses a whole ticket"))


def _best_allowed_move(sub: scipy.sparse.csc_array, k: int, givers: Ints, takers: Ints,
                       sums: Floats, no_loss: Floats, no_gain: Floats,
                       fewer: tuple[Floats, Floats] | None = None) -> tuple[int, int] | None:
    """The move (giver, taker) that most lowers the sum of squared movements among those
    that take a ticket from nobody marked `no_loss`, give one to nobody marked `no_gain` and,
    with `fewer` = (costs a whole ticket, gives one back), gives back more than it costs.
    Only the _CANDIDATES givers with the fewest members who may not lose (or, with `fewer`,
    would lose a whole ticket) are compared."""
    if len(givers) > _CANDIDATES:
        blocking = sub[:, givers].T @ (no_loss if fewer is None else no_loss + fewer[0])
        givers = givers[np.argpartition(blocking, _CANDIDATES)[:_CANDIDATES]]
    on_givers, on_takers = sub[:, givers], sub[:, takers]
    allowed = ((_only_on(on_givers, on_takers, no_loss) < 0.5)
               & (_only_on(on_takers, on_givers, no_gain).T < 0.5))
    if fewer is not None:
        costs, gives_back = fewer
        allowed &= (_only_on(on_givers, on_takers, costs)
                    - _only_on(on_takers, on_givers, gives_back).T < -0.5)
    if not allowed.any():
        return None
    overlap = (on_givers.T @ on_takers).toarray()
    gains = 2 * (sums[takers][None, :] - sums[givers][:, None]) + 2 * k - 2 * overlap
    gains[~allowed] = np.inf
    flat = int(np.argmin(gains))
    return int(givers[flat // len(takers)]), int(takers[flat % len(takers)])


def _spare_the_worst_off(
    deviation: Floats,
    sub: scipy.sparse.csc_array,
    k: int,
    up: Bools,
    sums: Callable[[], Floats],
    move: Callable[[int, int], None],
    progress: ProgressCallback,
) -> None:
    """While people lose whole tickets, move tickets so that fewer whole tickets are lost.

    A ticket moves from a panel P rounded up to a panel Q rounded down (so every count stays
    floor or floor + 1): the members of P but not Q lose one, those of Q but not P gain one.
    Starting with whoever lost most, we look for a move with Q holding them and P not, that
    gives back more whole tickets than it takes (it may cost someone else a whole one while
    giving one back to two people), takes nobody further down than the worst loss so far and
    lifts nobody beyond the largest movement so far (so the k/m guarantee is kept). The total
    number of whole tickets lost falls with every move. Overlaps are counted on the sparse
    incidence, only among the people concerned, so it stays cheap on supports of tens of
    thousands of panels. Among the allowed moves, the one that most lowers the sum of squared
    movements is taken.
    """
    ceiling = float(np.abs(deviation).max())
    by_person = sub.tocsr()
    for attempt, worst in enumerate(_worst_off_first(deviation)):
        if attempt >= _SPARE_ATTEMPTS:
            break
        is_loser = deviation <= -1 + _WHOLE_TICKET_MARGIN
        if not is_loser[worst]:
            continue
        worst_loss = -float(deviation.min())
        on_it = np.zeros(sub.shape[1], dtype=bool)
        on_it[by_person.indices[by_person.indptr[worst]:by_person.indptr[worst + 1]]] = True
        givers, takers = np.flatnonzero(up & ~on_it), np.flatnonzero(~up & on_it)
        # Per person: losing a ticket is forbidden (they lost a whole one already, or would
        # go below the worst loss), or costs them a whole one; gaining one is forbidden (it
        # would pass the ceiling), or gives a whole one back.
        no_loss = (is_loser | (deviation - 1 <= -worst_loss)).astype(float)
        new_loser = (deviation <= _WHOLE_TICKET_MARGIN).astype(float) - no_loss
        no_gain = (deviation + 1 > ceiling + 1e-9).astype(float)
        saved = is_loser.astype(float)
        if len(givers) == 0 or len(takers) == 0:
            continue
        choice = _best_allowed_move(sub, k, givers, takers, sums(), no_loss, no_gain,
                                    fewer=(new_loser, saved))
        if choice is None:
            continue
        move(*choice)
        if attempt % 50 == 0:
            progress(Progress("lottery", 0.9, "Making sure nobody loses a whole ticket"))


def _only_on(first: scipy.sparse.csc_array, second: scipy.sparse.csc_array,
             weights: Floats) -> Floats:
    """For each pair (panel of `first`, panel of `second`): the weight of the people on the
    first panel but not the second."""
    both = (first.T @ second.multiply(weights[:, None]).tocsc()).toarray()
    alone: Floats = np.asarray(first.T @ weights)[:, None] - both
    return alone


def _worst_off_first(deviation: Floats) -> Iterator[int]:
    """Who lost a whole ticket, the worst off first, in passes while each pass helped.

    Each person is tried once per pass (a move can make a new loser or make room for an old
    one), and at most _SPARE_PASSES passes, so the work stays proportional to the losers.
    """
    before = np.inf
    for _ in range(_SPARE_PASSES):
        losers = np.flatnonzero(deviation <= -1 + _WHOLE_TICKET_MARGIN)
        whole_tickets_lost = float(np.floor(-deviation[losers] + _WHOLE_TICKET_MARGIN).sum())
        if len(losers) == 0 or whole_tickets_lost >= before:
            return
        before = whole_tickets_lost
        yield from losers[np.argsort(deviation[losers], kind="stable")].tolist()


def _overlaps(sub: scipy.sparse.csc_array) -> Ints | None:
    """How many members every pair of panels shares, when that fits in memory comfortably."""
    count = sub.shape[1]
    if count > _DENSE_OVERLAP_PANELS:
        return None
    out = np.empty((count, count), dtype=np.int16)
    for start in range(0, count, 512):  # in slices, to keep the sparse product's memory small
        out[:, start:start + 512] = (sub.T @ sub[:, start:start + 512]).toarray()
    return out
