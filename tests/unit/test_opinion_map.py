"""The opinion map (`charter.charts.opinion_map`): one mark per participant, a shape and a letter
per group so colour is not the only cue, the reader's own place, and words that say the same."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from charter.charts import MapGroup, opinion_map, where_on_map

SVG = "{http://www.w3.org/2000/svg}"
LEFT = MapGroup("A", ((-2.0, 0.1), (-1.8, -0.2), (-2.2, 0.0)), 3)
RIGHT = MapGroup("B", ((2.0, 2.9), (1.9, 3.1)), 2)


def test_each_group_has_its_own_shape_letter_and_words() -> None:
    root = ET.fromstring(opinion_map([LEFT, RIGHT], you=(-2.0, 0.1), id_prefix="m"))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "m-title m-desc"
    groups = {g.get("data-group"): g for g in root.iter(f"{SVG}g") if g.get("class") == "group"}
    assert {k: len(list(g)) for k, g in groups.items()} == {"A": 3, "B": 2}
    assert {child.tag for child in groups["A"]} == {f"{SVG}circle"}
    assert {child.tag for child in groups["B"]} == {f"{SVG}rect"}
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert labels == ["A", "B", "You"]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == (
        "Each mark is one participant; people who voted alike are close together. "
        "5 participants in 2 groups shown. Group A (circles): 3 participants, lower left. "
        "Group B (squares): 2 participants, upper right. You are at the lower left.")
    assert root.find(f".//{SVG}style") is None


def test_a_withheld_group_is_not_drawn_and_the_description_says_so() -> None:
    hidden = MapGroup("B", (), None)
    root = ET.fromstring(opinion_map([LEFT, hidden], hidden_note="1 small group is not drawn."))
    groups = [g.get("data-group") for g in root.iter(f"{SVG}g") if g.get("class") == "group"]
    assert groups == ["A"]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.endswith("1 small group is not drawn.") and "Group B" not in desc.text


def test_places_in_words() -> None:
    assert where_on_map((0.0, 0.0), (0.0, 0.0), 4.0) == "centre"
    assert where_on_map((-2.0, 0.0), (0.0, 0.0), 4.0) == "left"
    assert where_on_map((0.0, 2.0), (0.0, 0.0), 4.0) == "top"
    assert where_on_map((2.0, -2.0), (0.0, 0.0), 4.0) == "lower right"
