"""The SVG charts carry the numbers they were given, in marks and in words."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from charter.charts import (
    OPTION_FILLS,
    CompositionRow,
    agreement_overview_chart,
    ballot_chart,
    ballot_table,
    composition_chart,
    contrast_ratio,
    overview_table,
    percent,
    probability_chart,
)
from charter.tallies import Rule, RuleKind, Scale, tally

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


# --- the results of a vote round ------------------------------------------------------------------

FIVE = {"strongly_agree": 20, "agree": 28, "unsure": 3, "disagree": 6, "strongly_disagree": 2}
TWO_THIRDS = Rule(RuleKind.two_thirds)


def geometry(root: ET.Element) -> tuple[float, float]:
    """The centre line's x and the pixels for 100 %, read from the axis."""
    lines = [e for e in root.iter(f"{SVG}line") if e.get("data-share") is not None]
    centre = next(float(e.get("x1")) for e in lines if e.get("class") == "centre")
    full = next(float(e.get("x1")) for e in lines if float(e.get("data-share")) == 1.0)
    return centre, full - centre


def segments(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-option"): g for g in root.iter(f"{SVG}g") if g.get("class") == "option"}


def test_ballot_chart_is_an_accessible_image_that_says_the_numbers() -> None:
    result = tally(Scale.five, FIVE, 64, TWO_THIRDS)
    root = parse(ballot_chart(result, title="1. Community benefit", rule=TWO_THIRDS, id_prefix="b1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "b1-title b1-desc"
    assert root.find(f"{SVG}title").text == "1. Community benefit"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("59 ballots of 64 eligible members: 81.4 % agree, 48 ballots "
                           "(20 strongly agree, 28 agree); 13.6 % disagree, 8 ballots "
                           "(6 disagree, 2 strongly disagree); 5.1 % unsure, 3 ballots.")
    assert "95 % interval of agreement 69.6 % to 89.3 %." in desc
    assert desc.endswith("Adopted: 81.4 % agree, above the two-thirds needed.")
    assert root.find(f".//{SVG}style") is None
    words = texts(root)
    assert {"81.4 %", "13.6 %", "5.1 %"} <= set(words)
    assert {"Strongly agree", "Agree", "Unsure", "Disagree", "Strongly disagree"} <= set(words)


def test_agree_runs_right_of_the_centre_disagree_left_unsure_apart() -> None:
    result = tally(Scale.five, FIVE, 64, TWO_THIRDS)
    root = parse(ballot_chart(result, title="t"))
    centre, full = geometry(root)
    rects = {o: g.find(f"{SVG}rect") for o, g in segments(root).items()}

    def span(option: str) -> tuple[float, float]:
        x, w = float(rects[option].get("x")), float(rects[option].get("width"))
        assert w == pytest.approx(FIVE[option] / 59 * full, abs=0.02)  # one scale for all
        return x, x + w

    # Agree next to the centre line, strongly agree outermost, and the bar ends at % agree.
    assert span("agree")[0] == pytest.approx(centre, abs=0.02)
    assert span("strongly_agree")[0] == pytest.approx(span("agree")[1], abs=0.02)
    assert span("strongly_agree")[1] == pytest.approx(centre + 48 / 59 * full, abs=0.03)
    assert span("disagree")[1] == pytest.approx(centre, abs=0.02)
    assert span("strongly_disagree")[1] == pytest.approx(span("disagree")[0], abs=0.02)
    assert span("unsure")[0] > centre + full  # apart, beyond 100 % agree
    for option, group in segments(root).items():
        assert int(group.get("data-count")) == FIVE[option]
        assert group.find(f"{SVG}title").text.startswith(f"{option.replace('_', ' ').capitalize()}")


def test_plain_options_are_hatched_and_strong_ones_solid() -> None:
    result = tally(Scale.five, FIVE, 64, TWO_THIRDS)
    root = parse(ballot_chart(result, title="t", id_prefix="p"))
    fills = {o: g.find(f"{SVG}rect").get("fill") for o, g in segments(root).items()}
    assert fills["agree"] == "url(#p-hatch-agree)"
    assert fills["disagree"] == "url(#p-hatch-disagree)"
    assert fills["strongly_agree"].startswith("#") and fills["strongly_disagree"].startswith("#")
    patterns = {e.get("id") for e in root.iter(f"{SVG}pattern")}
    assert patterns == {"p-hatch-agree", "p-hatch-disagree"}


def test_colours_pass_contrast() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    for option, (colour, _) in OPTION_FILLS.items():
        assert contrast_ratio(colour, "#ffffff") >= 3.0, option   # marks against the page
    for text in ("#1a1a1a", "#555555"):
        assert contrast_ratio(text, "#ffffff") >= 4.5
    # The two blues and the two browns also differ by pattern, so colour is never the only cue.
    assert OPTION_FILLS["agree"][1] and not OPTION_FILLS["strongly_agree"][1]


def test_interval_and_the_share_needed_sit_at_their_values() -> None:
    result = tally(Scale.five, FIVE, 64, TWO_THIRDS)
    root = parse(ballot_chart(result, title="t", rule=TWO_THIRDS))
    centre, full = geometry(root)
    interval = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "interval")
    low, high = result.interval
    assert float(interval.get("data-low")) == pytest.approx(low, abs=1e-6)
    whisker = interval.find(f"{SVG}line")
    assert float(whisker.get("x1")) == pytest.approx(centre + low * full, abs=0.02)
    assert float(whisker.get("x2")) == pytest.approx(centre + high * full, abs=0.02)
    needed = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "needed")
    assert float(needed.find(f"{SVG}line").get("x1")) == pytest.approx(centre + 2 / 3 * full,
                                                                        abs=0.02)
    assert "Dashed line: two-thirds needed." in " ".join(texts(root))


def test_consent_puts_blocks_left_and_concerns_apart() -> None:
    rule = Rule(RuleKind.consent, consent_threshold=0.6)
    result = tally(Scale.consent, {"agree": 40, "concerns": 12, "block": 1}, 60, rule)
    root = parse(ballot_chart(result, title="t", rule=rule))
    centre, full = geometry(root)
    rects = {o: g.find(f"{SVG}rect") for o, g in segments(root).items()}
    block = rects["block"]
    assert float(block.get("x")) + float(block.get("width")) == pytest.approx(centre, abs=0.02)
    assert float(rects["concerns"].get("x")) > centre + full
    desc = root.find(f"{SVG}desc").text
    assert "1.9 % block, 1 ballot" in desc and "22.6 % agree with concerns, 12 ballots" in desc
    assert "Dashed line: 60 % needed, no block." in " ".join(texts(root))


def test_a_principle_without_ballots_draws_no_bars() -> None:
    result = tally(Scale.three, {}, 30, Rule())
    root = parse(ballot_chart(result, title="t"))
    assert all(g.find(f"{SVG}rect") is None for g in segments(root).values())
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "interval"]


