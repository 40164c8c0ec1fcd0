"""The Hypothesis profiles of tests/conftest.py: CI draws the same cases on every run."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.unit._examples import examples
from tests.unit._solver_checks import SETTINGS


def test_the_ci_profile_is_derandomized_without_a_database() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True
    assert ci.database is None
    assert ci.print_blob is True
    assert ci.deadline is None


def test_the_explore_profile_is_random_and_runs_ten_times_as_many_cases() -> None:
    explore = settings.get_profile("explore")
    assert explore.derandomize is False
    assert explore.max_examples == 10 * settings.get_profile("dev").max_examples


@pytest.mark.skipif(not os.environ.get("CI"), reason="only where CI is set")
def test_ci_loads_the_ci_profile() -> None:
    if os.environ.get("HYPOTHESIS_PROFILE"):
        pytest.skip("HYPOTHESIS_PROFILE chooses the profile explicitly")
    assert settings().derandomize is True
    assert settings().database is None


def test_a_tests_own_settings_inherit_the_loaded_profile() -> None:
    # Built at import with max_examples of its own; everything else comes from the profile.
    assert SETTINGS.derandomize == settings().derandomize
    assert SETTINGS.print_blob == settings().print_blob
    assert SETTINGS.max_examples == examples(25)
