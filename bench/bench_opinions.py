"""Benchmark the opinion analysis (charter.opinions) against Pol.is's groups and red-dwarf.

    .venv/bin/python bench/bench_opinions.py [--seed 0] [--repeat 5] [--no-reference] [--skip-big]

Prints, in one run:
- the adjusted Rand index (ARI) of our groups against Pol.is's own `group-id` on the two
  open-data conversations in tests/data/polis/ (goal >= 0.85), and red-dwarf's on the same votes
  (ours must be >= theirs), over the participants both put in a group;
- the time of `analyse` on a synthetic 2,000 x 600 conversation with about 200,000 votes, one
  thread (goal <= 0.25 s and <= 0.5 x red-dwarf's time on the same votes, same run);
- the time and peak memory of `analyse` on a synthetic 50,000 x 1,000 conversation with 5 % of
  cells voted (goal <= 20 s and <= 2 GB), in a child process whose ru_maxrss is the peak.

Synthetic conversations have latent opinion groups (each group leans agree or disagree on each
statement, with individual noise and passes; people vote on different numbers of statements),
so the printout also gives the ARI of our groups against the latent ones. red-dwarf runs in
bench/.venv-reddwarf (bench/setup-reddwarf.sh) as a subprocess; with --no-reference, or when
that venv is missing, its columns are left out. Output: the printout and
bench/out/opinions-latest.json. Figures only; the exit status is 1 when a goal was missed.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from charter.opinions import Analysis, VoteMatrix, adjusted_rand_index, analyse

POLIS = ROOT / "tests" / "data" / "polis"
CONVERSATIONS = ("brexit-consensus", "15-per-hour-seattle")
REFERENCE_PYTHON = HERE / ".venv-reddwarf" / "bin" / "python"
OUT = HERE / "out"


# --- the data ------------------------------------------------------------------------------------


def polis_conversation(name: str) -> tuple[list[tuple[str, str, int, int]], set[str], dict[str, str]]:
    """Votes in time order (participant, statement, vote, time), moderated-out statements and
    Pol.is's group of each grouped participant, from the open-data export."""
    folder = POLIS / name
    with (folder / "votes.csv").open(newline="") as file:
        rows = sorted(csv.DictReader(file), key=lambda row: int(row["timestamp"]))
    with (folder / "comments.csv").open(newline="") as file:
        moderated = {row["comment-id"] for row in csv.DictReader(file) if row["moderated"] == "-1"}
    with (folder / "participants-votes.csv").open(newline="") as file:
        groups = {row["participant"]: row["group-id"] for row in csv.DictReader(file)
                  if row["group-id"] != ""}
    votes = [(row["voter-id"], row["comment-id"], int(row["vote"]), int(row["timestamp"]))
             for row in rows]
    return votes, moderated, groups


def synthetic(people: int, statements: int, share: float, seed: int,
              groups: int = 4) -> tuple[VoteMatrix, np.ndarray]:
    """A conversation with latent opinion groups: group sizes uneven (Dirichlet), each group
    leaning agree or disagree on each statement with a strength of 0.2-0.9 (some statements
    split the groups, some unite them), each person voting on a number of statements that
    varies around `share` of them, passing 15 % of the time. Built in blocks of rows so the
    generator itself stays small. Returns the matrix (participants in a random order of first
    vote) and each participant's latent group."""
    rng = np.random.default_rng(seed)
    latent = rng.choice(groups, size=people, p=rng.dirichlet(np.full(groups, 4.0)))
    shared = rng.choice([-1.0, 1.0], size=statements) * rng.uniform(0.0, 0.6, size=statements)
    lean = np.clip(shared + rng.choice([-1.0, 1.0], size=(groups, statements))
                   * rng.uniform(0.2, 0.9, size=(groups, statements)), -0.95, 0.95)
    activity = np.clip(rng.lognormal(0.0, 0.5, size=people), 0.2, 3.0)
    activity *= share / activity.mean()
    popularity = rng.uniform(0.5, 1.5, size=statements)
    popularity /= popularity.mean()
    rows, cols, values = [], [], []
    for start in range(0, people, 2000):
        stop = min(start + 2000, people)
        chance = np.clip(activity[start:stop, None] * popularity[None, :], 0.0, 1.0)
        voted = rng.random(chance.shape) < chance
        r, c = np.nonzero(voted)
        agree_chance = (1.0 + lean[latent[start + r], c]) / 2.0
        draw = rng.random(len(r))
        value = np.where(draw < 0.15, 0, np.where(rng.random(len(r)) < agree_chance, 1, -1))
        rows.append(r + start)
        cols.append(c)
        values.append(value)
    order = rng.permutation(people)  # row i of the matrix is person order[i]
    position = np.empty(people, dtype=np.int64)
    position[order] = np.arange(people)
    row = position[np.concatenate(rows)]
    col = np.concatenate(cols)
    sort = np.lexsort((col, row))
    matrix = VoteMatrix(
        participants=tuple(f"p{i}" for i in range(people)),
        statements=tuple(f"s{j}" for j in range(statements)),
        rows=row[sort].astype(np.int32), cols=col[sort].astype(np.int32),
        values=np.concatenate(values)[sort].astype(np.int8))
    return matrix, latent[order]


