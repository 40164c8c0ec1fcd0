"""The SVG charts carry the numbers they were given, in marks and in words."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from charter.charts import CompositionRow, composition_chart, percent, probability_chart

SVG = "{http://www.w3.org/2000/svg}"

ROWS = [
    CompositionRow("Gender", "Female", 15, 14, 16, 540),
    CompositionRow("Gender", "Male", 14, 14, 16, 440),
    CompositionRow("Gender", "Non-binary & other", 1, 0, 2, 20),
    CompositionRow("Age", "16-29", 5, 6, 8, 150),
    CompositionRow("Age", "30-44", 8, 7, 9, 250),
    CompositionRow("Age", "45-64", 10, 9, 11, 350),
    CompositionRow("Age", "65+", 7, 6, 8, 250),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def test_composition_chart_is_an_accessible_image() -> None:
    root = parse(composition_chart(ROWS, panel_size=30, pool_size=1000, id_prefix="c1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "c1-desc"
    assert "pool of 1,000" in desc.text
    assert "1 category is outside the target: Age 16-29 has 5." in desc.text
    # No <style> element: a strict content security policy would drop it.
    assert root.find(f".//{SVG}style") is None


def test_composition_bars_match_the_numbers() -> None:
    root = parse(composition_chart(ROWS, panel_size=30, pool_size=1000))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "category"]
    assert [(g.get("data-feature"), g.get("data-value")) for g in groups] == [
        (r.feature, r.value) for r in ROWS
    ]
    # One scale for every mark: pixels per seat from the first panel bar.
    first = groups[0].find(f"{SVG}rect[@class='panel']")
    scale = float(first.get("width")) / ROWS[0].panel
    origin = float(first.get("x"))
    for group, row in zip(groups, ROWS, strict=True):
        panel = group.find(f"{SVG}rect[@class='panel']")
        assert float(panel.get("x")) == pytest.approx(origin)
        assert float(panel.get("width")) == pytest.approx(row.panel * scale, abs=0.01)
        target = group.find(f"{SVG}rect[@class='target']")
        assert float(target.get("x")) == pytest.approx(origin + row.minimum * scale, abs=0.01)
        assert float(target.get("width")) == pytest.approx(
            max((row.maximum - row.minimum) * scale, 2.0), abs=0.01
        )
        share = group.find(f"{SVG}g[@class='pool-share']")
        assert float(share.get("data-seats")) == pytest.approx(row.pool / 1000 * 30, abs=1e-4)
        diamond = share.find(f"{SVG}polygon")
        xs = [float(p.split(",")[0]) for p in diamond.get("points").split()]
        assert (min(xs) + max(xs)) / 2 == pytest.approx(origin + row.pool / 1000 * 30 * scale, abs=0.02)
        words = texts(group)
        assert row.value in words
        note = next(w for w in words if w.startswith(f"{row.panel} (target"))
        assert percent(row.pool / 1000) in note
        assert ("outside target" in note) is (not row.within_target)


def test_composition_labels_features_and_escapes_text() -> None:
    svg = composition_chart(ROWS, panel_size=30, pool_size=1000)
    assert "Non-binary &amp; other" in svg
    words = texts(parse(svg))
    assert "Gender" in words and "Age" in words
    assert {"Panel seats", "Target range", "Pool share, in seats"} <= set(words)


def test_composition_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError):
        composition_chart(ROWS, panel_size=0, pool_size=1000)


def test_probability_chart_marks_min_max_and_equal_chance() -> None:
    probabilities = [0.02] * 50 + [0.04] * 40 + [0.005, 0.09]
    panel_size = round(sum(probabilities))
    root = parse(probability_chart(probabilities, panel_size=panel_size, id_prefix="p"))
    assert root.get("role") == "img"
    desc = root.find(f"{SVG}desc").text
    assert "all 92 respondents" in desc
    assert "Lowest 0.50%" in desc and "highest 9.0%" in desc
    assert "1 respondent has less than half" in desc
    profile = next(e for e in root.iter(f"{SVG}polyline") if e.get("class") == "profile")
    assert int(profile.get("data-count")) == 92
    ys = [float(p.split(",")[1]) for p in profile.get("points").split()]
    assert len(ys) == 92
    assert ys == sorted(ys, reverse=True)  # sorted upwards: SVG y grows downwards
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    assert float(groups["minimum"].get("data-value")) == pytest.approx(0.005)
    assert float(groups["maximum"].get("data-value")) == pytest.approx(0.09)
    equal = groups["equal-line"]
    assert float(equal.get("data-value")) == pytest.approx(panel_size / 92, abs=0.005)
    assert texts(equal) == [f"Equal chance {percent(panel_size / 92)}"]
    # The equal-chance line sits at its value on the same axis as the profile.
    line_y = float(equal.find(f"{SVG}line").get("y1"))
    low_y, high_y = ys[0], ys[-1]
    expected = low_y + (panel_size / 92 - 0.005) / (0.09 - 0.005) * (high_y - low_y)
    assert line_y == pytest.approx(expected, abs=0.05)


def test_probability_chart_thins_large_pools_but_keeps_extremes() -> None:
    probabilities = [0.01 + 0.04 * i / 4999 for i in range(5000)]
    root = parse(probability_chart(probabilities, panel_size=150, max_points=300))
    profile = next(e for e in root.iter(f"{SVG}polyline") if e.get("class") == "profile")
    points = profile.get("points").split()
    assert len(points) == 300
    assert int(profile.get("data-count")) == 5000
    assert float(profile.get("data-min")) == pytest.approx(0.01)
    assert float(profile.get("data-max")) == pytest.approx(0.05)


def test_percent_formats_small_values_with_more_digits() -> None:
    assert percent(0.125) == "12.5%"
    assert percent(0.0043) == "0.43%"
    assert percent(0) == "0.0%"


def test_expected_seats_may_be_fractional() -> None:
    rows = [CompositionRow("Age", "16-29", 2.35, 2, 3, 40), CompositionRow("Age", "30+", 9.65, 9, 10, 160)]
    root = parse(composition_chart(rows, panel_size=12, pool_size=200))
    words = texts(root)
    assert "2.4 (target 2–3; pool 20.0%)" in words  # one decimal for expected seats
    assert "9.7 (target 9–10; pool 80.0%)" in words
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "panel"]
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] / widths[0] == pytest.approx(9.65 / 2.35, rel=1e-3)


def test_probability_axis_is_not_much_taller_than_the_data() -> None:
    root = parse(probability_chart([0.1] * 100, panel_size=10))
    labels = [t for t in texts(root) if t.endswith("%")]
    assert "12.0%" in labels  # 0.1 x 1.1 rounds up to 12%, not 20%
    assert "20.0%" not in labels


def test_probability_axis_stops_at_certainty() -> None:
    root = parse(probability_chart([0.99, 0.05, 0.06, 0.9], panel_size=2))
    labels = [t for t in texts(root) if t.endswith("%")]
    assert "100.0%" in labels and "120.0%" not in labels
