"""Logging: human-readable lines by default, JSON lines with ``--log-format json``; secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from sync.events import LOGGER
from sync.redaction import RedactingFilter

OURS = frozenset(("cli", "connectors", "rules", "sandbox", "sync", "rankbridge"))


class LibraryFilter(logging.Filter):
    """Keeps the libraries' own log lines off a handler: only our packages' lines pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OURS


class EventFilter(logging.Filter):
    """Keeps events (:mod:`sync.events`) off a handler that should show only ordinary log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not hasattr(record, "event")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if event is not None:
            entry = {**entry, "event": event, **getattr(record, "fields", {})}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(verbosity: int = 0, fmt: str = "text", progress: logging.Handler | None = None) -> None:
    """Log lines on stderr: WARNING and up by default, INFO with -v (per-stream progress, one line per
    event), DEBUG with -vv (each request). Events (:mod:`sync.events`) are written as JSON lines with
    ``fmt="json"``, as text from -v on, and otherwise only drawn by ``progress`` (a terminal's bars)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    redact = RedactingFilter()
    handler.addFilter(redact)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        if verbosity <= 0:
            handler.addFilter(EventFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    events = logging.getLogger(LOGGER)
    events.setLevel(logging.INFO)
    events.handlers[:] = []
    if progress is not None:
        progress.addFilter(redact)
        events.addHandler(progress)
    # Libraries' own lines (the jira library logs whole error bodies, HTML pages included, at ERROR, and
    # resets its logger's level whenever a client is made) only with -vv: their failures reach the user
    # as our one-line messages.
    if verbosity < 2:
        handler.addFilter(LibraryFilter())
