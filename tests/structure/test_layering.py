"""The dependency rules of `DESIGN.md`, checked on the source.

- Rooms come in the order of the journey; a room may import earlier rooms, never later ones.
- Inside a room, dependencies point one way: views -> services -> models. Models import only
  the shared column helpers and earlier rooms' models; services never import views; a view never
  imports another room's views, nor an underscore name from anywhere.
- Plumbing at the top (settings, db, authz, templating, ...) knows the rooms' tables, not their
  services or views; only the modules that join everything (app, routes, cli, commands, demo,
  schema) import the rooms freely.
- The pure packages `sortition` and `charter` import neither the web layer, the database nor
  WeasyPrint at module level, so they can be tested and benchmarked alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("accounts", "assemblies", "recruitment", "selection", "invitations", "deliberation",
         "discussion", "drafting", "ballots", "publishing", "privacy")
JOINERS = {"app", "routes", "cli", "commands", "demo", "schema"}
WEB_AND_DATABASE = ("assembly", "starlette", "sqlalchemy", "sqlmodel", "alembic", "psycopg",
                    "jinja2", "jinja2_fragments", "weasyprint", "uvicorn", "httpx")


@dataclass(frozen=True)
class Import:
    module: str        # the importing module, dotted
    target: str        # what it imports, dotted (a module, or module.name for `from x import y`)
    names: tuple[str, ...]
    line: int
    top_level: bool    # at module level (not inside a function or TYPE_CHECKING)


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text())
    found: list[Import] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(module, alias.name, (), child.lineno, top))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, path, child)
                names = tuple(alias.name for alias in child.names)
                found.append(Import(module, target, names, child.lineno, top))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(child, False)
            else:
                visit(child, top)

    visit(tree, True)
    return found


def room_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) >= 2 and parts[0] == "assembly" and parts[1] in ROOMS:
        return parts[1]
    return None


def targets(imp: Import) -> list[str]:
    """Every module an import may pull in: `from assembly.x import views` names a module too."""
    return [imp.target, *(f"{imp.target}.{name}" for name in imp.names)]


def app_imports() -> list[Import]:
    return [imp for module, path in modules("assembly") for imp in imports_of(module, path)]


def test_the_rooms_exist_and_every_module_belongs_somewhere() -> None:
    for room in ROOMS:
        assert (ROOT / "assembly" / room / "models.py").is_file() or room == "privacy", room
        assert (ROOT / "assembly" / room / "routes.py").is_file(), room
        assert (ROOT / "assembly" / room / "views").is_dir(), room


def test_rooms_import_only_earlier_rooms() -> None:
    wrong = []
    for imp in app_imports():
        here = room_of(imp.module)
        if here is None:
            continue
        for target in targets(imp):
            there = room_of(target)
            if there is not None and ROOMS.index(there) > ROOMS.index(here):
                wrong.append(f"{imp.module}:{imp.line} imports {target} (a later room)")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_views_services_models_point_one_way() -> None:
    wrong = []
    for imp in app_imports():
        here = room_of(imp.module)
        if here is None:
            continue
        is_view = ".views" in imp.module or imp.module.endswith(".routes")
        is_model = imp.module.endswith(".models")
        for target in targets(imp):
            if not target.startswith("assembly."):
                continue
            target_is_view = ".views" in target
            if is_model and target != "assembly.tables" and not target.endswith(".models") \
                    and not target.startswith("assembly.tables."):
                wrong.append(f"{imp.module}:{imp.line}: models import only tables and models, "
                             f"not {target}")
            if not is_view and target_is_view:
                wrong.append(f"{imp.module}:{imp.line}: a service imports views ({target})")
            if is_view and target_is_view and room_of(target) != here:
                wrong.append(f"{imp.module}:{imp.line}: imports another room's views ({target})")
        if is_view and imp.target.startswith("assembly"):
            private = [n for n in imp.names if n.startswith("_") and n != "__future__"]
            if private or any(part.startswith("_") and part != "__init__"
                              for part in imp.target.split(".")):
                wrong.append(f"{imp.module}:{imp.line}: a view imports a private name "
                             f"({imp.target} {private})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_plumbing_knows_the_rooms_tables_only() -> None:
    wrong = []
    for imp in app_imports():
        parts = imp.module.split(".")
        if len(parts) != 2 or parts[1] in JOINERS:
            continue
        for target in targets(imp):
            if room_of(target) is not None and not (target.endswith(".models")
                                                    or ".models." in target):
                wrong.append(f"{imp.module}:{imp.line} imports {target}")
    assert not wrong, "plumbing must not depend on a room's services or views:\n" + "\n".join(
        sorted(set(wrong)))


@pytest.mark.parametrize("package", ["sortition", "charter"])
def test_pure_packages_stay_free_of_web_database_and_pdf(package: str) -> None:
    wrong = [f"{imp.module}:{imp.line} imports {imp.target}"
             for module, path in modules(package) for imp in imports_of(module, path)
             if imp.top_level and imp.target.split(".")[0] in WEB_AND_DATABASE]
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_imports_inside_functions_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("from . import y\n\ndef f():\n    import weasyprint\n")
    found = imports_of("assembly.selection.x", source)
    assert [(i.target, i.top_level) for i in found] == [("assembly.selection", True),
                                                       ("weasyprint", False)]
