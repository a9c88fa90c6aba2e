"""Events for machines and progress for people: one record per run start/end, stream page, stream end and
op applied or failed, each with its connection, stream, counts and duration.

An event is a log record on the ``rankbridge.events`` logger at INFO whose ``event`` attribute names it and
whose ``fields`` attribute holds its data; ``--log-format json`` writes each as one JSON line, ``-v`` shows
them as text, and on a terminal a progress bar is drawn from them (``sync/presentation/progress.py``). The
engine only emits; what becomes of an event is the command line's choice.
"""

from __future__ import annotations

import logging
import time
from typing import Any

LOGGER = "rankbridge.events"
log = logging.getLogger(LOGGER)


def emit(event: str, message: str, **fields: Any) -> None:
    """Log one event; ``message`` is the line a person reads, ``fields`` what a machine reads."""
    if log.isEnabledFor(logging.INFO):
        log.info(message, extra={"event": event, "fields": fields})


def since(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.monotonic()`` reading), for an event's ``duration_ms``."""
    return round((time.monotonic() - started) * 1000, 1)
