"""Split a target point of the panel polytope into integral panels by walking across faces.

Start at the target x (expected number of members of each type). Find an integral panel v that
satisfies, with equality, every constraint that is tight at x (any panel used to build x must),
then step from v through x to the far side: x' = x + a (x - v) with the largest a that stays in
the relaxation. x is then a mix of v and x', and x' lies on a smaller face. Each step fixes at
least one more constraint, so after at most as many steps as there are types the point is a panel.
The panels found are exactly what the master LP needs to reproduce x; the LP then fixes the
weights (and any rounding drift) exactly.

Panels in a face are found by a randomised rounding that respects the face (fast, usually
enough), falling back to the integer program restricted to the face. If the face holds no
integral panel, x' (and possibly the target) is out of reach and the caller continues with
column generation.
"""

from __future__ import annotations

import math
import time

import numpy as np

from sortition.arrays import Floats, Ints
from sortition.solver.panels import NoPanel, OutOfTime, PanelFinder
from sortition.solver.types import Types

TIGHT = 1e-7
# Further randomised roundings, with a longer swap search, before asking the integer program.
RETRIES = 4
# First swaps tried by the pair exchange when no single swap helps.
PAIR_TRIES = 32
# Sideways swaps in a row after which the pair exchange is tried as well.
SIDEWAYS = 10


class Rows:
    """Every constraint row of a panel as (row index per type and group), for fast rounding."""

    def __init__(self, types: Types) -> None:
        size = len(types)
        categories = types.matrix.shape[0]
        columns = [types.profile[:, f] for f in range(types.profile.shape[1])]
        households = np.full(size, -1, dtype=np.int64)
        for h, group in enumerate(types.households):
            households[group] = categories + h
        self.count = categories + len(types.households) + 1
        self.first_household = categories
        self.household_members = [np.asarray(g, dtype=np.int64) for g in types.households]
        spare = self.count - 1  # a row with no limits for "in no category of this group"
        columns.append(households)
        self.profile = np.column_stack([np.where(c >= 0, c, spare) for c in columns])
        self.lower = np.concatenate([types.lower.astype(float),
                                     np.zeros(len(types.households)), [-math.inf]])
        self.upper = np.concatenate([types.upper.astype(float),
                                     np.ones(len(types.households)), [math.inf]])
        self.spare = spare

    def totals(self, counts: Floats) -> Floats:
        """Row activity for counts per type."""
        totals = np.zeros(self.count)
        for f in range(self.profile.shape[1]):
            totals += np.bincount(self.profile[:, f], weights=counts, minlength=self.count)
        return totals


def _violation(totals: Floats, lower: Floats, upper: Floats) -> Floats:
    return np.maximum(lower - totals, 0) + np.maximum(totals - upper, 0)


def _swap_change(totals: Floats, now: Floats, removable: Ints,
                 addable: Ints, lower: Floats, upper: Floats,
                 profile: Ints) -> Floats:
    """Change in total violation for each swap (one of `removable` out, one of `addable` in)."""
    removal = _violation(totals - 1, lower, upper) - now
    addition = _violation(totals + 1, lower, upper) - now
    out_rows = profile[removable]
    in_rows = profile[addable]
    change = np.zeros((len(removable), len(addable)))
    for f in range(profile.shape[1]):
        differs = out_rows[:, f, None] != in_rows[None, :, f]
        change += differs * (removal[out_rows[:, f]][:, None] + addition[in_rows[:, f]][None, :])
    change[removable[:, None] == addable[None, :]] = np.inf
    return change


