"""Realistic synthetic respondent pools and census-like quotas, deterministic from a seed.

Benchmarks, tests and the app's demo need pools that behave like real ones: features that are
correlated (age with education, disability and attitude; area with ethnicity) and a pool that is
*not* a random sample of the population, because people who answer a letter inviting them to an
assembly are older, more educated and more interested in the topic than the census. Quotas come
from the population's shares, so the over-represented groups compete for few seats: that is what
makes fair selection hard, and what an honest benchmark must reproduce.

The population is a small Bayesian network over seven attributes; its joint distribution has only
17,280 cells, so census shares are computed exactly rather than estimated. Respondents are drawn
from that joint reweighted by a response propensity. Names, e-mail addresses and street addresses
come from short built-in lists and use the reserved `example.org` domain: nobody real is described.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, vstack

from sortition import csvsafe
from sortition.arrays import Floats, Ints
from sortition.model import Category, Instance, Pool, Quotas

# --- The population (Liverpool City Region-like; shares rounded from public census tables) -------

AREAS = ("Halton", "Knowsley", "Liverpool", "Sefton", "St Helens", "Wirral")
AREA_SHARES = (0.083, 0.099, 0.313, 0.178, 0.117, 0.210)

GENDERS = ("Woman", "Man", "Another gender identity")
GENDER_SHARES = (0.509, 0.485, 0.006)

AGES = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_SHARES = (0.135, 0.165, 0.150, 0.160, 0.165, 0.225)
# People who describe their gender in another way are, in census data, much younger on average.
AGE_SHARES_ANOTHER_GENDER = (0.36, 0.28, 0.14, 0.10, 0.07, 0.05)

ETHNICITIES = ("White", "Asian", "Black", "Mixed", "Other")
ETHNICITY_BY_AREA = {
    "Halton": (0.965, 0.010, 0.006, 0.012, 0.007),
    "Knowsley": (0.962, 0.010, 0.008, 0.013, 0.007),
    "Liverpool": (0.840, 0.045, 0.040, 0.040, 0.035),
    "Sefton": (0.952, 0.014, 0.007, 0.015, 0.012),
    "St Helens": (0.965, 0.012, 0.005, 0.011, 0.007),
    "Wirral": (0.950, 0.015, 0.008, 0.015, 0.012),
}
# Minority ethnic groups are younger than the White population: multiply their odds by age band.
MINORITY_AGE_FACTOR = (1.6, 1.5, 1.2, 0.9, 0.6, 0.35)

EDUCATIONS = ("No qualifications", "School level", "A level or apprenticeship", "Degree or above")
EDUCATION_BY_AGE = (
    (0.10, 0.35, 0.40, 0.15),
    (0.06, 0.22, 0.30, 0.42),
    (0.08, 0.25, 0.27, 0.40),
    (0.13, 0.30, 0.27, 0.30),
    (0.20, 0.30, 0.25, 0.25),
    (0.35, 0.27, 0.20, 0.18),
)

DISABILITIES = ("No", "Yes")
DISABILITY_BY_AGE = (0.12, 0.14, 0.17, 0.22, 0.30, 0.38)
DISABILITY_NO_QUALIFICATIONS_FACTOR = 1.3

ATTITUDES = ("Optimistic", "Neutral", "Worried", "Don't know")
ATTITUDE_BY_AGE = (
    (0.35, 0.30, 0.20, 0.15),
    (0.32, 0.30, 0.23, 0.15),
    (0.26, 0.30, 0.26, 0.18),
    (0.20, 0.29, 0.29, 0.22),
    (0.15, 0.27, 0.32, 0.26),
    (0.12, 0.25, 0.33, 0.30),
)
# A degree makes people likelier to hold a view either way; no qualifications, less likely.
ATTITUDE_EDUCATION_FACTOR = (
    (0.7, 1.0, 0.8, 1.6),
    (0.9, 1.0, 0.95, 1.2),
    (1.05, 1.0, 1.05, 0.9),
    (1.4, 1.0, 1.25, 0.5),
)

# --- Who answers the invitation: relative response propensity per attribute value ----------------

RESPONSE_BY_AREA = (0.9, 0.8, 1.05, 1.05, 0.95, 1.15)
RESPONSE_BY_GENDER = (1.1, 0.95, 1.0)
RESPONSE_BY_AGE = (0.45, 0.7, 0.9, 1.0, 1.3, 1.6)
RESPONSE_BY_ETHNICITY = (1.0, 0.75, 0.7, 0.8, 0.75)
RESPONSE_BY_EDUCATION = (0.5, 0.75, 1.0, 1.8)
RESPONSE_BY_DISABILITY = (1.0, 0.9)
RESPONSE_BY_ATTITUDE = (1.5, 0.9, 1.4, 0.5)

# Feature order: the first `features` of these are reported; the rest still shape who responds.
FEATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Gender", GENDERS),
    ("Age", AGES),
    ("Area", AREAS),
    ("Ethnicity", ETHNICITIES),
    ("Education", EDUCATIONS),
    ("Attitude to AI", ATTITUDES),
    ("Disability", DISABILITIES),
)
MIN_FEATURES = 2
MAX_FEATURES = len(FEATURES)

# --- Obviously fictional contact details --------------------------------------------------------

FIRST_NAMES = (
    "Alex", "Amira", "Ben", "Bernadette", "Callum", "Chloe", "Dev", "Dolores", "Eddie", "Ellie",
    "Femi", "Fran", "Gareth", "Grace", "Hassan", "Holly", "Imran", "Iris", "Jack", "Jade",
    "Kai", "Kath", "Liam", "Lucy", "Mo", "Megan", "Niamh", "Noel", "Olu", "Orla", "Paddy",
    "Priya", "Quinn", "Rosa", "Ryan", "Sam", "Siobhan", "Tariq", "Tess", "Wei", "Yusuf", "Zara",
)
LAST_NAMES = (
    "Ahmed", "Brennan", "Campbell", "Chen", "Doyle", "Evans", "Fletcher", "Gallagher", "Hughes",
    "Ibrahim", "Jones", "Kelly", "Lewis", "McCann", "Morris", "Nolan", "Okafor", "Patel",
    "Quigley", "Roberts", "Shaw", "Taylor", "Walsh", "Williams", "Wright", "Yates",
)
STREETS = (
    "Acacia", "Beech", "Cedar", "Chapel", "Church", "Dock", "Elm", "Ferry", "Grove", "Harbour",
    "Holly", "Lark", "Linden", "Maple", "Mersey", "Mill", "Oak", "Orchard", "Park", "Rowan",
    "School", "Station", "Victoria", "Willow",
)
STREET_KINDS = ("Street", "Road", "Lane", "Avenue", "Close", "Crescent", "Drive", "Way")
POSTCODE_DISTRICTS = {
    "Halton": ("WA7", "WA8"),
    "Knowsley": ("L28", "L34", "L35", "L36"),
    "Liverpool": ("L4", "L6", "L8", "L11", "L15", "L17", "L18", "L24"),
    "Sefton": ("L20", "L21", "L23", "PR8", "PR9"),
    "St Helens": ("WA9", "WA10", "WA11"),
    "Wirral": ("CH41", "CH43", "CH44", "CH46", "CH49", "CH61", "CH63"),
}
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

PEOPLE_COLUMNS = (
    "id", "first_name", "last_name", "email", "address_line_1", "town", "postcode",
)
ADDRESS_COLUMNS = ("address_line_1", "postcode")
QUOTA_COLUMNS = ("feature", "value", "min", "max", "min_flex", "max_flex")

# Attribute order inside the joint table (not the reporting order).
_AREA, _GENDER, _AGE, _ETHNICITY, _EDUCATION, _DISABILITY, _ATTITUDE = range(7)
_FEATURE_AXIS = (_GENDER, _AGE, _AREA, _ETHNICITY, _EDUCATION, _ATTITUDE, _DISABILITY)


def _normalised(values: Sequence[float] | Floats) -> Floats:
    array = np.asarray(values, dtype=float)
    normalised: Floats = array / array.sum()
    return normalised


def _population_joint() -> Floats:
    """Exact joint distribution over (area, gender, age, ethnicity, education, disability,
    attitude), built from the conditional tables above."""
    shape = (
        len(AREAS), len(GENDERS), len(AGES), len(ETHNICITIES), len(EDUCATIONS),
        len(DISABILITIES), len(ATTITUDES),
    )
    joint = np.zeros(shape)
    area_p = _normalised(AREA_SHARES)
    gender_p = _normalised(GENDER_SHARES)
    for a, g, y in itertools.product(range(len(AREAS)), range(len(GENDERS)), range(len(AGES))):
        ages = AGE_SHARES_ANOTHER_GENDER if GENDERS[g] == "Another gender identity" else AGE_SHARES
        base = area_p[a] * gender_p[g] * _normalised(ages)[y]
        ethnicity = np.array(ETHNICITY_BY_AREA[AREAS[a]], dtype=float)
        ethnicity[1:] *= MINORITY_AGE_FACTOR[y]
        ethnicity = _normalised(ethnicity)
        education = _normalised(EDUCATION_BY_AGE[y])
        for e, d in itertools.product(range(len(EDUCATIONS)), range(len(DISABILITIES))):
            disabled = DISABILITY_BY_AGE[y] * (DISABILITY_NO_QUALIFICATIONS_FACTOR if e == 0 else 1)
            disability = (1 - disabled, disabled)[d]
            attitude = _normalised(
                np.array(ATTITUDE_BY_AGE[y]) * np.array(ATTITUDE_EDUCATION_FACTOR[e])
            )
            joint[a, g, y, :, e, d, :] = (
                base * ethnicity[:, None] * education[e] * disability * attitude[None, :]
            )
    normalised: Floats = joint / joint.sum()
    return normalised


def _response_propensity() -> Floats:
    """Relative chance that a person in each cell of the joint answers the invitation."""
    factors = (
        RESPONSE_BY_AREA, RESPONSE_BY_GENDER, RESPONSE_BY_AGE, RESPONSE_BY_ETHNICITY,
        RESPONSE_BY_EDUCATION, RESPONSE_BY_DISABILITY, RESPONSE_BY_ATTITUDE,
    )
    propensity = np.ones(tuple(len(f) for f in factors))
    for axis, factor in enumerate(factors):
        shape = [1] * len(factors)
        shape[axis] = len(factor)
        propensity = propensity * np.asarray(factor, dtype=float).reshape(shape)
    return propensity


POPULATION = _population_joint()
RESPONDENTS = POPULATION * _response_propensity()
RESPONDENTS /= RESPONDENTS.sum()


def _marginal(joint: Floats, axis: int) -> Floats:
    other = tuple(i for i in range(joint.ndim) if i != axis)
    marginal: Floats = joint.sum(axis=other)
    return marginal


# --- The generated pool ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticPool:
    """A generated pool of respondents with the census-like quotas for a panel.

    `attributes[i, f]` is the index of person i's value for feature `features[f]` in
    `values[f]`. `quotas` are feasible for this pool (checked by an integer program).
    """

    panel_size: int
    seed: int
    features: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    census: tuple[Floats, ...]
    ids: tuple[str, ...]
    attributes: Ints
    details: tuple[tuple[str, ...], ...]
    quotas: Quotas
    households: bool = False
    band: int = 1
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def columns(self) -> tuple[str, ...]:
        return PEOPLE_COLUMNS + self.features

    @cached_property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """Every person's row of the people CSV, in `columns` order."""
        return tuple(
            (self.ids[i], *self.details[i], *(
                self.values[f][self.attributes[i, f]] for f in range(len(self.features))
            ))
            for i in range(len(self.ids))
        )

    def pool_shares(self, feature: str) -> Floats:
        """Share of the pool in each value of `feature`, in `values` order."""
        f = self.features.index(feature)
        counts = np.bincount(self.attributes[:, f], minlength=len(self.values[f]))
        return counts / len(self.ids)

    def census_shares(self, feature: str) -> Floats:
        """Share of the population in each value of `feature`, in `values` order."""
        return self.census[self.features.index(feature)]

    @cached_property
    def household_labels(self) -> Ints:
        """Household number per person: people at the same address share one."""
        seen: dict[tuple[str, ...], int] = {}
        street, postcode = (PEOPLE_COLUMNS.index(c) - 1 for c in ADDRESS_COLUMNS)
        labels = [
            seen.setdefault((d[street].casefold(), d[postcode].casefold()), len(seen))
            for d in self.details
        ]
        return np.array(labels, dtype=np.int64)

    def pool(self) -> Pool:
        """The respondents as the selection engine's Pool (categories index `quotas`)."""
        offsets = np.cumsum([0] + [len(v) for v in self.values[:-1]])
        return Pool(
            ids=self.ids,
            categories=(self.attributes + offsets[None, :]).astype(np.int64),
            households=self.household_labels,
            columns=self.columns,
            rows=self.rows,
        )

    def instance(
        self, quotas: Quotas | None = None, *, one_per_household: bool | None = None
    ) -> Instance:
        """The selection problem; `quotas` must list the same categories in the same order."""
        quotas = quotas or self.quotas
        _check_same_categories(self.quotas, quotas)
        return Instance(
            pool=self.pool(),
            quotas=quotas,
            panel_size=self.panel_size,
            one_per_household=self.households if one_per_household is None else one_per_household,
        )

    def people_csv(self) -> bytes:
        """The people file: id, fictional contact details, one column per feature."""
        return csvsafe.encode([self.columns, *self.rows])

    def quotas_csv(self, quotas: Quotas | None = None) -> bytes:
        """The quotas file in the practitioners' layout:
        `feature,value,min,max,min_flex,max_flex`."""
        return quotas_to_csv(quotas or self.quotas)

    def infeasible_quotas(self) -> Quotas:
        """Quotas that pass every per-feature check yet no panel meets together.

        For tests and demos of the relaxation advice. Every respondent of a small category `a`
        must sit on the panel, while a category `b` of another feature that some of them share
        gets one seat fewer than they would fill. Lowering a's minimum by one seat makes the
        quotas feasible again (checked here), so the smallest fix is a single seat.
        """
        k = self.panel_size
        instance = self.instance()
        counts = instance.membership.sum(axis=1)
        feature_of = [self.quotas.features.index(c.feature) for c in self.quotas.categories]
        smallest = sorted(
            (c for c in range(len(counts)) if 0 < counts[c] <= k), key=lambda c: (counts[c], c)
        )
        for a in smallest:
            overlap = instance.membership[:, instance.membership[a]].sum(axis=1)
            others = [
                b for b in range(len(counts))
                if feature_of[b] != feature_of[a]
                and 0 < overlap[b] <= self.quotas.categories[b].max
            ]
            # Take the least disruptive cut first: the category whose maximum moves least.
            others.sort(key=lambda b: (self.quotas.categories[b].max - overlap[b], b))
            for b in others[:3]:
                quotas = _conflicting_quotas(
                    self.quotas, feature_of, a, b, int(counts[a]), int(overlap[b]) - 1, k, counts
                )
                fixed = list(quotas.categories)
                fixed[a] = replace(fixed[a], min=fixed[a].min - 1)
                if not is_feasible(self.instance(quotas)) and is_feasible(
                    self.instance(Quotas(tuple(fixed)))
                ):
                    return quotas
        raise ValueError("this pool has no small category to build infeasible quotas from")

    def write(self, directory: str | Path, quotas: Quotas | None = None) -> tuple[Path, Path]:
        """Write `quotas.csv` and `people.csv` into `directory` (created if needed)."""
        return write_csvs(self, directory, quotas=quotas)


