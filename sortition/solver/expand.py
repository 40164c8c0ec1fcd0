"""Turn a distribution over type-level panels into one over panels of people.

A type-level panel says "3 people of type t"; which 3 must rotate so that every member of the type
ends up with exactly the same chance. For each type we treat the timeline [0, 1) of the lottery as
machine time in a scheduling problem: while panel P is drawn, c(P, t) "machines" must each be
occupied by a different member, and every member needs the same total time q. Grouping the panels
by c(P, t), an equal-share transportation plan tells how long each member sits in each group, and
McNaughton's wrap-around rule lays the members out within the group without ever putting one
person on a panel twice. The greedy plan keeps most members' time in a group either zero or the
whole group, so each type adds about one cut per member: the panels of people number roughly the
type-level panels plus the number of respondents.
"""

from __future__ import annotations

import numpy as np

from sortition.arrays import Floats, Ints
from sortition.solver.types import Types

# Pieces of the lottery shorter than this are rounding noise between two cuts, not real panels.
SLIVER = 1e-13


def _shares(counts_by_group: Floats, durations: Floats, size: int) -> Floats:
    """How long each member sits in each group: rows sum to the type's chance, columns to
    count x duration, and no entry exceeds the group's duration (a vertex-like greedy plan)."""
    capacity = counts_by_group * durations
    chance = capacity.sum() / size
    plan = np.zeros((size, len(durations)))
    remaining = capacity.copy()
    for member in range(size):
        left = size - member - 1
        take = np.clip(remaining - left * durations, 0.0, durations)
        need = chance - take.sum()
        for g in range(len(durations)):
            if need <= 0:
                break
            extra = min(need, durations[g] - take[g], remaining[g] - take[g])
            if extra > 0:
                take[g] += extra
                need -= extra
        plan[member] = take
        remaining = np.maximum(remaining - take, 0.0)
    return plan


def _type_pieces(counts: Ints, weights: Floats, members: Ints,
                 out: list[tuple[Ints, Floats, Floats, Ints]]) -> None:
    """Append (panel, start, end, person) pieces for one type; times are offsets within a panel."""
    size = len(members)
    chosen = np.flatnonzero(counts)
    if len(chosen) == 0:
        return
    if size == 1:
        out.append((chosen, np.zeros(len(chosen)), weights[chosen],
                    np.full(len(chosen), members[0])))
        return
    groups = np.unique(counts[chosen])
    panels_of = [np.flatnonzero(counts == g) for g in groups]
    bounds_of = [np.concatenate([[0.0], np.cumsum(weights[p])]) for p in panels_of]
    durations = np.array([b[-1] for b in bounds_of])
    plan = _shares(groups.astype(float), durations, size)
    for g, machines in enumerate(groups):
        panels, bounds, length = panels_of[g], bounds_of[g], durations[g]
        column = plan[:, g]
        full = column >= length * (1 - 1e-12)
        for person in members[full]:
            out.append((panels, np.zeros(len(panels)), weights[panels],
                        np.full(len(panels), person)))
        partial = np.flatnonzero(~full & (column > SLIVER))
        line_end = (machines - int(full.sum())) * length
        position = 0.0
        for m in partial:
            start = position
            end = min(position + column[m], line_end)
            position += column[m]
            machine = int(start // length)
            cut = (machine + 1) * length
            spans = [(start - machine * length, min(end, cut) - machine * length)]
            if end > cut:
                spans.append((0.0, end - cut))
            for lo, hi in spans:
                hi = min(hi, length)
                if hi - lo <= SLIVER:
                    continue
                first = max(int(np.searchsorted(bounds, lo, side="right")) - 1, 0)
                last = min(int(np.searchsorted(bounds, hi, side="left")) - 1, len(panels) - 1)
                idx = np.arange(first, last + 1)
                starts = np.maximum(lo, bounds[idx]) - bounds[idx]
                ends = np.minimum(hi, bounds[idx + 1]) - bounds[idx]
                out.append((panels[idx], starts, ends, np.full(len(idx), members[m])))


def expand(types: Types, counts: Ints, weights: Floats) -> tuple[Ints, Floats]:
    """Panels of people (rows sorted) and their weights, with equal chances within each type."""
    counts = np.asarray(counts, dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    pieces: list[tuple[Ints, Floats, Floats, Ints]] = []
    for t in range(len(types)):
        _type_pieces(counts[:, t], weights, types.members[t], pieces)
    panel = np.concatenate([p[0] for p in pieces])
    start = np.concatenate([p[1] for p in pieces])
    end = np.concatenate([p[2] for p in pieces])
    person = np.concatenate([p[3] for p in pieces])
    order = np.argsort(panel, kind="stable")
    panel, start, end, person = panel[order], start[order], end[order], person[order]
    cuts = np.searchsorted(panel, np.arange(len(weights) + 1))
    k = types.panel_size
    rows: list[Ints] = []
    row_weights: list[float] = []
    lost = 0.0
    for p in range(len(weights)):
        lo, hi = cuts[p], cuts[p + 1]
        if hi == lo:
            continue
        s, e, who = start[lo:hi], end[lo:hi], person[lo:hi]
        points = np.unique(np.concatenate([[0.0, weights[p]], s, e]))
        points = points[(points >= 0) & (points <= weights[p])]
        keep = np.concatenate([[True], np.diff(points) > SLIVER])
        points = points[keep]
        points[-1] = weights[p]
        if len(points) < 2:
            lost += weights[p]
            continue
        mids = (points[:-1] + points[1:]) / 2
        inside = (s[None, :] <= mids[:, None]) & (mids[:, None] < e[None, :])
        for j in range(len(mids)):
            chosen = np.sort(who[inside[j]])
            length = points[j + 1] - points[j]
            if len(chosen) != k:
                lost += length
                continue
            rows.append(chosen)
            row_weights.append(length)
    if lost > 1e-9:
        raise ArithmeticError(f"expanding type-level panels lost weight {lost:.3g}")
    matrix = np.vstack(rows)
    unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=np.array(row_weights), minlength=len(unique))
    return unique, merged / merged.sum()
