"""`minipublic serve` and `minipublic migrate` as an operator runs them: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assembly import cli
from assembly.security import SECURITY_HEADERS
from tests.app.servers import free_port


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MINIPUBLIC_") and name != "DATABASE_URL"}
    env.update({"MINIPUBLIC_DATA_DIR": str(tmp_path / "data"), **extra})
    return env


def minipublic(*args: str) -> list[str]:
    return [sys.executable, "-m", "assembly.cli", *args]


@pytest.mark.slow  # a real server process: interpreter start-up and imports take seconds
def test_serve_migrates_a_new_database_and_answers(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(minipublic("serve", "--port", str(port)), env=environment(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    status, headers, body = response.status, response.headers, response.read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.2)
        assert status == 200 and b"<html lang=\"en-GB\">" in body
        assert headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
        assert headers.get("Set-Cookie") is None and headers.get("Server") is None
        assert (tmp_path / "data" / "minipublic.sqlite3").is_file()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Tidied 0 ended sessions and 0 old sign-in attempts." in output


@pytest.mark.slow  # a real process; the other bad secrets are tested in-process
def test_production_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    extra = {"MINIPUBLIC_ENV": "production", "MINIPUBLIC_PUBLIC_URL": "https://a.example"}
    result = subprocess.run(minipublic("serve", "--port", str(free_port())),
                            env=environment(tmp_path, **extra), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert "MINIPUBLIC_SECRET_KEY is missing or is the development default" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_migrate_command_reports_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINIPUBLIC_DATA_DIR", str(tmp_path / "data"))
    parser = cli.build_parser()
    args = parser.parse_args(["migrate"])
    assert args.run(args) == 0
    assert capsys.readouterr().out.startswith("Database schema: empty -> ")
    assert args.run(args) == 0
    assert "Database schema is up to date" in capsys.readouterr().out
