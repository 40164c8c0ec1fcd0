"""The layout of the tests themselves, checked on the source.

- `tests/app/` has one folder per room of `assembly/` (accounts, assemblies, recruitment,
  selection, invitations, privacy), as the app does.
- No module under `tests/` imports a test module (`tests.<...>.test_*`) or a `conftest`: shared
  helpers live in modules of their own (`tests/app/builders.py`, `tests/app/flows.py`,
  `tests/browser/harness.py`, ...) and fixtures reach tests through pytest, never by import. A test
  module that imports another also collects and runs the other's tests a second time under a new
  name, and makes moving either one break the other.
- Every folder of app tests is a package (`__init__.py`), so two rooms may each have a module of
  the same name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
ROOMS = ("accounts", "assemblies", "recruitment", "selection", "invitations", "deliberation",
         "discussion", "drafting", "ballots", "publishing", "privacy")
# Imports this check would refuse that are being removed on another branch; delete the entry when
# it is gone (test_known_exceptions_are_still_needed says so).
KNOWN: set[tuple[str, str]] = set()


def python_files() -> Iterator[Path]:
    for path in sorted(TESTS.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, module) for every import anywhere in the file, inside functions too. For
    `from package import name`, both `package` and `package.name` are listed: the name may be a
    module."""
    found: list[tuple[int, str]] = []
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def is_forbidden(target: str) -> bool:
    """A test module (`tests.<...>.test_*`) or any conftest."""
    parts = target.split(".")
    if "conftest" in parts:
        return True
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts[1:])


def forbidden_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of each forbidden import; `from tests.app.conftest import a, b` is one."""
    found = {(line, target) for line, target in imported_modules(path, dotted(path))
             if is_forbidden(target)}
    return sorted((line, target) for line, target in found
                  if (line, target.rsplit(".", 1)[0]) not in found)


def is_known(name: str, target: str) -> bool:
    return any(name == known_name and (target == known or target.startswith(known + "."))
               for known_name, known in KNOWN)


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    wrong = []
    for path in python_files():
        name = path.relative_to(ROOT).as_posix()
        for line, target in forbidden_imports(path):
            if not is_known(name, target):
                wrong.append(f"{name}:{line} imports {target}")
    assert not wrong, ("move what is shared into a helper module (builders, flows, ...) and "
                       "import it from there:\n" + "\n".join(wrong))


def test_known_exceptions_are_still_needed() -> None:
    stale = [f"{name} no longer imports {target}; remove it from KNOWN" for name, target in KNOWN
             if target not in {t for _, t in forbidden_imports(ROOT / name)}]
    assert not stale, "\n".join(stale)


def test_each_room_has_its_folder_of_app_tests() -> None:
    rooms = {path.parent.name for path in (ROOT / "assembly").glob("*/__init__.py")}
    assert rooms == set(ROOMS), "the rooms of assembly/ changed; update ROOMS here"
    for room in ROOMS:
        folder = TESTS / "app" / room
        assert (folder / "__init__.py").is_file(), f"tests/app/{room}/__init__.py is missing"
        assert list(folder.glob("test_*.py")), f"tests/app/{room}/ has no test module"


def test_every_folder_of_app_tests_is_a_package() -> None:
    missing = sorted({path.parent.relative_to(ROOT).as_posix()
                      for path in (TESTS / "app").rglob("*.py")
                      if "__pycache__" not in path.parts
                      and not (path.parent / "__init__.py").is_file()})
    assert not missing, "add an __init__.py to: " + ", ".join(missing)


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_text(
        "from tests.app.flows import create\n"           # a helper module: allowed
        "from tests.app.test_upload import loaded\n"
        "import tests.app.selection.test_draw\n"
        "from tests.app import conftest\n"
        "from tests.app.selection import test_selection as runs\n"
        "\n"
        "def f():\n"
        "    from .conftest import make_client\n"
        "    from . import test_other\n"
    )
    found = {target for _, target in imported_modules(source, "tests.app.rooms.test_x")
             if is_forbidden(target)}
    assert found == {"tests.app.test_upload", "tests.app.test_upload.loaded",
                     "tests.app.selection.test_draw", "tests.app.conftest",
                     "tests.app.selection.test_selection", "tests.app.rooms.conftest",
                     "tests.app.rooms.conftest.make_client", "tests.app.rooms.test_other"}
