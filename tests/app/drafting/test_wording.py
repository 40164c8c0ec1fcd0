"""The word-level difference between two wordings: known answers, and (on random wordings with
a fixed seed) that the kept and deleted pieces always give back the old text and the kept and
inserted pieces the new one."""

from __future__ import annotations

import itertools
import random

from assembly.drafting.wording import Piece, difference

WORDS = ("data", "the", "council", "AI", "people", "publishes", "checks", ",", ".", "every")


def test_a_changed_word_is_one_deletion_and_one_insertion() -> None:
    assert difference("Publish all data.", "Publish most data.") == [
        Piece("same", "Publish "), Piece("deleted", "all"), Piece("inserted", "most"),
        Piece("same", " data.")]


def test_a_comma_after_a_word_leaves_the_word_alone() -> None:
    assert difference("It checks every case.", "It checks, every case.") == [
        Piece("same", "It checks"), Piece("inserted", ","), Piece("same", " every case.")]


def test_same_wording_has_no_change_and_empty_to_text_is_one_insertion() -> None:
    assert difference("Same words.", "Same words.") == [Piece("same", "Same words.")]
    assert difference("", "New words") == [Piece("inserted", "New words")]


def test_pieces_always_rebuild_both_wordings() -> None:
    generator = random.Random(20261204)
    for _ in range(300):
        old = " ".join(generator.choice(WORDS) for _ in range(generator.randint(0, 20)))
        new = " ".join(generator.choice(WORDS) for _ in range(generator.randint(0, 20)))
        pieces = difference(old, new)
        assert "".join(p.text for p in pieces if p.kind != "inserted") == old
        assert "".join(p.text for p in pieces if p.kind != "deleted") == new
        assert all(a.kind != b.kind for a, b in itertools.pairwise(pieces))
