"""Benchmark the selection engine against the issue's targets and the reference maximin.

    /work/venv/bin/python bench/bench_selection.py [--quick] [--sizes 300/30,1500/60]
        [--features 6] [--seed 0] [--reference-timeout 1800] [--no-reference]

For each size it generates a synthetic pool with census quotas (sortition.synthetic), writes the
two CSV files to bench/out/, and then, each in its own child process so that wall time and peak
memory are the run's own: our leximin, our maximin and the legacy greedy method; and the Sortition
Foundation's maximin inside bench/.venv-reference (bench/setup-reference.sh). It prints times,
ratios, minimum probabilities against the reference optimum and against the fractional upper
bound, the sorted probability profiles and the legacy-vs-LEXIMIN table, says which targets are
met, and writes everything as JSON to bench/out/.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
REFERENCE_PYTHON = HERE / ".venv-reference" / "bin" / "python"
REFERENCE_SCRIPT = HERE / "reference_maximin.py"
ADDRESS_COLUMNS = ("address_line_1", "postcode")

SIZES = ((300, 30), (1500, 60), (5000, 100))
# Targets from the issue.
TIME_TARGETS = {(1500, 60): 15.0, (5000, 100): 120.0}
RATIO_GOAL = 0.25
MIN_PROBABILITY_TARGET = 0.999
MEMORY_TARGET_MB = 1024.0
PROFILE_LENGTH = 10


# --- Child processes -----------------------------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    """Run one of our algorithms on the files in args.dir and write JSON to args.result."""
    from sortition.io import load_instance
    from sortition.model import SelectionOptions
    from sortition.select import find_distribution

    directory = Path(args.dir)
    instance = load_instance(
        (directory / "quotas.csv").read_bytes(),
        (directory / "people.csv").read_bytes(),
        args.panel_size,
        address_columns=ADDRESS_COLUMNS if args.households else (),
        one_per_household=args.households,
    )
    options = SelectionOptions(
        algorithm=args.algorithm, legacy_samples=args.legacy_samples, seed=args.seed
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    distribution = find_distribution(instance, options)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)

    panels = np.asarray(distribution.panels)
    weights = np.asarray(distribution.weights, dtype=float)
    infeasible = sum(not instance.is_feasible_panel(p) for p in panels)
    implied = np.zeros(len(instance.pool))
    np.add.at(implied, panels.ravel(), np.repeat(weights, panels.shape[1]))
    result = {
        "algorithm": distribution.algorithm,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds(after) - cpu_seconds(usage),
        "peak_rss_mb": after.ru_maxrss / 1024,
        "rss_before_mb": usage.ru_maxrss / 1024,
        "panels": int(len(panels)),
        "infeasible_panels": int(infeasible),
        "weights_sum": float(weights.sum()),
        # For the exact algorithms the published marginals must be those the panels imply.
        "marginals_vs_panels": float(np.abs(implied - distribution.marginals).max()),
        "gap": float(distribution.gap),
        "estimated": bool(distribution.estimated),
        "samples": int(distribution.samples),
        "notes": list(distribution.notes),
        "marginals": [float(p) for p in distribution.marginals],
    }
    Path(args.result).write_text(json.dumps(result))
    return 0


def die_with_parent() -> None:
    """Runs in each child before exec: if the benchmark is killed, its children go too (Linux)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


@dataclass
class Outcome:
    """What a child run produced, or why it produced nothing."""

    data: dict | None
    error: str = ""


def run_ours(
    directory: Path, panel_size: int, algorithm: str, *, households: bool, timeout: float,
    legacy_samples: int, seed: int,
) -> Outcome:
    result = directory / f"ours-{algorithm}.json"
    result.unlink(missing_ok=True)
    command = [
        sys.executable, str(Path(__file__).resolve()), "child", "--dir", str(directory),
        "--panel-size", str(panel_size), "--algorithm", algorithm, "--result", str(result),
        "--legacy-samples", str(legacy_samples), "--seed", str(seed),
    ]
    if households:
        command.append("--households")
    started = time.perf_counter()
    children = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent,
            preexec_fn=die_with_parent,
        )
    except subprocess.TimeoutExpired:
        used = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - children
        return Outcome(None, f"did not finish within {timeout:.0f} s (wall; {used:.0f} s of CPU)")
    if completed.returncode != 0 or not result.exists():
        return Outcome(None, _last_line(completed.stderr) or f"exit status {completed.returncode}")
    data = json.loads(result.read_text())
    data["wall_seconds"] = time.perf_counter() - started
    return Outcome(data)


