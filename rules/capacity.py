"""The capacity cut line, per team: walking the ranking from the top, each team's items fit the next cycle
while their cumulative effort stays within the team's ``[capacity]``; the first item that would pass it,
and every item of that team below, do not (a line, not a knapsack: nothing below the line jumps over it).

A team is a container of one connection (``jira:ENG``, ``linear:ENG``): a Jira project and a Linear team
with the same name never share a line. Its capacity comes from a ``[[capacity.cycles]]`` entry covering
today, else ``[capacity.per_container]`` (qualified name, then the bare container), else the default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rules.config import CapacityConfig

if TYPE_CHECKING:
    from rules.scores import ItemScore


@dataclass
class CapacityLine:
    team: str  # CONNECTION:CONTAINER
    connection: str
    container: str
    capacity: float
    cycle: str | None = None  # "starts..ends" when a [[capacity.cycles]] entry set the capacity
    used: float = 0.0
    fitting: int = 0
    last_rank: int = 0  # rank of the last item above the line (0: nothing fits)
    first_out: str | None = None  # key (qualified where shared) of the first item below the line

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))

    def describe(self) -> str:
        cycle = f" (cycle {self.cycle})" if self.cycle else ""
        below = f"; first below the line: {self.first_out}" if self.first_out else ""
        return (
            f"{self.team}: {self.used:g} of {self.capacity:g}{cycle} used by {self.fitting} item(s), "
            f"through rank {self.last_rank}{below}"
        )


def cut_line(ranked: Sequence[ItemScore], config: CapacityConfig, today: date) -> dict[str, CapacityLine]:
    """Set ``fits_next_cycle`` on each score (None where its team has no capacity); the lines by team.
    ``ranked`` is in rank order; mirror copies count against their own team."""
    if not config.per_container and config.default is None and not config.cycles:
        return {}
    lines: dict[str, CapacityLine | None] = {}
    for scored in ranked:
        team = scored.team
        if team in lines:
            line = lines[team]
        else:
            connection, container = scored.item.connection, scored.container
            capacity, cycle = config.capacity_of(connection, container, today)
            span = f"{cycle.starts}..{cycle.ends}" if cycle else None
            line = lines[team] = (
                None if capacity is None else CapacityLine(team, connection, container, capacity, span)
            )
        if line is None:
            continue
        if line.first_out is None and line.used + scored.effort <= line.capacity + 1e-9:
            line.used += scored.effort
            line.fitting += 1
            line.last_rank = scored.rank
            scored.fits_next_cycle = True
        else:
            line.first_out = line.first_out or scored.label
            scored.fits_next_cycle = False
    return {team: line for team, line in lines.items() if line is not None}
