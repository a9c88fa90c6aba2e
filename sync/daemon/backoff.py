"""When a connection that keeps failing may run again: exponential backoff per connection."""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_BACKOFF = 3600.0


def backoff_delay(failures: int, interval: float, cap: float = MAX_BACKOFF) -> float:
    """Seconds before the next attempt after ``failures`` failed cycles in a row (0: on schedule)."""
    if failures <= 0:
        return 0.0
    return float(min(max(cap, interval), interval * 2 ** (failures - 1)))


class Backoff:
    """When each connection may run again; a connection that keeps failing is tried ever less often."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.not_before: dict[str, float] = {}

    def due(self, name: str) -> bool:
        return self.clock() >= self.not_before.get(name, 0.0)

    def failed(self, name: str, interval: float) -> float:
        self.failures[name] = self.failures.get(name, 0) + 1
        delay = backoff_delay(self.failures[name], interval)
        # The scheduler fires every ``interval``: allow the attempt that lands at ``delay`` after this one.
        self.not_before[name] = self.clock() + delay - min(interval, delay) / 2
        return delay

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)
        self.not_before.pop(name, None)
