"""Settings shared by every test directory.

Property tests are deterministic: the "ci" profile (loaded when CI is set) and the "dev" default
draw the same cases on every run. To hunt for new counterexamples locally, run e.g.
`HYPOTHESIS_PROFILE=explore python -m pytest tests/unit -q -p no:cacheprovider`; a counterexample
found that way becomes a named test (see the comment at the Hypothesis profiles below).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Hypothesis profiles. They are loaded here, before pytest imports any test module, because a
# per-test `@settings(max_examples=...)` built at import takes the profile loaded at that moment
# as its parent: that is how it inherits `derandomize` and the rest.
#
#   ci       fixed seed (derandomize), no example database, deadline off, and the reproduction
#            blob printed on failure: CI is red only when the code changed, never by chance.
#   dev      the default on a developer's machine: the same fixed cases as CI, so a green run
#            locally means a green run in CI.
#   explore  random cases and ten times as many of them (tests/unit/_examples.py scales each
#            test's own count too), with the local example database so a failure found once is
#            replayed on the next explore run. Choose it with HYPOTHESIS_PROFILE=explore.
#
# A counterexample found while exploring becomes a named, ordinary test next to the property
# (the instance written out by hand, with a docstring saying what goes wrong), then the fix.
# Never rely on the example database to remember it: CI does not use one.
EXPLORE_FACTOR = 10
settings.register_profile(
    "ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("dev", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile(
    "explore", derandomize=False, max_examples=100 * EXPLORE_FACTOR, print_blob=True,
    deadline=None)


def _profile() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if chosen:
        return chosen
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return "ci"
    return "dev"


settings.load_profile(_profile())


@pytest.fixture(autouse=True)
def _no_outside_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own MINIPUBLIC_* or DATABASE_URL must not change what tests do."""
    for name in list(os.environ):
        if (name.startswith("MINIPUBLIC_") and not name.startswith("MINIPUBLIC_TEST")) or \
                name == "DATABASE_URL":
            monkeypatch.delenv(name)