def _pair_swap(totals: Floats, now: Floats, v: Floats, removable: Ints,
               addable: Ints, change: Floats, low: Floats, high: Floats,
               lower: Floats, upper: Floats, profile: Ints,
               tries: int = PAIR_TRIES) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Two swaps that together lower the violation when every single swap raises it, or None.

    Late in the walk many rows are tight at once (categories and households): fixing the last
    short row with one swap always breaks another, but a second swap can often repair that one.
    The first swaps tried are the least harmful ones.
    """
    flat = change.ravel()
    count = min(tries, int(np.isfinite(flat).sum()))
    if count == 0:
        return None
    firsts = np.argpartition(flat, count - 1)[:count]
    firsts = firsts[np.argsort(flat[firsts], kind="stable")]
    best: tuple[float, tuple[int, int], tuple[int, int]] | None = None
    for i in firsts.tolist():
        a_i, b_i = divmod(i, change.shape[1])
        a, b = int(removable[a_i]), int(addable[b_i])
        after = totals.copy()
        after[profile[a]] -= 1
        after[profile[b]] += 1
        v[a] -= 1
        v[b] += 1
        outs = np.flatnonzero(v > low)
        ins = np.flatnonzero(v < high)
        v[a] += 1
        v[b] -= 1
        if len(outs) == 0 or len(ins) == 0:
            continue
        then = _violation(after, lower, upper)
        second = _swap_change(after, then, outs, ins, lower, upper, profile)
        second[(outs[:, None] == b) & (ins[None, :] == a)] = np.inf  # not the first swap undone
        c_i, d_i = np.unravel_index(int(np.argmin(second)), second.shape)
        net = float(then.sum() - now.sum() + second[c_i, d_i])
        if net < -1e-9 and (best is None or net < best[0]):
            best = (net, (a, b), (int(outs[c_i]), int(ins[d_i])))
    return None if best is None else (best[1], best[2])


def _round(x: Floats, low: Floats, high: Floats, lower: Floats,
           upper: Floats, rows: Rows, k: int, rng: np.random.Generator,
           swaps: int = 80, sample: int = 128) -> Ints | None:
    """A panel within [low, high] per type and [lower, upper] per row, near x, or None.

    Greedy rounding fills the seats with the types closest to their next whole member without
    breaking any maximum; then single swaps (one member out, another in) repair the rows still
    short, best first, moving sideways at random when no swap helps right away, and exchanging
    two pairs at once when no single swap can help (many tight rows late in the walk).
    """
    profile = rows.profile
    v = np.clip(np.floor(x + 1e-9), low, high)
    fraction = np.clip(x - v, 0, None)
    need = k - int(v.sum())
    if need < 0:
        return None
    totals = rows.totals(v)
    # Households the face says must send someone: seat the member closest to a whole seat.
    for h, members in enumerate(rows.household_members):
        row = rows.first_household + h
        if need == 0 or totals[row] >= lower[row]:
            continue
        open_ = members[v[members] < high[members]]
        if len(open_) == 0:
            return None
        fitting = open_[np.all(totals[profile[open_]] + 1 <= upper[profile[open_]], axis=1)]
        pool = fitting if len(fitting) else open_
        t = int(pool[np.argmax(fraction[pool])])
        v[t] += 1
        totals[profile[t]] += 1
        need -= 1
    if need:
        keys = fraction * (1 + 1e-6 * rng.random(len(x)))
        order = np.argsort(-keys, kind="stable")
        order = order[v[order] < high[order]].tolist()
        room = (upper - totals).tolist()
        table = profile.tolist()
        taken = []
        for t in order:
            r = table[t]
            if all(room[c] >= 1 for c in r):
                for c in r:
                    room[c] -= 1
                taken.append(t)
                if len(taken) == need:
                    break
        if len(taken) < need:
            spare = [t for t in order if t not in set(taken)]
            taken.extend(spare[: need - len(taken)])
        if len(taken) < need:
            return None
        picks = np.array(taken, dtype=np.int64)
        v[picks] += 1
        totals = rows.totals(v)
    previous = (-1, -1)
    sideways = 0  # sideways swaps in a row
    for _ in range(swaps):
        now = _violation(totals, lower, upper)
        if now.sum() <= 1e-9:
            return v.astype(np.int64)
        removable = np.flatnonzero(v > low)
        addable = np.flatnonzero(v < high)
        if len(removable) == 0 or len(addable) == 0:
            return None
        if len(addable) > sample:
            keys = (x[addable] - v[addable] + 1) * rng.random(len(addable))
            addable = addable[np.argpartition(-keys, sample - 1)[:sample]]
        change = _swap_change(totals, now, removable, addable, lower, upper, profile)
        if previous[0] >= 0:  # never undo the last move
            change[(removable[:, None] == previous[1]) & (addable[None, :] == previous[0])] = np.inf
        best = float(change.min())
        if best < -1e-9:
            # Prefer, among the best repairs, swaps that move towards x.
            closeness = (x[addable] - v[addable])[None, :] - (x[removable] - v[removable])[:, None]
            scored = np.where(change <= best + 1e-9, closeness, -np.inf)
            a_at, b_at = np.unravel_index(int(np.argmax(scored)), change.shape)
            moves = [(int(removable[a_at]), int(addable[b_at]))]
            sideways = 0
        else:
            # No single swap helps. Sideways moves usually find a way round within a few steps;
            # when every swap makes things worse, or sideways moves have gone on too long, try
            # two swaps at once.
            pair = None
            if best > 1e-9 or sideways >= SIDEWAYS:
                pair = _pair_swap(totals, now, v, removable, addable, change, low, high, lower,
                                  upper, profile)
            if pair is not None:
                moves = list(pair)
                sideways = 0
            elif best > 1e-9:
                return None
            else:
                a_i, b_i = (int(i) for i in rng.choice(np.argwhere(change <= 1e-9)))
                moves = [(int(removable[a_i]), int(addable[b_i]))]
                # After a failed pair exchange, count afresh.
                sideways = 1 if sideways >= SIDEWAYS else sideways + 1
        for a, b in moves:
            v[a] -= 1
            v[b] += 1
            totals[profile[a]] -= 1
            totals[profile[b]] += 1
        previous = moves[-1]
    return None


def walk(types: Types, target: Floats, finder: PanelFinder, deadline: float,
         seed: int = 0) -> tuple[list[Ints], list[float], bool]:
    """Panels and weights whose mix is `target` (counts per type), and whether the walk
    finished; when it did not (a face with no integral panel, or no time left), the weights
    cover only part of the target and only the panels are useful."""
    rows = Rows(types)
    rng = np.random.default_rng(seed)
    sizes = types.sizes.astype(float)
    k = types.panel_size
    x = np.clip(np.asarray(target, dtype=float), 0, sizes)
    weight = 1.0
    panels: list[np.ndarray] = []
    weights: list[float] = []
    base_lower, base_upper = rows.lower, rows.upper
    category_rows = types.matrix.shape[0]
    stuck = False
    while True:
        if time.monotonic() > deadline:
            return panels, weights, False
        totals = rows.totals(x)
        at_low = x <= TIGHT
        at_high = x >= sizes - TIGHT
        low = np.where(at_high, sizes, 0.0)
        high = np.where(at_low, 0.0, sizes)
        row_low = totals <= base_lower + TIGHT
        row_high = totals >= base_upper - TIGHT
        lower = np.where(row_high, base_upper, base_lower)
        upper = np.where(row_low, base_lower, base_upper)
        nearest = np.rint(x)
        if np.all(np.abs(x - nearest) <= TIGHT):
            whole = rows.totals(nearest)
            if np.all((whole >= base_lower) & (whole <= base_upper)) and nearest.sum() == k:
                panels.append(nearest.astype(np.int64))
                weights.append(weight)
                return panels, weights, True
        v = _round(x, low, high, lower, upper, rows, k, rng)
        # Faces only shrink along the walk, so once the long retries have failed on one, they
        # would mostly fail on the next ones too: go straight to the integer program from then on.
        for _ in range(0 if stuck else RETRIES):
            if v is not None:
                break
            v = _round(x, low, high, lower, upper, rows, k, rng, swaps=200, sample=len(x))
        if v is None:
            stuck = True
            try:
                finder.restrict(low, high, lower[:category_rows], upper[:category_rows],
                                lower[category_rows:-1], upper[category_rows:-1])
                v = finder.best(x / sizes, seconds=deadline - time.monotonic(), gap=0.05).counts
            except (NoPanel, OutOfTime):
                return panels, weights, False
            finally:
                finder.unrestrict()
        direction = x - v
        step = math.inf
        down = direction < -TIGHT
        if down.any():
            step = min(step, float(np.min(x[down] / -direction[down])))
        up = direction > TIGHT
        if up.any():
            step = min(step, float(np.min((sizes[up] - x[up]) / direction[up])))
        # Rows already tight stay tight (v meets them exactly); rounding drift there is harmless.
        change = np.where(row_low | row_high, 0.0, rows.totals(direction))
        falling = change < -TIGHT
        if falling.any():
            step = min(step, float(np.min((totals[falling] - base_lower[falling])
                                          / -change[falling])))
        rising = change > TIGHT
        if rising.any():
            step = min(step, float(np.min((base_upper[rising] - totals[rising])
                                          / change[rising])))
        if not math.isfinite(step) or weight / (1 + step) <= 1e-12:
            # x is v (up to rounding), or what is left of the target is negligible.
            panels.append(v)
            weights.append(weight)
            return panels, weights, True
        panels.append(v)
        weights.append(weight * step / (1 + step))
        weight /= 1 + step
        x = np.clip(x + step * direction, 0, sizes)
