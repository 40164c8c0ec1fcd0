"""The public draw: a seed picks a ticket by a rule anyone can recompute, with no favourites."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sortition.draw import draw, normalise_seed, pick_ticket

COMMITMENT = hashlib.sha256(b"example").hexdigest()


def test_the_ticket_follows_the_documented_rule() -> None:
    seed = "17 42 8 33 5"
    text = f"minipublic draw 1\n{COMMITMENT}\n{seed}\n0".encode()
    expected = int.from_bytes(hashlib.sha256(text).digest(), "big") % 1000 + 1
    assert pick_ticket(COMMITMENT, seed, 1000) == expected
    result = draw(COMMITMENT, seed, 1000)
    assert (result.ticket, result.seed, result.lottery_size) == (expected, seed, 1000)
    assert result.record()["commitment"] == COMMITMENT


def test_same_seed_replays_the_same_ticket_however_it_is_typed() -> None:
    first = draw(COMMITMENT, "17 42 8 33 5", 1000).ticket
    assert draw(COMMITMENT, "  17  42 8\t33 5\n", 1000).ticket == first
    assert draw(COMMITMENT, "１７ 42 8 33 5", 1000).ticket == first  # full-width digits
    assert normalise_seed("Heads  TAILS") == "heads tails"


def test_the_commitment_and_the_seed_both_matter() -> None:
    tickets = {draw(COMMITMENT, f"{a} {b}", 1000).ticket for a in range(10) for b in range(10)}
    assert len(tickets) > 90
    other = hashlib.sha256(b"other").hexdigest()
    assert [draw(other, str(s), 10**6).ticket for s in range(5)] != [
        draw(COMMITMENT, str(s), 10**6).ticket for s in range(5)]


def test_tickets_are_spread_evenly() -> None:
    counts = Counter(pick_ticket(COMMITMENT, str(s), 7) for s in range(7000))
    assert set(counts) == set(range(1, 8))
    # 1,000 expected per ticket; 5 standard deviations is about 150.
    assert all(850 < c < 1150 for c in counts.values())


@given(seed=st.text(min_size=1).filter(lambda s: s.strip()), size=st.integers(1, 5000))
def test_the_ticket_is_always_on_the_lottery(seed: str, size: int) -> None:
    try:
        clean = normalise_seed(seed)
    except ValueError:
        return  # only white space after normalising
    assert 1 <= pick_ticket(COMMITMENT, clean, size) <= size


def test_an_empty_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed is empty"):
        draw(COMMITMENT, "  \t ", 1000)
    with pytest.raises(ValueError):
        pick_ticket(COMMITMENT, "1", 0)
