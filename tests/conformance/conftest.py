"""Fixtures for the spec-support tests: request-log entries shaped like sandbox.framework records."""

from collections.abc import Callable
from typing import Any

import pytest

LogEntry = dict[str, Any]


def logged_call(
    method: str, path: str, query: dict[str, list[str]] | None = None, status: int = 200
) -> LogEntry:
    """One entry as ``Emulator._record`` writes it to the request log."""
    return {
        "seq": 1,
        "time": 0.0,
        "method": method,
        "path": path,
        "query": query or {},
        "status": status,
        "operation": None,
        "mutating": method != "GET",
    }


@pytest.fixture
def call() -> Callable[..., LogEntry]:
    """Build a request-log entry: ``call("GET", "/path", {"name": ["value"]})``."""
    return logged_call