def run_reference(
    directory: Path, panel_size: int, *, households: bool, timeout: float, backend: str,
    reuse: bool,
) -> Outcome:
    """Run the reference maximin, or with `reuse` take an earlier run on identical files.

    Every run (finished or timed out) is kept under bench/out/reference/, keyed by the files,
    the panel size, the backend and the household rule.
    """
    if not REFERENCE_PYTHON.exists():
        return Outcome(None, "not installed: run bench/setup-reference.sh")
    key = hashlib.sha256()
    for part in ((directory / "quotas.csv").read_bytes(), (directory / "people.csv").read_bytes(),
                 f"{panel_size}|{backend}|{households}".encode()):
        key.update(hashlib.sha256(part).digest())
    cache = OUT / "reference" / f"{key.hexdigest()[:24]}.json"
    if reuse and cache.exists():
        data = json.loads(cache.read_text())
        if "error" not in data:
            data["cached"] = True
            return Outcome(data)
        if data.get("timeout", 0) >= timeout:
            return Outcome(None, data["error"] + f" (cached run of {data['measured_at']})")
    command = [
        str(REFERENCE_PYTHON), str(REFERENCE_SCRIPT), str(directory / "quotas.csv"),
        str(directory / "people.csv"), "--panel-size", str(panel_size), "--backend", backend,
    ]
    if households:
        command += ["--address-columns", ",".join(ADDRESS_COLUMNS)]
    measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cache.parent.mkdir(parents=True, exist_ok=True)
    children = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=die_with_parent
        )
    except subprocess.TimeoutExpired:
        # subprocess.run waits for the killed child, so its CPU time is now in RUSAGE_CHILDREN.
        used = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - children
        error = f"did not finish within {timeout:.0f} s (wall; it had used {used:.0f} s of CPU)"
        record = {"error": error, "timeout": timeout, "measured_at": measured_at}
        cache.write_text(json.dumps(record))
        return Outcome(None, error)
    if completed.returncode != 0:
        return Outcome(None, _last_line(completed.stderr) or f"exit status {completed.returncode}")
    data = json.loads(completed.stdout)
    data["measured_at"] = measured_at
    cache.write_text(json.dumps(data))
    return Outcome(data)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- Figures -------------------------------------------------------------------------------------