def _conflicting_quotas(
    quotas: Quotas, feature_of: list[int], a: int, b: int, need: int, cap: int, k: int,
    counts: Ints,
) -> Quotas:
    """Census quotas with a's minimum raised to `need` and b's maximum cut to `cap`."""
    categories = list(quotas.categories)
    cat = categories[a]
    categories[a] = replace(
        cat, min=need, max=max(cat.max, need), min_flex=min(cat.min_flex, need - 1),
        max_flex=max(cat.max_flex or 0, need),
    )
    _fit_feature(categories, feature_of, feature_of[a], keep=a, k=k, counts=counts)
    cat = categories[b]
    categories[b] = replace(
        cat, min=min(cat.min, cap), max=cap, min_flex=min(cat.min_flex, cap),
        max_flex=max(cat.max_flex or 0, cap + 1),
    )
    _fit_feature(categories, feature_of, feature_of[b], keep=b, k=k, counts=counts)
    return Quotas(tuple(categories))


def _fit_feature(
    categories: list[Category], feature_of: list[int], feature: int, *, keep: int, k: int,
    counts: Ints,
) -> None:
    """Adjust the other categories of `feature` so its mins sum to <= k and its maxes to >= k."""
    members = [c for c in range(len(categories)) if feature_of[c] == feature and c != keep]
    excess = sum(categories[c].min for c in members) + categories[keep].min - k
    for c in sorted(members, key=lambda c: -categories[c].min):
        if excess <= 0:
            break
        cut = min(excess, categories[c].min)
        cat = categories[c]
        categories[c] = replace(cat, min=cat.min - cut, min_flex=min(cat.min_flex, cat.min - cut))
        excess -= cut
    deficit = k - sum(categories[c].max for c in members) - categories[keep].max
    for c in sorted(members, key=lambda c: -(counts[c] - categories[c].max)):
        if deficit <= 0:
            break
        cat = categories[c]
        grow = min(deficit, max(0, int(counts[c]) - cat.max)) if c != members[-1] else deficit
        categories[c] = replace(
            cat, max=cat.max + grow, max_flex=max(cat.max_flex or 0, cat.max + grow)
        )
        deficit -= grow


