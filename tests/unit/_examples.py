"""How many examples a property test runs under the loaded Hypothesis profile.

A test's own `@settings(max_examples=n)` overrides the profile's count, so the "explore" profile
(tests/conftest.py) would not run those tests any longer. `examples(n)` scales n by the profile's
count relative to Hypothesis's usual 100: n under "ci" and "dev", ten times n under "explore".
"""

from __future__ import annotations

from hypothesis import settings

USUAL = 100


def examples(n: int) -> int:
    return max(1, n * settings().max_examples // USUAL)
