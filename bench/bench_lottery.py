"""Benchmark the transparent lottery: rounding time and how far people's chances move.

    /work/venv/bin/python bench/bench_lottery.py [--sizes 300/30,1500/60] [--tickets 1000]
        [--algorithm leximin] [--seed 0]

For each size it generates a synthetic pool (sortition.synthetic), finds the distribution, rounds
it into a lottery of m tickets and prints the rounding time, the largest change in anyone's
chance against the guaranteed bound k/m (Flanigan, Kehne and Procaccia, NeurIPS 2021), the
lowest chance before and after, and the time to commit and draw. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sortition.commitment import commit
from sortition.draw import draw
from sortition.lottery import round_distribution
from sortition.model import SelectionOptions
from sortition.reserves import find_reserves
from sortition.select import find_distribution
from sortition.synthetic import make_instance


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        n, k = part.split("/")
        sizes.append((int(n), int(k)))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300/30,1500/60,5000/100", type=_sizes)
    parser.add_argument("--tickets", default=1000, type=int)
    parser.add_argument("--algorithm", default="leximin")
    parser.add_argument("--seed", default=0, type=int)
    args = parser.parse_args()
    header = (f"{'pool/panel':>11} {'panels':>7} {'solve s':>8} {'round s':>8} "
              f"{'max change':>11} {'bound k/m':>10} {'ratio':>6} {'min before':>11} "
              f"{'min after':>10} {'commit+draw s':>14} {'reserves s':>11}")
    print(header)
    print("-" * len(header))
    for n, k in args.sizes:
        instance = make_instance(n, k, seed=args.seed)
        started = time.perf_counter()
        distribution = find_distribution(instance, SelectionOptions(algorithm=args.algorithm))
        solved = time.perf_counter() - started
        started = time.perf_counter()
        lottery = round_distribution(instance, distribution, args.tickets)
        rounded = time.perf_counter() - started
        started = time.perf_counter()
        made = commit(instance, lottery.panels, distribution.algorithm)
        drawn = draw(made.digest, "17 42 8 33 5", lottery.size)
        committed = time.perf_counter() - started
        started = time.perf_counter()
        find_reserves(instance, lottery.panel(drawn.ticket))
        reserved = time.perf_counter() - started
        panels = len(np.unique(distribution.panels, axis=0))
        print(f"{n:>6}/{k:<4} {panels:>7} {solved:>8.1f} {rounded:>8.1f} "
              f"{lottery.max_change:>11.4%} {lottery.bound:>10.2%} "
              f"{lottery.max_change / lottery.bound:>6.3f} {distribution.minimum:>11.4%} "
              f"{lottery.marginals.min():>10.4%} {committed:>14.2f} {reserved:>11.2f}",
              flush=True)


if __name__ == "__main__":
    main()
