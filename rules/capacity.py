"""The capacity cut line: walking the ranking from the top, each container's items fit the next cycle
while their cumulative effort stays within the container's ``[capacity]``; the first item that would pass
it, and every item below, do not (a line, not a knapsack: nothing below the line jumps over it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rules.config import CapacityConfig

if TYPE_CHECKING:
    from rules.scores import ItemScore


@dataclass
class CapacityLine:
    container: str
    capacity: float
    used: float = 0.0
    fitting: int = 0
    last_rank: int = 0  # rank of the last item above the line (0: nothing fits)
    first_out: str | None = None  # key of the first item below the line

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


def cut_line(ranked: Sequence[ItemScore], config: CapacityConfig) -> dict[str, CapacityLine]:
    """Set ``fits_next_cycle`` on each score (None where its container has no capacity); the lines by
    container. ``ranked`` is in rank order; mirror copies count against their own container."""
    if not config.per_container and config.default is None:
        return {}
    lines: dict[str, CapacityLine] = {}
    for scored in ranked:
        container = scored.container
        capacity = config.per_container.get(container, config.default)
        if capacity is None:
            continue
        line = lines.get(container)
        if line is None:
            line = lines[container] = CapacityLine(container, capacity)
        if line.first_out is None and line.used + scored.effort <= capacity + 1e-9:
            line.used += scored.effort
            line.fitting += 1
            line.last_rank = scored.rank
            scored.fits_next_cycle = True
        else:
            line.first_out = line.first_out or scored.label
            scored.fits_next_cycle = False
    return lines
