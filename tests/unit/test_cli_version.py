"""`minipublic --version`: the installed version, or pyproject.toml's in a bare source checkout."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from assembly import cli

PROJECT_VERSION = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
)["project"]["version"]


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"minipublic {cli.version()}\n"


def test_version_is_the_installed_distributions() -> None:
    assert cli.version() == metadata.version("minipublic") == PROJECT_VERSION


def test_version_falls_back_to_pyproject_when_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(cli.metadata, "version", not_installed)
    assert cli.version() == PROJECT_VERSION
