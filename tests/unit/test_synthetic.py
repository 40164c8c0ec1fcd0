"""The synthetic pools must be reproducible, biased the way real pools are, and solvable."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
import pytest

from sortition.model import normalise
from sortition.synthetic import (
    AREAS,
    PEOPLE_COLUMNS,
    QUOTA_COLUMNS,
    is_feasible,
    make_instance,
    make_pool,
    write_csvs,
)


@pytest.fixture(scope="module")
def pool():
    return make_pool(1500, 60, features=7, seed=11)


def parse(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def per_feature_sums(quotas) -> dict[str, tuple[int, int]]:
    sums: dict[str, tuple[int, int]] = {}
    for c in quotas.categories:
        low, high = sums.get(c.feature, (0, 0))
        sums[c.feature] = (low + c.min, high + c.max)
    return sums


def test_same_seed_gives_the_same_files_and_another_seed_does_not():
    first = make_pool(300, 30, seed=5, households=True)
    again = make_pool(300, 30, seed=5, households=True)
    other = make_pool(300, 30, seed=6, households=True)
    assert first.people_csv() == again.people_csv()
    assert first.quotas_csv() == again.quotas_csv()
    assert first.people_csv() != other.people_csv()


def test_pool_over_represents_older_educated_and_interested_people(pool):
    def share(feature: str, value: str, of) -> float:
        f = pool.features.index(feature)
        return float(of(feature)[pool.values[f].index(value)])

    over = [("Age", "65+"), ("Education", "Degree or above"), ("Attitude to AI", "Optimistic"),
            ("Attitude to AI", "Worried")]
    under = [("Age", "16-24"), ("Education", "No qualifications"), ("Attitude to AI", "Don't know")]
    for feature, value in over:
        assert share(feature, value, pool.pool_shares) > (
            share(feature, value, pool.census_shares) + 0.03
        )
    for feature, value in under:
        assert share(feature, value, pool.pool_shares) < (
            share(feature, value, pool.census_shares) - 0.03
        )


def test_features_are_correlated_as_in_the_population(pool):
    rows = parse(pool.people_csv())

    def rate(condition, outcome) -> float:
        group = [r for r in rows if condition(r)]
        return sum(outcome(r) for r in group) / len(group)

    disabled = lambda r: r["Disability"] == "Yes"  # noqa: E731
    older, younger = (lambda r: r["Age"] == "65+"), (lambda r: r["Age"] == "25-34")  # noqa: E731
    assert rate(older, disabled) > rate(younger, disabled) + 0.1
    minority = lambda r: r["Ethnicity"] != "White"  # noqa: E731
    def in_city(r: dict[str, str]) -> bool:
        return r["Area"] == "Liverpool"

    assert rate(in_city, minority) > rate(lambda r: not in_city(r), minority)


def test_quotas_follow_the_census_not_the_pool(pool):
    k = pool.panel_size
    for f, feature in enumerate(pool.features):
        for value, share in zip(pool.values[f], pool.census_shares(feature), strict=True):
            category = pool.quotas.categories[pool.quotas.index(feature, value)]
            assert category.min <= share * k <= category.max
            assert category.max - category.min <= 2 * pool.band + 1
            assert category.min_flex <= category.min and category.max_flex >= category.max


@pytest.mark.parametrize(("n", "k", "features", "households"), [
    (300, 30, 6, False), (300, 30, 6, True), (1500, 60, 7, True), (5000, 100, 6, False),
])
def test_quotas_are_feasible_for_the_generated_pool(n, k, features, households):
    synthetic = make_pool(n, k, features=features, seed=1, households=households)
    instance = synthetic.instance()
    counts = instance.membership.sum(axis=1)
    assert all(c.min <= counts[i] for i, c in enumerate(instance.quotas.categories))
    for low, high in per_feature_sums(instance.quotas).values():
        assert low <= k <= high
    assert is_feasible(instance)


def test_infeasible_quotas_pass_per_feature_checks_but_no_panel_meets_them(pool):
    quotas = pool.infeasible_quotas()
    instance = pool.instance(quotas)
    counts = instance.membership.sum(axis=1)
    for i, c in enumerate(quotas.categories):
        assert 0 <= c.min <= c.max and c.min <= counts[i]
        assert c.min_flex <= c.min and c.max_flex >= c.max
    for low, high in per_feature_sums(quotas).values():
        assert low <= pool.panel_size <= high
    assert not is_feasible(instance)
    pairs = zip(pool.quotas.categories, quotas.categories, strict=True)
    changed = [(a, b) for a, b in pairs if a != b]
    assert changed, "the infeasible quotas must differ from the census ones"
    # The advertised fix works: lower the raised minimum by one seat.
    raised = next(
        b for a, b in changed if b.min > a.min and b.min == counts[quotas.categories.index(b)]
    )
    fixed = tuple(replace(c, min=c.min - 1) if c is raised else c for c in quotas.categories)
    assert is_feasible(pool.instance(type(quotas)(fixed)))


def test_pool_matches_the_people_file_row_for_row(pool):
    rows = parse(pool.people_csv())
    assert tuple(rows[0]) == PEOPLE_COLUMNS + pool.features
    instance = pool.instance()
    assert [r["id"] for r in rows] == list(instance.pool.ids)
    for i in (0, 1, 700, len(rows) - 1):
        for f, feature in enumerate(pool.features):
            category = instance.quotas.categories[instance.pool.categories[i, f]]
            assert normalise(category.value) == normalise(rows[i][feature])
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["email"].endswith("@example.org") for r in rows)


def test_households_share_an_address_within_one_borough():
    synthetic = make_pool(600, 40, seed=2, households=True)
    rows = parse(synthetic.people_csv())
    by_address: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in rows:
        by_address.setdefault((r["address_line_1"], r["postcode"]), []).append(r)
    shared = [group for group in by_address.values() if len(group) > 1]
    in_shared = sum(len(group) for group in shared)
    assert 0.15 * len(rows) < in_shared < 0.35 * len(rows)
    assert all(len({r["town"] for r in group}) == 1 for group in shared)
    instance = synthetic.instance()
    assert instance.one_per_household
    assert len(instance.household_groups) == len(shared)
    assert not make_pool(600, 40, seed=2).instance().household_groups
    assert {r["town"] for r in rows} <= set(AREAS)


def test_write_csvs_writes_both_files(tmp_path, pool):
    quotas_path, people_path = write_csvs(pool, tmp_path / "out")
    assert quotas_path.read_bytes() == pool.quotas_csv()
    assert people_path.read_bytes() == pool.people_csv()
    header = quotas_path.read_text().splitlines()[0].split(",")
    assert tuple(header) == QUOTA_COLUMNS


def test_make_instance_and_bad_arguments():
    instance = make_instance(200, 20, features=4, seed=3)
    assert instance.panel_size == 20 and len(instance.pool) == 200
    assert len(instance.quotas.features) == 4
    with pytest.raises(ValueError, match="features must be between"):
        make_pool(100, 10, features=9)
    with pytest.raises(ValueError, match="panel_size"):
        make_pool(10, 20)
    other = make_pool(200, 20, features=5, seed=3)
    with pytest.raises(ValueError, match="different categories"):
        make_pool(200, 20, features=4, seed=3).instance(other.quotas)
    again = make_instance(200, 20, features=4, seed=3)
    assert np.array_equal(instance.pool.categories, again.pool.categories)


def test_the_files_read_back_as_the_same_instance():
    from sortition.io import load_instance

    synthetic = make_pool(400, 30, features=7, seed=4, households=True)
    expected = synthetic.instance()
    loaded = load_instance(
        synthetic.quotas_csv(), synthetic.people_csv(), 30,
        address_columns=("address_line_1", "postcode"), one_per_household=True,
    )
    assert loaded.quotas == expected.quotas
    assert loaded.pool.ids == expected.pool.ids
    assert np.array_equal(loaded.pool.categories, expected.pool.categories)
    assert [g.tolist() for g in loaded.household_groups] == [
        g.tolist() for g in expected.household_groups
    ]
