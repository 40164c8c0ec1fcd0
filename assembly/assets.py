"""Static files (stylesheets, scripts, icons) that browsers keep for a year.

`static('app.css')` in a template gives `/static/app.css?v=<hash of the file>`: a changed file gets
a new address, so a browser may keep each address for good (`immutable`) and never ask again. A
request whose `v` is not the file's current hash (an old page still open after an upgrade, or no
`v` at all) gets the current file with a short cache only, so nobody is stuck with a stale copy.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_UNVERSIONED = "public, max-age=300"
DIGEST_LENGTH = 12

# (path, size, modification time) -> hash: a file is read once per change, not once per page.
_digests: dict[tuple[str, int, int], str] = {}


def digest(name: str, directory: Path = STATIC) -> str | None:
    """The version of static file `name`: the start of its SHA-256 hash; None if it is missing."""
    file = directory / name
    try:
        stat = file.stat()
    except OSError:
        return None
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = hashlib.sha256(file.read_bytes()).hexdigest()[:DIGEST_LENGTH]
    return _digests[key]


def _version(scope: Scope) -> str:
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if key == "v":
            return value
    return ""


class VersionedStaticFiles(StaticFiles):
    """Starlette's static files, with a year's cache for addresses that carry the file's hash."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        path = Path(full_path)
        versioned = path.is_file() and _version(scope) == digest(path.name, path.parent)
        response.headers["Cache-Control"] = CACHE_VERSIONED if versioned else CACHE_UNVERSIONED
        return response
