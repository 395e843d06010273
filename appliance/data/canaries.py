"""Canaries: random fake PHI-like strings planted in training data, so that a privacy audit can measure
how much the tuned model memorised them (Carlini et al. 2019, "The Secret Sharer", arXiv:1802.08232).

`make_canaries(n, seed, fmt)` makes `n` distinct fills of a fixed format, where '#' is a random digit
and '@' a random capital letter; `plant_canaries` appends them to copies of training records. Both are
deterministic in their seed, so the audit (`appliance.evaluate.privacy`) regenerates the same canaries
from the run's request instead of storing them.

Hazard: canaries are fake by construction (random fills), never PHI; they still travel only inside the
encrypted store with the training records they were planted in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import Any

from appliance.errors import UsageError

DEFAULT_FORMAT = "Patient MRN: ########, callback 555-####"
DIGIT, LETTER = "#", "@"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Canary:
    text: str
    fmt: str

    @property
    def prefix(self) -> str:
        """The fixed text before the first random character."""
        return self.text[: _first_slot(self.fmt)]


def _first_slot(fmt: str) -> int:
    return min((i for i, c in enumerate(fmt) if c in (DIGIT, LETTER)), default=len(fmt))


def space_size(fmt: str) -> int:
    """Number of distinct fills of `fmt`."""
    return 10 ** fmt.count(DIGIT) * 26 ** fmt.count(LETTER)


def fill(fmt: str, rng: Random) -> str:
    return "".join(str(rng.randrange(10)) if c == DIGIT else rng.choice(_LETTERS) if c == LETTER else c for c in fmt)


def make_canaries(n: int, seed: int, fmt: str = DEFAULT_FORMAT) -> list[Canary]:
    """`n` distinct random fills of `fmt` ('#' digit, '@' capital letter), deterministic in `seed`."""
    if n < 0:
        raise UsageError("the number of canaries must be >= 0")
    if space_size(fmt) < 1000 * max(1, n):
        # Exposure ranks a canary among thousands of other fills: the format needs far more than n of them.
        raise UsageError(f"the canary format has too few random characters for {n} canaries; add '#' or '@'")
    rng = Random(f"appliance.canary/{seed}/{fmt}")
    texts: list[str] = []
    while len(texts) < n:
        text = fill(fmt, rng)
        if text not in texts:
            texts.append(text)
    return [Canary(t, fmt) for t in texts]


def plant_canaries(
    records: Sequence[Mapping[str, Any]],
    canaries: Sequence[Canary],
    *,
    repeats: int = 1,
    seed: int = 0,
    text_field: str = "text",
) -> list[dict[str, Any]]:
    """Extra training records: for each canary, `repeats` copies of random records with the canary
    appended as the last line of the note (and `note_id` suffixed so they stay distinguishable)."""
    if not records:
        raise UsageError("planting canaries needs at least one record to copy")
    rng = Random(f"appliance.canary.plant/{seed}")
    pool = list(records)
    planted = []
    for c_index, canary in enumerate(canaries):
        for r in range(repeats):
            base = dict(rng.choice(pool))
            base[text_field] = f"{str(base.get(text_field) or '').rstrip()}\n{canary.text}"
            if "note_id" in base:
                base["note_id"] = f"{base['note_id']}-canary{c_index}-{r}"
            planted.append(base)
    return planted