def fractional_bound(instance) -> float:
    """The maximin optimum over fractional marginals: an upper bound on every distribution's
    minimum probability (marginals of any distribution over feasible panels lie in this set)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_array, hstack, vstack

    n = len(instance.pool)
    k = instance.panel_size
    membership = csr_array(instance.membership.astype(float))
    # Variables: x_1..x_n, t. Maximise t subject to t <= x_i.
    rows = [hstack([-membership, csr_array((membership.shape[0], 1))]),
            hstack([membership, csr_array((membership.shape[0], 1))])]
    rhs = [-instance.quotas.lower.astype(float), instance.quotas.upper.astype(float)]
    identity = csr_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n))
    rows.append(hstack([-identity, csr_array(np.ones((n, 1)))]))
    rhs.append(np.zeros(n))
    groups = instance.household_groups
    if groups:
        people = np.concatenate(groups)
        row_of = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        block = csr_array((np.ones(len(people)), (row_of, people)), shape=(len(groups), n))
        rows.append(hstack([block, csr_array((len(groups), 1))]))
        rhs.append(np.ones(len(groups)))
    cost = np.zeros(n + 1)
    cost[-1] = -1.0
    result = linprog(
        cost, A_ub=vstack(rows), b_ub=np.concatenate(rhs),
        A_eq=csr_array(np.concatenate([np.ones(n), [0.0]])[None, :]), b_eq=[k],
        bounds=[(0, 1)] * n + [(0, 1)], method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"fractional bound: {result.message}")
    return float(-result.fun)


def fairness(marginals: np.ndarray, k: int, n: int) -> dict:
    from sortition.model import gini

    half = 0.5 * k / n
    return {
        "min": float(marginals.min()),
        "max": float(marginals.max()),
        "gini": gini(marginals),
        "share_below_half_k_over_n": float(np.mean(marginals < half)),
        "never_selected": int(np.sum(marginals <= 0)),
        "profile": [float(p) for p in np.sort(marginals)[:PROFILE_LENGTH]],
        "levels": levels(marginals),
    }


def levels(marginals: np.ndarray, count: int = 5, tolerance: float = 1e-6) -> list[list[float]]:
    """The lowest distinct probabilities and how many people have each: the first 10 of the
    profile are often all tied at the minimum, and the levels show what LEXIMIN lifts next."""
    ordered = np.sort(marginals)
    result: list[list[float]] = []
    start = 0
    while start < len(ordered) and len(result) < count:
        end = int(np.searchsorted(ordered, ordered[start] + tolerance, side="right"))
        result.append([float(ordered[start]), end - start])
        start = end
    return result


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} MB"


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f} s"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def profile(values: list[float]) -> str:
    return " ".join(f"{v:.5f}" for v in values)


# --- One size ------------------------------------------------------------------------------------


def bench_size(n: int, k: int, args: argparse.Namespace) -> dict:
    from sortition.synthetic import make_pool

    label = f"{n}-{k}-f{args.features}-s{args.seed}" + ("-hh" if args.households else "")
    directory = OUT / label
    synthetic = make_pool(n, k, features=args.features, seed=args.seed, households=args.households)
    synthetic.write(directory)
    instance = synthetic.instance()
    bound = fractional_bound(instance)
    print(f"\n== {n:,} respondents, panel of {k}, {args.features} features, seed {args.seed}"
          f"{', one per household' if args.households else ''} "
          f"({directory.relative_to(HERE.parent)}) ==")
    print(f"k/n = {k / n:.5f}; fractional upper bound on the minimum probability = {bound:.5f}; "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine skews times)")

    record: dict = {"n": n, "k": k, "features": args.features, "seed": args.seed,
                    "households": args.households, "k_over_n": k / n, "fractional_bound": bound,
                    "ours": {}, "reference": None}
    for algorithm in args.algorithms:
        outcome = run_ours(
            directory, k, algorithm, households=args.households, timeout=args.timeout,
            legacy_samples=args.legacy_samples, seed=args.seed,
        )
        if outcome.data is None:
            print(f"ours {algorithm:8s} FAILED: {outcome.error}")
            record["ours"][algorithm] = {"error": outcome.error}
            continue
        data = outcome.data
        marginals = np.array(data.pop("marginals"))
        data["fairness"] = fairness(marginals, k, n)
        record["ours"][algorithm] = data
        checks = f"{data['panels']} panels"
        if data["infeasible_panels"]:
            checks += f", {data['infeasible_panels']} BREAK A QUOTA"
        if not data["estimated"] and data["marginals_vs_panels"] > 1e-6:
            checks += f", marginals differ from the panels' by {data['marginals_vs_panels']:.1e}"
        if data["estimated"]:
            checks += f", probabilities estimated from {data['samples']:,} draws"
        data["load_average"] = os.getloadavg()[0]
        print(f"ours {algorithm:8s} {seconds(data['seconds']):>10} "
              f"(cpu {seconds(data['cpu_seconds'])})  peak {mb(data['peak_rss_mb']):>8}"
              f"  min {data['fairness']['min']:.5f}  ({checks})")

    if args.reference:
        outcome = run_reference(
            directory, k, households=args.households, timeout=args.reference_timeout,
            backend=args.backend, reuse=args.reuse_reference,
        )
        if outcome.data is None:
            print(f"reference maximin ({args.backend}) FAILED: {outcome.error}")
            record["reference"] = {"error": outcome.error, "backend": args.backend,
                                   "timeout": args.reference_timeout}
        else:
            data = outcome.data
            probabilities = data.pop("probabilities")
            marginals = np.array([probabilities[i] for i in synthetic.ids])
            data["fairness"] = fairness(marginals, k, n)
            record["reference"] = data
            cached = f", cached from {data['measured_at']}" if data.get("cached") else ""
            print(f"reference maximin ({data['backend']}, sortition-algorithms "
                  f"{data['version']}{cached}) {seconds(data['seconds']):>10} "
                  f"(cpu {seconds(data.get('cpu_seconds'))})  peak {mb(data['peak_rss_mb']):>8}"
                  f"  min {data['fairness']['min']:.5f}  ({data['panels']} panels)")
    record["targets"] = targets(record, n, k)
    print_targets(record)
    print_profiles(record)
    print_legacy_table(record)
    return record


def targets(record: dict, n: int, k: int) -> dict:
    """Which of the issue's targets this size meets (None when it cannot be judged)."""
    leximin = record["ours"].get("leximin", {})
    reference = record["reference"] or {}
    result: dict = {}
    ours_min = leximin.get("fairness", {}).get("min")
    ours_time = leximin.get("seconds")
    ref_min = reference.get("fairness", {}).get("min")
    ref_time = reference.get("seconds")
    result["ratio_time"] = ours_time / ref_time if ours_time and ref_time else None
    if ref_time is None and ours_time is not None and "timeout" in reference:
        # The reference did not finish: the true ratio is below ours / timeout.
        result["ratio_time_below"] = ours_time / reference["timeout"]
    ours_cpu, ref_cpu = leximin.get("cpu_seconds"), reference.get("cpu_seconds")
    result["ratio_cpu"] = ours_cpu / ref_cpu if ours_cpu and ref_cpu else None
    result["ratio_time_met"] = (
        None if result["ratio_time"] is None else result["ratio_time"] <= RATIO_GOAL
    )
    if "ratio_time_below" in result and result["ratio_time"] is None:
        result["ratio_time_met"] = result["ratio_time_below"] <= RATIO_GOAL
    result["ratio_min"] = ours_min / ref_min if ours_min is not None and ref_min else None
    result["ratio_min_met"] = (
        None if result["ratio_min"] is None else result["ratio_min"] >= MIN_PROBABILITY_TARGET
    )
    result["ratio_min_vs_bound"] = (
        None if ours_min is None else ours_min / record["fractional_bound"]
    )
    limit = TIME_TARGETS.get((n, k))
    result["time_limit"] = limit
    result["time_met"] = None if limit is None or ours_time is None else ours_time <= limit
    peaks = [d.get("peak_rss_mb") for a, d in record["ours"].items() if a != "legacy"]
    peaks = [p for p in peaks if p is not None]
    result["peak_mb"] = max(peaks) if peaks else None
    result["memory_met"] = None if not peaks else max(peaks) <= MEMORY_TARGET_MB
    maximin = record["ours"].get("maximin", {}).get("fairness", {}).get("min")
    result["leximin_min_ge_maximin_min"] = (
        None if ours_min is None or maximin is None else ours_min >= maximin - 1e-6
    )
    return result


