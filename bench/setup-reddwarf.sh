#!/usr/bin/env bash
# Creates bench/.venv-reddwarf with red-dwarf (MPL-2.0), a Python reimplementation of Pol.is's
# clustering, as the reference for bench/bench_opinions.py. It lives in its own virtual
# environment so the product never imports it: the benchmark only runs
# bench/reference_reddwarf.py inside this venv, as a subprocess.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-reddwarf"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet "red-dwarf==0.4.0"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
print("red-dwarf", version("red-dwarf"), "installed in", __import__("sys").prefix)
PY
