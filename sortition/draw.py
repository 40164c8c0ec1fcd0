"""The public draw: a seed chosen in public picks one ticket of the committed lottery.

The officer publishes the commitment first; then a seed is made in public (numbers drawn from a
bowl at a meeting, dice, the week's lottery numbers) and the ticket follows from both by a rule
anyone can recompute:

1. Normalise the seed: Unicode NFKC, case-folded, runs of white space turned into one space,
   trimmed. "17 42  8 33 5" and " 17 42 8 33 5" give the same draw.
2. For attempt c = 0, 1, 2, ...: x = SHA-256 of the UTF-8 text
   ``"minipublic draw 1\\n" + commitment + "\\n" + seed + "\\n" + c`` read as a 256-bit
   big-endian integer. If x < m * floor(2^256 / m), the ticket is (x mod m) + 1; otherwise try
   the next attempt. Rejecting the few values above the last whole multiple of m makes every
   ticket exactly equally likely; for m = 1,000 a retry happens with probability below 10^-73.

Since the commitment is fixed before the seed exists, neither the officer nor whoever makes the
seed can steer the draw towards a chosen panel without the other.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

SCHEME = "minipublic draw 1"
_SPACE = 2**256


@dataclass(frozen=True)
class Draw:
    """The outcome: which ticket the seed picked, out of how many."""

    commitment: str
    seed: str
    ticket: int
    lottery_size: int

    def record(self) -> dict[str, object]:
        return {
            "scheme": SCHEME,
            "commitment": self.commitment,
            "seed": self.seed,
            "ticket": self.ticket,
            "lottery_size": self.lottery_size,
        }


def normalise_seed(text: str) -> str:
    """The seed as it enters the hash; ValueError when nothing is left of it."""
    seed = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    if not seed:
        raise ValueError("The seed is empty: give the numbers or words drawn in public.")
    return seed


def pick_ticket(commitment: str, seed: str, lottery_size: int) -> int:
    """The ticket number (1..lottery_size) that `seed` picks; the seed must be normalised."""
    if lottery_size < 1:
        raise ValueError("the lottery has no tickets")
    limit = _SPACE - _SPACE % lottery_size
    attempt = 0
    while True:
        text = f"{SCHEME}\n{commitment}\n{seed}\n{attempt}"
        value = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
        if value < limit:
            return value % lottery_size + 1
        attempt += 1


def draw(commitment: str, seed: str, lottery_size: int) -> Draw:
    """Normalise the public seed and pick the ticket it names."""
    clean = normalise_seed(seed)
    return Draw(commitment=commitment, seed=clean,
                ticket=pick_ticket(commitment, clean, lottery_size),
                lottery_size=lottery_size)