def test_ballot_table_says_what_the_chart_shows() -> None:
    result = tally(Scale.five, FIVE, 64, TWO_THIRDS)
    table = ballot_table(result, caption="Ballots on principle 1")
    assert table.caption == "Ballots on principle 1"
    assert table.columns == ("Choice", "Ballots", "Share")
    assert table.rows == (
        ("Strongly agree", "20", "33.9 %"),
        ("Agree", "28", "47.5 %"),
        ("Unsure", "3", "5.1 %"),
        ("Disagree", "6", "10.2 %"),
        ("Strongly disagree", "2", "3.4 %"),
        ("All ballots", "59", "100 %"),
        ("Agree in all", "48", "81.4 %"),
        ("95 % interval of agreement", "", "69.6 % to 89.3 %"),
        ("Turnout", "59 of 64", "92.2 %"),
    )


def overview_principles() -> list[tuple[str, object]]:
    return [
        ("1. Community benefit", tally(Scale.three, {"agree": 30, "disagree": 30}, 60, TWO_THIRDS)),
        ("2. Privacy & <security>", tally(Scale.three, {"agree": 50, "disagree": 10}, 60, TWO_THIRDS)),
        ("3. Transparency", tally(Scale.three, {"agree": 40, "unsure": 5, "disagree": 15}, 60,
                                  TWO_THIRDS)),
        ("4. Inclusion", tally(Scale.three, {"agree": 30, "disagree": 30}, 60, TWO_THIRDS)),
    ]


def test_overview_puts_principles_in_order_of_agreement_and_writes_the_decision() -> None:
    principles = overview_principles()
    svg = agreement_overview_chart(principles, rule=TWO_THIRDS, id_prefix="ov")  # type: ignore[arg-type]
    assert "Privacy &amp; &lt;security&gt;" in svg
    root = parse(svg)
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "principle"]
    # Most agreed first; the two at 50 % keep the draft's order.
    assert [g.get("data-label") for g in rows] == [
        "2. Privacy & <security>", "3. Transparency", "1. Community benefit", "4. Inclusion"]
    assert [g.get("data-adopted") for g in rows] == ["true", "true", "false", "false"]
    assert [t for t in texts(rows[0]) if t.endswith("dopted")] == ["Adopted"]
    assert [t for t in texts(rows[2]) if t.endswith("dopted")] == ["Not adopted"]
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("4 principles, from the most agreed to the least. "
                           "1. 2. Privacy & <security>: 83.3 % agree, adopted.")
    assert desc.endswith("2 of 4 adopted.")
    # The same scale in every row: each agreeing bar's length is its % agree.
    full = geometry(root)[1]
    for row in rows:
        agree = next(g for g in row.iter(f"{SVG}g") if g.get("data-option") == "agree")
        width = float(agree.find(f"{SVG}rect").get("width"))
        assert width == pytest.approx(float(row.get("data-share")) * full, abs=0.02)


def test_overview_table_matches_the_chart() -> None:
    principles = overview_principles()
    table = overview_table(principles)  # type: ignore[arg-type]
    assert table.columns == ("Principle", "% agree", "95 % interval", "Agree", "Unsure",
                             "Disagree", "Ballots", "Decision")
    assert [row[0] for row in table.rows] == [
        "2. Privacy & <security>", "3. Transparency", "1. Community benefit", "4. Inclusion"]
    assert table.rows[1] == ("3. Transparency", "66.7 %", "54.1 % to 77.3 %", "40 (66.7 %)",
                             "5 (8.3 %)", "15 (25 %)", "60",
                             "Adopted: 66.7 % agree, exactly the two-thirds needed")


def test_overview_refuses_nothing_or_mixed_scales() -> None:
    with pytest.raises(ValueError, match="no principles"):
        agreement_overview_chart([])
    mixed = [("a", tally(Scale.three, {"agree": 1}, 2, Rule())),
             ("b", tally(Scale.five, {"agree": 1}, 2, Rule()))]
    with pytest.raises(ValueError, match="share a scale"):
        agreement_overview_chart(mixed)
