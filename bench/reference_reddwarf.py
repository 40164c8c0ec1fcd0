"""Run red-dwarf (MPL-2.0) on one votes file and print its groups and time as JSON.

    bench/.venv-reddwarf/bin/python bench/reference_reddwarf.py VOTES.csv [--seed 0] [--repeat 3]

VOTES.csv has the columns participant, statement, vote (1 agree, -1 disagree, 0 pass),
moderated (1 for a moderated-out statement) and time, one row per latest vote; bench_opinions.py
writes it. Runs only inside bench/.venv-reddwarf (bench/setup-reddwarf.sh): Minipublic never
imports red-dwarf. The time is run_pipeline's alone (reading the file is not counted), the
fastest of --repeat runs, one thread.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
import warnings

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

from threadpoolctl import threadpool_limits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("votes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from reddwarf.implementations.polis import run_pipeline

    votes = []
    moderated: set[int] = set()
    with open(args.votes, newline="") as file:
        for row in csv.DictReader(file):
            statement = int(row["statement"])
            votes.append({"participant_id": int(row["participant"]), "statement_id": statement,
                          "vote": int(row["vote"]), "modified": int(row["time"])})
            if row["moderated"] == "1":
                moderated.add(statement)
    times = []
    with threadpool_limits(limits=1):
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = run_pipeline(votes=votes, mod_out_statement_ids=sorted(moderated),
                                  random_state=args.seed)
            times.append(time.perf_counter() - started)
    labels = result.participants_df["cluster_id"].dropna()
    print(json.dumps({"seconds": min(times), "groups": {str(p): int(g) for p, g in labels.items()}}))


if __name__ == "__main__":
    main()
