"""Every CSV the product writes goes through `sortition.csvsafe` (issue #7, item 9).

csvsafe neutralises cells that a spreadsheet would run as formulas. A module that made its own
`csv.writer` or `csv.DictWriter` could write `=HYPERLINK(...)` raw, so the source is scanned:
only csvsafe may make one. tests/app/test_csv_exports.py drives every
export with hostile values.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assembly", "sortition", "charter")
HELPER = ROOT / "sortition" / "csvsafe.py"
WRITERS = {"writer", "DictWriter"}


def csv_writer_calls(path: Path) -> list[int]:
    """Lines where `path` makes a csv writer, however csv was imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = {"csv"}
    direct: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "csv"}
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            direct |= {a.asname or a.name for a in node.names if a.name in WRITERS}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if (isinstance(function, ast.Attribute) and function.attr in WRITERS
                and isinstance(function.value, ast.Name) and function.value.id in aliases):
            lines.append(node.lineno)
        elif isinstance(function, ast.Name) and function.id in direct:
            lines.append(node.lineno)
    return lines


def test_only_csvsafe_makes_csv_writers() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
        if path != HELPER for line in csv_writer_calls(path)
    }
    assert not found, ("write CSV with sortition.csvsafe (text, encode or write_rows), which "
                       f"neutralises spreadsheet formulas, instead of csv.writer: {sorted(found)}")


def test_the_scan_finds_writers_however_csv_is_imported(tmp_path: Path) -> None:
    samples = {
        "plain.py": "import csv\ncsv.writer(x)\n",
        "alias.py": "import csv as c\nc.DictWriter(x, [])\n",
        "direct.py": "from csv import writer as w\nw(x)\n",
    }
    for name, source in samples.items():
        (tmp_path / name).write_text(source)
        assert csv_writer_calls(tmp_path / name), name
    assert csv_writer_calls(HELPER)  # the helper itself does, and is the one exception
