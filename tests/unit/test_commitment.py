"""The commitment: it binds the whole lottery, anyone can recompute it, and it reveals nobody.

What is public (pool.csv, quotas.csv, lottery.csv, pool-summary.csv, commitment.json, and after
the draw draw.json) must not let anyone work out a person's categories; the auditor's files
(profiles.csv, tickets.csv) open every hash.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sortition
from sortition import csvsafe
from sortition.commitment import (
    AUDIT_FILES,
    FILES,
    Parameters,
    PublishedFileError,
    commit,
    digest,
    line_hash,
    opening_hash,
    read_audit,
    read_lottery,
    read_pool,
    read_quotas,
    read_summary,
    suppressed,
    summary_rows,
)
from sortition.lottery import round_distribution
from sortition.model import Instance, Pool
from tests.unit._examples import examples
from tests.unit._lottery_instances import make_instance, random_distribution


@functools.cache
def _committed(seed: int = 1, households: bool = True, threshold: int = 5):
    instance = make_instance(seed, households=households)
    lottery = round_distribution(instance, random_distribution(instance, seed), 40)
    made = commit(instance, lottery.panels, "leximin", suppress_below=threshold,
                  rng=random.Random(seed))
    return instance, lottery, made


def _opened(made):
    return read_audit(made.audit["profiles.csv"], made.audit["tickets.csv"],
                      read_quotas(made.files["quotas.csv"]), made.parameters)


def test_the_hash_is_sha256_of_the_documented_statement() -> None:
    instance, _, made = _committed()
    hashes = [hashlib.sha256(made.files[name]).hexdigest() for name in FILES]
    text = (
        "minipublic lottery commitment 2\n"
        "algorithm: leximin\n"
        f"engine: sortition {sortition.__version__}\n"
        f"panel size: {instance.panel_size}\n"
        "one per household: yes\n"
        "lottery size: 40\n"
        "suppress below: 5\n"
        f"pool.csv: sha256 {hashes[0]}\n"
        f"quotas.csv: sha256 {hashes[1]}\n"
        f"lottery.csv: sha256 {hashes[2]}\n"
        f"pool-summary.csv: sha256 {hashes[3]}\n"
    )
    assert made.statement == text
    assert made.digest == hashlib.sha256(text.encode()).hexdigest()
    record = made.record()
    assert record["commitment"] == made.digest
    assert record["files"] == dict(zip(FILES, hashes))


def test_each_hash_is_sha256_of_its_line_in_the_auditors_file() -> None:
    """As documented, so the auditor can check one person with sed and sha256sum."""
    _, _, made = _committed()
    for public, private in (("pool.csv", "profiles.csv"), ("lottery.csv", "tickets.csv")):
        lines = made.audit[private].decode().splitlines(keepends=True)[1:]
        hashes = [row.split(",")[1] for row in made.files[public].decode().splitlines()[1:]]
        assert hashes == [hashlib.sha256(line.encode()).hexdigest() for line in lines]


def test_public_files_hold_only_numbers_hashes_quotas_and_suppressed_counts() -> None:
    instance, _, made = _committed()
    pool = csvsafe.read_rows(made.files["pool.csv"].decode())
    lottery = csvsafe.read_rows(made.files["lottery.csv"].decode())
    assert pool[0] == ["person", "profile_sha256"] and lottery[0] == ["ticket", "members_sha256"]
    for rows in (pool[1:], lottery[1:]):
        assert [row[0] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]
        assert all(len(row) == 2 and len(row[1]) == 64 and int(row[1], 16) >= 0 for row in rows)
    cells = {cell for name in FILES for row in csvsafe.read_rows(made.files[name].decode())
             for cell in row}
    for row in instance.pool.rows:
        identifier, name, _, _, address = row
        assert identifier not in cells and name not in cells and address not in cells
    # Person numbers follow a random order, not the people file's.
    assert list(made.order) != sorted(made.order) and sorted(made.order) == list(
        range(len(instance.pool)))
    assert not made.files["pool.csv"].startswith(b"\xef\xbb\xbf")
    assert b"\r" not in b"".join([*made.files.values(), *made.audit.values()])


def test_the_auditors_files_read_back_to_the_same_problem_and_tickets() -> None:
    instance, lottery, made = _committed()
    opened = _opened(made)
    ordered, tickets = made.pseudonymous(instance, lottery.panels)
    np.testing.assert_array_equal(opened.instance.pool.categories, ordered.pool.categories)
    np.testing.assert_array_equal(opened.tickets, tickets)
    assert opened.profile_hashes == read_pool(made.files["pool.csv"])
    assert opened.ticket_hashes == read_lottery(made.files["lottery.csv"])
    assert all(opened.instance.is_feasible_panel(p) for p in opened.tickets)
    # Each ticket holds the same people as before, by person number.
    for before, after in zip(lottery.panels, opened.tickets):
        assert sorted(made.order[i] for i in after) == sorted(int(i) for i in before)
    # Households group the same people (numbered afresh, so compare the grouping).
    labels = ordered.pool.households
    same = labels[:, None] == labels[None, :]
    known = labels >= 0
    opened_labels = opened.instance.pool.households
    public_same = opened_labels[:, None] == opened_labels[None, :]
    assert (same[np.ix_(known, known)] == public_same[np.ix_(known, known)]).all()
    # Opening the drawn ticket: its salt and members give its hash in lottery.csv.
    members = [int(i) + 1 for i in opened.tickets[6]]
    assert opening_hash(7, opened.ticket_salts[6], members) == opened.ticket_hashes[6]


@settings(max_examples=examples(30), deadline=None)
@given(which=st.sampled_from(FILES), position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_any_changed_byte_of_a_public_file_changes_the_commitment(which: str, position: int,
                                                                 bit: int) -> None:
    _, _, made = _committed(seed=2)
    data = bytearray(made.files[which])
    data[position % len(data)] ^= 1 << bit
    changed = {**made.files, which: bytes(data)}
    assert digest(made.parameters, changed) != made.digest


@settings(max_examples=examples(30), deadline=None)
@given(which=st.sampled_from(AUDIT_FILES), position=st.integers(0, 10_000),
       bit=st.integers(0, 7))
def test_any_changed_byte_of_an_auditor_file_no_longer_opens_the_commitment(
        which: str, position: int, bit: int) -> None:
    _, _, made = _committed(seed=2)
    data = bytearray(made.audit[which])
    header = data.index(b"\n") + 1
    data[header + position % (len(data) - header)] ^= 1 << bit
    audit = {**made.audit, which: bytes(data)}
    try:
        opened = read_audit(audit["profiles.csv"], audit["tickets.csv"],
                            read_quotas(made.files["quotas.csv"]), made.parameters)
    except (PublishedFileError, ValueError):
        return  # no longer readable: refused as it is
    assert (opened.profile_hashes != read_pool(made.files["pool.csv"])
            or opened.ticket_hashes != read_lottery(made.files["lottery.csv"]))


@pytest.mark.parametrize("field, value", [
    ("algorithm", "maximin"), ("engine", "sortition 9.9"), ("panel_size", 5),
    ("one_per_household", False), ("lottery_size", 41), ("suppress_below", 3),
])
def test_every_parameter_is_bound_by_the_commitment(field: str, value: object) -> None:
    _, _, made = _committed()
    data = made.parameters.as_dict() | {field: value}
    assert digest(Parameters.from_dict(data), made.files) != made.digest


def test_parameters_with_wrong_types_are_refused() -> None:
    _, _, made = _committed()
    with pytest.raises(ValueError, match="panel_size"):
        Parameters.from_dict(made.parameters.as_dict() | {"panel_size": "4"})
    with pytest.raises(ValueError, match="suppress_below"):
        Parameters.from_dict(made.parameters.as_dict() | {"suppress_below": 0})
    with pytest.raises(ValueError, match="lack .engine."):
        Parameters.from_dict({"algorithm": "leximin"})


def test_malformed_files_are_reported_with_their_row() -> None:
    _, _, made = _committed()
    pool = made.files["pool.csv"].replace(b"\n3,", b"\n7,", 1)
    with pytest.raises(PublishedFileError, match="row 4"):
        read_pool(pool)
    with pytest.raises(PublishedFileError, match="not a SHA-256"):
        read_lottery(b"ticket,members_sha256\n1,1 2 3\n")
    tickets = made.audit["tickets.csv"].replace(b"\n3,", b"\n5,", 1)
    with pytest.raises(PublishedFileError, match="expected ticket 3"):
        read_audit(made.audit["profiles.csv"], tickets, read_quotas(made.files["quotas.csv"]),
                   made.parameters)


# -- Privacy: what the public files let anyone work out ---------------------------------------


def _without_hashes(files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    """The public files with their salted-hash columns taken out."""
    out = {}
    for name, data in files.items():
        rows = csvsafe.read_rows(data.decode())
        out[name] = [row[:1] if name in ("pool.csv", "lottery.csv") else row for row in rows]
    return out


def _shuffled_profiles(instance: Instance, permutation: list[int]) -> Instance:
    pool = instance.pool
    moved = Pool(ids=pool.ids, categories=pool.categories[permutation],
                 households=pool.households[permutation], columns=pool.columns, rows=pool.rows)
    return Instance(moved, instance.quotas, instance.panel_size, instance.one_per_household)


@settings(max_examples=examples(25), deadline=None)
@given(seed=st.integers(0, 50), shuffle=st.randoms(use_true_random=False),
       panels=st.randoms(use_true_random=False))
def test_the_public_files_are_the_same_whoever_has_which_profile(
        seed: int, shuffle: random.Random, panels: random.Random) -> None:
    """Give people one another's profiles and put other people on the tickets: apart from the
    salted hashes, every public file is the same byte for byte. So nothing but the hashes
    depends on who has which categories or who is on which ticket, and the hashes cannot be
    opened without the salts (next test). No combination of public files can tell anyone's
    categories, and there is no system of ticket counts to solve."""
    instance = make_instance(seed, n=12, k=4)
    lottery = round_distribution(instance, random_distribution(instance, seed), 30)
    permutation = list(range(len(instance.pool)))
    shuffle.shuffle(permutation)
    other = _shuffled_profiles(instance, permutation)
    # Any tickets at all (they need not meet the quotas for this comparison).
    other_tickets = np.array([sorted(panels.sample(range(12), 4)) for _ in range(30)])
    first = commit(instance, lottery.panels, "leximin", rng=random.Random(1))
    second = commit(other, other_tickets, "leximin", rng=random.Random(1))
    assert _without_hashes(first.files) == _without_hashes(second.files)


def test_a_profile_hash_cannot_be_opened_by_guessing_without_the_salt() -> None:
    """Without salts, trying each of the few possible profiles would open every hash at once
    (that is what salting prevents): none of these guesses matches any published hash."""
    instance, _, made = _committed()
    published = set(read_pool(made.files["pool.csv"]))
    quotas = instance.quotas
    values = [quotas.values(f) for f in quotas.features]
    guesses = 0
    for person in range(1, len(instance.pool) + 1):
        for profile in itertools.product(*values):
            for household in ["", *map(str, range(1, len(instance.pool) + 1))]:
                for salt in ("", "0" * 64):
                    guesses += 1
                    assert line_hash([str(person), salt, *profile, household]) not in published
    assert guesses > 1000
    # The salts are fresh for each commitment: the same pool committed twice shares no hash.
    again = commit(instance, np.array([[0, 1, 2, 3]]), "leximin")
    assert not published & set(read_pool(again.files["pool.csv"]))


# -- Small cells ------------------------------------------------------------------------------


@settings(max_examples=examples(200), deadline=None)
@given(counts=st.lists(st.integers(0, 40), min_size=1, max_size=8),
       threshold=st.integers(1, 10))
def test_no_small_count_is_published_or_can_be_worked_out(counts: list[int],
                                                          threshold: int) -> None:
    hidden = suppressed(counts, threshold)
    shown = [c for i, c in enumerate(counts) if i not in hidden]
    assert all(c >= threshold for c in shown)
    if hidden and len(hidden) < len(counts):
        # The total of the hidden cells is known (pool size minus what is shown): it must
        # cover at least `threshold` people spread over two or more cells, so no hidden
        # cell's count follows from it.
        assert sum(counts[i] for i in hidden) >= threshold and len(hidden) >= 2
    if not any(c < threshold for c in counts):
        assert not hidden


def test_pool_summary_leaves_small_counts_empty_and_the_threshold_is_a_setting() -> None:
    instance, _, made = _committed()
    counts = dict(zip([(c.feature, c.value) for c in instance.quotas.categories],
                      instance.membership.sum(axis=1).tolist()))
    rows = read_summary(made.files["pool-summary.csv"])
    assert [(r[0], r[1]) for r in rows] == list(counts)
    assert any(r[2] == "" for r in rows) and any(r[2] != "" for r in rows)
    for feature, value, shown in rows:
        assert shown == "" or (int(shown) == counts[feature, value] and int(shown) >= 5)
    everything = summary_rows(instance, 1)
    assert [int(r[2]) for r in everything] == list(counts.values())
    assert all(r[2] == "" for r in summary_rows(instance, 13))  # 12 people: all hidden