def print_targets(record: dict) -> None:
    t = record["targets"]
    if t["ratio_time"] is not None:
        ratio = f"{t['ratio_time']:.3f}"
    elif "ratio_time_below" in t:
        ratio = f"< {t['ratio_time_below']:.4f} (reference did not finish)"
    else:
        ratio = "n/a"
    print(f"  time ours leximin / reference maximin = {ratio} (goal <= {RATIO_GOAL}): "
          f"{verdict(t['ratio_time_met'])}")
    if t["ratio_cpu"] is not None:
        print(f"  cpu time ours leximin / reference maximin = {t['ratio_cpu']:.3f}")
    ratio_min = "n/a" if t["ratio_min"] is None else f"{t['ratio_min']:.5f}"
    print(f"  min probability ours leximin / reference optimum = {ratio_min} "
          f"(target >= {MIN_PROBABILITY_TARGET}): {verdict(t['ratio_min_met'])}")
    if t["ratio_min_vs_bound"] is not None:
        print("  min probability ours leximin / fractional upper bound = "
              f"{t['ratio_min_vs_bound']:.5f}")
    if t["time_limit"] is not None:
        print(f"  leximin time <= {t['time_limit']:.0f} s: {verdict(t['time_met'])}")
    print(f"  peak memory of our exact algorithms {mb(t['peak_mb'])} (target <= 1 GB): "
          f"{verdict(t['memory_met'])}")
    if t["leximin_min_ge_maximin_min"] is not None:
        print(f"  leximin minimum >= maximin minimum: {verdict(t['leximin_min_ge_maximin_min'])}")


def print_profiles(record: dict) -> None:
    print(f"  sorted probability profile, first {PROFILE_LENGTH}:")
    for algorithm, data in record["ours"].items():
        if "fairness" in data:
            print(f"    {'ours ' + algorithm:18s} {profile(data['fairness']['profile'])}")
    reference = record["reference"] or {}
    if "fairness" in reference:
        print(f"    {'reference maximin':18s} {profile(reference['fairness']['profile'])}")
    print("  lowest probability levels (probability x people):")
    rows = [(f"ours {a}", d["fairness"]) for a, d in record["ours"].items() if "fairness" in d]
    if "fairness" in reference:
        rows.append(("reference maximin", reference["fairness"]))
    for name, f in rows:
        text = "  ".join(f"{p:.5f} x {int(c)}" for p, c in f["levels"])
        print(f"    {name:18s} {text}")


def print_legacy_table(record: dict) -> None:
    rows = [(f"ours {a}", d["fairness"]) for a, d in record["ours"].items() if "fairness" in d]
    reference = record["reference"] or {}
    if "fairness" in reference:
        rows.append(("reference maximin", reference["fairness"]))
    if not rows:
        return
    print(f"  {'':18s} {'min prob':>9s} {'max prob':>9s} {'Gini':>7s} {'below k/2n':>11s} "
          f"{'never':>6s}")
    for name, f in rows:
        print(f"  {name:18s} {f['min']:9.5f} {f['max']:9.5f} {f['gini']:7.4f} "
              f"{f['share_below_half_k_over_n']:10.2%} {f['never_selected']:6d}")


