"""Benchmark the tallies of a vote round (charter.tallies, issue 11's target).

    .venv/bin/python bench/bench_tallies.py [--members 150] [--principles 30] [--features 8]
        [--repeat 7] [--seed 0]

A synthetic assembly: `--members` members, each with a value of every one of `--features`
selection features (3 to 6 values each, of unequal sizes), voting on `--principles` principles
on the five-point scale. Support differs from principle to principle, and on every third
principle one value of one feature (a young age band, say) agrees much less, so the exact tests
have real work to do. The counts per option, overall and per value of each feature, are built
first (they are what a sealed round keeps); what is timed is everything computed from them for
every principle: `tally`, `strata` (exact tests and Holm's correction) and the `digest` of the
inputs stored with each tally, from cold (the exact test keeps the ways of each set of value
sizes between principles; they are cleared before every run), once as members and the public see it (cells under 5 withheld)
and once as officers do (every cell). Single-threaded. Prints the median and best of
`--repeat` runs and the median CPU time of the process; the goal is <= 100 ms for all of it,
judged on the CPU time: single-threaded, that is the wall time with a core to itself, while on a
shared machine the wall time also counts the time other processes held the core. Figures only; the exit status is 1 when
the goal was missed.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from charter.tallies import (
    OPTIONS,
    Rule,
    RuleKind,
    Scale,
    clear_caches,
    digest,
    inputs,
    strata,
    tally,
)

GOAL_MS = 100.0
Counts = dict[str, int]


def make_round(members: int, principles: int, features: int, seed: int) -> tuple[
        list[Counts], list[dict[str, dict[str, Counts]]], int]:
    """Counts per option for each principle, overall and per value of each feature."""
    rng = np.random.default_rng(seed)
    options = OPTIONS[Scale.five]
    values_per_feature = [int(rng.integers(3, 7)) for _ in range(features)]
    # Unequal value sizes, as census shares are: Dirichlet shares, every value with someone in it.
    people = np.empty((members, features), dtype=np.int64)
    for f, count in enumerate(values_per_feature):
        shares = rng.dirichlet(np.full(count, 3.0))
        people[:, f] = rng.choice(count, size=members, p=shares)
    turnout = rng.random(members) < 0.93
    overall: list[Counts] = []
    by_value: list[dict[str, dict[str, Counts]]] = []
    for p in range(principles):
        support = rng.uniform(0.35, 0.9, size=members)
        if p % 3 == 0:
            feature = p % features
            support[people[:, feature] == 0] *= 0.4
        choice = np.empty(members, dtype=np.int64)
        for i, s in enumerate(support):
            weights = np.array([s * 0.4, s * 0.6, 0.08, (1 - s) * 0.6, (1 - s) * 0.4])
            choice[i] = rng.choice(5, p=weights / weights.sum())
        voted = turnout & (rng.random(members) < 0.98)
        overall.append({options[o]: int(((choice == o) & voted).sum()) for o in range(5)})
        per_feature: dict[str, dict[str, Counts]] = {}
        for f, count in enumerate(values_per_feature):
            per_feature[f"feature {f + 1}"] = {
                f"value {v + 1}": {
                    options[o]: int(((choice == o) & voted & (people[:, f] == v)).sum())
                    for o in range(5)
                }
                for v in range(count)
            }
        by_value.append(per_feature)
    return overall, by_value, members


def run_all(overall: list[Counts], by_value: list[dict[str, dict[str, Counts]]], eligible: int,
            rule: Rule, suppress: bool) -> int:
    contested = 0
    for counts, per_feature in zip(overall, by_value, strict=True):
        tally(Scale.five, counts, eligible, rule)
        features = strata(Scale.five, per_feature, suppress=suppress)
        digest(inputs(Scale.five, counts, eligible, rule, per_feature, suppress=suppress))
        contested += sum(f.contested for f in features)
    return contested


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--principles", type=int, default=30)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    overall, by_value, eligible = make_round(args.members, args.principles, args.features,
                                             args.seed)
    rule = Rule(RuleKind.two_thirds, quorum=0.5)
    sizes = [len(v) for v in by_value[0].values()]
    print(f"{args.members} members, {args.principles} principles, {args.features} features "
          f"with {', '.join(map(str, sizes))} values; five-point scale, two-thirds rule")
    run_all(overall, by_value, eligible, rule, True)  # warm up imports and caches
    missed = False
    for label, suppress in (("members and the public (cells < 5 withheld)", True),
                            ("officers (every cell)", False)):
        times, cpu = [], []
        contested = 0
        for _ in range(args.repeat):
            clear_caches()  # every run starts cold: nothing kept from the one before
            start, start_cpu = time.perf_counter(), time.process_time()
            contested = run_all(overall, by_value, eligible, rule, suppress)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        median, own = statistics.median(times), statistics.median(cpu)
        missed |= own > GOAL_MS
        print(f"  {label}: median {median:.1f} ms, best {min(times):.1f} ms over {args.repeat} "
              f"runs (CPU time median {statistics.median(cpu):.1f} ms; "
              f"{args.principles * args.features} exact tests; {contested} features "
              f"contested after Holm) — goal <= {GOAL_MS:.0f} ms: "
              f"{'met' if own <= GOAL_MS else 'MISSED'} (judged on the CPU time)")
    print(f"  load average when run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores (a busy machine inflates wall time, less so CPU time)")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
