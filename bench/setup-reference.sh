#!/usr/bin/env bash
# Creates bench/.venv-reference with the Sortition Foundation's `sortition-algorithms` (GPL-3.0)
# and its free CBC backend. It lives in its own virtual environment so the product never imports
# it: the benchmark only runs bench/reference_maximin.py inside this venv, as a subprocess.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-reference"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "sortition-algorithms[mip]"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
print("sortition-algorithms", version("sortition-algorithms"), "installed in", __import__("sys").prefix)
PY
