"""A tracker's own priority from rank: the top share of a connection's ranked items urgent, the next high,
the next medium, the rest low (``priority_by_rank``). Never thresholds on the score's scale, which depends
on the framework (RICE scores run 0.04–4.8, WSJF 1–20): shares of the ranking mean the same under any.

Monotone by construction: levels are handed out along the ranking, so a higher-ranked item never gets a
lower priority than one ranked below it.
"""

from __future__ import annotations

from collections.abc import Sequence

LOWEST = 4  # Linear: 1 urgent, 2 high, 3 medium, 4 low (0 is "no priority", which we never set)


def band_ends(count: int, shares: Sequence[float]) -> list[int]:
    """Where each band ends along ``count`` ranked items: a share below 1 is a fraction of them, one of
    1 or more a number of items; bands are cumulative, rounded half up, and never past the end."""
    ends, total = [], 0.0
    for share in shares:
        total += share * count if share < 1 else share
        ends.append(min(count, int(total + 0.5)))
    return ends


def levels_by_rank(ranked: Sequence[str], shares: Sequence[float]) -> dict[str, int]:
    """Priority level per id, for ids in ranking order (best first)."""
    ends = band_ends(len(ranked), shares)
    levels: dict[str, int] = {}
    for position, ident in enumerate(ranked):
        level = 1 + sum(1 for end in ends if position >= end)
        levels[ident] = min(level, LOWEST)
    return levels
