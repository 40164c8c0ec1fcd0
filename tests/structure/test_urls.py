"""URLs are built from route names (`url()`), never written by hand, so a route can move in one
line. These checks read the source: templates and the app's Python modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from starlette.routing import Mount, Route

from assembly.routes import routes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PACKAGE = ROOT / "assembly"
LINK_ATTRIBUTE = re.compile(r'\b(href|action|src|hx-get|hx-post|hx-put|hx-delete)="(/[^"]*)"')
# A log filter must recognise invitation paths in request lines; it does not build a URL.
ALLOWED = {("assembly/templating.py", "/static"),  # where the static files are mounted
           ("assembly/invitations/credentials.py", "/invite/[hidden]"),
           ("assembly/invitations/credentials.py", "/invite/[^/?#\\s\\\"']+"),
           # the middleware decides before routing that published charters may be compressed
           ("assembly/compression.py", "/charters"), ("assembly/compression.py", "/charters/")}


def first_segments() -> set[str]:
    segments = set()
    for route in routes:
        if isinstance(route, (Route, Mount)):
            head = route.path.strip("/").split("/")[0]
            if head and not head.startswith("{"):
                segments.add(head)
    return segments


def test_templates_link_through_url() -> None:
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in LINK_ATTRIBUTE.finditer(template.read_text()):
            found.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
    assert not found, "write these as {{ url('route_name', ...) }}:\n" + "\n".join(found)


def _string_parts(node: ast.AST) -> str | None:
    """The leading text of a str constant or f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def test_python_builds_no_path_by_hand() -> None:
    segments = first_segments()
    assert {"assemblies", "login", "invite", "static"} <= segments
    pattern = re.compile(r"^/(" + "|".join(sorted(map(re.escape, segments))) + r")(/|$|\?)")
    found = []
    for module in sorted(PACKAGE.rglob("*.py")):
        relative = str(module.relative_to(ROOT))
        if module.name == "routes.py" or "migrations" in module.parts:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            text = _string_parts(node)
            if text and pattern.match(text) and (relative, text) not in ALLOWED:
                found.append(f"{relative}:{getattr(node, 'lineno', 0)}: {text!r}")
    assert not found, "build these with templating.url(request, name, ...):\n" + "\n".join(found)


def test_every_route_has_a_unique_name() -> None:
    names = [(route.name, tuple(sorted(route.methods or ()))) for route in routes
             if isinstance(route, Route)]
    assert all(name for name, _ in names)
    assert len(names) == len(set(names))
    assert len({name for name, _ in names}) == len(names), "one name per route and method"
