"""The commitment: canonical, de-identified files whose hash anyone can recompute."""

from __future__ import annotations

import csv
import functools
import hashlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sortition
from sortition.commitment import (
    FILES,
    Parameters,
    PublishedFileError,
    commit,
    digest,
    read_instance,
    read_lottery,
)
from sortition.lottery import round_distribution
from tests.unit._examples import examples
from tests.unit._lottery_instances import make_instance, random_distribution


@functools.cache
def _committed(seed: int = 1, households: bool = True):
    instance = make_instance(seed, households=households)
    lottery = round_distribution(instance, random_distribution(instance, seed), 40)
    return instance, lottery, commit(instance, lottery.panels, "leximin")


def test_the_hash_is_sha256_of_the_documented_statement() -> None:
    instance, _, commitment = _committed()
    hashes = [hashlib.sha256(commitment.files[name]).hexdigest() for name in FILES]
    text = (
        "minipublic lottery commitment 1\n"
        "algorithm: leximin\n"
        f"engine: sortition {sortition.__version__}\n"
        f"panel size: {instance.panel_size}\n"
        "one per household: yes\n"
        "lottery size: 40\n"
        f"pool.csv: sha256 {hashes[0]}\n"
        f"quotas.csv: sha256 {hashes[1]}\n"
        f"lottery.csv: sha256 {hashes[2]}\n"
    )
    assert commitment.statement == text
    assert commitment.digest == hashlib.sha256(text.encode()).hexdigest()
    record = commitment.record()
    assert record["commitment"] == commitment.digest
    assert record["files"] == dict(zip(FILES, hashes))


def test_pool_file_names_nobody() -> None:
    instance, _, commitment = _committed()
    text = commitment.files["pool.csv"].decode()
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    for row in instance.pool.rows:
        identifier, name, _, _, address = row
        assert identifier not in cells and name not in cells and address not in cells
    header = text.splitlines()[0]
    assert header == "row,gender,age,household"
    assert text.splitlines()[1].split(",")[0] == "1"
    assert not commitment.files["pool.csv"].startswith(b"\xef\xbb\xbf")
    assert b"\r" not in b"".join(commitment.files.values())


def test_files_read_back_to_the_same_problem_and_tickets() -> None:
    instance, lottery, commitment = _committed()
    public = read_instance(commitment.files["pool.csv"], commitment.files["quotas.csv"],
                           commitment.parameters)
    np.testing.assert_array_equal(public.pool.categories, instance.pool.categories)
    assert public.quotas.lower.tolist() == instance.quotas.lower.tolist()
    assert public.quotas.upper.tolist() == instance.quotas.upper.tolist()
    assert public.one_per_household and public.panel_size == instance.panel_size
    tickets = read_lottery(commitment.files["lottery.csv"], len(public.pool))
    np.testing.assert_array_equal(tickets, lottery.panels)
    assert all(public.is_feasible_panel(p) for p in tickets)
    # Households group the same people (numbered afresh, so compare the grouping).
    same = instance.pool.households[:, None] == instance.pool.households[None, :]
    known = instance.pool.households >= 0
    public_same = public.pool.households[:, None] == public.pool.households[None, :]
    assert (same[np.ix_(known, known)] == public_same[np.ix_(known, known)]).all()


@settings(max_examples=examples(30), deadline=None)
@given(which=st.sampled_from(FILES), position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_changed_byte_changes_the_commitment(which: str, position: int, bit: int) -> None:
    _, _, commitment = _committed(seed=2)
    data = bytearray(commitment.files[which])
    data[position % len(data)] ^= 1 << bit
    changed = {**commitment.files, which: bytes(data)}
    assert digest(commitment.parameters, changed) != commitment.digest


@pytest.mark.parametrize("field, value", [
    ("algorithm", "maximin"), ("engine", "sortition 9.9"), ("panel_size", 5),
    ("one_per_household", False), ("lottery_size", 41),
])
def test_every_parameter_is_bound_by_the_commitment(field: str, value: object) -> None:
    _, _, commitment = _committed()
    data = commitment.parameters.as_dict() | {field: value}
    assert digest(Parameters.from_dict(data), commitment.files) != commitment.digest


def test_parameters_with_wrong_types_are_refused() -> None:
    _, _, commitment = _committed()
    with pytest.raises(ValueError, match="panel_size"):
        Parameters.from_dict(commitment.parameters.as_dict() | {"panel_size": "4"})
    with pytest.raises(ValueError, match="lack .engine."):
        Parameters.from_dict({"algorithm": "leximin"})


def test_malformed_public_files_are_reported_with_their_row() -> None:
    _, _, commitment = _committed()
    pool = commitment.files["pool.csv"].replace(b"\n3,", b"\n7,", 1)
    with pytest.raises(PublishedFileError, match="row 4"):
        read_instance(pool, commitment.files["quotas.csv"], commitment.parameters)
    with pytest.raises(PublishedFileError, match="not a row of pool.csv"):
        read_lottery(b"ticket,members\n1,1 2 3 99\n", 12)
    with pytest.raises(PublishedFileError, match="expected ticket 2"):
        read_lottery(b"ticket,members\n1,1 2 3 4\n3,1 2 3 5\n", 12)