def _check_same_categories(expected: Quotas, given: Quotas) -> None:
    if [c.key for c in expected.categories] != [c.key for c in given.categories]:
        raise ValueError(
            "These quotas list different categories from the synthetic pool's; pass quotas with "
            "the same features and values in the same order."
        )


def quotas_to_csv(quotas: Quotas) -> bytes:
    """Quotas in the practitioners' CSV layout."""
    rows: list[tuple[object, ...]] = [QUOTA_COLUMNS]
    for c in quotas.categories:
        max_flex = c.max if c.max_flex is None else c.max_flex
        rows.append((c.feature, c.value, c.min, c.max, c.min_flex, max_flex))
    return csvsafe.encode(rows)


def write_csvs(
    pool: SyntheticPool, directory: str | Path, *, quotas: Quotas | None = None
) -> tuple[Path, Path]:
    """Write the pool's quotas.csv and people.csv; returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    quotas_path = directory / "quotas.csv"
    people_path = directory / "people.csv"
    quotas_path.write_bytes(pool.quotas_csv(quotas))
    people_path.write_bytes(pool.people_csv())
    return quotas_path, people_path


# --- Generation -----------------------------------------------------------------------------------


def default_band(panel_size: int) -> int:
    """Seats either side of the census share: one on small panels, two from 75 seats up."""
    return 1 if panel_size < 75 else 2


def census_quotas(
    values: Sequence[tuple[str, Sequence[str]]],
    census: Sequence[Floats],
    panel_size: int,
    band: int,
    counts: Sequence[Ints],
) -> Quotas:
    """Quotas of census share x panel size, `band` seats either side, never above the pool.

    min_flex/max_flex let relaxation advice move a bound three seats further, within [0, k].
    """
    categories = []
    for (feature, names), shares, available in zip(values, census, counts, strict=True):
        for name, share, count in zip(names, shares, available, strict=True):
            expected = share * panel_size
            low = max(0, math.floor(expected) - band)
            high = min(panel_size, math.ceil(expected) + band)
            low = min(low, int(count))
            categories.append(
                Category(
                    feature=feature, value=name, min=low, max=high,
                    min_flex=max(0, low - 3), max_flex=min(panel_size, high + 3),
                )
            )
    return Quotas(tuple(categories))


def make_pool(
    n: int,
    panel_size: int,
    *,
    features: int = 6,
    seed: int = 0,
    households: bool = False,
    band: int | None = None,
) -> SyntheticPool:
    """Generate `n` respondents and census quotas for a panel of `panel_size`.

    Same arguments, same pool, byte for byte. With `households`, about a quarter of respondents
    share an address with another respondent (same borough, often the same family name).
    """
    if not MIN_FEATURES <= features <= MAX_FEATURES:
        raise ValueError(
            f"features must be between {MIN_FEATURES} and {MAX_FEATURES}, not {features}"
        )
    if panel_size < 1 or n < panel_size:
        raise ValueError(f"need 1 <= panel_size <= n; got panel_size={panel_size}, n={n}")
    rng = np.random.default_rng(seed)
    cells = rng.choice(RESPONDENTS.size, size=n, p=RESPONDENTS.ravel())
    full = np.stack(np.unravel_index(cells, RESPONDENTS.shape), axis=1)
    axes = _FEATURE_AXIS[:features]
    attributes = full[:, axes].astype(np.int64)
    names = tuple(FEATURES[i][0] for i in range(features))
    values = tuple(FEATURES[i][1] for i in range(features))
    census = tuple(_marginal(POPULATION, axis) for axis in axes)
    ids = tuple(f"R{i + 1:05d}" for i in range(n))
    details = _contact_details(rng, full[:, _AREA], full[:, _ETHNICITY], households)

    counts = [np.bincount(attributes[:, f], minlength=len(values[f])) for f in range(features)]
    start = default_band(panel_size) if band is None else band
    notes: list[str] = []
    for width in range(start, start + 4):
        quotas = census_quotas(tuple(zip(names, values)), census, panel_size, width, counts)
        pool = SyntheticPool(
            panel_size=panel_size, seed=seed, features=names, values=values, census=census,
            ids=ids, attributes=attributes, details=details, quotas=quotas,
            households=households, band=width, notes=tuple(notes),
        )
        if is_feasible(pool.instance()):
            return pool
        notes.append(f"quotas with a band of {width} seats were infeasible for this pool; widened")
    raise ValueError(
        f"could not make feasible quotas for a pool of {n} and a panel of {panel_size}; "
        "use a larger pool or a smaller panel"
    )


def make_instance(
    n: int, panel_size: int, *, features: int = 6, seed: int = 0, households: bool = False
) -> Instance:
    """Shortcut: the selection problem for a freshly generated pool and its census quotas."""
    return make_pool(n, panel_size, features=features, seed=seed, households=households).instance()


def _contact_details(
    rng: np.random.Generator, areas: Ints, ethnicities: Ints, households: bool
) -> tuple[tuple[str, ...], ...]:
    """Fictional first name, last name, e-mail, street address, town and postcode per person."""
    n = len(areas)
    first = rng.integers(len(FIRST_NAMES), size=n)
    last = rng.integers(len(LAST_NAMES), size=n)
    addresses: list[tuple[str, str]] = []
    used: set[tuple[str, str]] = set()
    for i in range(n):
        while True:
            number = rng.integers(1, 240)
            name = STREETS[rng.integers(len(STREETS))]
            street = f"{number} {name} {STREET_KINDS[rng.integers(len(STREET_KINDS))]}"
            districts = POSTCODE_DISTRICTS[AREAS[areas[i]]]
            letters = rng.choice(list(POSTCODE_LETTERS), size=2)
            district = districts[rng.integers(len(districts))]
            postcode = f"{district} {rng.integers(1, 10)}{''.join(letters)}"
            if (street, postcode) not in used:
                used.add((street, postcode))
                break
        addresses.append((street, postcode))
    if households:
        # Group about a quarter of respondents into households of two or three people who live
        # in the same borough, preferring people of the same ethnicity, as families would.
        order = rng.permutation(n)
        joiners = order[: n // 8]
        hosts = order[n // 8:]
        by_group: dict[tuple[int, int], list[int]] = {}
        for h in hosts:
            by_group.setdefault((int(areas[h]), int(ethnicities[h])), []).append(int(h))
        by_area: dict[int, list[int]] = {}
        for h in hosts:
            by_area.setdefault(int(areas[h]), []).append(int(h))
        for j in joiners:
            group = by_group.get((int(areas[j]), int(ethnicities[j]))) or by_area[int(areas[j])]
            host = group[rng.integers(len(group))]
            addresses[j] = addresses[host]
            if rng.random() < 0.6:
                last[j] = last[host]
    details = []
    for i in range(n):
        given, family = FIRST_NAMES[first[i]], LAST_NAMES[last[i]]
        email = f"{given}.{family}.{i + 1}@example.org".lower()
        street, postcode = addresses[i]
        details.append((given, family, email, street, AREAS[areas[i]], postcode))
    return tuple(details)


# --- Feasibility ----------------------------------------------------------------------------------


def is_feasible(instance: Instance) -> bool:
    """True when some panel meets every quota and the household rule (one integer program)."""
    n = len(instance.pool)
    k = instance.panel_size
    rows = [csr_array(instance.membership.astype(float)), csr_array(np.ones((1, n)))]
    lower = [instance.quotas.lower.astype(float), np.array([k], dtype=float)]
    upper = [instance.quotas.upper.astype(float), np.array([k], dtype=float)]
    groups = instance.household_groups
    if groups:
        people = np.concatenate(groups)
        row_of = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        rows.append(csr_array((np.ones(len(people)), (row_of, people)), shape=(len(groups), n)))
        lower.append(np.zeros(len(groups)))
        upper.append(np.ones(len(groups)))
    constraint = LinearConstraint(vstack(rows), np.concatenate(lower), np.concatenate(upper))
    result = milp(
        c=np.zeros(n), constraints=[constraint], integrality=np.ones(n), bounds=Bounds(0, 1),
        options={"time_limit": 60.0},
    )
    if result.status == 0:
        return True
    if result.status == 2:
        return False
    raise RuntimeError(f"the feasibility check did not finish: {result.message}")
