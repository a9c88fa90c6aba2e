"""The capacity cut line, per team: walking the ranking from the top, each team's items fit the next cycle
while their cumulative effort stays within the team's ``[capacity]``; the first item that would pass it,
and every item of that team below, do not (a line, not a knapsack: nothing below the line jumps over it).

A team is a container of one connection (``jira:ENG``, ``linear:ENG``): a Jira project and a Linear team
with the same name never share a line. Its capacity comes from a ``[[capacity.cycles]]`` entry covering
today, else ``[capacity.per_container]`` (qualified name, then the bare container), else the default.
Where the tracker plans in cycles of its own (Linear), the line names the one it is for: the team's cycle
running today, else its next one (:func:`tracker_cycle`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rules.config import CapacityConfig
from sync.model import Cycle, parse_utc

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
    tracker_cycle: str | None = (
        None  # the tracker's cycle the line is for: "Cycle 2 (2026-11-30..2026-12-14)"
    )

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))

    def describe(self) -> str:
        cycle = f" (cycle {self.cycle})" if self.cycle else ""
        below = f"; first below the line: {self.first_out}" if self.first_out else ""
        tracker = f" in {self.tracker_cycle}" if self.tracker_cycle else ""
        return (
            f"{self.team}: {self.used:g} of {self.capacity:g}{cycle}{tracker} used by {self.fitting} "
            f"item(s), through rank {self.last_rank}{below}"
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


def tracker_cycle(cycles: Sequence[Cycle], connection: str, container: str, today: date) -> str | None:
    """The team's own cycle the next-cycle capacity is for: the one running today, else the next to start
    (archived and completed cycles never); None when the tracker keeps no cycle for the team."""
    mine = [
        c
        for c in cycles
        if c.connection == connection
        and c.container == container
        and not c.deleted
        and c.completed_at is None
    ]
    running = [c for c in mine if parse_utc(c.starts_at).date() <= today < parse_utc(c.ends_at).date()]
    later = sorted((c for c in mine if parse_utc(c.starts_at).date() > today), key=lambda c: c.starts_at)
    if not running and not later:
        return None
    chosen = (running or later)[0]
    span = f"{parse_utc(chosen.starts_at).date()}..{parse_utc(chosen.ends_at).date()}"
    return f"{chosen.name or f'cycle {chosen.number}'} ({span})"