def write_votes(path: Path, votes: list[tuple[str, str, int, int]], moderated: set[str]) -> None:
    """The latest vote per cell, for the reference (which wants one row per cell)."""
    latest = {(p, s): (v, t) for p, s, v, t in votes}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["participant", "statement", "vote", "moderated", "time"])
        for (p, s), (v, t) in latest.items():
            writer.writerow([p, s, v, 1 if s in moderated else 0, t])


def matrix_votes(matrix: VoteMatrix) -> list[tuple[str, str, int, int]]:
    return [(str(int(matrix.participants[r][1:])), str(int(matrix.statements[c][1:])), int(v), i)
            for i, (r, c, v) in enumerate(zip(matrix.rows, matrix.cols, matrix.values))]


# --- measuring -----------------------------------------------------------------------------------


def reference(path: Path, seed: int, repeat: int) -> dict[str, object] | None:
    if not REFERENCE_PYTHON.exists():
        return None
    done = subprocess.run([str(REFERENCE_PYTHON), str(HERE / "reference_reddwarf.py"), str(path),
                           "--seed", str(seed), "--repeat", str(repeat)],
                          capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ari_against(groups: dict[str, int] | dict[str, str], truth: dict[str, str]) -> tuple[float, int]:
    common = [p for p in groups if p in truth]
    return adjusted_rand_index([groups[p] for p in common], [truth[p] for p in common]), len(common)


def timed(matrix: VoteMatrix, seed: int, repeat: int) -> tuple[float, Analysis]:
    times = []
    result = analyse(matrix, seed=seed)  # warm-up (imports, caches)
    for _ in range(repeat):
        started = time.perf_counter()
        result = analyse(matrix, seed=seed)
        times.append(time.perf_counter() - started)
    return min(times), result


def big_child(seed: int) -> None:
    """In a child process: build the 50,000 x 1,000 conversation, time analyse, print JSON."""
    with threadpool_limits(limits=1):
        matrix, latent = synthetic(50_000, 1_000, 0.05, seed)
        built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        result = analyse(matrix, seed=seed)
        seconds = time.perf_counter() - started
    counted = {p: g for p, g in zip(result.participants, result.groups)}
    truth = {p: str(latent[i]) for i, p in enumerate(matrix.participants)}
    ari, _ = ari_against(counted, truth)
    print(json.dumps({
        "seconds": seconds, "votes": len(matrix.values),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_building_mb": built, "groups": list(result.group_sizes), "ari_latent": ari}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the fastest is kept")
    parser.add_argument("--no-reference", action="store_true", help="leave red-dwarf out")
    parser.add_argument("--skip-big", action="store_true", help="leave the 50,000 x 1,000 run out")
    parser.add_argument("--big-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        big_child(args.seed)
        return 0
    use_reference = not args.no_reference and REFERENCE_PYTHON.exists()
    report: dict[str, object] = {"load_average": os.getloadavg()[0], "seed": args.seed}
    missed = []
    print(f"charter.opinions benchmark, seed {args.seed}, one thread, "
          f"load average {os.getloadavg()[0]:.2f}"
          + ("" if use_reference else " (red-dwarf left out: run bench/setup-reddwarf.sh)"))

    print("\nGroups against Pol.is's own (adjusted Rand index over participants both grouped):")
    for name in CONVERSATIONS:
        votes, moderated, truth = polis_conversation(name)
        matrix = VoteMatrix.from_votes([(p, s, v) for p, s, v, _ in votes], moderated_out=moderated)
        with threadpool_limits(limits=1):
            result = analyse(matrix, seed=args.seed)
        ours, common = ari_against(dict(zip(result.participants, result.groups)), truth)
        line = (f"  {name:22} ours {ours:.3f} ({len(result.group_sizes)} groups, {common} "
                f"participants; Pol.is {len(set(truth.values()))} groups)")
        entry: dict[str, object] = {"ours": ours, "groups": list(result.group_sizes)}
        if use_reference:
            path = OUT / "opinions" / f"{name}.csv"
            write_votes(path, votes, moderated)
            theirs_result = reference(path, args.seed, 1)
            assert theirs_result is not None
            theirs_groups = theirs_result["groups"]
            assert isinstance(theirs_groups, dict)
            theirs, _ = ari_against(theirs_groups, truth)
            line += f"   red-dwarf {theirs:.3f} ({len(set(theirs_groups.values()))} groups)"
            entry["red_dwarf"] = theirs
            if ours < theirs:
                missed.append(f"{name}: ours below red-dwarf")
        if ours < 0.85:
            missed.append(f"{name}: ARI {ours:.3f} < 0.85")
        report[name] = entry
        print(line)

    print("\nSpeed on 2,000 x 600 (one thread, fastest of the runs):")
    matrix, latent = synthetic(2_000, 600, 1 / 6, args.seed)
    with threadpool_limits(limits=1):
        seconds, result = timed(matrix, args.seed, args.repeat)
        raw = matrix_votes(matrix)
        started = time.perf_counter()
        VoteMatrix.from_votes([(p, s, v) for p, s, v, _ in raw])
        building = time.perf_counter() - started
    truth = {p: str(latent[i]) for i, p in enumerate(matrix.participants)}
    latent_ari, _ = ari_against(dict(zip(result.participants, result.groups)), truth)
    small: dict[str, object] = {"votes": len(matrix.values), "seconds": seconds,
                                "from_votes_seconds": building, "ari_latent": latent_ari,
                                "groups": list(result.group_sizes)}
    line = (f"  {len(matrix.values):,} votes: analyse {seconds:.3f} s (goal <= 0.25), "
            f"from_votes {building:.3f} s; {len(result.group_sizes)} groups, "
            f"ARI vs latent {latent_ari:.3f}")
    if seconds > 0.25:
        missed.append(f"2,000 x 600: {seconds:.3f} s > 0.25 s")
    if use_reference:
        path = OUT / "opinions" / "synthetic-2000x600.csv"
        write_votes(path, raw, set())
        theirs_result = reference(path, args.seed, max(1, min(args.repeat, 3)))
        assert theirs_result is not None
        theirs = float(theirs_result["seconds"])  # type: ignore[arg-type]
        theirs_groups = theirs_result["groups"]
        assert isinstance(theirs_groups, dict)
        theirs_truth = {str(int(p[1:])): g for p, g in truth.items()}
        theirs_ari, _ = ari_against(theirs_groups, theirs_truth)
        small.update(red_dwarf_seconds=theirs, ratio=seconds / theirs, red_dwarf_ari_latent=theirs_ari)
        line += (f"\n  red-dwarf run_pipeline {theirs:.3f} s; ratio {seconds / theirs:.3f} "
                 f"(goal <= 0.5); red-dwarf ARI vs latent {theirs_ari:.3f}")
        if seconds > 0.5 * theirs:
            missed.append(f"2,000 x 600: ratio {seconds / theirs:.3f} > 0.5")
    report["2000x600"] = small
    print(line)

    if not args.skip_big:
        print("\n50,000 x 1,000, 5 % voted (child process, one thread):")
        done = subprocess.run([sys.executable, __file__, "--big-child", "--seed", str(args.seed)],
                              capture_output=True, text=True, check=True)
        big = json.loads(done.stdout.strip().splitlines()[-1])
        report["50000x1000"] = big
        print(f"  {big['votes']:,} votes: analyse {big['seconds']:.2f} s (goal <= 20), peak RSS "
              f"{big['peak_rss_mb']:.0f} MB (goal <= 2,048; {big['rss_after_building_mb']:.0f} MB "
              f"after building the votes); {len(big['groups'])} groups, ARI vs latent "
              f"{big['ari_latent']:.3f}")
        if big["seconds"] > 20:
            missed.append(f"50,000 x 1,000: {big['seconds']:.1f} s > 20 s")
        if big["peak_rss_mb"] > 2048:
            missed.append(f"50,000 x 1,000: peak {big['peak_rss_mb']:.0f} MB > 2 GB")

    report["missed"] = missed
    OUT.mkdir(exist_ok=True)
    (OUT / "opinions-latest.json").write_text(json.dumps(report, indent=2))
    print("\nGoals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
