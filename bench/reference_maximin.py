"""Run the Sortition Foundation's maximin on our CSV files and print the result as JSON.

Runs ONLY inside bench/.venv-reference (see setup-reference.sh): `sortition-algorithms` is GPL-3.0
and never imported by Minipublic. The benchmark starts this script as a subprocess, so the two
code bases share nothing but the two CSV files and this JSON.

    bench/.venv-reference/bin/python bench/reference_maximin.py QUOTAS.csv PEOPLE.csv --panel-size K

Prints {"algorithm", "backend", "version", "seconds", "cpu_seconds", "load_seconds",
"min_probability", "panels", "peak_rss_mb", "probabilities": {id: probability}}; `seconds` and
`cpu_seconds` time the distribution alone, without reading the files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from importlib.metadata import version
from pathlib import Path

from sortition_algorithms import CSVStringDataSource, SelectionData, Settings
from sortition_algorithms.committee_generation import (
    find_distribution_maximin,
    find_distribution_nash,
    standardize_distribution,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("quotas", type=Path)
    parser.add_argument("people", type=Path)
    parser.add_argument("--panel-size", type=int, required=True)
    parser.add_argument("--id-column", default="id")
    parser.add_argument(
        "--address-columns", default="", help="comma-separated; empty = no household rule"
    )
    parser.add_argument(
        "--backend", default="mip", help="the package's solver_backend (mip = CBC, highspy)"
    )
    parser.add_argument("--algorithm", default="maximin", choices=("maximin", "nash"))
    args = parser.parse_args(argv)

    # The solvers write progress to file descriptor 1 from C code; keep stdout for the JSON alone.
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    started = time.perf_counter()
    address_columns = [c.strip() for c in args.address_columns.split(",") if c.strip()]
    settings = Settings(
        id_column=args.id_column,
        columns_to_keep=[],
        check_same_address=bool(address_columns),
        check_same_address_columns=address_columns,
        selection_algorithm=args.algorithm,
        solver_backend=args.backend,
    )
    data = SelectionData(
        CSVStringDataSource(
            args.quotas.read_text(encoding="utf-8-sig"), args.people.read_text(encoding="utf-8-sig")
        )
    )
    features, _ = data.load_features(number_to_select=args.panel_size)
    people, _ = data.load_people(settings, features)
    load_seconds = time.perf_counter() - started

    find = find_distribution_maximin if args.algorithm == "maximin" else find_distribution_nash
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    committees, weights, _ = find(
        features, people, args.panel_size, settings.normalised_address_columns, args.backend
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    committees, weights = standardize_distribution(committees, weights)

    probabilities = {person: 0.0 for person in people}
    for committee, weight in zip(committees, weights, strict=True):
        for person in committee:
            probabilities[person] += weight
    sys.stdout.flush()
    with os.fdopen(result_fd, "w") as result:
        json.dump(
            {
                "algorithm": args.algorithm,
                "backend": args.backend,
                "version": version("sortition-algorithms"),
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "load_seconds": load_seconds,
                "min_probability": min(probabilities.values()),
                "panels": len(committees),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "probabilities": probabilities,
            },
            result,
        )
        result.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
