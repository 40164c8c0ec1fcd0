"""Settings shared by every test directory."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_outside_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own MINIPUBLIC_* or DATABASE_URL must not change what tests do."""
    for name in list(os.environ):
        if (name.startswith("MINIPUBLIC_") and not name.startswith("MINIPUBLIC_TEST")) or \
                name == "DATABASE_URL":
            monkeypatch.delenv(name)
