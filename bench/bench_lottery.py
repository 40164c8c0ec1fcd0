"""Benchmark the transparent lottery: how many tickets, what rounding takes, and how long.

    .venv/bin/python bench/bench_lottery.py [--sizes 1500/60,5000/100,20000/150]
        [--algorithm leximin] [--time-budget 300] [--seed 0] [--cache DIR] [--chosen-only]

For each size it generates a realistic synthetic pool and census quotas (sortition.synthetic:
correlated features, a self-selected pool), finds the distribution, and rounds it twice: into
the old default of 1,000 tickets, and into the number of tickets `choose_lottery` picks (the
fewest, up to 100,000, that keep the lowest chance within 5 % of the exact one). It prints the
lowest exact chance, the lowest chance after each rounding, the tickets chosen, the largest
share of anyone's own chance that rounding took, the most tickets anyone lost (a whole ticket
is 1/m) and the time. With --cache, solved distributions are kept in DIR and reused, since the
solve is benchmarked by bench_selection.py. Figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from sortition.lottery import DEFAULT_LOTTERY_SIZE, choose_lottery, round_distribution
from sortition.model import Distribution, Instance, SelectionOptions
from sortition.select import find_distribution
from sortition.synthetic import make_instance


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        n, k = part.split("/")
        sizes.append((int(n), int(k)))
    return sizes


def _solve(n: int, k: int, args: argparse.Namespace) -> tuple[Instance, Distribution, float]:
    path = Path(args.cache) / f"{n}_{k}_{args.algorithm}_{args.seed}.pickle" if args.cache else None
    if path is not None and path.exists():
        with path.open("rb") as file:
            instance, distribution, seconds = pickle.load(file)
        return instance, distribution, seconds
    instance = make_instance(n, k, seed=args.seed)
    started = time.perf_counter()
    distribution = find_distribution(instance, SelectionOptions(
        algorithm=args.algorithm, time_budget=args.time_budget))
    seconds = time.perf_counter() - started
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            pickle.dump((instance, distribution, seconds), file)
    return instance, distribution, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1500/60,5000/100,20000/150", type=_sizes)
    parser.add_argument("--algorithm", default="leximin")
    parser.add_argument("--time-budget", default=300.0, type=float,
                        help="seconds for the solve (the best distribution found by then)")
    parser.add_argument("--seed", default=0, type=int)
    parser.add_argument("--cache", default=None, metavar="DIR")
    parser.add_argument("--chosen-only", action="store_true",
                        help="skip the rounding into 1,000 tickets (saves time on big pools)")
    args = parser.parse_args()
    header = (f"{'pool/panel':>11} {'panels':>7} {'solve s':>8} {'lowest exact':>13} "
              f"{'1,000 tickets':>14} {'s':>6} {'chosen m':>9} {'lowest then':>12} "
              f"{'lost of lowest':>15} {'most lost of own':>17} {'tickets lost':>13} {'s':>6}")
    print(header)
    print("-" * len(header))
    for n, k in args.sizes:
        instance, distribution, solved = _solve(n, k, args)
        default = "-"
        default_seconds = 0.0
        if not args.chosen_only:
            started = time.perf_counter()
            default = f"{round_distribution(instance, distribution, DEFAULT_LOTTERY_SIZE).lowest:.3%}"
            default_seconds = time.perf_counter() - started
        started = time.perf_counter()
        chosen = choose_lottery(instance, distribution)
        chosen_seconds = time.perf_counter() - started
        print(f"{n:>6}/{k:<4} {len(distribution.panels):>7} {solved:>8.1f} "
              f"{chosen.lowest_exact:>13.3%} {default:>14} {default_seconds:>6.1f} "
              f"{chosen.size:>9,} {chosen.lowest:>12.3%} {chosen.lowest_loss_share:>15.1%} "
              f"{chosen.largest_loss_share:>17.1%} {chosen.most_tickets_lost:>13.2f} "
              f"{chosen_seconds:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