def print_summary(records: list[dict]) -> None:
    print("\n== Summary ==")
    print(f"{'size':>10s} {'leximin':>10s} {'maximin':>10s} {'reference':>11s} {'ratio':>7s} "
          f"{'min ours':>9s} {'min ref':>9s} {'ours/ref':>9s} {'peak':>8s}")
    for r in records:
        lex = r["ours"].get("leximin", {})
        mm = r["ours"].get("maximin", {})
        ref = r["reference"] or {}
        t = r["targets"]
        ratio = (f"{t['ratio_time']:.3f}" if t["ratio_time"] is not None
                 else f"<{t['ratio_time_below']:.3f}" if "ratio_time_below" in t else "n/a")
        size = f"{r['n']:,}/{r['k']}"
        print(f"{size:>10s} {seconds(lex.get('seconds')):>10s} "
              f"{seconds(mm.get('seconds')):>10s} {seconds(ref.get('seconds')):>11s} {ratio:>7s} "
              f"{_fmt(lex.get('fairness', {}).get('min')):>9s} "
              f"{_fmt(ref.get('fairness', {}).get('min')):>9s} "
              f"{_fmt(t['ratio_min'], 5):>9s} {mb(t['peak_mb']):>8s}")


def _fmt(value: float | None, digits: int = 5) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


# --- Command line --------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        n, _, k = part.strip().partition("/")
        if not n.isdigit() or not k.isdigit():
            raise argparse.ArgumentTypeError(f"sizes look like 300/30,1500/60; got {part!r}")
        sizes.append((int(n), int(k)))
    return sizes


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "child":
        parser = argparse.ArgumentParser()
        parser.add_argument("--dir", required=True)
        parser.add_argument("--panel-size", type=int, required=True)
        parser.add_argument("--algorithm", required=True)
        parser.add_argument("--result", required=True)
        parser.add_argument("--legacy-samples", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--households", action="store_true")
        return child(parser.parse_args(argv[1:]))

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(SIZES),
                        help="comma-separated n/k pairs (default 300/30,1500/60,5000/100)")
    parser.add_argument("--quick", action="store_true", help="skip the biggest size")
    parser.add_argument("--features", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--households", action="store_true", help="one person per household")
    parser.add_argument("--algorithms", default="leximin,maximin,legacy")
    parser.add_argument("--legacy-samples", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run of ours")
    parser.add_argument("--reference-timeout", type=float, default=1800.0,
                        help="seconds per run of the reference (default 30 minutes)")
    parser.add_argument("--no-reference", dest="reference", action="store_false")
    parser.add_argument("--backend", default="mip", help="the reference's solver backend")
    parser.add_argument("--reuse-reference", action="store_true",
                        help="take the reference's figures from an earlier run on identical files")
    args = parser.parse_args(argv)
    args.algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    sizes = args.sizes
    if args.quick:
        biggest = max(sizes)
        sizes = [s for s in sizes if s != biggest] or sizes

    OUT.mkdir(parents=True, exist_ok=True)
    code = code_version()
    print(f"Selection benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, code {code}")
    records = [bench_size(n, k, args) for n, k in sizes]
    print_summary(records)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {"when": stamp, "code": code, "cores": os.cpu_count(), "args": {
        k: v for k, v in vars(args).items() if k != "sizes"} | {"sizes": sizes}, "sizes": records}
    for name in (f"results-{stamp}.json", "latest.json"):
        (OUT / name).write_text(json.dumps(report, indent=1))
    print(f"\nwrote {OUT.relative_to(HERE.parent)}/results-{stamp}.json")
    return 0 if all(_all_met(r) for r in records) else 1


def code_version() -> str:
    """The commit measured, marked when sortition/ has uncommitted changes (they are measured)."""
    def git(*args: str) -> str:
        completed = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=HERE.parent
        )
        return completed.stdout.strip() if completed.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "sortition")
    return commit + (" + uncommitted changes in sortition/" if dirty else "")


def _all_met(record: dict) -> bool:
    t = record["targets"]
    return all(t.get(key) is not False for key in (
        "ratio_time_met", "ratio_min_met", "time_met", "memory_met", "leximin_min_ge_maximin_min"))


if __name__ == "__main__":
    sys.exit(main())
